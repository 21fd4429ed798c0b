/**
 * Kernel rates of the calibration machine, as `bench kernels --json` prints them (GFLOP/s of
 * one thread, OpenBLAS). Replace with a fresh measurement through `lapwing simulate
 * --kernel-profile FILE` (the JSON array that command prints).
 */
import type { KernelProfile } from './kernel-rates.ts';

export const MEASURED_KERNELS: KernelProfile = {
  measured: '2026-12-01T18:38Z',
  command: 'npx lapwing bench kernels --sizes 128,256,512,1024 --backends openblas --json (3 runs, the median of each row)',
  machine: '2-vCPU VM reporting an Intel Xeon (AVX2), OpenBLAS; load average 1-2 (nothing else running): its single-thread dgemm 512 swings 5-15 GFLOP/s within seconds',
  rows: [
    { kernel: 'gemm', backend: 'openblas', n: 128, gflops: 12.190 },
    { kernel: 'gemm', backend: 'openblas', n: 256, gflops: 12.766 },
    { kernel: 'gemm', backend: 'openblas', n: 512, gflops: 10.951 },
    { kernel: 'gemm', backend: 'openblas', n: 1024, gflops: 8.438 },
    { kernel: 'syrk', backend: 'openblas', n: 128, gflops: 11.371 },
    { kernel: 'syrk', backend: 'openblas', n: 256, gflops: 16.608 },
    { kernel: 'syrk', backend: 'openblas', n: 512, gflops: 15.695 },
    { kernel: 'syrk', backend: 'openblas', n: 1024, gflops: 19.776 },
    { kernel: 'trsm', backend: 'openblas', n: 128, gflops: 11.972 },
    { kernel: 'trsm', backend: 'openblas', n: 256, gflops: 12.918 },
    { kernel: 'trsm', backend: 'openblas', n: 512, gflops: 8.164 },
    { kernel: 'trsm', backend: 'openblas', n: 1024, gflops: 9.385 },
    { kernel: 'chol', backend: 'openblas', n: 128, gflops: 8.753 },
    { kernel: 'chol', backend: 'openblas', n: 256, gflops: 11.105 },
    { kernel: 'chol', backend: 'openblas', n: 512, gflops: 12.168 },
    { kernel: 'chol', backend: 'openblas', n: 1024, gflops: 10.686 },
    { kernel: 'qr_r', backend: 'openblas', n: 128, gflops: 7.494 },
    { kernel: 'qr_r', backend: 'openblas', n: 256, gflops: 8.358 },
    { kernel: 'qr_r', backend: 'openblas', n: 512, gflops: 10.004 },
    { kernel: 'qr_r', backend: 'openblas', n: 1024, gflops: 8.441 },
    { kernel: 'add', backend: 'openblas', n: 128, gflops: 0.904 },
    { kernel: 'add', backend: 'openblas', n: 256, gflops: 1.057 },
    { kernel: 'add', backend: 'openblas', n: 512, gflops: 0.535 },
    { kernel: 'add', backend: 'openblas', n: 1024, gflops: 0.459 },
  ],
};
