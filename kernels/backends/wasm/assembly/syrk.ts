// Symmetric rank-k update C − A·Aᵀ in dsyrk's convention: only the lower triangle is formed
// (the lower-only gemm, half the flops of a gemm), from C's lower triangle, then mirrored, so
// the result is exactly symmetric and C's strict upper triangle is never read.

import { at, imin } from './simd';
import { gemm } from './gemm';

/** c (n×n, ld n) = lower(c − a·aᵀ) mirrored, with a n×k (ld n). */
export function syrkSymmetric(c: usize, a: usize, n: i32, k: i32): void {
  // Tiles straddling the diagonal also update a few upper entries; the mirror overwrites them.
  gemm(false, true, n, n, k, -1, a, n, a, n, 1, c, n, true);
  // Blocked so that the transposed writes to the upper triangle stay within a few cache lines.
  const B = 32;
  for (let jb = 0; jb < n; jb += B) {
    const je = imin(jb + B, n);
    for (let ib = jb; ib < n; ib += B) {
      const ie = imin(ib + B, n);
      for (let j = jb; j < je; j++) {
        for (let i = ib > j + 1 ? ib : j + 1; i < ie; i++) store<f64>(at(c, n, j, i), load<f64>(at(c, n, i, j)));
      }
    }
  }
}
