// Cholesky factorization (LAPACK dpotrf, lower), recursive like dpotrf2: factor the leading
// half, solve the panel below it with trsm, update the trailing half with the lower-only gemm
// (the syrk), recurse. The info convention is potrf's: the 1-based order of the first leading
// minor that is not positive definite (a pivot ≤ 0 or NaN), 0 on success.

import { at, scal, axpy } from './simd';
import { gemm } from './gemm';
import { trsmRight, split } from './trsm';

/** Order at or below which the factorization runs column by column. */
const NB = 32;

/** Factors the lower triangle of the n×n matrix at (a, lda) in place; returns potrf's info. */
export function potrf(n: i32, a: usize, lda: i32): i32 {
  if (n <= NB) return potrfBase(n, a, lda);
  const n1 = split(n), n2 = n - n1;
  let info = potrf(n1, a, lda);
  if (info != 0) return info;
  const a21 = at(a, lda, n1, 0);
  const a22 = at(a, lda, n1, n1);
  // L21 = A21·L11⁻ᵀ, then A22 -= L21·L21ᵀ on the lower triangle.
  trsmRight(true, true, false, n2, n1, a, lda, a21, lda);
  gemm(false, true, n2, n2, n1, -1, a21, lda, a21, lda, 1, a22, lda, true);
  info = potrf(n2, a22, lda);
  return info != 0 ? info + n1 : 0;
}

function potrfBase(n: i32, a: usize, lda: i32): i32 {
  for (let j = 0; j < n; j++) {
    const ajj = load<f64>(at(a, lda, j, j));
    if (!(ajj > 0)) return j + 1; // also catches NaN, like potrf's DISNAN test
    const d = Math.sqrt(ajj);
    store<f64>(at(a, lda, j, j), d);
    const len = n - j - 1;
    if (len == 0) break;
    const col = at(a, lda, j + 1, j);
    scal(len, 1 / d, col);
    // Right-looking rank-1 update of the trailing lower triangle, one contiguous column at a time.
    for (let c = j + 1; c < n; c++) {
      const s = load<f64>(at(a, lda, c, j));
      axpy(n - c, -s, at(a, lda, c, j), at(a, lda, c, c));
    }
  }
  return 0;
}

/** Zeroes the strictly upper triangle of the n×n matrix at (a, lda). */
export function zeroUpper(n: i32, a: usize, lda: i32): void {
  for (let j = 1; j < n; j++) memory.fill(at(a, lda, 0, j), 0, <usize>j << 3);
}

