/** Reference transpose, scale, sumsq and diag: plain loops over column-major data. */
import type { Allocator, Attrs, Block } from '../../types.ts';

/** Aᵀ. */
export function transpose(inputs: readonly Block[], _attrs: Attrs, alloc: Allocator): Block[] {
  const A = inputs[0]!;
  const out = alloc(A.cols, A.rows);
  for (let j = 0; j < A.cols; j++) for (let i = 0; i < A.rows; i++) out.data[j + i * A.cols] = A.data[i + j * A.rows]!;
  return [out];
}

/** s·A with s the value of a 1×1 block. */
export function scale(inputs: readonly Block[], _attrs: Attrs, alloc: Allocator): Block[] {
  const [A, s] = inputs as readonly [Block, Block];
  const out = alloc(A.rows, A.cols);
  const v = s.data[0]!;
  for (let i = 0; i < out.data.length; i++) out.data[i] = v * A.data[i]!;
  return [out];
}

/** 1×1: Σ a² over A, plus P's value when given (summed in element order). */
export function sumsq(inputs: readonly Block[], _attrs: Attrs, alloc: Allocator): Block[] {
  const [A, P] = inputs as readonly [Block, Block?];
  let s = 0;
  for (const v of A.data) s += v * v;
  const out = alloc(1, 1);
  out.data[0] = P ? s + P.data[0]! : s;
  return [out];
}

/** The diagonal of A as a column. */
export function diag(inputs: readonly Block[], _attrs: Attrs, alloc: Allocator): Block[] {
  const A = inputs[0]!;
  const k = Math.min(A.rows, A.cols);
  const out = alloc(k, 1);
  for (let i = 0; i < k; i++) out.data[i] = A.data[i + i * A.rows]!;
  return [out];
}
