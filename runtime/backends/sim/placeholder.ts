/**
 * Blocks of the simulation: the right shape, no data of their own. A large block is a view of
 * one shared, never-written zero buffer (untouched pages cost no memory); a small one — small
 * enough for the executor to run its kernel inline, for real — is a per-shape identity matrix,
 * on which every kernel succeeds (chol(I) = I …). Kernels never write their inputs, so the
 * shared data stays as it is.
 */
import type { Block } from '../../core/interfaces.ts';

/** Blocks up to this many bytes get real (identity) data: the executor may run them inline. */
const SMALL_BYTES = 64 * 1024;

let shared = new Float64Array(0);
const small = new Map<string, Block>();

/** A rows × cols block whose data must not be written. */
export function placeholder(rows: number, cols: number): Block {
  const n = rows * cols;
  if (n * 8 <= SMALL_BYTES) {
    const k = `${rows}x${cols}`;
    let b = small.get(k);
    if (!b) {
      const data = new Float64Array(n);
      for (let i = 0; i < Math.min(rows, cols); i++) data[i + i * rows] = 1;
      b = { rows, cols, data };
      small.set(k, b);
    }
    return b;
  }
  if (shared.length < n) shared = new Float64Array(n);
  return { rows, cols, data: shared.subarray(0, n) };
}
