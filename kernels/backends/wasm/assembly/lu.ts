// LU without pivoting (getrf with the identity permutation), recursive: factor the leading
// half, L11⁻¹·A12 and A21·U11⁻¹ by trsm, A22 -= L21·U12 by gemm, recurse. A pivot that is
// exactly zero stops the factorization and is reported like getrf's info (1-based).

import { at, scal, axpy } from './simd';
import { gemm } from './gemm';
import { trsmRight, trsmLeft, split } from './trsm';

const NB = 16;

/** Factors the n×n matrix at (a, lda) in place into unit-lower L and upper U; returns info. */
export function getrfNopiv(n: i32, a: usize, lda: i32): i32 {
  if (n <= NB) return getrfBase(n, a, lda);
  const n1 = split(n), n2 = n - n1;
  let info = getrfNopiv(n1, a, lda);
  if (info != 0) return info;
  const a12 = at(a, lda, 0, n1), a21 = at(a, lda, n1, 0), a22 = at(a, lda, n1, n1);
  trsmLeft(true, false, true, n1, n2, a, lda, a12, lda);
  trsmRight(true, false, false, n2, n1, a, lda, a21, lda);
  gemm(false, false, n2, n2, n1, -1, a21, lda, a12, lda, 1, a22, lda, false);
  info = getrfNopiv(n2, a22, lda);
  return info != 0 ? info + n1 : 0;
}

function getrfBase(n: i32, a: usize, lda: i32): i32 {
  for (let j = 0; j < n; j++) {
    const p = load<f64>(at(a, lda, j, j));
    if (p == 0) return j + 1;
    const len = n - j - 1;
    if (len == 0) break;
    scal(len, 1 / p, at(a, lda, j + 1, j));
    for (let c = j + 1; c < n; c++) {
      const s = load<f64>(at(a, lda, j, c));
      axpy(len, -s, at(a, lda, j + 1, j), at(a, lda, j + 1, c));
    }
  }
  return 0;
}
