/**
 * The backend-independent checks of a kernel call: the kernel exists, its arity, attribute
 * names and types, and the shapes of its inputs are valid, and what its outputs' shapes are.
 * Every backend validates through {@link checkCall} so that all of them reject the same calls
 * with the same {@link KernelError}, and reads attributes through the `*Options` helpers so
 * that all of them apply the same defaults (documented in specs.ts).
 *
 * Conventions shared by every backend (beyond specs.ts):
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
import { KernelError, type Allocator, type Attrs, type AttrValue, type Block } from './types.ts';
import { kernelSpec } from './specs.ts';

/** Rows × columns of a block. */
export type Shape = readonly [rows: number, cols: number];

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

/** `trsm` attributes with their defaults applied (call {@link checkCall} first). */
export function trsmOptions(attrs: Attrs): TrsmOptions {
  return {
    side: attrs.side === 'left' ? 'left' : 'right',
    lower: bool(attrs.lower, true),
    trans: bool(attrs.trans, true),
    unit: bool(attrs.unit, false),
    alpha: num(attrs.alpha, 1),
  };
}

/** `gemm` attributes with their defaults applied (call {@link checkCall} first). */
export function gemmOptions(attrs: Attrs): GemmOptions {
  return {
    transA: bool(attrs.transA, false),
    transB: bool(attrs.transB, false),
    alpha: num(attrs.alpha, 1),
    beta: num(attrs.beta, 1),
  };
}

/** `qr_apply`'s `trans` attribute: true applies Qᵀ (the default), false applies Q. */
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

function checkBlock(kernel: string, i: number, b: Block): void {
  const dimsOk = Number.isSafeInteger(b.rows) && Number.isSafeInteger(b.cols) && b.rows >= 0 && b.cols >= 0;
  if (!dimsOk || !(b.data instanceof Float64Array) || b.data.length !== b.rows * b.cols) {
    throw new KernelError('SHAPE', `${kernel}: input ${i + 1} is not a valid ${b.rows}×${b.cols} block (data length ${b.data?.length})`);
  }
}

const fmt = (b: Block): string => `${b.rows}×${b.cols}`;

function shapeError(kernel: string, what: string): never {
  throw new KernelError('SHAPE', `${kernel}: ${what}`);
}

/**
 * Validates a call and returns the shapes of its outputs. Throws KernelError UNKNOWN_KERNEL,
 * BAD_ATTR (unknown attribute or wrong type) or SHAPE (arity, malformed block, mismatch).
 *
 * @example checkCall('gemm', [a, b], { transB: true }) // → [[a.rows, b.rows]]
 */
export function checkCall(name: string, inputs: readonly Block[], attrs: Attrs): Shape[] {
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
  inputs.forEach((b, i) => checkBlock(name, i, b));
  return outputShapes(name, inputs, attrs);
}

function outputShapes(name: string, inputs: readonly Block[], attrs: Attrs): Shape[] {
  const [a, b, c] = inputs as readonly [Block, Block | undefined, Block | undefined];
  const same = (x: Block, y: Block, what: string): void => {
    if (x.rows !== y.rows || x.cols !== y.cols) shapeError(name, `${what}: ${fmt(x)} vs ${fmt(y)}`);
  };
  switch (name) {
    case 'chol':
    case 'lu_nopiv':
      if (a.rows !== a.cols) shapeError(name, `needs a square block, got ${fmt(a)}`);
      return name === 'chol' ? [[a.rows, a.rows]] : [[a.rows, a.rows], [a.rows, a.rows]];
    case 'trsm': {
      const B = b!;
      const o = trsmOptions(attrs);
      if (a.rows !== a.cols) shapeError(name, `triangular factor must be square, got ${fmt(a)}`);
      const need = o.side === 'right' ? B.cols : B.rows;
      if (a.rows !== need) shapeError(name, `${fmt(a)} triangle does not fit ${fmt(B)} right-hand side (side=${o.side})`);
      return [[B.rows, B.cols]];
    }
    case 'syrk': {
      const A = b!;
      const B = c ?? A;
      if (A.cols !== B.cols) shapeError(name, `A is ${fmt(A)} but B is ${fmt(B)}: inner dimensions differ`);
      if (a.rows !== A.rows || a.cols !== B.rows) shapeError(name, `C is ${fmt(a)} but A·Bᵀ is ${A.rows}×${B.rows}`);
      return [[a.rows, a.cols]];
    }
    case 'gemm': {
      const B = b!;
      const o = gemmOptions(attrs);
      const [m, k] = o.transA ? [a.cols, a.rows] : [a.rows, a.cols];
      const [k2, nn] = o.transB ? [B.cols, B.rows] : [B.rows, B.cols];
      if (k !== k2) shapeError(name, `op(A) is ${m}×${k} but op(B) is ${k2}×${nn}`);
      if (c && (c.rows !== m || c.cols !== nn)) shapeError(name, `C is ${fmt(c)} but op(A)·op(B) is ${m}×${nn}`);
      return [[m, nn]];
    }
    case 'add':
    case 'sub':
      for (let i = 1; i < inputs.length; i++) same(a, inputs[i]!, `input ${i + 1} differs from input 1`);
      return [[a.rows, a.cols]];
    case 'copy':
    case 'identity':
      return [[a.rows, a.cols]];
    case 'zeros': {
      const rows = attrs.rows;
      const cols = attrs.cols;
      if (typeof rows !== 'number' || typeof cols !== 'number') {
        throw new KernelError('BAD_ATTR', 'zeros: attributes rows and cols are required');
      }
      return [[rows, cols]];
    }
    case 'qr_factor':
    case 'qr_r': {
      if (b && b.cols !== a.cols) shapeError(name, `stacked blocks need equal column counts: ${fmt(a)} on ${fmt(b)}`);
      const m = a.rows + (b?.rows ?? 0);
      const r: Shape = [Math.min(m, a.cols), a.cols];
      return name === 'qr_r' ? [r] : [[m + 1, a.cols], r];
    }
    case 'qr_apply': {
      const C = b!;
      if (a.rows < 1) shapeError(name, `factor F must have at least one row (its tau row), got ${fmt(a)}`);
      const m = a.rows - 1;
      if (c && c.cols !== C.cols) shapeError(name, `stacked blocks need equal column counts: ${fmt(C)} on ${fmt(c)}`);
      const rows = C.rows + (c?.rows ?? 0);
      if (rows !== m) shapeError(name, `factor F of a ${m}-row matrix (F is ${fmt(a)}) applied to ${rows} rows`);
      return c ? [[C.rows, C.cols], [c.rows, c.cols]] : [[C.rows, C.cols]];
    }
    case 'noop':
      return [[1, 1]];
    default:
      throw new KernelError('UNKNOWN_KERNEL', `kernel '${name}' has no shape rule`);
  }
}

/** One kernel's implementation inside a backend: inputs already passed {@link checkCall}. */
export type KernelImpl = (inputs: readonly Block[], attrs: Attrs, alloc: Allocator) => Block[];
