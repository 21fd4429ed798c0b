/**
 * The last stage of the SVD on one executor: the upper band matrix that the blocked QR/LQ
 * sweeps leave is packed (`band_pack`, LAPACK's band storage), reduced to bidiagonal form by
 * Givens rotations chased down the band (the algorithm of LAPACK's dgbbrd), and the
 * bidiagonal's singular values found by bisection on its Golub–Kahan tridiagonal (zero
 * diagonal, off-diagonal d₁ e₁ d₂ … dₙ), whose Sturm counts give singular values to high
 * relative accuracy. Portable reference code, shared by the js and wasm backends.
 */
import type { Allocator, Attrs, Block } from '../../types.ts';

/**
 * `band_pack(D)` starts the band with an upper-triangular diagonal block D; `band_pack(P, E, D)`
 * appends the next block column: E (lower triangle read) above the diagonal block D (upper
 * triangle read). P is LAPACK band storage with ku = P.rows − 1: A(i, j) at P(ku + i − j, j).
 */
export function bandPack(inputs: readonly Block[], _attrs: Attrs, alloc: Allocator): Block[] {
  if (inputs.length === 1) {
    const D = inputs[0]!;
    const ku = D.cols;
    const P = alloc(ku + 1, D.cols);
    putDiagonal(P, ku, 0, D);
    return [P];
  }
  const [P, E, D] = inputs as readonly [Block, Block, Block];
  const ku = P.rows - 1;
  const out = alloc(P.rows, P.cols + D.cols);
  out.data.set(P.data);
  const j0 = P.cols;
  for (let jj = 0; jj < E.cols; jj++) {
    const col = (j0 + jj) * (ku + 1);
    // E(r, jj) is A(j0 − ku + r, j0 + jj): band row r − jj.
    for (let r = jj; r < E.rows; r++) out.data[col + r - jj] = E.data[r + jj * E.rows]!;
  }
  putDiagonal(out, ku, j0, D);
  return [out];
}

function putDiagonal(P: Block, ku: number, j0: number, D: Block): void {
  for (let jj = 0; jj < D.cols; jj++) {
    const col = (j0 + jj) * (ku + 1);
    for (let i = 0; i <= Math.min(jj, D.rows - 1); i++) P.data[col + ku + i - jj] = D.data[i + jj * D.rows]!;
  }
}

/** Singular values, descending, of the n × n upper band matrix in band storage P (ku = P.rows − 1). */
export function bandSvals(inputs: readonly Block[], _attrs: Attrs, alloc: Allocator): Block[] {
  const P = inputs[0]!;
  const n = P.cols;
  const { d, e } = bandToBidiagonal(P.data, P.rows - 1, n);
  const s = bidiagonalSvals(d, e);
  const out = alloc(n, 1);
  out.data.set(s);
  return [out];
}

/**
 * Upper bidiagonal form (diagonal d, superdiagonal e) of the n × n upper band matrix in band
 * storage `ab` (ku + 1 rows), by orthogonal Givens rotations: each entry beyond the
 * superdiagonal is rotated into its left neighbour, and the bulge that makes below the
 * diagonal is chased down the band, ku columns per step, until it falls off the end.
 */
export function bandToBidiagonal(ab: Float64Array, kuIn: number, n: number): { d: Float64Array; e: Float64Array } {
  const ld = kuIn + 1;
  const ku = Math.max(0, Math.min(kuIn, n - 1));
  // Working storage by rows: row i holds columns i − 1 … i + ku + 1 (one bulge below the
  // diagonal, one fill-in beyond the band), A(i, j) at w[i·W + j − i + 1].
  const W = ku + 3;
  const w = new Float64Array(n * W);
  for (let j = 0; j < n; j++) {
    for (let i = Math.max(0, j - ku); i <= j; i++) w[i * W + j - i + 1] = ab[kuIn + i - j + j * ld]!;
  }
  const at = (i: number, j: number): number => i * W + j - i + 1;

  /** Rotates columns p and p + 1 so that A(row, p + 1) becomes 0. */
  const colRot = (row: number, p: number): void => {
    const q = p + 1;
    const a = w[at(row, p)]!;
    const b = w[at(row, q)]!;
    if (b === 0) return;
    const r = Math.hypot(a, b);
    const c = a / r;
    const s = b / r;
    const lo = Math.max(0, q - ku - 1);
    const hi = Math.min(n - 1, q);
    for (let i = lo; i <= hi; i++) {
      const ip = at(i, p);
      const iq = ip + 1;
      const x = w[ip]!;
      const y = w[iq]!;
      w[ip] = c * x + s * y;
      w[iq] = c * y - s * x;
    }
    w[at(row, q)] = 0;
  };

  /** Rotates rows p and p + 1 so that A(p + 1, p) becomes 0. */
  const rowRot = (p: number): void => {
    const q = p + 1;
    const a = w[at(p, p)]!;
    const b = w[at(q, p)]!;
    if (b === 0) return;
    const r = Math.hypot(a, b);
    const c = a / r;
    const s = b / r;
    const hi = Math.min(n - 1, q + ku);
    for (let j = p; j <= hi; j++) {
      const pj = at(p, j);
      const qj = at(q, j);
      const x = w[pj]!;
      const y = w[qj]!;
      w[pj] = c * x + s * y;
      w[qj] = c * y - s * x;
    }
    w[at(q, p)] = 0;
  };

  for (let i = 0; i + 2 < n; i++) {
    for (let j = Math.min(i + ku, n - 1); j >= i + 2; j--) {
      if (w[at(i, j)] === 0) continue;
      colRot(i, j - 1); // bulge at (j, j − 1)
      for (let q = j; ; q += ku) {
        rowRot(q - 1); // fill at (q − 1, q + ku)
        const c = q + ku;
        if (c >= n || w[at(q - 1, c)] === 0) break;
        colRot(q - 1, c - 1); // bulge at (c, c − 1)
      }
    }
  }
  const d = new Float64Array(n);
  const e = new Float64Array(Math.max(0, n - 1));
  for (let i = 0; i < n; i++) {
    d[i] = w[at(i, i)]!;
    if (i + 1 < n) e[i] = w[at(i, i + 1)]!;
  }
  return { d, e };
}

const SAFMIN = 2.2250738585072014e-308;
const EPS = 2 ** -52;

/**
 * Singular values (descending) of the upper bidiagonal matrix with diagonal d and
 * superdiagonal e: the non-negative eigenvalues of its Golub–Kahan matrix, each bisected to
 * a relative width of a few ulps. Sturm counts of that zero-diagonal tridiagonal matrix
 * determine small singular values to high relative accuracy (Demmel & Kahan).
 */
export function bidiagonalSvals(d: Float64Array, e: Float64Array): Float64Array {
  // A zero superdiagonal entry splits the matrix into independent bidiagonal blocks.
  const parts: Float64Array[] = [];
  let start = 0;
  for (let i = 0; i < d.length; i++) {
    if (i + 1 === d.length || e[i] === 0) {
      parts.push(segmentSvals(d.subarray(start, i + 1), e.subarray(start, i)));
      start = i + 1;
    }
  }
  if (parts.length === 1) return parts[0]!;
  const all = new Float64Array(d.length);
  let o = 0;
  for (const p of parts) {
    all.set(p, o);
    o += p.length;
  }
  return all.sort().reverse();
}

/** Singular values of one unreduced bidiagonal block, descending. */
function segmentSvals(d: Float64Array, e: Float64Array): Float64Array {
  const n = d.length;
  const m = 2 * n - 1;
  const t2 = new Float64Array(m); // squared off-diagonal of the 2n × 2n matrix
  let bound = 0;
  let maxT2 = 0;
  const t = (k: number): number => (k % 2 === 0 ? d[k / 2]! : e[(k - 1) / 2]!);
  for (let k = 0; k + 1 < 2 * n; k++) {
    const v = k < m ? t(k) : 0;
    if (k < m) {
      t2[k] = v * v;
      maxT2 = Math.max(maxT2, v * v);
    }
    // Gershgorin: row k of the Golub–Kahan matrix has |t(k−1)| + |t(k)| off the (zero) diagonal.
    bound = Math.max(bound, Math.abs(v) + (k > 0 ? Math.abs(t(k - 1)) : 0));
  }
  const out = new Float64Array(n);
  if (n === 1) {
    out[0] = Math.abs(d[0]!);
    return out;
  }
  if (bound === 0 || !Number.isFinite(bound)) {
    out.fill(Number.isFinite(bound) ? 0 : NaN);
    return out;
  }
  const pivmin = SAFMIN * Math.max(1, maxT2);
  const size = 2 * n;
  /** How many singular values are below x > 0 (eigenvalues of the 2n × 2n matrix below x, minus n). */
  const below = (x: number): number => {
    let q = -x;
    if (Math.abs(q) < pivmin) q = -pivmin;
    let count = q < 0 ? 1 : 0;
    for (let k = 1; k < size; k++) {
      q = -x - t2[k - 1]! / q;
      if (Math.abs(q) < pivmin) q = -pivmin;
      if (q < 0) count++;
    }
    return count - n;
  };
  const hiB = bound * (1 + 4 * EPS) + pivmin;
  const floor = hiB * 2 ** -200; // anything below is reported as 0 beside the largest
  const lo = new Float64Array(n);
  const hi = new Float64Array(n).fill(hiB);
  let runningLo = 0;
  // Ascending index r: singular value r lies in [lo[r], hi[r]]; each count narrows the others too.
  for (let r = 0; r < n; r++) {
    runningLo = Math.max(runningLo, lo[r]!); // lower bounds of smaller values hold for this one too
    let a = runningLo;
    let b = hi[r]!;
    while (b - a > 4 * EPS * b && b > floor) {
      const mid = 0.5 * (a + b);
      const c = below(mid);
      if (c > r) {
        // Values r … c−1 are below mid, values c … above it.
        b = mid;
        for (let s = r + 1; s < c; s++) if (hi[s]! > mid) hi[s] = mid;
        if (c < n && lo[c]! < mid) lo[c] = mid;
      } else {
        a = mid;
      }
    }
    const v = b <= floor ? 0 : 0.5 * (a + b);
    runningLo = Math.max(runningLo, a);
    out[n - 1 - r] = v;
  }
  return out;
}
