/**
 * Reference gemm, syrk and trsm: textbook loops over column-major blocks (element (r, c) at
 * `data[r + c * rows]`), written for clarity; the other backends are tested against them.
 */
import type { Allocator, Attrs, Block } from '../../types.ts';
import { gemmOptions, sameData, trsmOptions } from '../../specs.ts';

/** alpha·op(A)·op(B) + beta·C (alpha = 0 skips A·B and beta = 0 skips C, as BLAS does). */
export function gemm(inputs: readonly Block[], attrs: Attrs, alloc: Allocator): Block[] {
  const [A, B, C] = inputs as readonly [Block, Block, Block?];
  const { transA, transB, alpha, beta } = gemmOptions(attrs);
  const m = transA ? A.cols : A.rows;
  const k = transA ? A.rows : A.cols;
  const n = transB ? B.rows : B.cols;
  const opA = (i: number, p: number): number => (transA ? A.data[p + i * A.rows]! : A.data[i + p * A.rows]!);
  const opB = (p: number, j: number): number => (transB ? B.data[j + p * B.rows]! : B.data[p + j * B.rows]!);
  const out = alloc(m, n);
  for (let j = 0; j < n; j++) {
    for (let i = 0; i < m; i++) {
      let v = 0;
      if (alpha !== 0) {
        let s = 0;
        for (let p = 0; p < k; p++) s += opA(i, p) * opB(p, j);
        v = alpha * s;
      }
      if (C && beta !== 0) v += beta * C.data[i + j * m]!;
      out.data[i + j * m] = v;
    }
  }
  return [out];
}

/**
 * C − A·Bᵀ. When B is A ({@link sameData}) only the lower triangle is computed, from C's lower
 * triangle, and mirrored: the result is exactly symmetric and C's upper triangle is not read
 * (as in BLAS dsyrk).
 */
export function syrk(inputs: readonly Block[], _attrs: Attrs, alloc: Allocator): Block[] {
  const [C, A, Bin] = inputs as readonly [Block, Block, Block?];
  const B = Bin ?? A;
  const r = C.rows;
  const c = C.cols;
  const k = A.cols;
  const dot = (i: number, j: number): number => {
    let s = 0;
    for (let p = 0; p < k; p++) s += A.data[i + p * A.rows]! * B.data[j + p * B.rows]!;
    return s;
  };
  const out = alloc(r, c);
  const o = out.data;
  if (sameData(A, B)) {
    for (let j = 0; j < c; j++) {
      for (let i = j; i < r; i++) {
        o[i + j * r] = C.data[i + j * r]! - dot(i, j);
        o[j + i * r] = o[i + j * r]!;
      }
    }
  } else {
    for (let j = 0; j < c; j++) for (let i = 0; i < r; i++) o[i + j * r] = C.data[i + j * r]! - dot(i, j);
  }
  return [out];
}

/**
 * Triangular solve: X·op(T) = alpha·B (side right) or op(T)·X = alpha·B (side left), by
 * substitution. Only T's `lower` (or upper) triangle is read, and not its diagonal if `unit`.
 */
export function trsm(inputs: readonly Block[], attrs: Attrs, alloc: Allocator): Block[] {
  const [T, B] = inputs as readonly [Block, Block];
  const { side, lower, trans, unit, alpha } = trsmOptions(attrs);
  const m = B.rows;
  const n = B.cols;
  const t = T.rows;
  // S = op(T), read from the stored triangle only; S is lower-triangular iff lower ≠ trans.
  const S = (i: number, j: number): number => (i === j && unit ? 1 : trans ? T.data[j + i * t]! : T.data[i + j * t]!);
  const sLower = lower !== trans;
  const out = alloc(m, n);
  const x = out.data;
  if (alpha === 0) return [out];
  for (let i = 0; i < m * n; i++) x[i] = alpha * B.data[i]!;
  const X = (i: number, j: number): number => x[i + j * m]!;
  if (side === 'left') {
    // Each column x of X solves S·x = y: forward substitution if S is lower, backward if upper.
    for (let j = 0; j < n; j++) {
      for (let s = 0; s < m; s++) {
        const i = sLower ? s : m - 1 - s;
        let v = X(i, j);
        if (sLower) for (let p = 0; p < i; p++) v -= S(i, p) * X(p, j);
        else for (let p = i + 1; p < m; p++) v -= S(i, p) * X(p, j);
        x[i + j * m] = v / S(i, i);
      }
    }
  } else {
    // Each row x of X solves x·S = y: column j of S couples x_j with x_p for p above (upper S)
    // or below (lower S) the diagonal, so go left to right for upper S, right to left for lower.
    for (let s = 0; s < n; s++) {
      const j = sLower ? n - 1 - s : s;
      for (let i = 0; i < m; i++) {
        let v = X(i, j);
        if (sLower) for (let p = j + 1; p < n; p++) v -= X(i, p) * S(p, j);
        else for (let p = 0; p < j; p++) v -= X(i, p) * S(p, j);
        x[i + j * m] = v / S(j, j);
      }
    }
  }
  return [out];
}
