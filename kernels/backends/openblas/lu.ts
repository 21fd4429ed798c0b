/**
 * lu_nopiv on BLAS: LAPACK has no unpivoted getrf, so this is the recursive (Toledo/Gustavson)
 * formulation: factor the left half of the panel, solve for U12 with dtrsm, update the
 * trailing block with dgemm, factor the right half. Panels at most {@link BASE} columns wide
 * are eliminated column by column with dscal + dger. Nearly all flops land in dgemm.
 */
import { type Allocator, type Attrs, type Block, type KernelImpl } from '../../types.ts';
import { CBLAS, type Cblas } from './library.ts';
import { luSingular, splitLu } from '../js/factor.ts';

const BASE = 16;

/** The BLAS-backed kernel lu_nopiv. */
export function luKernels(b: Cblas): Record<string, KernelImpl> {
  const { colMajor, noTrans, left, lower, unit } = CBLAS;

  let cols: Block | undefined; // the current call's column numbers, for the SINGULAR message
  function singular(minor: number, n: number): never {
    throw luSingular(minor, n, cols);
  }

  /** Unpivoted LU of the m × w panel at a[off] (leading dimension ld); `first` is its first column's index. */
  function panel(a: Float64Array, off: number, ld: number, m: number, w: number, first: number, n: number): void {
    if (w <= BASE) {
      for (let j = 0; j < w; j++) {
        const d = off + j + j * ld;
        const pivot = a[d]!;
        if (pivot === 0) singular(first + j + 1, n);
        const below = m - j - 1;
        if (below === 0) continue;
        b.dscal(below, 1 / pivot, a.subarray(d + 1), 1);
        if (j + 1 < w) b.dger(colMajor, below, w - j - 1, -1, a.subarray(d + 1), 1, a.subarray(d + ld), ld, a.subarray(d + ld + 1), ld);
      }
      return;
    }
    const w1 = w >> 1;
    const w2 = w - w1;
    panel(a, off, ld, m, w1, first, n);
    const a12 = a.subarray(off + w1 * ld);
    b.dtrsm(colMajor, left, lower, noTrans, unit, w1, w2, 1, a.subarray(off), ld, a12, ld);
    const a22 = off + w1 + w1 * ld;
    if (m > w1) b.dgemm(colMajor, noTrans, noTrans, m - w1, w2, w1, -1, a.subarray(off + w1), ld, a12, ld, 1, a.subarray(a22), ld);
    panel(a, a22, ld, m - w1, w2, first + w1, n);
  }

  function luNopiv(inputs: readonly Block[], _attrs: Attrs, alloc: Allocator): Block[] {
    const A = inputs[0]!;
    cols = inputs[1];
    const n = A.rows;
    const L = alloc(n, n);
    const U = alloc(n, n);
    const w = U.data; // factor in U's storage, then move the multipliers to L
    w.set(A.data);
    if (n > 0) panel(w, 0, n, n, n, 0, n);
    splitLu(L, U);
    return [L, U];
  }

  return { lu_nopiv: luNopiv };
}
