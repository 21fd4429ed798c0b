/** Reference add, sub, copy, zeros and noop: plain loops over the column-major data. */
import type { Allocator, Attrs, Block } from '../../types.ts';

/** X1 + … + Xn, summed left to right. */
export function add(inputs: readonly Block[], _attrs: Attrs, alloc: Allocator): Block[] {
  const first = inputs[0]!;
  const out = alloc(first.rows, first.cols);
  out.data.set(first.data);
  for (const x of inputs.slice(1)) for (let i = 0; i < out.data.length; i++) out.data[i] = out.data[i]! + x.data[i]!;
  return [out];
}

/** A − B. */
export function sub(inputs: readonly Block[], _attrs: Attrs, alloc: Allocator): Block[] {
  const [A, B] = inputs as readonly [Block, Block];
  const out = alloc(A.rows, A.cols);
  for (let i = 0; i < out.data.length; i++) out.data[i] = A.data[i]! - B.data[i]!;
  return [out];
}

/** A copy of A (the kernels `copy` and `identity`). */
export function copy(inputs: readonly Block[], _attrs: Attrs, alloc: Allocator): Block[] {
  const A = inputs[0]!;
  const out = alloc(A.rows, A.cols);
  out.data.set(A.data);
  return [out];
}

/** A rows × cols zero block, or one shaped like the input (the allocator zero-fills). */
export function zeros(inputs: readonly Block[], attrs: Attrs, alloc: Allocator): Block[] {
  const like = inputs[0];
  return [like ? alloc(like.rows, like.cols) : alloc(Number(attrs.rows), Number(attrs.cols))];
}

/** A 1×1 zero block whatever the inputs. */
export function noop(_inputs: readonly Block[], _attrs: Attrs, alloc: Allocator): Block[] {
  return [alloc(1, 1)];
}
