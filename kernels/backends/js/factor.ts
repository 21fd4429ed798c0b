/** Reference Cholesky (potrf 'L') and LU without pivoting, column by column. */
import { KernelError, type Allocator, type Attrs, type Block } from '../../types.ts';

/**
 * Lower Cholesky factor L of A (only A's lower triangle is read). A pivot that is not > 0
 * (including NaN) throws NOT_POSITIVE_DEFINITE with its 1-based leading minor, like potrf.
 */
export function chol(inputs: readonly Block[], _attrs: Attrs, alloc: Allocator): Block[] {
  const A = inputs[0]!;
  const n = A.rows;
  const out = alloc(n, n);
  const L = out.data;
  for (let j = 0; j < n; j++) {
    let d = A.data[j + j * n]!;
    for (let p = 0; p < j; p++) d -= L[j + p * n]! ** 2;
    if (!(d > 0)) {
      throw KernelError.notPositiveDefinite(j + 1, n);
    }
    const ljj = Math.sqrt(d);
    L[j + j * n] = ljj;
    for (let i = j + 1; i < n; i++) {
      let v = A.data[i + j * n]!;
      for (let p = 0; p < j; p++) v -= L[i + p * n]! * L[j + p * n]!;
      L[i + j * n] = v / ljj;
    }
  }
  return [out];
}

/**
 * The SINGULAR error of lu_nopiv at 1-based leading minor `minor`; with the block's column
 * numbers (`cols`, n × 1) it names the matrix column, 0-based as NumPy counts.
 */
export function luSingular(minor: number, n: number, cols?: Block): KernelError {
  if (cols) {
    return new KernelError('SINGULAR', `the matrix is singular: no non-zero pivot for column ${cols.data[minor - 1]} (lu_nopiv: leading minor ${minor} of ${n})`, minor);
  }
  return new KernelError('SINGULAR', `lu_nopiv: zero pivot (leading minor ${minor} of ${n} is singular)`, minor);
}

/**
 * A = L·U without pivoting (right-looking elimination): L unit lower with explicit ones, U
 * upper. A pivot that is exactly zero throws SINGULAR with its 1-based leading minor.
 */
export function luNopiv(inputs: readonly Block[], _attrs: Attrs, alloc: Allocator): Block[] {
  const [A, cols] = inputs as readonly [Block, Block?];
  const n = A.rows;
  const L = alloc(n, n);
  const U = alloc(n, n);
  const w = U.data; // eliminate in U's storage, then move the multipliers to L
  w.set(A.data);
  for (let k = 0; k < n; k++) {
    const pivot = w[k + k * n]!;
    if (pivot === 0) throw luSingular(k + 1, n, cols);
    for (let i = k + 1; i < n; i++) w[i + k * n] = w[i + k * n]! / pivot;
    for (let j = k + 1; j < n; j++) {
      const ukj = w[k + j * n]!;
      for (let i = k + 1; i < n; i++) w[i + j * n] = w[i + j * n]! - w[i + k * n]! * ukj;
    }
  }
  splitLu(L, U);
  return [L, U];
}

/**
 * Splits an LU factor computed in place in U's storage: the multipliers below U's diagonal
 * move to L, whose diagonal is set to explicit ones. Both are n × n.
 */
export function splitLu(L: Block, U: Block): void {
  const n = U.rows;
  const w = U.data;
  for (let j = 0; j < n; j++) {
    const col = j * n;
    L.data[col + j] = 1;
    L.data.set(w.subarray(col + j + 1, col + n), col + j + 1);
    w.fill(0, col + j + 1, col + n);
  }
}
