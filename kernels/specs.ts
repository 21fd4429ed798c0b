/**
 * What every kernel is, independent of any backend: its name, arity, accepted attributes and
 * their defaults, the shapes of its outputs and its flop count. This is the one place a kernel
 * call is validated ({@link checkCall}, called by the loader); the language resolves calls
 * against the same table, and backends hold only implementations of the names listed here.
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
 * - `zeros()` → a `rows` × `cols` zero block (attributes `rows`, `cols`); `zeros(A)` → a zero
 *   block shaped like A (block sizes are data, so a program takes a shape from a block).
 * - `qr_factor(A[, B])` → F, R: Householder QR of A, or of A stacked on B. R is the
 *   min(m,n) × n upper-triangular factor. F is the compact factor in LAPACK's geqrf layout
 *   plus one row: rows 0..m-1 hold R on and above the diagonal and the Householder vectors
 *   (unit diagonal implied) below it; row m holds tau. (m = rows of A, or of A and B together.)
 * - `qr_r(A[, B])` → R only (the TSQR reduction step; no factor is written).
 * - `qr_apply(F, C[, D])` → Qᵀ·C, or Qᵀ·[C; D] split back into its top (rows of C) and bottom
 *   (rows of D) parts. Attribute `trans` (default true; false applies Q instead of Qᵀ).
 * - `lu_nopiv(A[, cols])` → L, U: LU without pivoting of a square block (for diagonally dominant
 *   inputs, or rows chosen by tournament pivoting); L is unit lower triangular with explicit
 *   ones, U upper triangular. `cols` (n × 1), the block's column numbers in the matrix, only
 *   serves the SINGULAR error, which then names the matrix column.
 * - `noop(…)` → a 1×1 zero block, whatever its inputs: measures runtime overhead.
 * - `transpose(A)` → Aᵀ.
 * - `scale(A, s)` → s·A elementwise (s·NaN is NaN even for s = 0), where s is a 1×1 block:
 *   a scalar that is data, not program text.
 * - `sumsq(A[, P])` → a 1×1 block holding Σ a_ij² (+ P's value): the Frobenius norm's
 *   reduction, chainable with `sum(chain)`.
 * - `diag(A)` → the diagonal of A as a min(rows, cols) × 1 column.
 * - Tournament pivoting (CALU); rows carry their ids as data (a column of float row numbers):
 *   - `lu_cand(X, I)` → C: the min(r, w) rows of X (r × w) that Gaussian elimination with
 *     partial pivoting (getrf: the first largest |pivot|) picks, in pivot order, as they are in
 *     X (not eliminated), each followed by its id from I (r × 1): min(r, w) × (w + 1).
 *   - `lu_merge(C1, C2)` → C: the same on C1 stacked on C2 (candidate blocks, ids last).
 *   - `lu_gather(W, X, I)` → rows(W) × cols(X): row p is X's row whose id (in I) is W's p-th id
 *     (W's last column), zero if X has no such row. Summed over the blocks of a block column,
 *     it assembles the winners' rows in pivot order.
 *   - `lu_scatter(W, X, I, T, IT)` → X with its winning rows replaced by the non-winning rows of
 *     the top block row T (ids IT): the winners outside T, in W's order, receive T's non-winning
 *     rows in T's order. With lu_gather this is one row exchange of the whole matrix.
 * - Explicit Q and Qᵀ·B through a TSQR tree (k = min(m, n) for a factor F of an m × n matrix:
 *   the rows of op(Q)·C that meet R come first). A leaf of a block column narrower than its
 *   rows has m > k, and only its top k rows continue up the tree:
 *   - `qr_apply_split(F, C)` → top, rest: op(Q)·C′ split after its first k rows (rest has m − k
 *     rows, possibly none). C′ is C when C has m rows, or [C; 0] when C has k rows (the way
 *     down the tree to an explicit Q, where the lower rows are zero). Attribute `trans` as in
 *     `qr_apply`.
 *   - `qr_expand(F, C)` → op(Q)·C′ whole (m rows), C′ as above: a leaf on the way down.
 *   - `eye(A)` → the identity shaped like A (ones on the main diagonal, zeros elsewhere).
 * - SVD (blocked reduction to band form, then the band on one executor):
 *   - `lq_factor(A[, B])` → F, L: LQ of A or of [A B] (side by side, equal row counts):
 *     [A B] = [L 0]·Q with L lower triangular, rows × min(rows, cols). F is qr_factor's
 *     compact factor of the transpose [Aᵀ; Bᵀ] (so Q = Q̃ᵀ for that QR's Q̃).
 *   - `lq_apply(F, C[, D])` → C·Qᵀ, or [C D]·Qᵀ split back into its left (columns of C) and
 *     right (columns of D) parts. Attribute `trans` (default true; false multiplies by Q).
 *   - `band_pack(D)` → P, `band_pack(P, E, D)` → P': LAPACK band storage of an upper band
 *     matrix, P(ku + i − j, j) = A(i, j) with ku = D.cols of the first call (P has ku + 1
 *     rows). The first call holds the upper triangle of the square block D; each further call
 *     appends one block column: the lower triangle of E (ku × D.cols, the block above the
 *     diagonal) and the upper triangle of the square diagonal block D.
 *   - `band_svals(P)` → s: the singular values of the n × n upper band matrix in P (n =
 *     P.cols), descending, as an n × 1 column.
 *   - `svd(A)` → U, s, V: economy SVD of an m × n block, A = U·diag(s)·Vᵀ, k = min(m, n):
 *     U m × k and V n × k with orthonormal columns, s k × 1 descending. The signs of a pair
 *     of singular vectors are the backend's choice.
 *
 * Conventions every backend follows (beyond the semantics above):
 * - `gemm` with alpha = 0 does not read A or B, and beta = 0 does not read C (BLAS semantics:
 *   a NaN there does not propagate); `trsm` with alpha = 0 returns zeros.
 * - `trsm` reads only the `lower` (or upper) triangle of T, and not its diagonal when `unit`.
 * - `chol` reads only the lower triangle of A. A pivot that is not > 0 (negative, zero or NaN)
 *   throws NOT_POSITIVE_DEFINITE naming that 1-based leading minor.
 * - `syrk(C, A, A)` (A and B the same matrix, see {@link sameData}) computes the lower triangle
 *   of C − A·Aᵀ and mirrors it: the result is exactly symmetric, and C's strict upper triangle
 *   is not read (as in BLAS dsyrk; in Cholesky C is symmetric, so this is C − A·Aᵀ).
 * - `lu_nopiv` throws SINGULAR at the first pivot that is exactly zero; NaN pivots propagate.
 */
import { KernelError, type Attrs, type AttrValue, type Block, type KernelSpec, type Shape } from './types.ts';

/** Normalized attributes of `trsm` (defaults give X = B·L⁻ᵀ). */
export interface TrsmOptions {
  readonly side: 'left' | 'right';
  readonly lower: boolean;
  readonly trans: boolean;
  readonly unit: boolean;
  readonly alpha: number;
}

/** Normalized attributes of `gemm`. `beta` only matters when C is given. */
export interface GemmOptions {
  readonly transA: boolean;
  readonly transB: boolean;
  readonly alpha: number;
  readonly beta: number;
}

const bool = (v: AttrValue | undefined, d: boolean): boolean => (typeof v === 'boolean' ? v : d);
const num = (v: AttrValue | undefined, d: number): number => (typeof v === 'number' ? v : d);

/** `trsm` attributes with their defaults applied (the call has passed {@link checkCall}). */
export function trsmOptions(attrs: Attrs): TrsmOptions {
  return {
    side: attrs.side === 'left' ? 'left' : 'right',
    lower: bool(attrs.lower, true),
    trans: bool(attrs.trans, true),
    unit: bool(attrs.unit, false),
    alpha: num(attrs.alpha, 1),
  };
}

/** `gemm` attributes with their defaults applied (the call has passed {@link checkCall}). */
export function gemmOptions(attrs: Attrs): GemmOptions {
  return {
    transA: bool(attrs.transA, false),
    transB: bool(attrs.transB, false),
    alpha: num(attrs.alpha, 1),
    beta: num(attrs.beta, 1),
  };
}

/** `qr_apply`'s and `lq_apply`'s `trans` attribute: true applies Qᵀ (the default), false applies Q. */
export function qrApplyTrans(attrs: Attrs): boolean {
  return bool(attrs.trans, true);
}

/**
 * Whether `a` and `b` hold the same matrix: the same object, the same memory, or equal
 * contents (the last check costs O(size) but the syrk it enables saves half of O(n²k)).
 * `syrk(C, A, B)` uses the symmetric path exactly when this holds, in every backend.
 */
export function sameData(a: Block, b: Block): boolean {
  if (a === b) return true;
  if (a.rows !== b.rows || a.cols !== b.cols) return false;
  const x = a.data;
  const y = b.data;
  if (x.buffer === y.buffer && x.byteOffset === y.byteOffset) return true;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

const fmt = ([r, c]: Shape): string => `${r}×${c}`;

function shapeError(kernel: string, what: string): never {
  throw new KernelError('SHAPE', `${kernel}: ${what}`);
}

function square(name: string, a: Shape, what = 'needs a square block'): void {
  if (a[0] !== a[1]) shapeError(name, `${what}, got ${fmt(a)}`);
}

function stacked(name: string, top: Shape, bottom: Shape | undefined): void {
  if (bottom && bottom[1] !== top[1]) shapeError(name, `stacked blocks need equal column counts: ${fmt(top)} on ${fmt(bottom)}`);
}

function trsmShapes(s: readonly Shape[], attrs: Attrs): Shape[] {
  const [t, b] = s as readonly [Shape, Shape];
  const { side } = trsmOptions(attrs);
  square('trsm', t, 'triangular factor must be square');
  if (t[0] !== (side === 'right' ? b[1] : b[0])) shapeError('trsm', `${fmt(t)} triangle does not fit ${fmt(b)} right-hand side (side=${side})`);
  return [b];
}

function trsmFlops(shapes: readonly Shape[], attrs: Attrs): number {
  const [m, n] = shapes[1]!;
  return attrs.side === 'left' ? n * m * m : m * n * n;
}

function syrkShapes(s: readonly Shape[]): Shape[] {
  const [c, a, b = a] = s as readonly [Shape, Shape, Shape?];
  if (a[1] !== b[1]) shapeError('syrk', `A is ${fmt(a)} but B is ${fmt(b)}: inner dimensions differ`);
  if (c[0] !== a[0] || c[1] !== b[0]) shapeError('syrk', `C is ${fmt(c)} but A·Bᵀ is ${a[0]}×${b[0]}`);
  return [c];
}

/** m, k, n of op(A)·op(B). */
function gemmDims(s: readonly Shape[], attrs: Attrs): [m: number, k: number, k2: number, n: number] {
  const [a, b] = s as readonly [Shape, Shape];
  const { transA, transB } = gemmOptions(attrs);
  const [m, k] = transA ? [a[1], a[0]] : a;
  const [k2, n] = transB ? [b[1], b[0]] : b;
  return [m, k, k2, n];
}

function gemmShapes(s: readonly Shape[], attrs: Attrs): Shape[] {
  const [m, k, k2, n] = gemmDims(s, attrs);
  if (k !== k2) shapeError('gemm', `op(A) is ${m}×${k} but op(B) is ${k2}×${n}`);
  const c = s[2];
  if (c && (c[0] !== m || c[1] !== n)) shapeError('gemm', `C is ${fmt(c)} but op(A)·op(B) is ${m}×${n}`);
  return [[m, n]];
}

function gemmFlops(s: readonly Shape[], attrs: Attrs): number {
  const [m, k, , n] = gemmDims(s, attrs);
  return 2 * m * n * k + (s.length > 2 ? 2 * m * n : 0);
}

const sameShapes = (name: string) => (s: readonly Shape[]): Shape[] => {
  const a = s[0]!;
  s.forEach((x, i) => {
    if (x[0] !== a[0] || x[1] !== a[1]) shapeError(name, `input ${i + 1} differs from input 1: ${fmt(a)} vs ${fmt(x)}`);
  });
  return [a];
};

function zerosShapes(s: readonly Shape[], attrs: Attrs): Shape[] {
  const { rows, cols } = attrs;
  if (s[0]) {
    if (rows !== undefined || cols !== undefined) throw new KernelError('BAD_ATTR', 'zeros: give either an input block (its shape) or rows and cols, not both');
    return [s[0]];
  }
  if (typeof rows !== 'number' || typeof cols !== 'number') throw new KernelError('BAD_ATTR', 'zeros: attributes rows and cols are required');
  return [[rows, cols]];
}

/** Rows of A, or of A stacked on B. */
const qrRows = (s: readonly Shape[]): number => s[0]![0] + (s[1]?.[0] ?? 0);

function qrR(name: string, s: readonly Shape[]): Shape {
  const a = s[0]!;
  stacked(name, a, s[1]);
  return [Math.min(qrRows(s), a[1]), a[1]];
}

function qrFlops(s: readonly Shape[]): number {
  const m = qrRows(s);
  const n = s[0]![1];
  const k = Math.min(m, n);
  return 2 * m * n * k - (2 / 3) * k * k * k + 2 * m * k; // geqrf, rounded like LAPACK's count
}

function qrApplyShapes(s: readonly Shape[]): Shape[] {
  const [f, c, d] = s as readonly [Shape, Shape, Shape?];
  if (f[0] < 1) shapeError('qr_apply', `factor F must have at least one row (its tau row), got ${fmt(f)}`);
  const m = f[0] - 1;
  stacked('qr_apply', c, d);
  const rows = c[0] + (d?.[0] ?? 0);
  if (rows !== m) shapeError('qr_apply', `factor F of a ${m}-row matrix (F is ${fmt(f)}) applied to ${rows} rows`);
  return d ? [c, d] : [c];
}

/** m, k = min(m, n) of a compact factor F, checked against C (m or k rows). */
function qrTreeDims(name: string, f: Shape, c: Shape): [m: number, k: number] {
  if (f[0] < 1) shapeError(name, `factor F must have at least one row (its tau row), got ${fmt(f)}`);
  const m = f[0] - 1;
  const k = Math.min(m, f[1]);
  if (c[0] !== m && c[0] !== k) shapeError(name, `factor F of a ${m}×${f[1]} matrix (F is ${fmt(f)}) applied to ${c[0]} rows (needs ${m}, or ${k} padded with zeros)`);
  return [m, k];
}

function qrApplySplitShapes(s: readonly Shape[]): Shape[] {
  const [f, c] = s as readonly [Shape, Shape];
  const [m, k] = qrTreeDims('qr_apply_split', f, c);
  return [[k, c[1]], [m - k, c[1]]];
}

function qrExpandShapes(s: readonly Shape[]): Shape[] {
  const [f, c] = s as readonly [Shape, Shape];
  const [m] = qrTreeDims('qr_expand', f, c);
  return [[m, c[1]]];
}

function lqFactorShapes(s: readonly Shape[]): Shape[] {
  const [a, b] = s as readonly [Shape, Shape?];
  if (b && b[0] !== a[0]) shapeError('lq_factor', `side-by-side blocks need equal row counts: ${fmt(a)} beside ${fmt(b)}`);
  const cols = a[1] + (b?.[1] ?? 0);
  return [[cols + 1, a[0]], [a[0], Math.min(a[0], cols)]];
}

/** The transposed problem's QR flops. */
const lqFlops = (s: readonly Shape[]): number => qrFlops([[s[0]![1] + (s[1]?.[1] ?? 0), s[0]![0]]]);

function lqApplyShapes(s: readonly Shape[]): Shape[] {
  const [f, c, d] = s as readonly [Shape, Shape, Shape?];
  if (f[0] < 1) shapeError('lq_apply', `factor F must have at least one row (its tau row), got ${fmt(f)}`);
  if (d && d[0] !== c[0]) shapeError('lq_apply', `side-by-side blocks need equal row counts: ${fmt(c)} beside ${fmt(d)}`);
  const cols = c[1] + (d?.[1] ?? 0);
  if (cols !== f[0] - 1) shapeError('lq_apply', `factor F of a ${f[0] - 1}-column matrix (F is ${fmt(f)}) applied to ${cols} columns`);
  return d ? [c, d] : [c];
}

function bandPackShapes(s: readonly Shape[]): Shape[] {
  if (s.length === 2) shapeError('band_pack', 'takes D, or P, E and D');
  const d = s[s.length - 1]!;
  square('band_pack', d, 'the diagonal block D must be square');
  if (s.length === 1) return [[d[1] + 1, d[1]]];
  const [p, e] = s as readonly [Shape, Shape];
  const ku = p[0] - 1;
  if (e[0] !== ku || e[1] !== d[1]) shapeError('band_pack', `E must be ${ku}×${d[1]} (ku rows above a ${fmt(d)} D), got ${fmt(e)}`);
  return [[p[0], p[1] + d[1]]];
}

function svdFlops([a]: readonly Shape[]): number {
  const m = Math.max(a![0], a![1]);
  const k = Math.min(a![0], a![1]);
  return 4 * m * k * k + 22 * k * k * k; // dgesdd with vectors, LAPACK's rough count
}

function scalar(name: string, s: Shape, what: string): void {
  if (s[0] !== 1 || s[1] !== 1) shapeError(name, `${what} must be a 1×1 block, got ${fmt(s)}`);
}

function ids(name: string, x: Shape, i: Shape): void {
  if (i[0] !== x[0] || i[1] !== 1) shapeError(name, `the ids of a ${fmt(x)} block must be ${x[0]}×1, got ${fmt(i)}`);
}

/** getrf's flops on an m × n panel, as LAPACK counts them. */
function luPivotFlops(m: number, n: number): number {
  const k = Math.min(m, n);
  return m * n * k - ((m + n) * k * k) / 2 + (k * k * k) / 3;
}

const MAX_ARITY = 64;
const one = (): number => 1;

function spec(s: Omit<KernelSpec, 'outputs' | 'attrs'> & { outputs?: (arity: number) => number; attrs?: readonly string[] }): KernelSpec {
  return { outputs: one, attrs: [], ...s };
}

/** Every kernel lapwing knows, by name. */
export const kernelSpecs: ReadonlyMap<string, KernelSpec> = new Map(
  [
    spec({ name: 'chol', doc: 'lower Cholesky factor of a symmetric positive-definite block', minArity: 1, maxArity: 1,
      shapes: ([a]) => (square('chol', a!), [a!]), flops: ([a]) => (a![0] ** 3) / 3 }),
    spec({ name: 'trsm', doc: 'triangular solve X·op(T) = alpha·B (side=right) or op(T)·X = alpha·B (side=left)',
      minArity: 2, maxArity: 2, attrs: ['side', 'lower', 'trans', 'unit', 'alpha'], shapes: trsmShapes, flops: trsmFlops }),
    spec({ name: 'syrk', doc: 'C − A·Bᵀ (B defaults to A)', minArity: 2, maxArity: 3,
      shapes: syrkShapes, flops: (s) => 2 * s[0]![0] * s[0]![1] * s[1]![1] }),
    spec({ name: 'gemm', doc: 'alpha·op(A)·op(B) + beta·C', minArity: 2, maxArity: 3,
      attrs: ['transA', 'transB', 'alpha', 'beta'], shapes: gemmShapes, flops: gemmFlops }),
    spec({ name: 'add', doc: 'sum of its inputs', minArity: 1, maxArity: MAX_ARITY,
      shapes: sameShapes('add'), flops: (s) => (s.length - 1) * s[0]![0] * s[0]![1] }),
    spec({ name: 'sub', doc: 'A − B', minArity: 2, maxArity: 2, shapes: sameShapes('sub'), flops: (s) => s[0]![0] * s[0]![1] }),
    spec({ name: 'copy', doc: 'a copy of its input', minArity: 1, maxArity: 1, shapes: ([a]) => [a!], flops: () => 0 }),
    spec({ name: 'identity', doc: 'a copy of its input', minArity: 1, maxArity: 1, shapes: ([a]) => [a!], flops: () => 0 }),
    spec({ name: 'zeros', doc: 'a rows × cols zero block, or one shaped like its input', minArity: 0, maxArity: 1, attrs: ['rows', 'cols'],
      shapes: zerosShapes, flops: () => 0 }),
    spec({ name: 'qr_factor', doc: 'Householder QR of A or of [A; B]: compact factor F and R', minArity: 1, maxArity: 2,
      outputs: () => 2, shapes: (s) => [[qrRows(s) + 1, s[0]![1]], qrR('qr_factor', s)], flops: qrFlops }),
    spec({ name: 'qr_r', doc: 'R of the Householder QR of A or of [A; B]', minArity: 1, maxArity: 2,
      shapes: (s) => [qrR('qr_r', s)], flops: qrFlops }),
    spec({ name: 'qr_apply', doc: 'Qᵀ·C or Qᵀ·[C; D] from a compact factor F', minArity: 2, maxArity: 3,
      outputs: (arity) => arity - 1, attrs: ['trans'], shapes: qrApplyShapes,
      flops: (s) => 4 * (s[0]![0] - 1) * s[0]![1] * s[1]![1] }),
    spec({ name: 'lu_nopiv', doc: 'LU without pivoting: unit-lower L and upper U', minArity: 1, maxArity: 2,
      outputs: () => 2, shapes: ([a, c]) => (square('lu_nopiv', a!), c && ids('lu_nopiv', a!, c), [a!, a!]), flops: ([a]) => (2 / 3) * a![0] ** 3 }),
    spec({ name: 'noop', doc: 'a 1×1 zero block whatever its inputs (overhead measurement)', minArity: 0, maxArity: MAX_ARITY,
      shapes: () => [[1, 1]], flops: () => 0 }),
    spec({ name: 'transpose', doc: 'Aᵀ', minArity: 1, maxArity: 1, shapes: ([a]) => [[a![1], a![0]]], flops: () => 0 }),
    spec({ name: 'scale', doc: 's·A for a 1×1 block s', minArity: 2, maxArity: 2,
      shapes: ([a, sc]) => (scalar('scale', sc!, 'the scalar s'), [a!]), flops: ([a]) => a![0] * a![1] }),
    spec({ name: 'sumsq', doc: '1×1 block: sum of the squares of A (+ P)', minArity: 1, maxArity: 2,
      shapes: ([, p]) => (p && scalar('sumsq', p, 'the partial sum P'), [[1, 1]]), flops: ([a]) => 2 * a![0] * a![1] }),
    spec({ name: 'diag', doc: 'the diagonal of A as a column', minArity: 1, maxArity: 1,
      shapes: ([a]) => [[Math.min(a![0], a![1]), 1]], flops: () => 0 }),
    spec({ name: 'lu_cand', doc: 'tournament leaf: the pivot rows of X with their ids', minArity: 2, maxArity: 2,
      shapes: ([x, i]) => (ids('lu_cand', x!, i!), [[Math.min(x![0], x![1]), x![1] + 1]]), flops: ([x]) => luPivotFlops(x![0], x![1]) }),
    spec({ name: 'lu_merge', doc: 'tournament node: the pivot rows of two stacked candidate blocks', minArity: 2, maxArity: 2,
      shapes: ([a, b]) => (stacked('lu_merge', a!, b!), [[Math.min(a![0] + b![0], a![1] - 1), a![1]]]),
      flops: ([a, b]) => luPivotFlops(a![0] + b![0], a![1] - 1) }),
    spec({ name: 'lu_gather', doc: 'the rows of X that W names, in W order (zero elsewhere)', minArity: 3, maxArity: 3,
      shapes: ([w, x, i]) => (ids('lu_gather', x!, i!), [[w![0], x![1]]]), flops: () => 0 }),
    spec({ name: 'lu_scatter', doc: 'X with its winning rows exchanged for the top block row\'s others', minArity: 5, maxArity: 5,
      shapes: ([, x, i, t, it]) => {
        ids('lu_scatter', x!, i!);
        ids('lu_scatter', t!, it!);
        if (t![1] !== x![1]) shapeError('lu_scatter', `the top rows T (${fmt(t!)}) and X (${fmt(x!)}) need equal column counts`);
        return [x!];
      }, flops: () => 0 }),
    spec({ name: 'qr_apply_split', doc: 'op(Q)·C split after the rows that meet R (C may be those rows alone: zero-padded)',
      minArity: 2, maxArity: 2, outputs: () => 2, attrs: ['trans'], shapes: qrApplySplitShapes,
      flops: ([f, c]) => 4 * (f![0] - 1) * f![1] * c![1] }),
    spec({ name: 'qr_expand', doc: 'op(Q)·C as one block (C may be the rows that meet R alone: zero-padded)',
      minArity: 2, maxArity: 2, attrs: ['trans'], shapes: qrExpandShapes, flops: ([f, c]) => 4 * (f![0] - 1) * f![1] * c![1] }),
    spec({ name: 'eye', doc: 'the identity shaped like A', minArity: 1, maxArity: 1, shapes: ([a]) => [a!], flops: () => 0 }),
    spec({ name: 'lq_factor', doc: 'LQ of A or of [A B]: compact factor F (of the transpose) and L', minArity: 1, maxArity: 2,
      outputs: () => 2, shapes: lqFactorShapes, flops: lqFlops }),
    spec({ name: 'lq_apply', doc: 'C·Qᵀ or [C D]·Qᵀ from an LQ factor F', minArity: 2, maxArity: 3,
      outputs: (arity) => arity - 1, attrs: ['trans'], shapes: lqApplyShapes,
      flops: (s) => 4 * (s[0]![0] - 1) * s[0]![1] * s[1]![0] }),
    spec({ name: 'band_pack', doc: 'upper band storage: start with D, or append E and D', minArity: 1, maxArity: 3,
      shapes: bandPackShapes, flops: () => 0 }),
    spec({ name: 'band_svals', doc: 'singular values of an upper band matrix in band storage', minArity: 1, maxArity: 1,
      shapes: ([p]) => [[p![1], 1]], flops: ([p]) => 8 * p![1] * p![1] * Math.max(0, p![0] - 2) + 30 * p![1] }),
    spec({ name: 'svd', doc: 'economy SVD: U, s (descending), V', minArity: 1, maxArity: 1, outputs: () => 3,
      shapes: ([a]) => {
        const k = Math.min(a![0], a![1]);
        return [[a![0], k], [k, 1], [a![1], k]];
      }, flops: svdFlops }),
  ].map((s) => [s.name, s] as const),
);

/** The spec of `name`, or undefined. */
export function kernelSpec(name: string): KernelSpec | undefined {
  return kernelSpecs.get(name);
}

type AttrKind = 'boolean' | 'number' | 'count' | 'side';
const ATTR_KINDS: Readonly<Record<string, AttrKind>> = {
  side: 'side', lower: 'boolean', trans: 'boolean', unit: 'boolean', alpha: 'number',
  transA: 'boolean', transB: 'boolean', beta: 'number', rows: 'count', cols: 'count',
};

function checkAttr(kernel: string, key: string, v: AttrValue): void {
  const kind = ATTR_KINDS[key];
  const ok =
    kind === 'boolean' ? typeof v === 'boolean'
    : kind === 'number' ? typeof v === 'number'
    : kind === 'count' ? typeof v === 'number' && Number.isSafeInteger(v) && v >= 0
    : kind === 'side' ? v === 'left' || v === 'right'
    : false;
  if (!ok) {
    const want = kind === 'count' ? 'a non-negative integer' : kind === 'side' ? '"left" or "right"' : `a ${kind ?? 'known value'}`;
    throw new KernelError('BAD_ATTR', `${kernel}: attribute ${key} must be ${want}, got ${JSON.stringify(v)}`);
  }
}

function checkBlock(kernel: string, i: number, b: Block): Shape {
  const dimsOk = Number.isSafeInteger(b.rows) && Number.isSafeInteger(b.cols) && b.rows >= 0 && b.cols >= 0;
  if (!dimsOk || !(b.data instanceof Float64Array) || b.data.length !== b.rows * b.cols) {
    throw new KernelError('SHAPE', `${kernel}: input ${i + 1} is not a valid ${b.rows}×${b.cols} block (data length ${b.data?.length})`);
  }
  return [b.rows, b.cols];
}

/** A call that passed {@link checkCall}: its spec, input shapes and output shapes. */
export interface CheckedCall {
  readonly spec: KernelSpec;
  readonly inputs: readonly Shape[];
  readonly outputs: readonly Shape[];
}

/**
 * Validates a call against its spec: the kernel exists, its arity, attribute names and types,
 * well-formed input blocks and their shapes. Throws KernelError UNKNOWN_KERNEL, BAD_ATTR
 * (unknown attribute or wrong type) or SHAPE (arity, malformed block, mismatch).
 *
 * @example checkCall('gemm', [a, b], { transB: true }).outputs // → [[a.rows, b.rows]]
 */
export function checkCall(name: string, inputs: readonly Block[], attrs: Attrs): CheckedCall {
  const spec = kernelSpec(name);
  if (!spec) throw new KernelError('UNKNOWN_KERNEL', `unknown kernel '${name}'`);
  const n = inputs.length;
  if (n < spec.minArity || n > spec.maxArity) {
    const want = spec.minArity === spec.maxArity ? `${spec.minArity}` : `${spec.minArity} to ${spec.maxArity}`;
    shapeError(name, `expects ${want} input blocks, got ${n}`);
  }
  for (const [key, v] of Object.entries(attrs)) {
    if (!spec.attrs.includes(key)) {
      const known = spec.attrs.length > 0 ? ` (accepted: ${spec.attrs.join(', ')})` : ' (it takes none)';
      throw new KernelError('BAD_ATTR', `${name}: unknown attribute ${key}${known}`);
    }
    checkAttr(name, key, v);
  }
  const shapes = inputs.map((b, i) => checkBlock(name, i, b));
  return { spec, inputs: shapes, outputs: spec.shapes(shapes, attrs) };
}
