/**
 * Reference Householder QR in LAPACK's conventions, so that every backend agrees up to
 * rounding: reflectors H_j = I − tau_j·v_j·v_jᵀ with v_j(j) = 1 are built by dlarfg
 * (beta = −sign(alpha)·‖(alpha, x)‖, so R's diagonal may be negative; tau = 0 when x = 0),
 * and stored like dgeqrf: R on and above the diagonal, v_j below it. The compact factor F of
 * specs.ts is that m × n array plus a last row holding tau.
 */
import type { Allocator, Attrs, Block } from '../../types.ts';
import { qrApplyTrans } from '../../specs.ts';

/** ‖x‖₂ of `len` entries of `a` from `off` (stride 1), scaled like LAPACK's dnrm2 to avoid overflow. */
function norm2(a: Float64Array, off: number, len: number): number {
  let scale = 0;
  let ssq = 1;
  for (let i = off; i < off + len; i++) {
    const x = a[i]!;
    if (x === 0) continue;
    const ax = Math.abs(x);
    if (scale < ax) {
      ssq = 1 + ssq * (scale / ax) ** 2;
      scale = ax;
    } else {
      ssq += (ax / scale) ** 2;
    }
  }
  return scale * Math.sqrt(ssq);
}

/**
 * dgeqr2: factors the m × n matrix stored in `a` with leading dimension `ld` in place;
 * writes tau_j into `tau[j]` for j < min(m, n).
 */
function geqr2(a: Float64Array, m: number, n: number, ld: number, tau: Float64Array): void {
  const k = Math.min(m, n);
  for (let j = 0; j < k; j++) {
    const d = j + j * ld; // a(j, j)
    const alpha = a[d]!;
    const xnorm = norm2(a, d + 1, m - j - 1);
    if (xnorm === 0) {
      tau[j] = 0;
      continue; // H_j = I
    }
    const beta = (alpha >= 0 ? -1 : 1) * Math.hypot(alpha, xnorm);
    tau[j] = (beta - alpha) / beta;
    const s = 1 / (alpha - beta);
    for (let i = d + 1; i < j * ld + m; i++) a[i] = a[i]! * s;
    a[d] = beta;
    applyReflector(a, d, m - j, tau[j]!, a, j + (j + 1) * ld, n - j - 1, ld);
  }
}

/**
 * Applies H = I − tau·v·vᵀ from the left to `cols` columns of length `len` starting at
 * `c[coff]` (leading dimension `ldc`); v = [1; v[voff+1 …]] has length `len`.
 */
function applyReflector(v: Float64Array, voff: number, len: number, tau: number, c: Float64Array, coff: number, cols: number, ldc: number): void {
  if (tau === 0) return;
  for (let q = 0; q < cols; q++) {
    const col = coff + q * ldc;
    let w = c[col]!;
    for (let i = 1; i < len; i++) w += v[voff + i]! * c[col + i]!;
    w *= tau;
    c[col] = c[col]! - w;
    for (let i = 1; i < len; i++) c[col + i] = c[col + i]! - v[voff + i]! * w;
  }
}

/** Copies A (and B below it) into a fresh column-major array with leading dimension `ld`. */
function stack(A: Block, B: Block | undefined, ld: number, into: Float64Array): void {
  for (let j = 0; j < A.cols; j++) {
    into.set(A.data.subarray(j * A.rows, (j + 1) * A.rows), j * ld);
    if (B) into.set(B.data.subarray(j * B.rows, (j + 1) * B.rows), j * ld + A.rows);
  }
}

/** The upper-trapezoidal min(m, n) × n R from a factored array with leading dimension `ld`. */
function extractR(a: Float64Array, m: number, n: number, ld: number, alloc: Allocator): Block {
  const k = Math.min(m, n);
  const R = alloc(k, n);
  for (let j = 0; j < n; j++) for (let i = 0; i <= Math.min(j, k - 1); i++) R.data[i + j * k] = a[i + j * ld]!;
  return R;
}

/** qr_factor(A[, B]) → F ((m+1) × n: geqrf layout plus a tau row), R. */
export function qrFactor(inputs: readonly Block[], _attrs: Attrs, alloc: Allocator): Block[] {
  const [A, B] = inputs as readonly [Block, Block?];
  const m = A.rows + (B?.rows ?? 0);
  const n = A.cols;
  const ld = m + 1;
  const F = alloc(ld, n);
  stack(A, B, ld, F.data);
  const tau = new Float64Array(Math.min(m, n));
  geqr2(F.data, m, n, ld, tau);
  tau.forEach((t, j) => (F.data[m + j * ld] = t));
  return [F, extractR(F.data, m, n, ld, alloc)];
}

/** qr_r(A[, B]) → R of [A; B]. */
export function qrR(inputs: readonly Block[], _attrs: Attrs, alloc: Allocator): Block[] {
  const [A, B] = inputs as readonly [Block, Block?];
  const m = A.rows + (B?.rows ?? 0);
  const n = A.cols;
  const w = new Float64Array(m * n);
  stack(A, B, m, w);
  geqr2(w, m, n, m, new Float64Array(Math.min(m, n)));
  return [extractR(w, m, n, m, alloc)];
}

/**
 * qr_apply(F, C[, D]) → Qᵀ·[C; D] (trans, the default: H_0 first) or Q·[C; D] (H_{k−1}
 * first), split back into the rows of C and of D.
 */
export function qrApply(inputs: readonly Block[], attrs: Attrs, alloc: Allocator): Block[] {
  const [F, C, D] = inputs as readonly [Block, Block, Block?];
  const ld = F.rows;
  const m = ld - 1;
  const k = Math.min(m, F.cols);
  const cols = C.cols;
  const w = new Float64Array(m * cols);
  stack(C, D, m, w);
  const trans = qrApplyTrans(attrs);
  for (let s = 0; s < k; s++) {
    const j = trans ? s : k - 1 - s;
    applyReflector(F.data, j + j * ld, m - j, F.data[m + j * ld]!, w, j, cols, m);
  }
  const top = alloc(C.rows, cols);
  for (let j = 0; j < cols; j++) top.data.set(w.subarray(j * m, j * m + C.rows), j * C.rows);
  if (!D) return [top];
  const bottom = alloc(D.rows, cols);
  for (let j = 0; j < cols; j++) bottom.data.set(w.subarray(j * m + C.rows, (j + 1) * m), j * D.rows);
  return [top, bottom];
}
