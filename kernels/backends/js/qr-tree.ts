/**
 * qr_apply_split, qr_expand, eye and zeros(A): the kernels that take an explicit Q and Qᵀ·B
 * through a TSQR tree whose leaves are taller than their R. They move rows around a call of
 * the backend's own `qr_apply` (the product is all the arithmetic), so every backend shares
 * these wrappers and keeps its fast apply.
 */
import { heapAlloc, type Allocator, type Attrs, type Block, type KernelImpl } from '../../types.ts';

/** Rows `from` … `from + rows − 1` of C as a new block (on the JS heap: an input, not an output). */
function rowSlice(C: Block, from: number, rows: number): Block {
  const out = heapAlloc(rows, C.cols);
  for (let j = 0; j < C.cols; j++) out.data.set(C.data.subarray(j * C.rows + from, j * C.rows + from + rows), j * rows);
  return out;
}

/** [C; 0] with m rows in all. */
function padRows(C: Block, m: number): Block {
  const out = heapAlloc(m, C.cols);
  for (let j = 0; j < C.cols; j++) out.data.set(C.data.subarray(j * C.rows, (j + 1) * C.rows), j * m);
  return out;
}

/** m and k = min(m, n) of a compact factor F. */
function dims(F: Block): [m: number, k: number] {
  const m = F.rows - 1;
  return [m, Math.min(m, F.cols)];
}

/**
 * The tree kernels over `qrApply` (a backend's qr_apply implementation).
 * @example const { qr_apply_split } = qrTreeKernels(backend.kernels.qr_apply!);
 */
export function qrTreeKernels(qrApply: KernelImpl): Record<'qr_apply_split' | 'qr_expand', KernelImpl> {
  return {
    qr_apply_split(inputs: readonly Block[], attrs: Attrs, alloc: Allocator): Block[] {
      const [F, C] = inputs as readonly [Block, Block];
      const [m, k] = dims(F);
      if (m === k) return [...qrApply([F, C], attrs, alloc), alloc(0, C.cols)];
      // qr_apply's stacked form splits its result where its inputs meet: after k rows.
      const [top, bottom] = C.rows === m ? [rowSlice(C, 0, k), rowSlice(C, k, m - k)] : [C, heapAlloc(m - k, C.cols)];
      return qrApply([F, top, bottom], attrs, alloc);
    },
    qr_expand(inputs: readonly Block[], attrs: Attrs, alloc: Allocator): Block[] {
      const [F, C] = inputs as readonly [Block, Block];
      const [m] = dims(F);
      return qrApply([F, C.rows === m ? C : padRows(C, m)], attrs, alloc);
    },
  };
}

/** eye(A): the identity shaped like A. */
export function eye(inputs: readonly Block[], _attrs: Attrs, alloc: Allocator): Block[] {
  const A = inputs[0]!;
  const out = alloc(A.rows, A.cols);
  for (let i = 0; i < Math.min(A.rows, A.cols); i++) out.data[i + i * A.rows] = 1;
  return [out];
}
