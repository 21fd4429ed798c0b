/**
 * The embedded local backend: in-process stores, one executor per core by default, each with
 * its kernel thread (see local-launcher.ts), blocks in shared memory. Zero setup; the default.
 */
import { availableParallelism } from 'node:os';
import { LOCAL_TIMINGS, type Backend } from '../../core/interfaces.ts';
import { MemoryBlockStore } from './memory-block-store.ts';
import { MemoryQueue } from './memory-queue.ts';
import { MemoryStateStore } from './memory-state-store.ts';
import { LocalLauncher, type CrashAt, type LocalLauncherOptions } from './local-launcher.ts';
import { Faults, type FaultPlan } from '../../executor/faults.ts';

export { MemoryBlockStore, sharedAlloc } from './memory-block-store.ts';
export { MemoryQueue } from './memory-queue.ts';
export { MemoryStateStore } from './memory-state-store.ts';
export { LocalLauncher, type CrashAt, type ExecutorExit } from './local-launcher.ts';

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
  readonly onTrace?: LocalLauncherOptions['onTrace'];
  /** Crash the first executor thread at a protocol step (fault experiments). */
  readonly crashAt?: CrashAt;
  /** Faults the stores inject (fault experiments). */
  readonly faults?: FaultPlan;
}

export interface LocalBackend extends Backend {
  readonly blocks: MemoryBlockStore;
  readonly queue: MemoryQueue;
  readonly state: MemoryStateStore;
  readonly launcher: LocalLauncher;
  /** The faults its stores inject, with the count of each kind injected so far. */
  readonly faults: Faults;
}

/** Creates the local backend; executors start on the first `launcher.launch`. */
export function createLocalBackend(options: LocalBackendOptions = {}): LocalBackend {
  const workers = options.workers ?? Math.max(1, availableParallelism());
  if (!Number.isInteger(workers) || workers < 1) throw new Error(`workers must be a positive integer, got ${workers}`);
  const faults = new Faults(options.faults);
  const blocks = new MemoryBlockStore();
  const queue = new MemoryQueue(Date.now, faults);
  const state = new MemoryStateStore();
  const launcher = new LocalLauncher({ blocks, queue, state, faults }, {
    kernels: options.kernels ?? process.env.LAPWING_KERNELS ?? 'auto',
    executor: {
      // Pool threads live as long as the backend: close() ends them.
      idleTimeoutMs: Number.POSITIVE_INFINITY,
      pollMs: 1000,
      concurrency: options.concurrency ?? 2,
      // Deleted blocks' memory is reused here (see MemoryBlockStore.onFree).
      checkBeforeWrite: true,
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
    defaultWorkers: workers,
    timings: LOCAL_TIMINGS,
    faults,
    close: () => launcher.close(),
  };
}
