/**
 * The kernel floor of a job: the time its flops take when every worker runs dgemm at the raw
 * rate, with nothing between kernels. `floor_ratio` = wall ÷ floor says how much a run loses
 * to everything else (scheduling, copies, memory, start-up).
 *
 * Two floors, both from OpenBLAS's dgemm 512 called directly through koffi on preallocated
 * buffers (no lapwing code in the loop):
 *
 *   floor_s             flops ÷ (workers × the single-thread rate): a thread alone on the machine
 *   floor_parallel_s    flops ÷ (the summed rate of min(workers, cores) threads running dgemm at
 *                       once): what the machine's cores give together, shared caches, memory
 *                       bandwidth and a vCPU's siblings included. On cores that share nothing
 *                       the two are equal; on a VM whose vCPUs contend they are not.
 *
 * Each rate is a time average over a window of `windowMs` (dgemm calls back to back, the
 * flops done ÷ the time taken), measured once before the job and once after it, and the mean
 * of the two is used: a job's wall time is a time average too, and on a shared machine whose
 * speed drifts within seconds a short median taken only before the job can catch a quiet or a
 * busy moment that the job does not see. `drift` = after ÷ before of the single-thread rate
 * says how much the machine changed across the run (far from 1: judge that run's ratios with
 * care). Without OpenBLAS the reference is the median gemm 512 of the kernels in use, before
 * the job only.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { benchKernels } from './kernels.ts';
import { blasSettings } from '../kernels/loader.ts';

/** The floors of one job. */
export interface Floor {
  /** Where the rate comes from: `openblas-raw` (dgemm) or another kernel backend's gemm. */
  readonly reference: string;
  /** Single-thread gemm rate at block 512, GFLOP/s (mean of before and after). */
  readonly gemm512_gflops: number;
  /** flops ÷ (workers × single-thread rate), seconds. */
  readonly floor_s: number;
  /** Summed rate of min(workers, cores) threads at once, GFLOP/s (openblas-raw only). */
  readonly gemm512_parallel_gflops?: number;
  /** flops ÷ parallel rate, seconds (openblas-raw only). */
  readonly floor_parallel_s?: number;
  /** Single-thread rate after the job ÷ before it (openblas-raw only). */
  readonly drift?: number;
}

/** Size of the reference gemm. */
const REFERENCE_BLOCK = 512;
/** Length of one rate window. */
const WINDOW_MS = 1000;

/**
 * A measurement in progress: {@link startFloor} takes the rates before the job, `finish`
 * takes them after it and returns the floors.
 */
export interface FloorMeasurement {
  finish(): Promise<Floor>;
}

/**
 * Measures the reference rates before a job of `flops` on `workers` workers; call `finish()`
 * on the result when the job is done.
 * @example
 * const m = await startFloor(8192 ** 3 / 3, 2, 'openblas');
 * await job();
 * const f = await m.finish(); // f.floor_s ≈ 1.9 on 2 EPYC cores
 */
export async function startFloor(flops: number, workers: number, kernels: string, windowMs = WINDOW_MS): Promise<FloorMeasurement> {
  const paths = await blasPaths();
  if (paths) {
    const threads = Math.max(1, Math.min(workers, availableParallelism()));
    const before = { single: await dgemmRate(paths, 1, windowMs), parallel: await dgemmRate(paths, threads, windowMs) };
    return {
      async finish() {
        const parallel = (before.parallel + (await dgemmRate(paths, threads, windowMs))) / 2;
        const after = await dgemmRate(paths, 1, windowMs);
        const single = (before.single + after) / 2;
        return {
          reference: 'openblas-raw',
          gemm512_gflops: single,
          floor_s: flops / (workers * single * 1e9),
          gemm512_parallel_gflops: parallel,
          floor_parallel_s: flops / (parallel * 1e9),
          drift: after / before.single,
        };
      },
    };
  }
  const fallback = kernels === 'auto' || kernels === 'openblas' ? 'wasm' : kernels;
  const [row] = await benchKernels({ sizes: [REFERENCE_BLOCK], backends: [fallback], kernels: ['gemm'], reps: 9 });
  if (!row) throw new Error(`no kernel backend to measure the floor with (tried openblas-raw, ${fallback})`);
  const floor: Floor = { reference: fallback, gemm512_gflops: row.gflops, floor_s: flops / (workers * row.gflops * 1e9) };
  return { finish: () => Promise.resolve(floor) };
}

/** The BLAS library files the openblas backend loads here (none: it does not load). */
async function blasPaths(): Promise<readonly string[] | undefined> {
  try {
    const ob = await import('../kernels/backends/openblas/index.ts');
    return ob.loadBlasLibrary(blasSettings().libs ?? ob.DEFAULT_BLAS_LIBS).paths;
  } catch {
    return undefined;
  }
}

/**
 * Runs dgemm 512 back to back on `threads` worker threads at once for `windowMs` (after two
 * untimed calls each) and returns the summed rate in GFLOP/s. Each thread has its own
 * buffers; OpenBLAS is pinned to one thread per call.
 */
async function dgemmRate(paths: readonly string[], threads: number, windowMs: number): Promise<number> {
  const go = new Int32Array(new SharedArrayBuffer(4));
  const workers = Array.from({ length: threads }, () => new Worker(DGEMM_LOOP, {
    eval: true,
    workerData: { base: import.meta.url, lib: paths[0], n: REFERENCE_BLOCK, windowMs, go },
  }));
  try {
    const ready = workers.map((w) => once(w, 'ready'));
    await Promise.all(ready);
    const done = workers.map((w) => once(w, 'done'));
    Atomics.store(go, 0, 1);
    Atomics.notify(go, 0);
    const results = (await Promise.all(done)) as { flops: number; ms: number }[];
    return results.reduce((s, r) => s + r.flops / (r.ms * 1e6), 0);
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

/** The next message `{ kind }` of a worker, its `result`; rejects if the worker fails first. */
function once(w: Worker, kind: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: { kind: string; result?: unknown }): void => {
      if (m.kind !== kind) return;
      w.off('message', onMessage);
      resolve(m.result);
    };
    w.on('message', onMessage);
    w.once('error', reject);
  });
}

/** The worker: binds dgemm, waits for the start signal, runs the window, reports. */
const DGEMM_LOOP = `
const { parentPort, workerData: d } = require('node:worker_threads');
const koffi = require('node:module').createRequire(d.base)('koffi');
const lib = koffi.load(d.lib);
const dgemm = lib.func('void cblas_dgemm(int, int, int, int, int, int, double, double *, int, double *, int, double, double *, int)');
try { lib.func('void openblas_set_num_threads(int)')(1); } catch {}
const n = d.n, a = new Float64Array(n * n), b = new Float64Array(n * n), c = new Float64Array(n * n);
for (let i = 0; i < n * n; i++) { a[i] = Math.sin(i); b[i] = Math.cos(i); }
const call = () => dgemm(102, 111, 111, n, n, n, 1, a, n, b, n, 0, c, n);
call(); call();
parentPort.postMessage({ kind: 'ready' });
Atomics.wait(d.go, 0, 0);
let calls = 0;
const t0 = performance.now();
let t = t0;
while (t - t0 < d.windowMs) { call(); calls++; t = performance.now(); }
parentPort.postMessage({ kind: 'done', result: { flops: 2 * n * n * n * calls, ms: t - t0 } });
`;
