/**
 * Single-thread speed of the wasm kernels, measured through the backend's `run` (so copies in
 * and out of wasm memory are included, as in real use). Figures are GFLOP/s by specs.ts's flop
 * counts, the median of `reps` timed runs after warm-up runs.
 *
 * Run as a script it prints a table (kernels × sizes, GFLOP/s):
 *   node --import tsx kernels/backends/wasm/bench.ts [gemm,syrk,trsm,chol] [256,512,1024] [reps]
 */
import { heapAlloc, type Attrs, type Block, type KernelBackend } from '../../types.ts';
import { kernelSpec } from '../../specs.ts';
import { fileURLToPath } from 'node:url';
import { loadWasmBackend } from './index.ts';

/** Kernels with a square-size benchmark here. */
export type WasmBenchKernel = 'gemm' | 'syrk' | 'trsm' | 'chol' | 'lu_nopiv' | 'qr_factor';

let backend: Promise<KernelBackend> | undefined;

function random(rows: number, cols: number, seed: number): Block {
  const data = new Float64Array(rows * cols);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < data.length; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    data[i] = (s >>> 0) / 2 ** 32 - 0.5;
  }
  return { rows, cols, data };
}

/** A well-conditioned n×n matrix: random plus n on the diagonal (SPD after symmetrising). */
function dominant(n: number, symmetric: boolean): Block {
  const a = random(n, n, 7);
  const d = a.data;
  for (let j = 0; j < n; j++) {
    for (let i = symmetric ? j + 1 : n; i < n; i++) d[j + i * n] = d[i + j * n]!;
    d[j + j * n] = d[j + j * n]! + n;
  }
  return a;
}

function inputs(kernel: WasmBenchKernel, n: number): Block[] {
  switch (kernel) {
    case 'gemm': return [random(n, n, 1), random(n, n, 2)];
    case 'syrk': return [random(n, n, 3), random(n, n, 4)];
    case 'trsm': return [dominant(n, false), random(n, n, 5)];
    case 'chol': return [dominant(n, true)];
    case 'lu_nopiv': return [dominant(n, false)];
    case 'qr_factor': return [random(n, n, 6)];
  }
}

/** Median GFLOP/s of `kernel` on n×n blocks (default attributes). */
export async function benchWasmKernel(kernel: WasmBenchKernel, n: number, reps: number): Promise<number> {
  backend ??= loadWasmBackend();
  const wasm = await backend;
  const ins = inputs(kernel, n);
  const attrs: Attrs = {};
  const flops = kernelSpec(kernel)!.flops(ins.map((b) => [b.rows, b.cols] as const), attrs);
  // Warm up until V8 has optimized the hot functions (it tiers up between calls, not within).
  const warm = performance.now();
  for (let r = 0; r < 3 || performance.now() - warm < 300; r++) wasm.run(kernel, ins, attrs, heapAlloc);
  const times: number[] = [];
  for (let r = 0; r < Math.max(1, reps); r++) {
    const t0 = performance.now();
    wasm.run(kernel, ins, attrs, heapAlloc);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const median = times[times.length >> 1]!;
  return flops / (median * 1e6);
}

/** Median GFLOP/s of the wasm `gemm` on n×n blocks (C = A·B, single thread). */
export function benchWasmGemm(n: number, reps: number): Promise<number> {
  return benchWasmKernel('gemm', n, reps);
}

async function main(argv: readonly string[]): Promise<void> {
  const kernels = (argv[0] ?? 'gemm,syrk,trsm,chol').split(',') as WasmBenchKernel[];
  const sizes = (argv[1] ?? '256,512,1024').split(',').map(Number);
  const reps = Number(argv[2] ?? 5);
  backend ??= loadWasmBackend();
  console.log(`${(await backend).detail}, single thread, GFLOP/s (median of ${reps})`);
  console.log(['kernel'.padEnd(10), ...sizes.map((n) => String(n).padStart(8))].join(''));
  for (const k of kernels) {
    const row: string[] = [];
    for (const n of sizes) row.push((await benchWasmKernel(k, n, reps)).toFixed(2).padStart(8));
    console.log(k.padEnd(10) + row.join(''));
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main(process.argv.slice(2));
