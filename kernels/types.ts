/**
 * Shared types of the kernel layer.
 *
 * Layout decision (fixed for the whole project): blocks are dense float64, **column-major**,
 * element (r, c) at `data[r + c * rows]` — the native layout of BLAS/LAPACK, so the openblas
 * backend passes buffers straight through with `lda = rows`. A block's `data.length` is
 * exactly `rows * cols` (no padding, no leading-dimension stride).
 */

import { LapwingError } from './errors.ts';

/** A dense float64 matrix block in column-major order. */
export interface Block {
  readonly rows: number;
  readonly cols: number;
  /** Column-major values, `rows * cols` long; may be backed by a SharedArrayBuffer. */
  readonly data: Float64Array;
}

/** A constant kernel attribute from the program text, e.g. `gemm(A, B, transB=true)`. */
export type AttrValue = number | boolean | string;
export type Attrs = Readonly<Record<string, AttrValue>>;

/** Rows × columns of a block. */
export type Shape = readonly [rows: number, cols: number];

/**
 * Allocates an output block. The runtime passes one that allocates in shared memory so that
 * outputs cross worker threads without a copy; kernels must allocate every output through it.
 * The returned data is zero-filled.
 */
export interface Allocator {
  (rows: number, cols: number): Block;
  /**
   * A new block holding a copy of `src`, for outputs that start as a copy of an input (gemm's C,
   * syrk's C, trsm's B). An allocator that recycles memory skips zero-filling what the copy
   * overwrites at once: one pass less over every such output. Use it through {@link allocCopy}.
   */
  copyOf?(src: Block): Block;
}

/** A new block holding a copy of `src`, through `alloc.copyOf` when the allocator has one. */
export function allocCopy(alloc: Allocator, src: Block): Block {
  if (alloc.copyOf) return alloc.copyOf(src);
  const out = alloc(src.rows, src.cols);
  out.data.set(src.data);
  return out;
}

/** Names of the kernel backends, in the order `auto` tries them (js is never auto-chosen). */
export type KernelBackendName = 'openblas' | 'wasm' | 'js';
export type KernelChoice = KernelBackendName | 'auto';

/** What the language and runtime know about a kernel, independent of any backend. */
export interface KernelSpec {
  readonly name: string;
  /** One-line description for `--help` and error messages. */
  readonly doc: string;
  readonly minArity: number;
  readonly maxArity: number;
  /** Number of output blocks for a call with `arity` inputs. */
  outputs(arity: number): number;
  /** Attribute names the kernel accepts (anything else is a compile error). */
  readonly attrs: readonly string[];
  /**
   * The shapes of the outputs for these input shapes (arity and attributes already checked);
   * throws {@link KernelError} SHAPE (or BAD_ATTR for a missing required attribute).
   */
  shapes(inputs: readonly Shape[], attrs: Attrs): Shape[];
  /** Floating-point operations for these (valid) input shapes, for GFLOP/s figures. */
  flops(inputs: readonly Shape[], attrs: Attrs): number;
}

/**
 * One kernel's implementation inside a backend. Its inputs have passed the spec's checks
 * (specs.ts `checkCall`, run by the loader), so it does not validate them again; it throws
 * {@link KernelError} only for failures of the data (not positive definite, singular).
 */
export type KernelImpl = (inputs: readonly Block[], attrs: Attrs, alloc: Allocator) => Block[];

/** One backend: implementations only (validation and dispatch are the loader's). */
export interface KernelBackend {
  readonly name: KernelBackendName;
  /** Human-readable detail for run summaries, e.g. the library path that was loaded. */
  readonly detail: string;
  /** The implementation of each kernel of specs.ts, by name. */
  readonly kernels: Readonly<Record<string, KernelImpl>>;
}

/** Codes of deterministic kernel failures: retrying the task cannot help. */
export type KernelErrorCode = 'NOT_POSITIVE_DEFINITE' | 'SINGULAR' | 'NO_CONVERGENCE' | 'SHAPE' | 'UNKNOWN_KERNEL' | 'BAD_ATTR';

/** A deterministic kernel failure (the job should fail at once, not retry). */
export class KernelError extends LapwingError {
  declare readonly code: KernelErrorCode;
  /** For NOT_POSITIVE_DEFINITE / SINGULAR: the 1-based order of the leading minor that failed. */
  readonly minor?: number;
  constructor(code: KernelErrorCode, message: string, minor?: number) {
    super(code, message, { userFacing: true });
    this.name = 'KernelError';
    this.minor = minor;
  }

  /** `chol` met a pivot that is not > 0 at the 1-based leading `minor` of an n × n block. */
  static notPositiveDefinite(minor: number, n: number): KernelError {
    return new KernelError('NOT_POSITIVE_DEFINITE', `chol: block is not positive definite (leading minor ${minor} of ${n})`, minor);
  }
}

/** Plain allocator on the JS heap (tests and single-threaded use). */
export const heapAlloc: Allocator = (rows, cols) => ({ rows, cols, data: new Float64Array(rows * cols) });
