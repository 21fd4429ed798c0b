/**
 * Reference `svd` of a block: one-sided (Hestenes) Jacobi. Pairs of columns of a working copy
 * of A are rotated until all are orthogonal; the rotations accumulate into V, the column
 * norms are the singular values and the normalised columns U. Accurate to high relative
 * precision and short, if slower than LAPACK's dgesdd. Shared by the js and wasm backends.
 */
import type { Allocator, Attrs, Block } from '../../types.ts';

const EPS = 2 ** -52;
const MAX_SWEEPS = 80;

/** Economy SVD of an m × n block: U (m × k), s (k × 1, descending), V (n × k), k = min(m, n). */
export function svd(inputs: readonly Block[], _attrs: Attrs, alloc: Allocator): Block[] {
  const A = inputs[0]!;
  if (A.rows >= A.cols) {
    const { u, s, v } = jacobi(A.data, A.rows, A.cols);
    return outputs(u, s, v, A.rows, A.cols, alloc);
  }
  // Wide: Aᵀ = V·S·Uᵀ.
  const at = new Float64Array(A.data.length);
  for (let j = 0; j < A.cols; j++) for (let i = 0; i < A.rows; i++) at[j + i * A.cols] = A.data[i + j * A.rows]!;
  const { u, s, v } = jacobi(at, A.cols, A.rows);
  return outputs(v, s, u, A.rows, A.cols, alloc);
}

function outputs(u: Float64Array, s: Float64Array, v: Float64Array, m: number, n: number, alloc: Allocator): Block[] {
  const k = Math.min(m, n);
  const U = alloc(m, k);
  U.data.set(u);
  const S = alloc(k, 1);
  S.data.set(s);
  const V = alloc(n, k);
  V.data.set(v);
  return [U, S, V];
}

/** One-sided Jacobi on the m × n column-major `a` (m ≥ n): U (m × n), s, V (n × n), sorted. */
function jacobi(a: Float64Array, m: number, n: number): { u: Float64Array; s: Float64Array; v: Float64Array } {
  const w = Float64Array.from(a);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i + i * n] = 1;
  for (let sweep = 0; sweep < MAX_SWEEPS; sweep++) {
    let rotated = false;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        let alpha = 0;
        let beta = 0;
        let gamma = 0;
        const op = p * m;
        const oq = q * m;
        for (let i = 0; i < m; i++) {
          const x = w[op + i]!;
          const y = w[oq + i]!;
          alpha += x * x;
          beta += y * y;
          gamma += x * y;
        }
        if (gamma === 0 || Math.abs(gamma) <= EPS * Math.sqrt(alpha * beta)) continue;
        rotated = true;
        const zeta = (beta - alpha) / (2 * gamma);
        const t = (zeta >= 0 ? 1 : -1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const c = 1 / Math.sqrt(1 + t * t);
        const s = c * t;
        rotate(w, op, oq, m, c, s);
        rotate(v, p * n, q * n, n, c, s);
      }
    }
    if (!rotated) break;
  }
  const norms = Array.from({ length: n }, (_, j) => {
    let ss = 0;
    for (let i = 0; i < m; i++) ss += w[j * m + i]! ** 2;
    return Math.sqrt(ss);
  });
  const order = norms.map((_, j) => j).sort((x, y) => norms[y]! - norms[x]! || x - y);
  const u = new Float64Array(m * n);
  const s = new Float64Array(n);
  const vs = new Float64Array(n * n);
  const tiny = (norms[order[0]!] ?? 0) * m * EPS;
  order.forEach((j, k) => {
    s[k] = norms[j]!;
    vs.set(v.subarray(j * n, j * n + n), k * n);
    if (norms[j]! > tiny && norms[j]! > 0) for (let i = 0; i < m; i++) u[k * m + i] = w[j * m + i]! / norms[j]!;
    else completeColumn(u, m, k);
  });
  return { u, s, v: vs };
}

/**
 * Column k of U for a (numerically) zero singular value: a unit vector orthogonal to columns
 * 0 … k−1 (Gram–Schmidt, twice, on the first coordinate vector that leaves enough behind).
 */
function completeColumn(u: Float64Array, m: number, k: number): void {
  const col = u.subarray(k * m, k * m + m);
  for (let e = 0; e < m; e++) {
    col.fill(0);
    col[e] = 1;
    for (let pass = 0; pass < 2; pass++) {
      for (let j = 0; j < k; j++) {
        let dot = 0;
        for (let i = 0; i < m; i++) dot += u[j * m + i]! * col[i]!;
        for (let i = 0; i < m; i++) col[i] = col[i]! - dot * u[j * m + i]!;
      }
    }
    let nrm = 0;
    for (let i = 0; i < m; i++) nrm += col[i]! ** 2;
    nrm = Math.sqrt(nrm);
    if (nrm > 0.5) {
      for (let i = 0; i < m; i++) col[i] = col[i]! / nrm;
      return;
    }
  }
}

/** Applies the plane rotation (c, s) to the length-`len` runs of `a` at `p` and `q`. */
function rotate(a: Float64Array, p: number, q: number, len: number, c: number, s: number): void {
  for (let i = 0; i < len; i++) {
    const x = a[p + i]!;
    const y = a[q + i]!;
    a[p + i] = c * x - s * y;
    a[q + i] = s * x + c * y;
  }
}
