/**
 * The kernel registry's backend-independent half: every kernel's name, arity, outputs,
 * accepted attributes and flop count. The language resolves kernel calls against this table;
 * the runtime uses `flops` for GFLOP/s; each backend implements every name listed here.
 *
 * Semantics (all blocks column-major, see types.ts; "op(X)" is X or Xᵀ per attribute):
 * - `chol(A)` → L: lower Cholesky factor (potrf 'L'); the strictly upper part of L is zero.
 * - `trsm(T, B)` → X: triangular solve. Attributes `side` ("right" | "left", default "right"),
 *   `lower` (default true), `trans` (default true), `unit` (default false), `alpha` (default 1).
 *   side=right solves X·op(T) = alpha·B, side=left solves op(T)·X = alpha·B. The defaults give
 *   X = B·L⁻ᵀ, the Cholesky panel update.
 * - `syrk(C, A[, B])` → C − A·Bᵀ (B defaults to A), the Cholesky trailing update.
 * - `gemm(A, B[, C])` → alpha·op(A)·op(B) + beta·C. Attributes `transA`, `transB` (default
 *   false), `alpha` (default 1), `beta` (default 1; ignored without C).
 * - `add(X1, …, Xn)` → X1 + … + Xn (n ≥ 1; the reduction trees of `sum`).
 * - `sub(A, B)` → A − B.
 * - `copy(A)` / `identity(A)` → a copy of A.
 * - `zeros()` → a `rows` × `cols` zero block (attributes `rows`, `cols`).
 * - `qr_factor(A[, B])` → F, R: Householder QR of A, or of A stacked on B. R is the
 *   min(m,n) × n upper-triangular factor. F is the compact factor in LAPACK's geqrf layout
 *   plus one row: rows 0..m-1 hold R on and above the diagonal and the Householder vectors
 *   (unit diagonal implied) below it; row m holds tau. (m = rows of A, or of A and B together.)
 * - `qr_r(A[, B])` → R only (the TSQR reduction step; no factor is written).
 * - `qr_apply(F, C[, D])` → Qᵀ·C, or Qᵀ·[C; D] split back into its top (rows of C) and bottom
 *   (rows of D) parts. Attribute `trans` (default true; false applies Q instead of Qᵀ).
 * - `lu_nopiv(A)` → L, U: LU without pivoting of a square block (for diagonally dominant
 *   inputs); L is unit lower triangular with explicit ones, U upper triangular.
 * - `noop(…)` → a 1×1 zero block, whatever its inputs: measures runtime overhead.
 */
import type { Attrs, KernelSpec } from './types.ts';

type Shape = readonly [number, number];
const one = (): number => 1;

function spec(s: Omit<KernelSpec, 'outputs' | 'attrs'> & { outputs?: (arity: number) => number; attrs?: readonly string[] }): KernelSpec {
  return { outputs: one, attrs: [], ...s };
}

function trsmFlops(shapes: readonly Shape[], attrs: Attrs): number {
  const [m, n] = shapes[1] ?? [0, 0];
  return attrs.side === 'left' ? n * m * m : m * n * n;
}

function gemmFlops(shapes: readonly Shape[], attrs: Attrs): number {
  const [ar, ac] = shapes[0] ?? [0, 0];
  const [br, bc] = shapes[1] ?? [0, 0];
  const m = attrs.transA === true ? ac : ar;
  const k = attrs.transA === true ? ar : ac;
  const n = attrs.transB === true ? br : bc;
  return 2 * m * n * k + (shapes.length > 2 ? 2 * m * n : 0);
}

function qrFlops(shapes: readonly Shape[]): number {
  const m = (shapes[0]?.[0] ?? 0) + (shapes.length > 1 ? shapes[1]![0] : 0);
  const n = shapes[0]?.[1] ?? 0;
  const k = Math.min(m, n);
  return 2 * m * n * k - (2 / 3) * k * k * k + 2 * m * k; // geqrf, rounded like LAPACK's count
}

const MAX_ARITY = 64;

/** Every kernel lapwing knows, by name. */
export const kernelSpecs: ReadonlyMap<string, KernelSpec> = new Map(
  [
    spec({ name: 'chol', doc: 'lower Cholesky factor of a symmetric positive-definite block', minArity: 1, maxArity: 1,
      flops: ([a]) => (a![0] ** 3) / 3 }),
    spec({ name: 'trsm', doc: 'triangular solve X·op(T) = alpha·B (side=right) or op(T)·X = alpha·B (side=left)',
      minArity: 2, maxArity: 2, attrs: ['side', 'lower', 'trans', 'unit', 'alpha'], flops: trsmFlops }),
    spec({ name: 'syrk', doc: 'C − A·Bᵀ (B defaults to A)', minArity: 2, maxArity: 3,
      flops: (s) => 2 * s[0]![0] * s[0]![1] * (s[1]?.[1] ?? 0) }),
    spec({ name: 'gemm', doc: 'alpha·op(A)·op(B) + beta·C', minArity: 2, maxArity: 3,
      attrs: ['transA', 'transB', 'alpha', 'beta'], flops: gemmFlops }),
    spec({ name: 'add', doc: 'sum of its inputs', minArity: 1, maxArity: MAX_ARITY,
      flops: (s) => (s.length - 1) * (s[0]?.[0] ?? 0) * (s[0]?.[1] ?? 0) }),
    spec({ name: 'sub', doc: 'A − B', minArity: 2, maxArity: 2, flops: (s) => s[0]![0] * s[0]![1] }),
    spec({ name: 'copy', doc: 'a copy of its input', minArity: 1, maxArity: 1, flops: () => 0 }),
    spec({ name: 'identity', doc: 'a copy of its input', minArity: 1, maxArity: 1, flops: () => 0 }),
    spec({ name: 'zeros', doc: 'a rows × cols zero block', minArity: 0, maxArity: 0, attrs: ['rows', 'cols'], flops: () => 0 }),
    spec({ name: 'qr_factor', doc: 'Householder QR of A or of [A; B]: compact factor F and R', minArity: 1, maxArity: 2,
      outputs: () => 2, flops: qrFlops }),
    spec({ name: 'qr_r', doc: 'R of the Householder QR of A or of [A; B]', minArity: 1, maxArity: 2, flops: qrFlops }),
    spec({ name: 'qr_apply', doc: 'Qᵀ·C or Qᵀ·[C; D] from a compact factor F', minArity: 2, maxArity: 3,
      outputs: (arity) => arity - 1, attrs: ['trans'],
      flops: (s) => 4 * (s[0]![0] - 1) * s[0]![1] * (s[1]?.[1] ?? 0) }),
    spec({ name: 'lu_nopiv', doc: 'LU without pivoting: unit-lower L and upper U', minArity: 1, maxArity: 1,
      outputs: () => 2, flops: ([a]) => (2 / 3) * a![0] ** 3 }),
    spec({ name: 'noop', doc: 'a 1×1 zero block whatever its inputs (overhead measurement)', minArity: 0, maxArity: MAX_ARITY,
      flops: () => 0 }),
  ].map((s) => [s.name, s] as const),
);

/** The spec of `name`, or undefined. */
export function kernelSpec(name: string): KernelSpec | undefined {
  return kernelSpecs.get(name);
}
