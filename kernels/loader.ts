/**
 * Chooses, loads and caches kernel backends, and wraps one in {@link Kernels}: the validated
 * entry point the runtime calls.
 *
 * Choice: `auto` (openblas if it loads, else wasm; js is never chosen automatically) |
 * `openblas` | `wasm` | `js`; by default `process.env.LAPWING_KERNELS ?? 'auto'`.
 * Configuration read at load time:
 * - `LAPWING_BLAS_LIB`: the BLAS library to use (several, comma-separated, are searched in
 *   order for each symbol). Default: libopenblas.so.0, libopenblas.so, then the pair
 *   libblas.so.3 + liblapack.so.3.
 * - `LAPWING_BLAS_THREADS`: threads per process for the BLAS (default 1).
 * Backends are cached per process and configuration, so executors may call loadKernels once
 * per task cheaply; a failed load is cached too (loading a library is not worth retrying).
 */
import { LapwingError } from './errors.ts';
import { heapAlloc, KernelError, type Allocator, type Attrs, type Block, type KernelBackend, type KernelBackendName, type KernelChoice, type Shape } from './types.ts';
import { checkCall } from './specs.ts';
import { loadWasmBackend } from './backends/wasm/index.ts';
import { createJsBackend } from './backends/js/index.ts';

/** A validated kernel call, ready to run on the backend it was prepared for. */
export interface KernelCall {
  /** Floating-point operations of the call (for GFLOP/s and the decision to run it inline). */
  readonly flops: number;
  /** The shapes of its outputs. */
  readonly outputs: readonly Shape[];
  /** Runs the backend's implementation (no second validation); outputs come from `alloc`. */
  run(alloc?: Allocator): Block[];
}

/** A loaded backend behind the one validation of every call. */
export interface Kernels {
  /** The backend in use: `.name` for run summaries, `.detail` e.g. the library loaded. */
  readonly backend: KernelBackend;
  /** Validates arity, attributes and shapes against the spec (KernelError otherwise). */
  prepare(name: string, inputs: readonly Block[], attrs: Attrs): KernelCall;
  /** `prepare(…).run(alloc)`. */
  run(name: string, inputs: readonly Block[], attrs: Attrs, alloc?: Allocator): Block[];
  /** `prepare(…).flops`. */
  flops(name: string, inputs: readonly Block[], attrs: Attrs): number;
}

/** Valid values of `--kernels` / `LAPWING_KERNELS`. */
export const KERNEL_CHOICES: readonly KernelChoice[] = ['auto', 'openblas', 'wasm', 'js'];

/** Why kernels could not be loaded: no such choice, or the chosen backend does not load. */
export class KernelLoadError extends LapwingError {
  declare readonly code: 'KERNELS_UNAVAILABLE' | 'BAD_KERNELS';
  /** For KERNELS_UNAVAILABLE: what was tried and why it failed, one entry each. */
  readonly tried: readonly string[];
  constructor(code: 'KERNELS_UNAVAILABLE' | 'BAD_KERNELS', message: string, tried: readonly string[] = []) {
    super(code, message, { userFacing: true });
    this.name = 'KernelLoadError';
    this.tried = tried;
  }
}

class LoadedKernels implements Kernels {
  constructor(readonly backend: KernelBackend) {}

  prepare(name: string, inputs: readonly Block[], attrs: Attrs): KernelCall {
    const checked = checkCall(name, inputs, attrs);
    const impl = this.backend.kernels[name];
    if (!impl) throw new KernelError('UNKNOWN_KERNEL', `${this.backend.name} backend has no kernel '${name}'`);
    const backend = this.backend.name;
    const shapes = checked.outputs;
    return {
      flops: checked.spec.flops(checked.inputs, attrs),
      outputs: shapes,
      run(alloc: Allocator = heapAlloc): Block[] {
        const out = impl(inputs, attrs, alloc);
        // A wrong output is a backend bug, not a data problem: a plain Error, never retried as a KernelError.
        if (out.length !== shapes.length) {
          throw new Error(`${backend} backend: ${name} returned ${out.length} blocks, expected ${shapes.length}`);
        }
        out.forEach((b, i) => {
          const [r, c] = shapes[i]!;
          if (b.rows !== r || b.cols !== c || b.data.length !== r * c) {
            throw new Error(`${backend} backend: ${name} output ${i + 1} is ${b.rows}×${b.cols}, expected ${r}×${c}`);
          }
        });
        return out;
      },
    };
  }

  run(name: string, inputs: readonly Block[], attrs: Attrs, alloc: Allocator = heapAlloc): Block[] {
    return this.prepare(name, inputs, attrs).run(alloc);
  }

  flops(name: string, inputs: readonly Block[], attrs: Attrs): number {
    return this.prepare(name, inputs, attrs).flops;
  }
}

/** A failed backend load: the reasons, to fold into the error of the choice that needed it. */
class Unavailable extends Error {
  constructor(readonly tried: readonly string[], readonly hint?: string) {
    super(tried.join('; '));
  }
}

const backends = new Map<string, Promise<KernelBackend>>();
const wrappers = new WeakMap<KernelBackend, Kernels>();

/** The BLAS library sets and thread count from LAPWING_BLAS_LIB / LAPWING_BLAS_THREADS (libs undefined: defaults). */
export function blasSettings(): { libs?: string[][]; threads: number } {
  const lib = process.env.LAPWING_BLAS_LIB?.trim();
  const rawThreads = process.env.LAPWING_BLAS_THREADS?.trim();
  const threads = rawThreads ? Number(rawThreads) : 1;
  if (!Number.isSafeInteger(threads) || threads < 1) {
    throw new KernelLoadError('BAD_KERNELS', `LAPWING_BLAS_THREADS must be a positive integer, got '${rawThreads}'`);
  }
  const libs = lib ? [lib.split(',').map((p) => p.trim()).filter((p) => p !== '')] : undefined;
  return { libs, threads };
}

async function loadOpenblas(): Promise<KernelBackend> {
  const cfg = blasSettings();
  // Imported on demand: koffi is a native addon that may not load on a platform (the Lambda
  // bundle replaces it with a module that throws), and wasm must still work there.
  let mod: typeof import('./backends/openblas/index.ts');
  try {
    mod = await import('./backends/openblas/index.ts');
  } catch (e) {
    throw new Unavailable([`openblas: the koffi FFI module could not be loaded (${e instanceof Error ? e.message : String(e)})`]);
  }
  try {
    return mod.loadOpenblasBackend({ libs: cfg.libs, threads: cfg.threads });
  } catch (e) {
    if (e instanceof mod.BlasLoadError) {
      const hint = cfg.libs ? 'check LAPWING_BLAS_LIB' : 'install OpenBLAS (Debian: libopenblas0) or set LAPWING_BLAS_LIB';
      throw new Unavailable(e.tried.map((t) => `openblas: ${t}`), hint);
    }
    throw e;
  }
}

async function loadWasm(): Promise<KernelBackend> {
  try {
    return await loadWasmBackend();
  } catch (e) {
    throw new Unavailable([`wasm: ${e instanceof Error ? e.message : String(e)}`]);
  }
}

/** The backend `name` under the current configuration, loaded once per process. */
function backend(name: KernelBackendName): Promise<KernelBackend> {
  const key = name === 'openblas' ? `openblas|${process.env.LAPWING_BLAS_LIB ?? ''}|${process.env.LAPWING_BLAS_THREADS ?? ''}` : name;
  let p = backends.get(key);
  if (!p) {
    p = name === 'openblas' ? loadOpenblas() : name === 'wasm' ? loadWasm() : Promise.resolve(createJsBackend());
    backends.set(key, p);
  }
  return p;
}

/** The validated {@link Kernels} view of a backend (one per backend object). */
export function kernelsFor(b: KernelBackend): Kernels {
  let k = wrappers.get(b);
  if (!k) {
    k = new LoadedKernels(b);
    wrappers.set(b, k);
  }
  return k;
}

function unavailableOnly(e: unknown): Unavailable {
  if (e instanceof Unavailable) return e;
  throw e; // a configuration error (KernelLoadError) or a bug: let it through unchanged
}

function unavailable(choice: string, failures: readonly Unavailable[]): KernelLoadError {
  const tried = failures.flatMap((f) => f.tried);
  const hints = failures.flatMap((f) => (f.hint ? [f.hint] : []));
  const hint = hints.length > 0 ? ` (${hints.join('; ')})` : '';
  return new KernelLoadError('KERNELS_UNAVAILABLE', `kernel backend '${choice}' is unavailable: ${tried.join('; ')}${hint}`, tried);
}

/**
 * Loads the kernels for `choice` (default `LAPWING_KERNELS`, else `auto`). Rejects with
 * {@link KernelLoadError}: `BAD_KERNELS` for an unknown choice (the message lists the valid
 * ones), `KERNELS_UNAVAILABLE` when the backend does not load (the message names every
 * library or module tried and why).
 *
 * @example
 * const k = await loadKernels('openblas');
 * const [c] = k.run('gemm', [a, b], { transB: true });
 */
export async function loadKernels(choice?: KernelChoice | string): Promise<Kernels> {
  const raw = (choice ?? process.env.LAPWING_KERNELS ?? '').trim() || 'auto';
  const want = raw.toLowerCase();
  if (!(KERNEL_CHOICES as readonly string[]).includes(want)) {
    throw new KernelLoadError('BAD_KERNELS', `unknown kernel backend '${raw}' (choose one of: ${KERNEL_CHOICES.join(', ')})`);
  }
  if (want !== 'auto') {
    try {
      return kernelsFor(await backend(want as KernelBackendName));
    } catch (e) {
      throw unavailable(want, [unavailableOnly(e)]);
    }
  }
  const failures: Unavailable[] = [];
  for (const name of ['openblas', 'wasm'] as const) {
    try {
      return kernelsFor(await backend(name));
    } catch (e) {
      failures.push(unavailableOnly(e));
    }
  }
  throw unavailable('auto', failures);
}
