// Triangular solves. Everything reduces to the right-side form X·op(T) = X (in place): the left
// side is solved on the transpose (Xᵀ·op(T)ᵀ = Bᵀ), an O(mn) copy against O(m²n) flops, so one
// well-tuned path serves all eight side/uplo/trans variants. The solve recurses on halves of
// the triangle so that almost all flops land in gemm; the base case updates contiguous columns
// of X with SIMD axpys.

import { at, axpy, scal, transpose, scaleMatrix } from './simd';
import { gemm } from './gemm';
import { arenaAlloc, arenaMark, arenaRelease } from './arena';

/** Triangle order at or below which the solve runs column by column. */
const NB = 16;

/** Address of the sub-block of op(T) starting at (r0, c0), as a gemm operand with flag `trans`. */
// @ts-ignore: decorator
@inline function opT(t: usize, ldt: i32, trans: bool, r0: i32, c0: i32): usize {
  return trans ? at(t, ldt, c0, r0) : at(t, ldt, r0, c0);
}

/** Element (r, c) of op(T). */
// @ts-ignore: decorator
@inline function opTv(t: usize, ldt: i32, trans: bool, r: i32, c: i32): f64 {
  return load<f64>(trans ? at(t, ldt, c, r) : at(t, ldt, r, c));
}

/** Halves n on a multiple of 4 so the gemm tiles stay whole. */
export function split(n: i32): i32 {
  const h = (n >> 1) & ~3;
  return h > 0 ? h : n >> 1;
}

/**
 * Solves X·op(T) = X in place: X is m×n (ldx), op(T) n×n, upper-triangular if `upper`
 * (op(T) = T, or Tᵀ if `trans`). `unit` takes the diagonal of T as ones.
 */
export function trsmRight(upper: bool, trans: bool, unit: bool, m: i32, n: i32, t: usize, ldt: i32, x: usize, ldx: i32): void {
  if (m <= 0 || n <= 0) return;
  if (n <= NB) {
    trsmRightBase(upper, trans, unit, m, n, t, ldt, x, ldx);
    return;
  }
  const n1 = split(n), n2 = n - n1;
  const x2 = at(x, ldx, 0, n1);
  if (upper) {
    // Forward over columns: X1 first, then X2 -= X1·op(T)[0:n1, n1:n].
    trsmRight(upper, trans, unit, m, n1, t, ldt, x, ldx);
    gemm(false, trans, m, n2, n1, -1, x, ldx, opT(t, ldt, trans, 0, n1), ldt, 1, x2, ldx, false);
    trsmRight(upper, trans, unit, m, n2, opT(t, ldt, trans, n1, n1), ldt, x2, ldx);
  } else {
    // Backward: X2 first, then X1 -= X2·op(T)[n1:n, 0:n1].
    trsmRight(upper, trans, unit, m, n2, opT(t, ldt, trans, n1, n1), ldt, x2, ldx);
    gemm(false, trans, m, n1, n2, -1, x2, ldx, opT(t, ldt, trans, n1, 0), ldt, 1, x, ldx, false);
    trsmRight(upper, trans, unit, m, n1, t, ldt, x, ldx);
  }
}

function trsmRightBase(upper: bool, trans: bool, unit: bool, m: i32, n: i32, t: usize, ldt: i32, x: usize, ldx: i32): void {
  if (upper) {
    for (let j = 0; j < n; j++) {
      const xj = at(x, ldx, 0, j);
      for (let k = 0; k < j; k++) {
        const s = opTv(t, ldt, trans, k, j);
        axpy(m, -s, at(x, ldx, 0, k), xj);
      }
      if (!unit) scal(m, 1 / opTv(t, ldt, trans, j, j), xj);
    }
  } else {
    for (let j = n - 1; j >= 0; j--) {
      const xj = at(x, ldx, 0, j);
      for (let k = j + 1; k < n; k++) {
        const s = opTv(t, ldt, trans, k, j);
        axpy(m, -s, at(x, ldx, 0, k), xj);
      }
      if (!unit) scal(m, 1 / opTv(t, ldt, trans, j, j), xj);
    }
  }
}

/**
 * BLAS dtrsm on an m×n X (ld m) holding alpha's right-hand side B: side right solves
 * X·op(T) = alpha·B, side left op(T)·X = alpha·B. T is lower or upper triangular (ldt).
 */
export function trsm(left: bool, lower: bool, trans: bool, unit: bool, alpha: f64, t: usize, ldt: i32, x: usize, m: i32, n: i32): void {
  scaleMatrix(m, n, alpha, x, m);
  if (alpha == 0 || m == 0 || n == 0) return;
  if (!left) {
    trsmRight(lower == trans, trans, unit, m, n, t, ldt, x, m);
    return;
  }
  trsmLeft(lower, trans, unit, m, n, t, ldt, x, m);
}

/** op(T)·X = X in place (X m×n, ldx; T m×m), solved as Xᵀ·op(T)ᵀ = Xᵀ on a transposed copy. */
export function trsmLeft(lower: bool, trans: bool, unit: bool, m: i32, n: i32, t: usize, ldt: i32, x: usize, ldx: i32): void {
  if (m <= 0 || n <= 0) return;
  const mark = arenaMark();
  const y = arenaAlloc(<usize>m * <usize>n << 3);
  transpose(m, n, x, ldx, y, n);
  // op(T)ᵀ = op'(T) with trans' = !trans; it is upper iff lower == trans'.
  trsmRight(lower != trans, !trans, unit, n, m, t, ldt, y, n);
  transpose(n, m, y, n, x, ldx);
  arenaRelease(mark);
}

