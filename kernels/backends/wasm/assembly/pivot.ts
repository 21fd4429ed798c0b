// Partial pivoting for the tournament kernels (lu_cand, lu_merge): getrf's pivot choice (the
// first largest |pivot| of each column) on an m×n work array, recording which original row
// lands in each position. Right-looking and unblocked: the panels are at most 2b × b, and the
// rank-1 updates run on SIMD axpy.

import { at, axpy, scal } from './simd';

/** Eliminates a (m×n, lda) in place with partial pivoting; order (m i32) receives the row order. */
export function pivotOrder(m: i32, n: i32, a: usize, lda: i32, order: usize): void {
  for (let i = 0; i < m; i++) store<i32>(order + (<usize>i << 2), i);
  const k = m < n ? m : n;
  for (let j = 0; j < k; j++) {
    let p = j;
    let best = Math.abs(load<f64>(at(a, lda, j, j)));
    for (let i = j + 1; i < m; i++) {
      const v = Math.abs(load<f64>(at(a, lda, i, j)));
      if (v > best) { best = v; p = i; }
    }
    if (p != j) {
      for (let c = 0; c < n; c++) {
        const x = at(a, lda, j, c), y = at(a, lda, p, c);
        const t = load<f64>(x);
        store<f64>(x, load<f64>(y));
        store<f64>(y, t);
      }
      const oj = order + (<usize>j << 2), op = order + (<usize>p << 2);
      const t = load<i32>(oj);
      store<i32>(oj, load<i32>(op));
      store<i32>(op, t);
    }
    const piv = load<f64>(at(a, lda, j, j));
    const len = m - j - 1;
    if (piv == 0 || len == 0) continue;
    scal(len, 1 / piv, at(a, lda, j + 1, j));
    for (let c = j + 1; c < n; c++) {
      const s = load<f64>(at(a, lda, j, c));
      if (s != 0) axpy(len, -s, at(a, lda, j + 1, j), at(a, lda, j + 1, c));
    }
  }
}
