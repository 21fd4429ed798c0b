// Entry points called by the JS loader (kernels/backends/wasm/index.ts). Every matrix is
// column-major with its leading dimension equal to its row count unless an `ld` is passed;
// pointers are byte addresses handed out by `alloc` after `reset`. Flags are i32 (0/1).
// Kernels that can fail return LAPACK's info (0, or the 1-based failing minor).

import { arenaStart, arenaReset, arenaAlloc, arenaMark, arenaRelease } from './arena';
import { syrkSymmetric } from './syrk';
import { gemm as gemmCore, gemmInit } from './gemm';
import { trsm as trsmCore } from './trsm';
import { potrf, zeroUpper } from './chol';
import { getrfNopiv } from './lu';
import { pivotOrder } from './pivot';
import { geqrf, ormqr, extractR } from './qr';
import { at, imin, copyMatrix, vadd, vsub, transpose, scal, dot } from './simd';

let ready = false;

/** Sets up the permanent packing buffers; idempotent. */
export function init(): void {
  if (ready) return;
  arenaStart(__heap_base);
  gemmInit();
  arenaStart(arenaMark());
  ready = true;
}

/** Frees every allocation since init (called before each kernel). */
export function reset(): void {
  arenaReset();
}

/** A 64-byte-aligned scratch block of `bytes` bytes, valid until the next reset. */
export function alloc(bytes: usize): usize {
  return arenaAlloc(bytes);
}

/** c (m×n) = alpha·op(a)·op(b) + beta·c; beta = 0 makes c output-only. */
export function gemm(transA: i32, transB: i32, m: i32, n: i32, k: i32, alpha: f64, a: usize, lda: i32, b: usize, ldb: i32, beta: f64, c: usize): void {
  gemmCore(transA != 0, transB != 0, m, n, k, alpha, a, lda, b, ldb, beta, c, m, false);
}

/** c (m×n) −= a·bᵀ with a m×k and b n×k; b = 0 means b = a (m = n): dsyrk-like, lower triangle mirrored. */
export function syrk(c: usize, a: usize, b: usize, m: i32, n: i32, k: i32): void {
  if (b != 0) {
    gemmCore(false, true, m, n, k, -1, a, m, b, n, 1, c, m, false);
    return;
  }
  syrkSymmetric(c, a, m, k);
}

/** Triangular solve on x (m×n, holding B) in place; t is the triangle (order m if left, n if right). */
export function trsm(left: i32, lower: i32, trans: i32, unit: i32, alpha: f64, t: usize, x: usize, m: i32, n: i32): void {
  trsmCore(left != 0, lower != 0, trans != 0, unit != 0, alpha, t, left != 0 ? m : n, x, m, n);
}

/** Lower Cholesky factor of a (n×n) in place, strict upper triangle zeroed; returns potrf's info. */
export function chol(a: usize, n: i32): i32 {
  const info = potrf(n, a, n);
  if (info == 0) zeroUpper(n, a, n);
  return info;
}

/** LU without pivoting of a (n×n) in place, split into l (unit lower) and u (upper); returns info. */
export function luNopiv(a: usize, n: i32, l: usize, u: usize): i32 {
  const info = getrfNopiv(n, a, n);
  if (info != 0) return info;
  for (let j = 0; j < n; j++) {
    const src = at(a, n, 0, j);
    const lj = at(l, n, 0, j), uj = at(u, n, 0, j);
    memory.copy(uj, src, <usize>(j + 1) << 3);
    memory.fill(uj + (<usize>(j + 1) << 3), 0, <usize>(n - j - 1) << 3);
    memory.fill(lj, 0, <usize>j << 3);
    store<f64>(at(l, n, j, j), 1);
    memory.copy(at(l, n, j + 1, j), at(a, n, j + 1, j), <usize>(n - j - 1) << 3);
  }
  return 0;
}

/**
 * QR of [a; b] (a mA×n, b mB×n; mB = 0 for a alone). f ((m+1)×n, m = mA+mB) receives the
 * geqrf factor with tau in its last row; r (min(m,n)×n) receives R. Either may be 0 to skip.
 */
export function qrFactor(a: usize, mA: i32, b: usize, mB: i32, n: i32, f: usize, r: usize): void {
  const m = mA + mB;
  const ldf = m + 1;
  const mark = arenaMark();
  const work = f != 0 ? f : arenaAlloc(<usize>ldf * <usize>n << 3);
  copyMatrix(mA, n, a, mA, work, ldf);
  if (mB > 0) copyMatrix(mB, n, b, mB, work + (<usize>mA << 3), ldf);
  const k = imin(m, n);
  const tau = arenaAlloc(<usize>k << 3);
  geqrf(m, n, work, ldf, tau);
  for (let j = 0; j < n; j++) store<f64>(at(work, ldf, m, j), j < k ? load<f64>(tau + (<usize>j << 3)) : 0);
  if (r != 0) extractR(k, n, work, ldf, r);
  arenaRelease(mark);
}

/**
 * Applies Qᵀ (transQ = 1) or Q of the factor f ((m+1)×nf) to [c; d] in place (c mC×nc,
 * d mD×nc, m = mC + mD; d = 0 when mD = 0).
 */
export function qrApply(transQ: i32, f: usize, m: i32, nf: i32, c: usize, mC: i32, d: usize, mD: i32, nc: i32): void {
  const ldf = m + 1;
  const k = imin(m, nf);
  const mark = arenaMark();
  const tau = arenaAlloc(<usize>k << 3);
  for (let j = 0; j < k; j++) store<f64>(tau + (<usize>j << 3), load<f64>(at(f, ldf, m, j)));
  if (mD == 0) {
    ormqr(transQ != 0, m, k, f, ldf, tau, nc, c, mC);
  } else {
    const w = arenaAlloc(<usize>m * <usize>nc << 3);
    copyMatrix(mC, nc, c, mC, w, m);
    copyMatrix(mD, nc, d, mD, w + (<usize>mC << 3), m);
    ormqr(transQ != 0, m, k, f, ldf, tau, nc, w, m);
    copyMatrix(mC, nc, w, m, c, mC);
    copyMatrix(mD, nc, w + (<usize>mC << 3), m, d, mD);
  }
  arenaRelease(mark);
}

/** y[0..n) += x[0..n). */
export function add(x: usize, y: usize, n: usize): void {
  vadd(n, x, y);
}

/** a[0..n) −= b[0..n). */
export function sub(a: usize, b: usize, n: usize): void {
  vsub(n, a, b, a);
}

/** out (n×m) = aᵀ for a m×n. */
export function transposeBlock(a: usize, m: i32, n: i32, out: usize): void {
  transpose(m, n, a, m, out, n);
}

/** x[0..n) *= s, elementwise (s = 0 keeps NaN/Inf as NaN). */
export function scaleBlock(x: usize, n: i32, s: f64): void {
  scal(n, s, x);
}

/** Σ x[i]² over [0, n). */
export function sumsq(x: usize, n: i32): f64 {
  return dot(n, x, x);
}

/** out[0..min(m,n)) = the diagonal of a (m×n). */
export function diag(a: usize, m: i32, n: i32, out: usize): void {
  const k = imin(m, n);
  for (let i = 0; i < k; i++) store<f64>(out + (<usize>i << 3), load<f64>(at(a, m, i, i)));
}

/** Row order of partial pivoting on a (m×n, overwritten): order (m i32) gets the original row of each position. */
export function luPivotOrder(a: usize, m: i32, n: i32, order: usize): void {
  pivotOrder(m, n, a, m, order);
}
