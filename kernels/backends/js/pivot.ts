/**
 * Reference kernels of tournament pivoting (CALU) and of the row exchanges it implies. Rows
 * carry their identities as data: a candidate block holds rows of the panel followed by one
 * column of row ids, and lu_gather / lu_scatter move rows by id, so no kernel needs to know
 * where its block sits in the matrix.
 */
import type { Allocator, Attrs, Block } from '../../types.ts';

/**
 * The rows Gaussian elimination with partial pivoting (getrf: the first largest |pivot| in
 * each column) picks as pivots, in pivot order: the first min(m, n) entries of the row order.
 * `a` is an m × n column-major work array (overwritten).
 */
export function pivotOrder(a: Float64Array, m: number, n: number): number[] {
  const order = Array.from({ length: m }, (_, i) => i);
  const k = Math.min(m, n);
  for (let j = 0; j < k; j++) {
    let p = j;
    let best = Math.abs(a[j + j * m]!);
    for (let i = j + 1; i < m; i++) {
      const v = Math.abs(a[i + j * m]!);
      if (v > best) { best = v; p = i; }
    }
    if (p !== j) {
      for (let c = 0; c < n; c++) {
        const t = a[j + c * m]!;
        a[j + c * m] = a[p + c * m]!;
        a[p + c * m] = t;
      }
      const t = order[j]!;
      order[j] = order[p]!;
      order[p] = t;
    }
    const piv = a[j + j * m]!;
    if (piv === 0) continue; // an exactly zero column: nothing to eliminate (getrf goes on too)
    for (let i = j + 1; i < m; i++) a[i + j * m] = a[i + j * m]! / piv;
    for (let c = j + 1; c < n; c++) {
      const s = a[j + c * m]!;
      if (s === 0) continue;
      for (let i = j + 1; i < m; i++) a[i + c * m] = a[i + c * m]! - a[i + j * m]! * s;
    }
  }
  return order.slice(0, k);
}

/** The candidate block: rows `order` of `rows` (m × n, column-major) with `ids` appended as a last column. */
export function candidates(rows: Float64Array, m: number, n: number, ids: ArrayLike<number>, order: readonly number[], alloc: Allocator): Block {
  const k = order.length;
  const out = alloc(k, n + 1);
  order.forEach((r, p) => {
    for (let c = 0; c < n; c++) out.data[p + c * k] = rows[r + c * m]!;
    out.data[p + n * k] = ids[r]!;
  });
  return out;
}

/** Stacks candidate blocks (each with its id column last) into one m × (n + 1) column-major array. */
export function stackCandidates(blocks: readonly Block[]): { data: Float64Array; m: number; n: number } {
  const n = blocks[0]!.cols - 1;
  const m = blocks.reduce((s, b) => s + b.rows, 0);
  const data = new Float64Array(m * (n + 1));
  let r0 = 0;
  for (const b of blocks) {
    for (let c = 0; c <= n; c++) data.set(b.data.subarray(c * b.rows, (c + 1) * b.rows), r0 + c * m);
    r0 += b.rows;
  }
  return { data, m, n };
}

/** lu_cand(X, I): the pivot rows of X (partial pivoting) in pivot order, each followed by its id from I. */
export function luCand(inputs: readonly Block[], _attrs: Attrs, alloc: Allocator): Block[] {
  const [X, I] = inputs as readonly [Block, Block];
  const order = pivotOrder(X.data.slice(), X.rows, X.cols);
  return [candidates(X.data, X.rows, X.cols, I.data, order, alloc)];
}

/** lu_merge(C1, C2): the pivot rows of two stacked candidate blocks, ids carried along. */
export function luMerge(inputs: readonly Block[], _attrs: Attrs, alloc: Allocator): Block[] {
  const { data, m, n } = stackCandidates(inputs);
  const order = pivotOrder(data.slice(0, m * n), m, n);
  return [candidates(data, m, n, data.subarray(m * n), order, alloc)];
}

/** Position of each id in a column of ids. */
export function idIndex(ids: Float64Array): Map<number, number> {
  const at = new Map<number, number>();
  ids.forEach((id, i) => at.set(id, i));
  return at;
}

/** lu_gather(W, X, I): row p is X's row with the id W holds in row p (last column), zero where X has no such row. */
export function luGather(inputs: readonly Block[], _attrs: Attrs, alloc: Allocator): Block[] {
  const [W, X, I] = inputs as readonly [Block, Block, Block];
  const t = W.rows;
  const wid = W.data.subarray((W.cols - 1) * t);
  const where = idIndex(I.data);
  const out = alloc(t, X.cols);
  for (let p = 0; p < t; p++) {
    const r = where.get(wid[p]!);
    if (r === undefined) continue;
    for (let c = 0; c < X.cols; c++) out.data[p + c * t] = X.data[r + c * X.rows]!;
  }
  return [out];
}

/**
 * lu_scatter(W, X, I, T, IT): X after the exchange that brings the winners W to the top block
 * row T (ids IT): every row of X that is a winner is replaced by a row of T that is not. The
 * pairing is fixed by W and IT alone, so every block agrees on it: the winners outside T, in
 * W's order, receive T's non-winning rows, in T's order.
 */
export function luScatter(inputs: readonly Block[], _attrs: Attrs, alloc: Allocator): Block[] {
  const [W, X, I, T, IT] = inputs as readonly [Block, Block, Block, Block, Block];
  const out = alloc(X.rows, X.cols);
  out.data.set(X.data);
  const wid = W.data.subarray((W.cols - 1) * W.rows);
  const winners = new Set(wid);
  const inTop = new Set(IT.data);
  const displaced: number[] = [];
  IT.data.forEach((id, r) => { if (!winners.has(id)) displaced.push(r); });
  const where = idIndex(I.data);
  let d = 0;
  for (const id of wid) {
    if (inTop.has(id)) continue;
    const src = displaced[d++];
    const r = where.get(id);
    if (r === undefined || src === undefined) continue;
    for (let c = 0; c < X.cols; c++) out.data[r + c * X.rows] = T.data[src + c * T.rows]!;
  }
  return [out];
}
