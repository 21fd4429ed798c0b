/**
 * Starts executor threads for the local backend and serves their store calls.
 */
import { Worker } from 'node:worker_threads';
import type { ExecutorLauncher, TraceRecord } from '../../interfaces.ts';
import { answer, type LocalStores, type WorkerMessage } from './rpc.ts';
import type { WorkerConfig } from './worker.ts';

export interface WorkerLauncherOptions {
  readonly executor: WorkerConfig['options'];
  /** Called with every trace record executors emit (when set, executors trace). */
  onTrace?: (r: TraceRecord) => void;
  /** Fault injection for the next launched workers (see WorkerConfig.crashAt). */
  crashAt?: WorkerConfig['crashAt'];
}

export interface WorkerExit {
  readonly executorId: string;
  readonly code: number;
}

export class WorkerLauncher implements ExecutorLauncher {
  private readonly workers = new Map<string, Worker>();
  private seq = 0;
  readonly exits: WorkerExit[] = [];
  /** Called when a worker thread ends (normally or killed). */
  onExit?: (e: WorkerExit) => void;

  constructor(
    private readonly stores: LocalStores,
    readonly options: WorkerLauncherOptions,
  ) {}

  /** Starts `count` executor threads; resolves when they are ready (modules and kernels loaded). */
  async launch(count: number): Promise<void> {
    await Promise.all(Array.from({ length: count }, () => this.spawn()));
  }

  running(): number {
    return this.workers.size;
  }

  ids(): string[] {
    return [...this.workers.keys()];
  }

  /** Ends one executor thread at once (fault experiments). */
  async kill(executorId: string): Promise<boolean> {
    const w = this.workers.get(executorId);
    if (!w) return false;
    await w.terminate();
    return true;
  }

  async close(): Promise<void> {
    await Promise.all([...this.workers.values()].map((w) => w.terminate()));
    this.workers.clear();
  }

  private spawn(): Promise<void> {
    const executorId = `local-${process.pid}-${++this.seq}`;
    const cfg: WorkerConfig = {
      executorId,
      options: this.options.executor,
      trace: this.options.onTrace !== undefined,
      ...(this.options.crashAt ? { crashAt: this.options.crashAt } : {}),
    };
    // An injected crash applies to one executor only: its replacement must be able to finish.
    this.options.crashAt = undefined;
    const w = new Worker(new URL('./worker-entry.mjs', import.meta.url), { workerData: cfg });
    this.workers.set(executorId, w);
    let ready: () => void = () => undefined;
    const isReady = new Promise<void>((r) => (ready = r));
    w.on('message', (m: WorkerMessage) => {
      if (m.kind === 'calls') answer(this.stores, w, m);
      else if (m.kind === 'trace') this.options.onTrace?.(m.record);
      else if (m.kind === 'ready') ready();
    });
    w.on('error', (e) => {
      process.emitWarning(`lapwing executor ${executorId} failed: ${e.message}`);
    });
    w.on('exit', (code) => {
      this.workers.delete(executorId);
      const ex = { executorId, code };
      this.exits.push(ex);
      this.onExit?.(ex);
      ready();
    });
    return isReady;
  }
}
