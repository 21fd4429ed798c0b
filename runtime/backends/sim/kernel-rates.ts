/**
 * How long a kernel takes in the simulation, Gillis-style: per-kernel GFLOP/s measured on this
 * machine by `npx lapwing bench kernels --backends openblas --json` (one thread, block sizes
 * 128…1024), interpolated log-log in the block size (held at the largest measured size beyond
 * it), scaled by a documented factor for the executor's CPU:
 *
 *   seconds = max(flops / (rate(kernel, n) · factor · cores), bytes touched / memory bandwidth)
 *
 * Kernels the benchmark does not measure borrow the rate of the nearest measured one
 * (qr_factor, qr_apply → qr_r; lu_nopiv → chol; sub, copy … → bandwidth only).
 */
import { kernelSpec } from '../../../kernels/index.ts';
import type { Block } from '../../core/interfaces.ts';
import { MEASURED_KERNELS } from './kernel-profile.ts';

/** One row of `bench kernels --json`. */
export interface KernelRow {
  readonly kernel: string;
  readonly backend: string;
  readonly n: number;
  readonly gflops: number;
}

/** The stored profile: rows and where they come from. */
export interface KernelProfile {
  readonly measured: string;
  readonly command: string;
  readonly machine: string;
  readonly rows: readonly KernelRow[];
}

/** The profile shipped with lapwing (measured on the development machine). */
export const DEFAULT_KERNEL_PROFILE: KernelProfile = MEASURED_KERNELS;

const BORROW: Readonly<Record<string, string>> = {
  qr_factor: 'qr_r',
  qr_apply: 'qr_r',
  lu_nopiv: 'chol',
  gemm: 'gemm',
};

/** Memory bandwidth for zero-flop kernels (copy, zeros …), bytes per second of one core. */
const MEMORY_BYTES_PER_S = 5e9;

export class KernelRates {
  private readonly byKernel = new Map<string, { n: number; gflops: number }[]>();

  /**
   * @param profile measured rates
   * @param factor speed of one executor core relative to this machine's core
   * @param cores cores one kernel call uses
   */
  constructor(profile: KernelProfile, readonly factor: number, readonly cores: number) {
    for (const r of profile.rows) {
      if (!(r.gflops > 0)) continue;
      const list = this.byKernel.get(r.kernel) ?? [];
      list.push({ n: r.n, gflops: r.gflops });
      this.byKernel.set(r.kernel, list);
    }
    for (const list of this.byKernel.values()) list.sort((a, b) => a.n - b.n);
  }

  /** GFLOP/s of one core of this machine for `kernel` on n × n blocks (null: unmeasured). */
  rate(kernel: string, n: number): number | null {
    const list = this.byKernel.get(BORROW[kernel] ?? kernel) ?? (this.byKernel.has(kernel) ? undefined : this.byKernel.get('gemm'));
    if (!list || list.length === 0) return null;
    if (n <= list[0]!.n) return list[0]!.gflops;
    for (let i = 1; i < list.length; i++) {
      const a = list[i - 1]!;
      const b = list[i]!;
      if (n <= b.n) {
        const f = Math.log(n / a.n) / Math.log(b.n / a.n);
        return Math.exp(Math.log(a.gflops) + f * (Math.log(b.gflops) - Math.log(a.gflops)));
      }
    }
    return list[list.length - 1]!.gflops;
  }

  /** Seconds one call of `kernel` takes on `inputs`. */
  seconds(kernel: string, inputs: readonly Block[], attrs: Readonly<Record<string, number | boolean | string>>): number {
    const spec = kernelSpec(kernel);
    const shapes = inputs.map((b) => [b.rows, b.cols] as const);
    const flops = spec ? spec.flops(shapes, attrs) : 0;
    let bytes = 0;
    for (const b of inputs) bytes += 8 * b.rows * b.cols;
    const n = Math.max(1, ...inputs.map((b) => Math.max(b.rows, b.cols)));
    const memory = (2 * bytes) / (MEMORY_BYTES_PER_S * this.factor);
    const isFlopKernel = flops > 0 && kernel !== 'add' && kernel !== 'sub';
    // syrk(C, A, B) with B another block than A is a gemm (the symmetric path, which `bench
    // kernels` measures, does half the work). The executor passes a block read twice as one
    // object, so identity tells the two apart.
    const asGemm = kernel === 'syrk' && inputs.length === 3 && inputs[1] !== inputs[2];
    const r = isFlopKernel ? this.rate(asGemm ? 'gemm' : kernel, n) : null;
    const compute = r ? flops / (r * 1e9 * this.factor * this.cores) : 0;
    return Math.max(compute, memory);
  }
}
