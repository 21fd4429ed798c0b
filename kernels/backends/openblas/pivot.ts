/**
 * lu_cand and lu_merge on LAPACK: dgetrf picks the pivots (blocked, in the library's own
 * kernels), its row swaps give the order of the original rows. lu_gather and lu_scatter are
 * row movement by id, shared with the reference backend.
 */
import type { Allocator, Attrs, Block, KernelImpl } from '../../types.ts';
import type { Lapack } from './library.ts';
import type { Scratch } from './scratch.ts';
import { candidates, luGather, luScatter, stackCandidates } from '../js/pivot.ts';

/** The LAPACK-backed tournament kernels. */
export function pivotKernels(lp: Lapack, scratch: Scratch): Record<string, KernelImpl> {
  /** The first min(m, n) rows of dgetrf's final row order of the m × n column-major `rows`. */
  function order(rows: Float64Array, m: number, n: number): number[] {
    const k = Math.min(m, n);
    if (k === 0) return [];
    const a = scratch.f64('getrf', m * n);
    a.set(rows.subarray(0, m * n));
    const ipiv = new Int32Array(k);
    const info = lp.getrf(m, n, a, m, ipiv);
    // info > 0 is an exactly zero pivot: the factorization still completed, the order stands.
    if (info < 0) throw new Error(`dgetrf rejected argument ${-info}`);
    const perm = Array.from({ length: m }, (_, i) => i);
    for (let j = 0; j < k; j++) {
      const p = ipiv[j]! - 1;
      const t = perm[j]!;
      perm[j] = perm[p]!;
      perm[p] = t;
    }
    return perm.slice(0, k);
  }

  function luCand(inputs: readonly Block[], _attrs: Attrs, alloc: Allocator): Block[] {
    const [X, I] = inputs as readonly [Block, Block];
    return [candidates(X.data, X.rows, X.cols, I.data, order(X.data, X.rows, X.cols), alloc)];
  }

  function luMerge(inputs: readonly Block[], _attrs: Attrs, alloc: Allocator): Block[] {
    const { data, m, n } = stackCandidates(inputs);
    return [candidates(data, m, n, data.subarray(m * n), order(data, m, n), alloc)];
  }

  return { lu_cand: luCand, lu_merge: luMerge, lu_gather: luGather, lu_scatter: luScatter };
}
