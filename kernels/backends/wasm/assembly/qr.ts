// Householder QR in LAPACK's conventions (dgeqrf / dlarfg / dlarft / dlarfb), blocked: each
// NB-column panel is factored column by column (geqr2), its reflectors are gathered into the
// compact WY form H₁…H_b = I − V·T·Vᵀ (larft), and the trailing columns are updated with two
// gemms (larfb). The reflector convention is dlarfg's: beta = −sign(alpha)·‖x‖, tau = 0 when
// x below the diagonal is already zero (H = I, no sign flip).

import { at, dot, axpy, scal, imin, copyMatrix } from './simd';
import { gemm } from './gemm';
import { arenaAlloc, arenaMark, arenaRelease } from './arena';

/** Panel width of the blocked factorization and of the blocked application of Q. */
const NB = 32;
/** dlamch('S') / dlamch('E'): below this the reflector is rescaled (dlarfg). */
const SAFMIN: f64 = 2.0041683600089728e-292;

/** Euclidean norm of x[0..n) without undue overflow or underflow (dnrm2's contract). */
function nrm2(n: i32, x: usize): f64 {
  const s = dot(n, x, x);
  if (s > 1e-280 && s < Infinity) return Math.sqrt(s);
  if (isNaN(s)) return s;
  let scale: f64 = 0;
  for (let i = 0; i < n; i++) {
    const v = Math.abs(load<f64>(x + (<usize>i << 3)));
    if (isNaN(v)) return v;
    if (v > scale) scale = v;
  }
  if (scale == 0 || scale == Infinity) return scale;
  let q: f64 = 0;
  for (let i = 0; i < n; i++) {
    const v = load<f64>(x + (<usize>i << 3)) / scale;
    q += v * v;
  }
  return scale * Math.sqrt(q);
}

/** sqrt(x² + y²) without overflow (dlapy2). */
function lapy2(x: f64, y: f64): f64 {
  if (isNaN(x)) return x;
  if (isNaN(y)) return y;
  const xa = Math.abs(x), ya = Math.abs(y);
  const w = xa > ya ? xa : ya;
  const z = xa > ya ? ya : xa;
  if (z == 0 || w == Infinity) return w;
  const r = z / w;
  return w * Math.sqrt(1 + r * r);
}

/**
 * dlarfg: the reflector H = I − tau·v·vᵀ with H·[alpha; x] = [beta; 0]. alpha is at `pa`, x is
 * n−1 contiguous values at `x`; on return `pa` holds beta and x holds v (v₀ = 1 implied).
 */
function larfg(n: i32, pa: usize, x: usize): f64 {
  if (n <= 1) return 0;
  let xnorm = nrm2(n - 1, x);
  if (xnorm == 0) return 0;
  let alpha = load<f64>(pa);
  let beta = alpha >= 0 ? -lapy2(alpha, xnorm) : lapy2(alpha, xnorm);
  let knt = 0;
  if (Math.abs(beta) < SAFMIN) {
    // Rescale so beta is representable accurately, as dlarfg does.
    const rsafmn = 1 / SAFMIN;
    do {
      knt++;
      scal(n - 1, rsafmn, x);
      beta *= rsafmn;
      alpha *= rsafmn;
    } while (Math.abs(beta) < SAFMIN && knt < 20);
    xnorm = nrm2(n - 1, x);
    beta = alpha >= 0 ? -lapy2(alpha, xnorm) : lapy2(alpha, xnorm);
  }
  const tau = (beta - alpha) / beta;
  scal(n - 1, 1 / (alpha - beta), x);
  for (let j = 0; j < knt; j++) beta *= SAFMIN;
  store<f64>(pa, beta);
  return tau;
}

/** Unblocked QR of the m×n matrix at (a, lda) (dgeqr2); tau[0..min(m,n)) written contiguously. */
function geqr2(m: i32, n: i32, a: usize, lda: i32, tau: usize): void {
  const k = imin(m, n);
  for (let i = 0; i < k; i++) {
    const pii = at(a, lda, i, i);
    const t = larfg(m - i, pii, at(a, lda, i + 1, i));
    store<f64>(tau + (<usize>i << 3), t);
    if (t == 0 || i + 1 >= n) continue;
    // Apply H = I − t·v·vᵀ to A[i:m, i+1:n], with v₀ = 1 placed temporarily.
    const aii = load<f64>(pii);
    store<f64>(pii, 1);
    for (let c = i + 1; c < n; c++) {
      const col = at(a, lda, i, c);
      const w = dot(m - i, pii, col);
      axpy(m - i, -t * w, pii, col);
    }
    store<f64>(pii, aii);
  }
}

/** Copies the k reflectors stored below the diagonal of (a, lda) (mv rows) into V with explicit unit diagonal and zeros above. */
function explicitV(mv: i32, k: i32, a: usize, lda: i32, v: usize): void {
  for (let c = 0; c < k; c++) {
    const col = at(v, mv, 0, c);
    memory.fill(col, 0, <usize>c << 3);
    store<f64>(at(v, mv, c, c), 1);
    if (c + 1 < mv) memory.copy(at(v, mv, c + 1, c), at(a, lda, c + 1, c), <usize>(mv - c - 1) << 3);
  }
}

/** dlarft (forward, columnwise): upper-triangular T (k×k, ld k) with H₁…H_k = I − V·T·Vᵀ. */
function larft(mv: i32, k: i32, v: usize, tau: usize, t: usize): void {
  // S = Vᵀ·V by gemm; column c of T is then −tau_c·T[0:c,0:c]·S[0:c, c].
  gemm(true, false, k, k, mv, 1, v, mv, v, mv, 0, t, k, false);
  for (let c = 0; c < k; c++) {
    const tc = load<f64>(tau + (<usize>c << 3));
    for (let i = 0; i < c; i++) {
      let s: f64 = 0;
      for (let l = i; l < c; l++) s += load<f64>(at(t, k, i, l)) * load<f64>(at(t, k, l, c));
      store<f64>(at(t, k, i, c), -tc * s);
    }
    store<f64>(at(t, k, c, c), tc);
    for (let i = c + 1; i < k; i++) store<f64>(at(t, k, i, c), 0);
  }
}

/**
 * dlarfb (left, forward, columnwise): C = (I − V·T·Vᵀ)ᵀ·C if `transQ`, else (I − V·T·Vᵀ)·C.
 * V is mv×k (ld mv), T k×k, C mv×nc at (c, ldc).
 */
function larfb(transQ: bool, mv: i32, nc: i32, k: i32, v: usize, t: usize, c: usize, ldc: i32): void {
  if (nc <= 0) return;
  const mark = arenaMark();
  const w = arenaAlloc(<usize>k * <usize>nc << 3);
  gemm(true, false, k, nc, mv, 1, v, mv, c, ldc, 0, w, k, false);
  // W = op(T)·W with T upper triangular, in place column by column.
  for (let j = 0; j < nc; j++) {
    const wj = at(w, k, 0, j);
    if (transQ) {
      for (let i = k - 1; i >= 0; i--) {
        let s: f64 = 0;
        for (let l = 0; l <= i; l++) s += load<f64>(at(t, k, l, i)) * load<f64>(wj + (<usize>l << 3));
        store<f64>(wj + (<usize>i << 3), s);
      }
    } else {
      for (let i = 0; i < k; i++) {
        let s: f64 = 0;
        for (let l = i; l < k; l++) s += load<f64>(at(t, k, i, l)) * load<f64>(wj + (<usize>l << 3));
        store<f64>(wj + (<usize>i << 3), s);
      }
    }
  }
  gemm(false, false, mv, nc, k, -1, v, mv, w, k, 1, c, ldc, false);
  arenaRelease(mark);
}

/** Blocked QR of the m×n matrix at (a, lda) (dgeqrf); tau[0..min(m,n)) written contiguously. */
export function geqrf(m: i32, n: i32, a: usize, lda: i32, tau: usize): void {
  const k = imin(m, n);
  for (let j = 0; j < k; j += NB) {
    const jb = imin(NB, k - j);
    const panel = at(a, lda, j, j);
    const tj = tau + (<usize>j << 3);
    geqr2(m - j, jb, panel, lda, tj);
    if (j + jb >= n) continue;
    const mark = arenaMark();
    const mv = m - j;
    const v = arenaAlloc(<usize>mv * <usize>jb << 3);
    const t = arenaAlloc(<usize>(jb * jb) << 3);
    explicitV(mv, jb, panel, lda, v);
    larft(mv, jb, v, tj, t);
    larfb(true, mv, n - j - jb, jb, v, t, at(a, lda, j, j + jb), lda);
    arenaRelease(mark);
  }
}

/**
 * Applies Q (or Qᵀ if `transQ`) of a compact factor to C in place. The factor holds k
 * reflectors below the diagonal of (f, ldf) (m rows) with their tau at tau[0..k).
 */
export function ormqr(transQ: bool, m: i32, k: i32, f: usize, ldf: i32, tau: usize, nc: i32, c: usize, ldc: i32): void {
  if (k <= 0 || nc <= 0) return;
  const blocks = (k + NB - 1) / NB;
  for (let b = 0; b < blocks; b++) {
    // Qᵀ = H_k…H₁ applies the blocks first to last; Q applies them last to first.
    const j = (transQ ? b : blocks - 1 - b) * NB;
    const jb = imin(NB, k - j);
    const mark = arenaMark();
    const mv = m - j;
    const v = arenaAlloc(<usize>mv * <usize>jb << 3);
    const t = arenaAlloc(<usize>(jb * jb) << 3);
    explicitV(mv, jb, at(f, ldf, j, j), ldf, v);
    larft(mv, jb, v, tau + (<usize>j << 3), t);
    larfb(transQ, mv, nc, jb, v, t, at(c, ldc, j, 0), ldc);
    arenaRelease(mark);
  }
}

/** Writes R (k×n, ld k): the upper triangle of the first k rows of (f, ldf), zeros below. */
export function extractR(k: i32, n: i32, f: usize, ldf: i32, r: usize): void {
  for (let j = 0; j < n; j++) {
    const top = imin(j + 1, k);
    copyMatrix(top, 1, at(f, ldf, 0, j), ldf, at(r, k, 0, j), k);
    if (top < k) memory.fill(at(r, k, top, j), 0, <usize>(k - top) << 3);
  }
}
