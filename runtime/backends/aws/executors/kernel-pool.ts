/**
 * Kernel threads of an AWS executor (a Lambda invocation or an executor process): the local
 * backend's kernel threads (local-launcher.ts `KernelThread`), one per vCPU by default. Running
 * kernels off the main thread keeps the executor's event loop free during a long kernel — lease
 * renewals go out on time, store round trips of other tasks proceed — and, with a task slot per
 * thread, uses every vCPU a large Lambda has (1,769 MB buys one; 10,240 MB six).
 *
 * Blocks decoded from the stores live in SharedArrayBuffers (block-codec.ts), so inputs reach a
 * thread without a copy, and outputs come back the same way.
 *
 * LAPWING_KERNEL_THREADS: threads per executor (0: run kernels on the main thread).
 */
import { availableParallelism } from 'node:os';
import { loadKernels, type Attrs, type Block, type Kernels } from '../../../../kernels/index.ts';
import { KernelThread } from '../../local/local-launcher.ts';
import type { KernelTimes } from '../../../executor/executor.ts';

export interface KernelPool {
  readonly threads: number;
  /** Runs a kernel on the least busy thread; `ran` receives when it started and ended there. */
  run(name: string, inputs: readonly Block[], attrs: Attrs, ran?: KernelTimes): Promise<Block[]>;
  close(): Promise<void>;
}

/** Kernel threads per executor from the environment: LAPWING_KERNEL_THREADS, else `fallback`. */
export function kernelThreadsFromEnv(env: Readonly<Record<string, string | undefined>>, fallback: number = availableParallelism()): number {
  const raw = env.LAPWING_KERNEL_THREADS;
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 64) throw new Error(`LAPWING_KERNEL_THREADS=${raw} is invalid: expected an integer in 0…64`);
  return n;
}

/**
 * Starts `threads` kernel threads with kernel backend `kernels` (they load in the background;
 * a kernel waits for its thread). Kernels go to the thread with the fewest in progress.
 */
export function createKernelPool(kernels: string, threads: number, warn: (message: string) => void = (m) => process.emitWarning(m)): KernelPool {
  const pool = Array.from({ length: threads }, () => ({ thread: new KernelThread(kernels, true), busy: 0 }));
  // A thread that cannot start (a runtime refusing workers) must not fail tasks: kernels then
  // run on the main thread, as without the pool.
  let inline: Promise<Kernels> | undefined;
  return {
    threads,
    async run(name, inputs, attrs, ran) {
      const t = pool.reduce((a, b) => (b.busy < a.busy ? b : a));
      const ok = await t.thread.ready.then(() => true, (e: unknown) => {
        if (!inline) warn(`lapwing executor: kernel threads unavailable, running kernels inline: ${e instanceof Error ? e.message : String(e)}`);
        inline ??= loadKernels(kernels);
        return false;
      });
      if (!ok) return (await inline!).run(name, inputs, attrs);
      t.busy++;
      try {
        return await t.thread.run(name, inputs, attrs, ran);
      } finally {
        t.busy--;
      }
    },
    async close() {
      await Promise.all(pool.map((t) => t.thread.terminate()));
    },
  };
}
