/**
 * Executors of the local backend. An executor is the shared executor loop (runtime/executor/executor.ts)
 * plus its own kernel thread: the loop runs next to the in-process stores, and only the kernel
 * call crosses to the thread, with block references (SharedArrayBuffer), never copies.
 *
 * Why not the whole executor in the thread: on this class of machine one wake-up of another
 * thread costs ~70 µs (a postMessage or Atomics round trip measured ~150 µs), and the protocol
 * makes ~7 store calls per task; with the stores one hop away every task paid ~1 ms. Here a
 * task pays one hop, and two kernel calls in flight per executor hide even that.
 *
 * Killing an executor (fault experiments) ends its kernel thread and stops its loop where it
 * is — no further protocol step, no ack — exactly what a dead Lambda leaves behind.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { Attrs, Block } from '../../../kernels/index.ts';
import { KernelError, type KernelErrorCode } from '../../../kernels/index.ts';
import type { ExecutorLauncher, TraceRecord } from '../../core/interfaces.ts';
import { ExecutorCrash, runExecutor, type CrashPoint, type ExecutorOptions, type KernelTimes } from '../../executor/executor.ts';
import type { Faults } from '../../executor/faults.ts';
import { faultyStores } from './faulty-stores.ts';
import type { KernelReply, KernelRequest, KernelThreadMessage } from './kernel-thread.ts';
import type { MemoryBlockStore } from './memory-block-store.ts';
import type { MemoryQueue } from './memory-queue.ts';
import type { MemoryStateStore } from './memory-state-store.ts';

export interface LocalStores {
  readonly blocks: MemoryBlockStore;
  readonly queue: MemoryQueue;
  readonly state: MemoryStateStore;
  readonly faults?: Faults;
}

/** Crash (stop) an executor the `nth` time it reaches `point`; with `stallMs`, stall it there. */
export interface CrashAt {
  readonly point: CrashPoint;
  readonly nth: number;
  readonly stallMs?: number;
}

export interface LocalLauncherOptions {
  readonly executor: Omit<ExecutorOptions, 'executorId' | 'onTrace' | 'crash' | 'signal' | 'runKernel'>;
  /** Kernel backend of the kernel threads. */
  readonly kernels: string;
  /** Receives every trace record of the executors. */
  onTrace?: (r: TraceRecord) => void;
  /** Fault injection for the next launched executor (one only: its replacement must finish). */
  crashAt?: CrashAt;
  /** Most executors at once (default {@link defaultMaxExecutors}). */
  readonly maxExecutors?: number;
}

/**
 * Executors beyond what the cores can use only cost memory and start-up (each has a kernel
 * thread with its own kernels, ~4 MB and tens of ms to start): one executor per core runs its
 * kernels back to back with its two task slots, so two per core leave room for fault and
 * scheduling experiments.
 */
export function defaultMaxExecutors(): number {
  return Math.max(4, 2 * availableParallelism());
}

/** Longest wait for a starting kernel thread to finish loading before it is ended anyway. */
const LOAD_WAIT_MS = 10_000;

/** Most freed buffers kept for reuse; beyond, they are left to the collector. */
const FREED_LIMIT = 64;

export interface ExecutorExit {
  readonly executorId: string;
  /** 0: stopped normally; 86: crashed or killed. */
  readonly code: number;
}

/** A kernel thread with request/reply bookkeeping (also used by the AWS executors). */
export class KernelThread {
  private readonly worker: Worker;
  private next = 1;
  private readonly pending = new Map<number, { resolve: (b: Block[]) => void; reject: (e: Error) => void; ran?: KernelTimes }>();
  readonly ready: Promise<void>;
  private dead: Error | null = null;

  /**
   * @param idleUnref the thread does not keep the process alive while it runs no kernel (a
   *   pool that lives as long as a Lambda container must not hold a process that is done).
   */
  constructor(kernels: string, private readonly idleUnref = false) {
    // A small young generation: this thread allocates little, so without it the wrappers of
    // shared blocks it has seen would live (and keep their memory) until a rare GC.
    this.worker = new Worker(new URL('./kernel-thread-entry.mjs', import.meta.url), { workerData: { kernels }, resourceLimits: { maxYoungGenerationSizeMb: 1 } });
    this.ready = new Promise<void>((resolve, reject) => {
      this.worker.on('message', (m: KernelThreadMessage) => {
        if (m.kind === 'ready') resolve();
        else this.settle(m.reply);
      });
      this.worker.on('error', (e) => {
        this.fail(e);
        reject(e);
      });
      this.worker.on('exit', () => {
        const e = new ExecutorCrash('kernel thread ended');
        this.fail(e);
        reject(e);
      });
    });
    this.ready.catch(() => undefined);
    if (idleUnref) this.worker.unref();
  }

  /**
   * Runs a kernel on the thread; `ran` receives when the thread started and ended it.
   * `recycle`: shared buffers of deleted blocks, handed over with the request for reuse as
   * outputs (memory already touched: fresh shared memory costs page faults on first write).
   */
  run(name: string, inputs: readonly Block[], attrs: Attrs, ran?: KernelTimes, recycle?: readonly SharedArrayBuffer[]): Promise<Block[]> {
    if (this.dead) return Promise.reject(this.dead);
    const id = this.next++;
    return new Promise<Block[]>((resolve, reject) => {
      if (this.idleUnref && this.pending.size === 0) this.worker.ref();
      this.pending.set(id, { resolve, reject, ...(ran ? { ran } : {}) });
      this.worker.postMessage({ id, name, inputs, attrs, ...(recycle && recycle.length > 0 ? { recycle } : {}) } satisfies KernelRequest);
    });
  }

  private settle(r: KernelReply): void {
    const p = this.pending.get(r.id);
    if (!p) return;
    this.pending.delete(r.id);
    if (this.idleUnref && this.pending.size === 0) this.worker.unref();
    if (p.ran && r.ran) [p.ran.start, p.ran.end] = r.ran;
    if (r.outputs) p.resolve(r.outputs);
    else if (r.error?.code) p.reject(new KernelError(r.error.code as KernelErrorCode, r.error.message, r.error.minor));
    else p.reject(new Error(r.error?.message ?? 'kernel failed'));
  }

  private fail(e: Error): void {
    this.dead ??= e;
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }

  async terminate(): Promise<void> {
    this.fail(new ExecutorCrash('kernel thread terminated'));
    // Ending a thread while it loads native kernels aborts the whole process (the FFI throws
    // into an isolate that is being terminated): a starting thread finishes loading first.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.ready.catch(() => undefined), new Promise((r) => (timer = setTimeout(r, LOAD_WAIT_MS)))]);
    clearTimeout(timer);
    await this.worker.terminate();
  }
}

interface LiveExecutor {
  readonly thread: KernelThread;
  readonly abort: AbortController;
  killed: boolean;
  /** Its kernel thread is ready and its loop runs. */
  started: boolean;
}

export class LocalLauncher implements ExecutorLauncher {
  private readonly live = new Map<string, LiveExecutor>();
  private seq = 0;
  readonly exits: ExecutorExit[] = [];
  /** Executors stalled by an injected `crashAt.stallMs`, in order (fault experiments). */
  readonly stalls: { readonly executorId: string; readonly point: CrashPoint }[] = [];
  /** Called when an executor ends (normally, crashed or killed). */
  onExit?: (e: ExecutorExit) => void;
  /** Called the moment an executor is launched, before its kernel thread is ready. */
  onLaunch?: (executorId: string) => void;

  /** Buffers of deleted blocks by byte length, until a kernel request takes them along. */
  private readonly freed = new Map<number, SharedArrayBuffer[]>();
  private freedCount = 0;
  readonly maxExecutors: number;
  /** Executors to keep as work arrives (launchOnDemand); 0 until asked. */
  private onDemand = 0;
  private onDemandError: (e: Error) => void = () => undefined;
  private checkPending = false;

  constructor(
    private readonly stores: LocalStores,
    readonly options: LocalLauncherOptions,
  ) {
    this.maxExecutors = options.maxExecutors ?? defaultMaxExecutors();
    // Deleted blocks' buffers wait here for the next kernel request of a size they fit.
    stores.blocks.onFree = (buf) => {
      if (this.freedCount >= FREED_LIMIT) return false;
      let list = this.freed.get(buf.byteLength);
      if (!list) this.freed.set(buf.byteLength, (list = []));
      list.push(buf);
      this.freedCount++;
      return true;
    };
    stores.queue.onWork = () => this.demand();
  }

  /** Keeps up to `count` executors as the queue has work (see ExecutorLauncher.launchOnDemand). */
  launchOnDemand(count: number, onError: (e: Error) => void): void {
    this.onDemand = count;
    this.onDemandError = onError;
    this.demand();
  }

  /**
   * One executor per task that is ready or running, up to the on-demand count: an executor
   * runs one kernel at a time on its thread, so fewer executors than tasks leave a core idle,
   * and more only cost their start-up (tens of ms and a few MB each). Looked at once the
   * current turn of the event loop is over: a finishing task enqueues its children before it
   * acks itself, and its executor is about to be free for them.
   */
  private demand(): void {
    if (this.checkPending || this.live.size >= Math.min(this.onDemand, this.maxExecutors)) return;
    this.checkPending = true;
    setImmediate(() => {
      this.checkPending = false;
      const d = this.stores.queue.depthSync();
      const n = Math.min(this.onDemand, this.maxExecutors, d.visible + d.inFlight) - this.live.size;
      if (n > 0) void this.launch(n).catch((e: unknown) => this.onDemandError(e instanceof Error ? e : new Error(String(e))));
    });
  }

  /**
   * Recycled buffers to send with a kernel request: one of the largest input's size (the
   * output of every block kernel of square blocks has it), for the thread that is about to
   * allocate one — a thread never holds buffers another one lacks.
   */
  private recycleFor(inputs: readonly Block[]): SharedArrayBuffer[] | undefined {
    if (this.freedCount === 0) return undefined;
    let bytes = 0;
    for (const b of inputs) bytes = Math.max(bytes, b.data.byteLength);
    const buf = this.freed.get(bytes)?.pop();
    if (!buf) return undefined;
    this.freedCount--;
    return [buf];
  }

  /** Starts `count` executors (up to `maxExecutors` in all); resolves when their kernel threads are ready. */
  async launch(count: number): Promise<void> {
    const n = Math.max(0, Math.min(count, this.maxExecutors - this.live.size));
    await Promise.all(Array.from({ length: n }, () => this.spawn()));
  }

  running(): number {
    return this.live.size;
  }

  ids(): string[] {
    return [...this.live.keys()];
  }

  /** The executor is launched but its kernel thread is not ready yet. */
  isStarting(executorId: string): boolean {
    const ex = this.live.get(executorId);
    return ex !== undefined && !ex.started;
  }

  /**
   * Kills an executor at once: its kernel thread ends, its loop stops where it is. An executor
   * killed while starting ends like any killed executor; its launch does not fail.
   */
  async kill(executorId: string): Promise<boolean> {
    const ex = this.live.get(executorId);
    if (!ex) return false;
    ex.killed = true;
    ex.abort.abort();
    await ex.thread.terminate();
    return true;
  }

  async close(): Promise<void> {
    this.onDemand = 0;
    const all = [...this.live.values()];
    for (const ex of all) ex.abort.abort();
    await Promise.all(all.map((ex) => ex.thread.terminate()));
    this.live.clear();
  }

  private async spawn(): Promise<void> {
    const executorId = `local-${process.pid}-${++this.seq}`;
    const thread = new KernelThread(this.options.kernels);
    const ex: LiveExecutor = { thread, abort: new AbortController(), killed: false, started: false };
    this.live.set(executorId, ex);
    this.onLaunch?.(executorId);
    const crashAt = this.options.crashAt;
    // An injected crash applies to one executor only: its replacement must be able to finish.
    this.options.crashAt = undefined;
    let hits = 0;
    let stalled = false;
    const crash = (point: CrashPoint): void | Promise<void> => {
      if (ex.killed) throw new ExecutorCrash('killed');
      if (!crashAt || point !== crashAt.point || ++hits !== crashAt.nth) return;
      if (crashAt.stallMs !== undefined) {
        stalled = true;
        this.stalls.push({ executorId, point });
        return new Promise((r) => setTimeout(() => r(void (stalled = false)), crashAt.stallMs));
      }
      ex.killed = true;
      throw new ExecutorCrash(point);
    };
    const faults = this.stores.faults;
    const stores = faults ? faultyStores(this.stores, faults, () => stalled) : this.stores;
    const done = (code: number): void => {
      if (!this.live.has(executorId)) return;
      this.live.delete(executorId);
      void thread.terminate();
      const e = { executorId, code };
      this.exits.push(e);
      this.onExit?.(e);
      // A replacement, if work remains.
      this.demand();
    };
    try {
      await thread.ready;
    } catch {
      // Killed (or closed) while starting: an executor that died young, not a failed launch.
      if (ex.killed || ex.abort.signal.aborted) return done(86);
      this.live.delete(executorId);
      throw new Error(`executor ${executorId}: its kernel thread did not start`);
    }
    if (ex.killed || ex.abort.signal.aborted) return done(86);
    ex.started = true;
    runExecutor(stores, {
      ...this.options.executor,
      executorId,
      signal: ex.abort.signal,
      crash,
      runKernel: (name, inputs, attrs, ran) => thread.run(name, inputs, attrs, ran, this.recycleFor(inputs)),
      ...(this.options.onTrace ? { onTrace: this.options.onTrace } : {}),
    }).then(
      () => done(ex.killed ? 86 : 0),
      () => done(86),
    );
  }
}
