/**
 * Kernel rates of the calibration machine, as `bench kernels --json` prints them (GFLOP/s of
 * one thread, OpenBLAS). Replace with a fresh measurement through `lapwing simulate
 * --kernel-profile FILE` (the JSON array that command prints).
 */
import type { KernelProfile } from './kernel-rates.ts';

export const MEASURED_KERNELS: KernelProfile = {
  measured: '2026-12-01T11:52Z',
  command: 'npx lapwing bench kernels --sizes 128,256,512,1024 --backends openblas --json',
  machine: '2-core AMD EPYC (AVX2), OpenBLAS; load average 23 (shared by 8 sessions) while measured',
  rows: [
    { kernel: 'gemm', backend: 'openblas', n: 128, gflops: 8.145 },
    { kernel: 'gemm', backend: 'openblas', n: 256, gflops: 3.305 },
    { kernel: 'gemm', backend: 'openblas', n: 512, gflops: 4.065 },
    { kernel: 'gemm', backend: 'openblas', n: 1024, gflops: 4.441 },
    { kernel: 'syrk', backend: 'openblas', n: 128, gflops: 23.403 },
    { kernel: 'syrk', backend: 'openblas', n: 256, gflops: 24.480 },
    { kernel: 'syrk', backend: 'openblas', n: 512, gflops: 9.687 },
    { kernel: 'syrk', backend: 'openblas', n: 1024, gflops: 5.341 },
    { kernel: 'trsm', backend: 'openblas', n: 128, gflops: 9.448 },
    { kernel: 'trsm', backend: 'openblas', n: 256, gflops: 3.136 },
    { kernel: 'trsm', backend: 'openblas', n: 512, gflops: 2.982 },
    { kernel: 'trsm', backend: 'openblas', n: 1024, gflops: 2.779 },
    { kernel: 'chol', backend: 'openblas', n: 128, gflops: 5.239 },
    { kernel: 'chol', backend: 'openblas', n: 256, gflops: 6.519 },
    { kernel: 'chol', backend: 'openblas', n: 512, gflops: 2.904 },
    { kernel: 'chol', backend: 'openblas', n: 1024, gflops: 3.030 },
    { kernel: 'qr_r', backend: 'openblas', n: 128, gflops: 5.618 },
    { kernel: 'qr_r', backend: 'openblas', n: 256, gflops: 2.992 },
    { kernel: 'qr_r', backend: 'openblas', n: 512, gflops: 3.317 },
    { kernel: 'qr_r', backend: 'openblas', n: 1024, gflops: 3.413 },
    { kernel: 'add', backend: 'openblas', n: 128, gflops: 1.047 },
    { kernel: 'add', backend: 'openblas', n: 256, gflops: 1.424 },
    { kernel: 'add', backend: 'openblas', n: 512, gflops: 0.639 },
    { kernel: 'add', backend: 'openblas', n: 1024, gflops: 0.237 },
  ],
};
