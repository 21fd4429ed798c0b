/**
 * chol, qr_factor, qr_r and qr_apply on LAPACK (dpotrf, dgeqrf, dormqr, dlacpy). Stacked
 * inputs and workspaces live in {@link Scratch} buffers; inputs are never written, not even
 * transiently (dormqr's unblocked path flips F's diagonal while it runs, so it gets a copy:
 * another thread may be reading the same shared block).
 */
import { KernelError, type Allocator, type Attrs, type Block, type KernelImpl } from '../../types.ts';
import { qrApplyTrans } from '../../specs.ts';
import type { Lapack } from './library.ts';
import type { Scratch } from './scratch.ts';

function lapackFailure(routine: string, info: number): never {
  // A negative info is an illegal argument: a bug here, not a property of the data.
  throw new Error(`${routine} rejected argument ${-info}`);
}

/** The LAPACK-backed kernels chol, qr_factor, qr_r, qr_apply. */
export function lapackKernels(lp: Lapack, scratch: Scratch): Record<string, KernelImpl> {
  /** Stacks A over B into `dst` (leading dimension `ldd`). */
  function stack(A: Block, B: Block | undefined, dst: Float64Array, ldd: number): void {
    if (A.rows > 0 && A.cols > 0) lp.lacpy('A', A.rows, A.cols, A.data, A.rows, dst, ldd);
    if (B && B.rows > 0 && B.cols > 0) lp.lacpy('A', B.rows, B.cols, B.data, B.rows, dst.subarray(A.rows), ldd);
  }

  /** dgeqrf of the m × n matrix in `a` (leading dimension lda); tau lands in scratch 'tau'. */
  function geqrf(a: Float64Array, m: number, n: number, lda: number): Float64Array {
    const tau = scratch.f64('tau', Math.min(m, n));
    if (m === 0 || n === 0) return tau;
    const lwork = lp.geqrfWork(m, n, lda);
    const info = lp.geqrf(m, n, a, lda, tau, scratch.f64('work', lwork), lwork);
    if (info < 0) lapackFailure('dgeqrf', info);
    return tau;
  }

  function extractR(a: Float64Array, m: number, n: number, lda: number, alloc: Allocator): Block {
    const k = Math.min(m, n);
    const R = alloc(k, n);
    if (k > 0) lp.lacpy('U', k, n, a, lda, R.data, k);
    return R;
  }

  function chol(inputs: readonly Block[], _attrs: Attrs, alloc: Allocator): Block[] {
    const A = inputs[0]!;
    const n = A.rows;
    const L = alloc(n, n);
    if (n === 0) return [L];
    lp.lacpy('L', n, n, A.data, n, L.data, n); // potrf('L') reads only the lower triangle
    let info = lp.potrfLower(n, L.data, n);
    if (info < 0) lapackFailure('dpotrf', info);
    // OpenBLAS's potrf tests `ajj <= 0`, which a NaN pivot passes: catch it here so that every
    // backend fails at the same minor (reference LAPACK's potrf reports NaN itself).
    for (let j = 0; info === 0 && j < n; j++) if (Number.isNaN(L.data[j + j * n])) info = j + 1;
    if (info > 0) {
      throw KernelError.notPositiveDefinite(info, n);
    }
    return [L];
  }

  function qrFactor(inputs: readonly Block[], _attrs: Attrs, alloc: Allocator): Block[] {
    const [A, B] = inputs as readonly [Block, Block?];
    const m = A.rows + (B?.rows ?? 0);
    const n = A.cols;
    const F = alloc(m + 1, n);
    // Factor in F itself: leading dimension m + 1 leaves row m free for tau.
    stack(A, B, F.data, m + 1);
    const tau = geqrf(F.data, m, n, m + 1);
    for (let j = 0; j < Math.min(m, n); j++) F.data[m + j * (m + 1)] = tau[j]!;
    return [F, extractR(F.data, m, n, m + 1, alloc)];
  }

  function qrR(inputs: readonly Block[], _attrs: Attrs, alloc: Allocator): Block[] {
    const [A, B] = inputs as readonly [Block, Block?];
    const m = A.rows + (B?.rows ?? 0);
    const n = A.cols;
    const a = scratch.f64('qr', m * n);
    const lda = Math.max(1, m);
    stack(A, B, a, lda);
    geqrf(a, m, n, lda);
    return [extractR(a, m, n, lda, alloc)];
  }

  function qrApply(inputs: readonly Block[], attrs: Attrs, alloc: Allocator): Block[] {
    const [F, C, D] = inputs as readonly [Block, Block, Block?];
    const m = F.rows - 1;
    const k = Math.min(m, F.cols);
    const cols = C.cols;
    const trans = qrApplyTrans(attrs);
    const top = alloc(C.rows, cols);
    const bottom = D ? alloc(D.rows, cols) : undefined;
    // C alone is transformed in its output; a stacked pair in a scratch copy, split afterwards.
    const c = bottom ? scratch.f64('apply', m * cols) : top.data;
    if (bottom) stack(C, D, c, Math.max(1, m));
    else top.data.set(C.data);
    if (k > 0 && cols > 0) {
      const v = scratch.f64('reflectors', m * k);
      lp.lacpy('A', m, k, F.data, m + 1, v, m);
      const tau = scratch.f64('tau', k);
      for (let j = 0; j < k; j++) tau[j] = F.data[m + j * (m + 1)]!;
      const lwork = lp.ormqrWork(trans, m, cols, k, m, m);
      const info = lp.ormqr(trans, m, cols, k, v, m, tau, c, m, scratch.f64('work', lwork), lwork);
      if (info < 0) lapackFailure('dormqr', info);
    }
    if (!bottom || !D) return [top];
    if (C.rows > 0 && cols > 0) lp.lacpy('A', C.rows, cols, c, m, top.data, C.rows);
    if (D.rows > 0 && cols > 0) lp.lacpy('A', D.rows, cols, c.subarray(C.rows), m, bottom.data, D.rows);
    return [top, bottom];
  }

  return { chol, qr_factor: qrFactor, qr_r: qrR, qr_apply: qrApply };
}
