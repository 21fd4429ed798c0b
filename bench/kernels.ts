/**
 * Kernel benchmark: GFLOP/s per kernel × backend × block size, single-threaded, with medians
 * over repetitions. Besides the backends (through {@link Kernels}, validation included) it
 * measures `openblas-raw`: the same BLAS/LAPACK routine called directly through koffi on
 * preallocated buffers, the ceiling the openblas backend is compared with.
 *
 * Method: inputs are seeded random (SPD / well-conditioned triangular where needed); one
 * warm-up call grows scratch buffers; repetitions are interleaved across backends (one call
 * of each in turn, the first one rotating) so that noise on a shared machine and the cache
 * state left by the previous call hit them alike. Outputs come from a
 * pool allocator that zero-fills recycled buffers, as the Allocator contract requires, so
 * the figures include that memset but not page faults or GC of fresh 8 MB arrays. Raw
 * in-place routines get their input restored before each timed call, outside the timing.
 */
import type { Allocator, Attrs, Block, KernelBackend } from '../kernels/types.ts';
import { kernelSpec } from '../kernels/specs.ts';
import { blasSettings, kernelsFor, loadKernels, type Kernels } from '../kernels/loader.ts';
import { seededRandom } from '../kernels/random.ts';
import { errorMessage, median } from '../runtime/core/util.ts';

/** One measurement. `gflops` uses the flop counts of specs.ts for every backend. */
export interface BenchRow {
  readonly kernel: string;
  readonly backend: string;
  readonly n: number;
  readonly gflops: number;
  readonly median_ms: number;
}

export interface BenchOptions {
  /** Block sizes (n × n blocks). Default [256, 512, 1024]. */
  readonly sizes?: readonly number[];
  /** Backends: 'openblas-raw', 'openblas', 'wasm', 'js'. Default all but js (js is the slow oracle). */
  readonly backends?: readonly string[];
  /** Kernels among gemm, syrk, trsm, chol, qr_r, add. Default all six. */
  readonly kernels?: readonly string[];
  /** Timed repetitions per cell (median reported). Default 21/9/5 for n ≤ 256 / ≤ 512 / larger. */
  readonly reps?: number;
  /** Told about each backend that does not load (and is skipped). */
  readonly onSkip?: (backend: string, reason: string) => void;
}

/** Kernels the benchmark knows how to feed. */
export const BENCH_KERNELS = ['gemm', 'syrk', 'trsm', 'chol', 'qr_r', 'add'] as const;
export const BENCH_BACKENDS = ['openblas-raw', 'openblas', 'wasm', 'js'] as const;

interface Case {
  readonly inputs: Block[];
  readonly attrs: Attrs;
}

const rng = seededRandom;

function makeBlock(n: number, f: (r: number, c: number) => number): Block {
  const data = new Float64Array(n * n);
  for (let c = 0; c < n; c++) for (let r = 0; r < n; r++) data[r + c * n] = f(r, c);
  return { rows: n, cols: n, data };
}

/** Inputs of `kernel` at size n. SPD and triangular blocks are diagonally dominant: O(n²) to build. */
function makeCase(kernel: string, n: number): Case {
  const next = rng(n * 31 + kernel.length);
  const rand = (): Block => makeBlock(n, () => 2 * next() - 1);
  const sym = (): Block => {
    const b = makeBlock(n, () => 0);
    for (let c = 0; c < n; c++) {
      for (let r = c; r < n; r++) {
        const v = r === c ? n : (2 * next() - 1) / 2;
        b.data[r + c * n] = v;
        b.data[c + r * n] = v;
      }
    }
    return b;
  };
  switch (kernel) {
    case 'gemm': return { inputs: [rand(), rand()], attrs: {} };
    case 'syrk': {
      const A = rand();
      return { inputs: [sym(), A, A], attrs: {} };
    }
    case 'trsm': return { inputs: [makeBlock(n, (r, c) => (r === c ? 2 + next() : r > c ? (2 * next() - 1) / n : 0)), rand()], attrs: {} };
    case 'chol': return { inputs: [sym()], attrs: {} };
    case 'qr_r': return { inputs: [rand(), rand()], attrs: {} };
    case 'add': return { inputs: [rand(), rand()], attrs: {} };
    default: throw new Error(`bench: no input recipe for kernel '${kernel}' (known: ${BENCH_KERNELS.join(', ')})`);
  }
}

/** Recycles output buffers between calls, zero-filling them as the Allocator contract says. */
class PoolAlloc {
  private free = new Map<number, Float64Array[]>();
  private lent: Float64Array[] = [];
  readonly alloc: Allocator = (rows, cols) => {
    const data = this.free.get(rows * cols)?.pop()?.fill(0) ?? new Float64Array(rows * cols);
    this.lent.push(data);
    return { rows, cols, data };
  };
  /** Everything lent since the last reclaim becomes reusable. */
  reclaim(): void {
    for (const d of this.lent) {
      const list = this.free.get(d.length) ?? [];
      list.push(d);
      this.free.set(d.length, list);
    }
    this.lent = [];
  }
}

/** A timed call: `prepare` (untimed) then `run` (timed). */
interface Runner {
  prepare?(): void;
  run(): void;
}

function backendRunner(k: Kernels, kernel: string, c: Case, pool: PoolAlloc): Runner {
  return {
    prepare: () => pool.reclaim(),
    run: () => void k.run(kernel, c.inputs, c.attrs, pool.alloc),
  };
}

type RawFactory = (kernel: string, c: Case, n: number) => Runner;

/** Direct library calls on preallocated buffers: the ceiling for the openblas backend. */
async function rawRunners(): Promise<{ factory: RawFactory; backend: KernelBackend }> {
  const ob = await import('../kernels/backends/openblas/index.ts');
  const lib = ob.loadBlasLibrary(blasSettings().libs ?? ob.DEFAULT_BLAS_LIBS);
  const backend = ob.createOpenblasBackend(lib, 1); // sets the library to one thread for both
  const { colMajor, noTrans, trans, lower, right, nonUnit } = ob.CBLAS;
  const b = lib.cblas;
  const lp = lib.lapack;
  const factory: RawFactory = (kernel, c, n) => {
    const [x, y] = c.inputs as [Block, Block?];
    const out = new Float64Array(n * n);
    switch (kernel) {
      case 'gemm':
        return { run: () => b.dgemm(colMajor, noTrans, noTrans, n, n, n, 1, x.data, n, y!.data, n, 0, out, n) };
      case 'syrk':
        out.set(x.data);
        return { run: () => b.dsyrk(colMajor, lower, noTrans, n, n, -1, y!.data, n, 1, out, n) };
      case 'trsm':
        return {
          prepare: () => out.set(y!.data),
          run: () => b.dtrsm(colMajor, right, lower, trans, nonUnit, n, n, 1, x.data, n, out, n),
        };
      case 'chol':
        return { prepare: () => out.set(x.data), run: () => void lp.potrfLower(n, out, n) };
      case 'qr_r': {
        const a = new Float64Array(2 * n * n);
        const tau = new Float64Array(n);
        const lwork = lp.geqrfWork(2 * n, n, 2 * n);
        const work = new Float64Array(lwork);
        return {
          prepare: () => {
            lp.lacpy('A', n, n, x.data, n, a, 2 * n);
            lp.lacpy('A', n, n, y!.data, n, a.subarray(n), 2 * n);
          },
          run: () => void lp.geqrf(2 * n, n, a, 2 * n, tau, work, lwork),
        };
      }
      case 'add':
        out.set(x.data);
        return { run: () => b.daxpy(n * n, 1, y!.data, 1, out, 1) };
      default:
        throw new Error(`bench: no raw baseline for '${kernel}'`);
    }
  };
  return { factory, backend };
}

const defaultReps = (n: number): number => (n <= 256 ? 21 : n <= 512 ? 9 : 5);

/**
 * Measures every requested kernel × backend × size; backends that do not load are skipped
 * (reported through `onSkip`). Rows come grouped by kernel, then size, then backend.
 *
 * @example
 * const rows = await benchKernels({ sizes: [512], kernels: ['gemm'] });
 * // [{ kernel: 'gemm', backend: 'openblas-raw', n: 512, gflops: 36.1, median_ms: 7.4 }, …]
 */
export async function benchKernels(opts: BenchOptions = {}): Promise<BenchRow[]> {
  const sizes = opts.sizes ?? [256, 512, 1024];
  const kernels = opts.kernels ?? BENCH_KERNELS;
  const wanted = opts.backends ?? BENCH_BACKENDS.filter((b) => b !== 'js');
  for (const k of kernels) if (!(BENCH_KERNELS as readonly string[]).includes(k)) throw new Error(`bench: unknown kernel '${k}' (known: ${BENCH_KERNELS.join(', ')})`);
  for (const b of wanted) if (!(BENCH_BACKENDS as readonly string[]).includes(b)) throw new Error(`bench: unknown backend '${b}' (known: ${BENCH_BACKENDS.join(', ')})`);

  // openblas and openblas-raw share one library instance, pinned to one thread.
  let raw: Awaited<ReturnType<typeof rawRunners>> | undefined;
  if (wanted.includes('openblas') || wanted.includes('openblas-raw')) {
    try {
      raw = await rawRunners();
    } catch (e) {
      const why = errorMessage(e);
      for (const b of wanted.filter((w) => w.startsWith('openblas'))) opts.onSkip?.(b, why);
    }
  }
  const loaded: { name: string; kernels?: Kernels }[] = [];
  for (const name of wanted) {
    if (name === 'openblas-raw') {
      if (raw) loaded.push({ name });
    } else if (name === 'openblas') {
      if (raw) loaded.push({ name, kernels: kernelsFor(raw.backend) });
    } else {
      try {
        loaded.push({ name, kernels: await loadKernels(name) });
      } catch (e) {
        opts.onSkip?.(name, errorMessage(e));
      }
    }
  }

  const rows: BenchRow[] = [];
  for (const kernel of kernels) {
    for (const n of sizes) {
      const c = makeCase(kernel, n);
      const flops = kernelSpec(kernel)!.flops(c.inputs.map((b) => [b.rows, b.cols] as const), c.attrs);
      const runners = loaded.map(({ name, kernels: k }) => ({
        name,
        runner: k ? backendRunner(k, kernel, c, new PoolAlloc()) : raw!.factory(kernel, c, n),
        times: [] as number[],
      }));
      const reps = opts.reps ?? defaultReps(n);
      for (let rep = -1; rep < reps; rep++) {
        // Rotate who goes first: the call after another one inherits its cache state.
        const order = runners.map((_, i) => runners[(i + rep + 1) % runners.length]!);
        for (const r of order) {
          r.runner.prepare?.();
          const t0 = performance.now();
          r.runner.run();
          const dt = performance.now() - t0;
          if (rep >= 0) r.times.push(dt); // rep −1 is the warm-up
        }
      }
      for (const r of runners) {
        const ms = median(r.times);
        rows.push({ kernel, backend: r.name, n, gflops: flops / (ms * 1e6), median_ms: ms });
      }
    }
  }
  return rows;
}
