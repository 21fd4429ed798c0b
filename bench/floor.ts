/**
 * The kernel floor of a job: the time its flops take when every worker runs dgemm at the raw
 * single-thread rate, with nothing between kernels. `floor_ratio` = wall ÷ floor says how
 * much a run loses to everything else (scheduling, copies, memory, start-up).
 *
 * The rate is measured in the same process, just before the job (`benchKernels`: dgemm 512,
 * OpenBLAS called directly on preallocated buffers, median of 9), so a loaded machine slows
 * floor and run alike. Without OpenBLAS the reference is the gemm of the kernels in use.
 */
import { benchKernels } from './kernels.ts';

/** Reference rate and the floor it gives. */
export interface Floor {
  /** Where the rate comes from: `openblas-raw` (dgemm) or another kernel backend's gemm. */
  readonly reference: string;
  /** Single-thread gemm rate at block 512, GFLOP/s. */
  readonly gemm512_gflops: number;
  /** flops ÷ (workers × rate), seconds. */
  readonly floor_s: number;
}

/** Size of the reference gemm. */
const REFERENCE_BLOCK = 512;

/**
 * Measures the reference rate and returns the floor of `flops` on `workers` workers.
 * @example
 * const f = await kernelFloor(8192 ** 3 / 3, 2, 'openblas'); // f.floor_s ≈ 1.9 on 2 EPYC cores
 */
export async function kernelFloor(flops: number, workers: number, kernels: string): Promise<Floor> {
  const fallback = kernels === 'auto' || kernels === 'openblas' ? 'wasm' : kernels;
  for (const backend of ['openblas-raw', fallback]) {
    const [row] = await benchKernels({ sizes: [REFERENCE_BLOCK], backends: [backend], kernels: ['gemm'], reps: 9 });
    if (row) return { reference: backend, gemm512_gflops: row.gflops, floor_s: flops / (workers * row.gflops * 1e9) };
  }
  throw new Error(`no kernel backend to measure the floor with (tried openblas-raw, ${fallback})`);
}
