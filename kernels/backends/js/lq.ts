/**
 * LQ through QR of the transpose, for every backend: [A B] = L·Q is [Aᵀ; Bᵀ] = Qᵀ·Lᵀ, so
 * `lq_factor` is qr_factor on the transposed blocks (its compact factor F unchanged, L = Rᵀ)
 * and `lq_apply` is ([C D]·Qᵀ)ᵀ = Q̃ᵀ·[Cᵀ; Dᵀ], qr_apply on the transposes. The transposes
 * are O(b²) copies beside the O(b³) factorisation, and they keep one factor layout across
 * backends: F is always qr_factor's layout of the transposed problem.
 */
import { heapAlloc, type Allocator, type Attrs, type Block, type KernelImpl } from '../../types.ts';

/** Bᵀ into a block from `alloc`. */
export function transposed(B: Block, alloc: Allocator = heapAlloc): Block {
  const out = alloc(B.cols, B.rows);
  const { rows, cols } = B;
  for (let j = 0; j < cols; j++) for (let i = 0; i < rows; i++) out.data[j + i * cols] = B.data[i + j * rows]!;
  return out;
}

/** `lq_factor` and `lq_apply` built on a backend's own `qr_factor` and `qr_apply`. */
export function lqKernels(qrFactor: KernelImpl, qrApply: KernelImpl): { lq_factor: KernelImpl; lq_apply: KernelImpl } {
  const lqFactor = (inputs: readonly Block[], attrs: Attrs, alloc: Allocator): Block[] => {
    const [F, R] = qrFactor(inputs.map((b) => transposed(b)), attrs, heapAlloc);
    // Outputs must come from the caller's allocator (shared memory across threads): F as it is, L = Rᵀ.
    const f = alloc(F!.rows, F!.cols);
    f.data.set(F!.data);
    return [f, transposed(R!, alloc)];
  };
  const lqApply = (inputs: readonly Block[], attrs: Attrs, alloc: Allocator): Block[] => {
    const [F, ...rest] = inputs;
    const out = qrApply([F!, ...rest.map((b) => transposed(b))], attrs, heapAlloc);
    return out.map((b) => transposed(b, alloc));
  };
  return { lq_factor: lqFactor, lq_apply: lqApply };
}
