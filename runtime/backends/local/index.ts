/**
 * The embedded local backend: in-process stores, executors in worker threads (one per core by
 * default), blocks in shared memory. Zero setup; the default backend.
 */
import { availableParallelism } from 'node:os';
import type { Backend } from '../../interfaces.ts';
import { MemoryBlockStore } from './memory-block-store.ts';
import { MemoryQueue } from './memory-queue.ts';
import { MemoryStateStore } from './memory-state-store.ts';
import { WorkerLauncher, type WorkerLauncherOptions } from './worker-launcher.ts';
import { Faults, type FaultPlan } from '../../faults.ts';

export { MemoryBlockStore, sharedAlloc } from './memory-block-store.ts';
export { MemoryQueue } from './memory-queue.ts';
export { MemoryStateStore } from './memory-state-store.ts';
export { WorkerLauncher } from './worker-launcher.ts';

export interface LocalBackendOptions {
  /** Executor threads (default: one per core). */
  readonly workers?: number;
  /** Kernel backend for executors ('auto' by default). */
  readonly kernels?: string;
  /** Lease visibility timeout (default 60 s). */
  readonly visibilityMs?: number;
  readonly maxAttempts?: number;
  /** Tasks each executor thread works on at once (default 2: hides store round trips). */
  readonly concurrency?: number;
  readonly onTrace?: WorkerLauncherOptions['onTrace'];
  /** Crash the first executor thread at a protocol step (fault experiments). */
  readonly crashAt?: WorkerLauncherOptions['crashAt'];
  /** Faults the stores inject (fault experiments). */
  readonly faults?: FaultPlan;
}

export interface LocalBackend extends Backend {
  readonly blocks: MemoryBlockStore;
  readonly queue: MemoryQueue;
  readonly state: MemoryStateStore;
  readonly launcher: WorkerLauncher;
  /** Executor threads this backend keeps running. */
  readonly workers: number;
}

/** Creates the local backend; executors start on the first `launcher.launch`. */
export function createLocalBackend(options: LocalBackendOptions = {}): LocalBackend {
  const workers = options.workers ?? Math.max(1, availableParallelism());
  if (!Number.isInteger(workers) || workers < 1) throw new Error(`workers must be a positive integer, got ${workers}`);
  const faults = new Faults(options.faults);
  const blocks = new MemoryBlockStore();
  const queue = new MemoryQueue(Date.now, faults);
  const state = new MemoryStateStore();
  const launcher = new WorkerLauncher({ blocks, queue, state, faults }, {
    executor: {
      // Pool threads live as long as the backend: close() ends them.
      idleTimeoutMs: Number.POSITIVE_INFINITY,
      pollMs: 1000,
      concurrency: options.concurrency ?? 2,
      ...(options.kernels !== undefined ? { kernels: options.kernels } : {}),
      ...(options.visibilityMs !== undefined ? { visibilityMs: options.visibilityMs } : {}),
      ...(options.maxAttempts !== undefined ? { maxAttempts: options.maxAttempts } : {}),
    },
    ...(options.onTrace ? { onTrace: options.onTrace } : {}),
    ...(options.crashAt ? { crashAt: options.crashAt } : {}),
  });
  return {
    name: 'local',
    blocks,
    queue,
    state,
    launcher,
    workers,
    close: () => launcher.close(),
  };
}
