/**
 * scale and sumsq on CBLAS (dscal, ddot); transpose and diag are pure data movement, shared
 * with the reference backend (BLAS has nothing faster for them, as for copy).
 */
import type { Allocator, Attrs, Block, KernelImpl } from '../../types.ts';
import type { Cblas } from './library.ts';
import { diag, transpose } from '../js/reshape.ts';

/** The BLAS-backed kernels transpose, scale, sumsq, diag. */
export function reshapeKernels(b: Cblas): Record<string, KernelImpl> {
  function scale(inputs: readonly Block[], _attrs: Attrs, alloc: Allocator): Block[] {
    const [A, s] = inputs as readonly [Block, Block];
    const out = alloc(A.rows, A.cols);
    const v = s.data[0]!;
    // dscal by 0 may write zeros over NaN/Inf; scaling is elementwise in every backend.
    if (v === 0) for (let i = 0; i < out.data.length; i++) out.data[i] = 0 * A.data[i]!;
    else {
      out.data.set(A.data);
      if (out.data.length > 0) b.dscal(out.data.length, v, out.data, 1);
    }
    return [out];
  }

  function sumsq(inputs: readonly Block[], _attrs: Attrs, alloc: Allocator): Block[] {
    const [A, P] = inputs as readonly [Block, Block?];
    const n = A.data.length;
    const s = n > 0 ? b.ddot(n, A.data, 1, A.data, 1) : 0;
    const out = alloc(1, 1);
    out.data[0] = P ? s + P.data[0]! : s;
    return [out];
  }

  return { transpose, scale, sumsq, diag };
}
