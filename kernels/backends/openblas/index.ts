/**
 * The `openblas` backend: the system's OpenBLAS (or any CBLAS + LAPACK pair) through koffi.
 * Blocks are column-major like BLAS, so buffers are passed straight through with
 * lda = rows; outputs come from the caller's Allocator and every other buffer is a reused
 * {@link Scratch}. Runs the library single-threaded by default: parallelism comes from
 * executors, and OpenBLAS threads would only compete with them for the cores.
 */
import type { KernelBackend } from '../../types.ts';
import { copy, noop, zeros } from '../js/elementwise.ts';
import { loadBlasLibrary, type BlasLibrary } from './library.ts';
import { Scratch } from './scratch.ts';
import { blasKernels } from './blas.ts';
import { lapackKernels } from './lapack.ts';
import { luKernels } from './lu.ts';
import { reshapeKernels } from './reshape.ts';
import { pivotKernels } from './pivot.ts';
import { eye, qrTreeKernels } from '../js/qr-tree.ts';
import { svdKernels } from './svd.ts';

export { BlasLoadError, loadBlasLibrary, CBLAS, type BlasLibrary, type Cblas } from './library.ts';

/** Library sets tried in order when none is configured. */
export const DEFAULT_BLAS_LIBS: readonly (readonly string[])[] = [
  ['libopenblas.so.0'],
  ['libopenblas.so'],
  ['libblas.so.3', 'liblapack.so.3'],
];

export interface OpenblasOptions {
  /** Library sets to try, in order (each set is searched for every symbol). Default {@link DEFAULT_BLAS_LIBS}. */
  readonly libs?: readonly (readonly string[])[];
  /** BLAS threads per process (default 1). */
  readonly threads?: number;
}

/** A backend over an already loaded library (the benchmark reuses the library for its raw baseline). */
export function createOpenblasBackend(lib: BlasLibrary, threads = 1): KernelBackend {
  lib.setThreads?.(threads);
  const scratch = new Scratch();
  const lapack = lapackKernels(lib.lapack, scratch);
  const build = lib.config ? ` (${lib.config.trim()})` : '';
  const threadNote = lib.setThreads ? `${threads} thread${threads === 1 ? '' : 's'}` : 'thread count not controllable';
  return {
    name: 'openblas',
    detail: `${lib.paths.join(' + ')}${build}, ${threadNote}`,
    kernels: {
      ...blasKernels(lib.cblas, lib.lapack),
      ...lapack,
      ...luKernels(lib.cblas),
      copy, identity: copy, zeros, noop,
      ...reshapeKernels(lib.cblas),
      ...pivotKernels(lib.lapack, scratch),
      ...qrTreeKernels(lapack.qr_apply!), eye,
      ...svdKernels(lib.svd, lapack, scratch),
    },
  };
}

/**
 * Loads the library and returns the backend. Throws {@link BlasLoadError} (listing every
 * library set tried and why) when no set loads with all the needed symbols.
 *
 * @example const be = loadOpenblasBackend({ libs: [['/opt/lib/libopenblas.so']], threads: 1 });
 */
export function loadOpenblasBackend(opts: OpenblasOptions = {}): KernelBackend {
  return createOpenblasBackend(loadBlasLibrary(opts.libs ?? DEFAULT_BLAS_LIBS), opts.threads ?? 1);
}
