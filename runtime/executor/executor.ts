/**
 * The stateless executor: NumPyWren's task protocol, the same code on every backend (worker
 * threads locally, child processes or Lambda functions on AWS).
 *
 * Protocol for one leased task T of job J (crash points in brackets):
 *
 *   lease ─[leased]→ skip if J is not running / T already done
 *     → read T's input blocks ─[inputs-read]→ run the kernel ─[kernel-done]
 *     → write T's output blocks ─[outputs-written]
 *     → for each child C: n = markEdge(C, T) ─[edge-marked]; if n == |parents(C)|: enqueue C ─[child-enqueued]
 *     → completeTask(T) (counts T if it is terminal) ─[terminal-counted]
 *     → for each temporary input block B: if markEdge(readers(B), T) == |readers(B)|: delete B ─[temps-collected]
 *     → ack ─[acked]
 *
 * Invariants that make every step idempotent, so a task that runs twice (redelivery after a
 * crash, a lost ack, a speculative copy) leaves the same result:
 * - Block writes overwrite with identical bytes (kernels are deterministic).
 * - markEdge is set-based: a re-run re-adds the same member and sees the same count, so a child
 *   is enqueued at least once (possibly twice — harmless, see next) and never lost: whoever
 *   completes the set, or re-runs after crashing before the enqueue, enqueues it.
 * - A delivered task that is already done is acked without running, after re-doing the
 *   post-completion steps (temporaries), which are idempotent.
 * - completeTask is a compare-and-set: the terminal count counts each task once.
 * - A temporary is deleted only after all of its readers completed, and a reader that finds a
 *   block missing re-checks its own status (a duplicate of a finished task) before failing.
 * - The ack comes last: a crash anywhere before it makes the lease expire and the task run
 *   again; nothing before the ack is lost.
 *
 * Failure policy: a KernelError (deterministic: not positive definite, bad shapes) fails the job
 * at once naming the task; a transient StoreError releases the lease with backoff; after
 * `maxAttempts` deliveries the message is dead-lettered and the job fails naming the task and
 * its attempts. A message that cannot be parsed is dead-lettered and the executor goes on.
 */
import { bind, blockToString, parseTaskKey, taskKey, type BoundProgram, type Task, type Program } from '../../lang/index.ts';
import { loadKernels, type Attrs, type Block, type Kernels } from '../../kernels/index.ts';
import type { BlockStore, JobRecord, Lease, StateStore, TaskAttemptTrace, TaskQueue } from '../core/interfaces.ts';
import { LapwingError, StoreError, TaskError } from '../core/errors.ts';
import { blockKey, childNode, decodeMessage, encodeMessage, readersNode } from '../core/keys.ts';
import { readyPriority } from '../scheduling/priority.ts';

/** The named steps of the protocol, in order; fault injection crashes the executor at one. */
export const CRASH_POINTS = [
  'leased',
  'inputs-read',
  'kernel-done',
  'outputs-written',
  'edge-marked',
  'child-enqueued',
  'terminal-counted',
  'temps-collected',
  'acked',
] as const;
export type CrashPoint = (typeof CRASH_POINTS)[number];

export interface ExecutorOptions {
  readonly executorId: string;
  /** Exit after this long without a task. */
  readonly idleTimeoutMs: number;
  /** Exit (releasing nothing: no lease is held between tasks) after this long (Lambda: < 15 min). */
  readonly maxRuntimeMs?: number;
  /** Kernel backend when the job does not fix one ('auto' by default). */
  readonly kernels?: string;
  /** Lease visibility timeout; the lease is renewed around each kernel run. */
  readonly visibilityMs?: number;
  /** Long-polling wait of one lease call. */
  readonly pollMs?: number;
  /** Deliveries of a message before it is dead-lettered. */
  readonly maxAttempts?: number;
  /** Receives one record per task attempt (tracing). */
  readonly onTrace?: (t: TaskAttemptTrace) => void;
  /**
   * Fault injection, called at every crash point. It may kill the process or thread, throw
   * ExecutorCrash (the executor stops where it is: no further step, no ack), or return a
   * promise to stall the executor there.
   */
  readonly crash?: (point: CrashPoint, task: string) => void | Promise<void>;
  /**
   * Runs a kernel somewhere else (the local backend's kernel threads); default: in this thread
   * with the job's kernels.
   */
  readonly runKernel?: (name: string, inputs: readonly Block[], attrs: Attrs) => Promise<Block[]>;
  /**
   * Check the task is not done before writing its outputs. Needed where deleted blocks'
   * memory is reused (local backend): a late duplicate may have computed from inputs that were
   * deleted — and overwritten — after the task completed elsewhere; its outputs are dropped.
   * (Inputs of a task that is not done cannot have been deleted: deletion waits for all readers.)
   */
  readonly checkBeforeWrite?: boolean;
  /** Stops the loop after the current task. */
  readonly signal?: AbortSignal;
  /**
   * Tasks one executor works on at once (default 1). Kernels still run one at a time; more
   * slots overlap one task's store round trips with another's compute.
   */
  readonly concurrency?: number;
}

/** Thrown by a crash hook: the executor stops at once, as if its process had died. */
export class ExecutorCrash extends Error {
  constructor(readonly point: string) {
    super(`executor crashed at ${point}`);
    this.name = 'ExecutorCrash';
  }
}

export interface ExecutorStats {
  tasks: number;
  duplicates: number;
  errors: number;
}

export interface ExecutorBackend {
  readonly blocks: BlockStore;
  readonly queue: TaskQueue;
  readonly state: StateStore;
}

interface JobContext {
  readonly record: JobRecord;
  readonly bound: BoundProgram;
  readonly kernels: Kernels;
  /** Job status cache: checked at most every STATUS_TTL_MS. */
  running: boolean;
  checkedAt: number;
}

const STATUS_TTL_MS = 250;

/** Below this many flops a kernel runs inline rather than on a kernel thread (a 32×32 gemm). */
const INLINE_FLOPS = 65_536;
/** …and reads at most this many bytes (zero-flop kernels such as `copy` can still be big). */
const INLINE_BYTES = 64 * 1024;

/** Epoch milliseconds with sub-millisecond resolution (trace timestamps). */
const clock = (): number => performance.timeOrigin + performance.now();

/** Runs the executor loop until idle, out of time, or aborted. */
export async function runExecutor(backend: ExecutorBackend, options: ExecutorOptions): Promise<ExecutorStats> {
  const ex = new Executor(backend, options);
  return ex.loop();
}

class Executor {
  private readonly jobs = new Map<string, Promise<JobContext | null>>();
  /** Acks on their way (see ackLater). */
  private readonly acks = new Set<Promise<void>>();
  /** Set when a crash hook stopped this executor. */
  private crashed: ExecutorCrash | undefined;
  private readonly stats: ExecutorStats = { tasks: 0, duplicates: 0, errors: 0 };
  private readonly visibilityMs: number;
  private readonly maxAttempts: number;

  private readonly b: ExecutorBackend;

  constructor(backend: ExecutorBackend, private readonly o: ExecutorOptions) {
    // The stores retry their own retryable errors (at their edge); nothing here retries again.
    this.b = backend;
    this.visibilityMs = o.visibilityMs ?? 60_000;
    this.maxAttempts = o.maxAttempts ?? 5;
  }

  async loop(): Promise<ExecutorStats> {
    const start = Date.now();
    let lastWork = Date.now();
    const poll = this.o.pollMs ?? 1000;
    const slots = Math.max(1, this.o.concurrency ?? 1);
    const inflight = new Set<Promise<void>>();
    while (!this.o.signal?.aborted) {
      const now = Date.now();
      if (this.o.maxRuntimeMs !== undefined && now - start >= this.o.maxRuntimeMs) break;
      if (inflight.size === 0 && now - lastWork >= this.o.idleTimeoutMs) break;
      if (this.crashed) break;
      if (inflight.size >= slots) {
        await Promise.race(inflight);
        continue;
      }
      const wait = inflight.size > 0 ? 0 : Math.max(0, Math.min(poll, this.o.idleTimeoutMs - (now - lastWork)));
      const leases = await this.b.queue.lease(slots - inflight.size, this.visibilityMs, wait);
      if (leases.length === 0 && inflight.size > 0) {
        await Promise.race(inflight);
        continue;
      }
      for (const lease of leases) {
        const p: Promise<void> = this.process(lease)
          .catch((e: unknown) => {
            this.crashed ??= e instanceof ExecutorCrash ? e : new ExecutorCrash(String(e));
          })
          .finally(() => {
            inflight.delete(p);
            lastWork = Date.now();
          });
        inflight.add(p);
      }
      if (this.crashed) break;
    }
    // A crashed executor stops where it is: no waiting for its other tasks, no last acks.
    if (this.crashed) throw this.crashed;
    await Promise.all(inflight);
    await Promise.all(this.acks);
    if (this.crashed) throw this.crashed;
    return this.stats;
  }

  private async crash(point: CrashPoint, task: string): Promise<void> {
    const r = this.o.crash?.(point, task);
    if (r) await r;
  }

  private async job(jobId: string, fresh = false): Promise<JobContext | null> {
    let p = this.jobs.get(jobId);
    if (!p) {
      p = (async () => {
        const record = await this.b.state.getJob(jobId);
        if (!record) return null;
        const bound = bind(record.program as Program, record.args);
        const kernels = await loadKernels(record.kernels ?? this.o.kernels ?? 'auto');
        return { record, bound, kernels, running: record.status === undefined || record.status === 'running', checkedAt: Date.now() };
      })();
      this.jobs.set(jobId, p);
      p.catch(() => this.jobs.delete(jobId));
    }
    const ctx = await p;
    if (ctx && ctx.running && (fresh || Date.now() - ctx.checkedAt > STATUS_TTL_MS)) {
      const st = await this.b.state.getJobState(jobId);
      ctx.running = st?.status === 'running';
      ctx.checkedAt = Date.now();
    }
    return ctx;
  }

  /** Processes one leased message; never throws (errors become retries or job failures). */
  private async process(lease: Lease): Promise<void> {
    const msg = decodeMessage(lease.body);
    if (!msg) {
      await this.b.queue.deadLetter(lease, 'not a lapwing task message').catch(() => undefined);
      process.emitWarning(`lapwing executor ${this.o.executorId}: dead-lettered a malformed message`);
      return;
    }
    const t: { lease: number; read?: number; compute?: number; write?: number; mark?: number; ack?: number } = { lease: clock() };
    const trace = { bytesRead: 0, bytesWritten: 0, flops: 0, kernel: '?' };
    const emit = (outcome: TaskAttemptTrace['outcome'], error?: string): void => {
      this.o.onTrace?.({
        type: 'attempt', job: msg.j, task: msg.t, kernel: trace.kernel, executor: this.o.executorId,
        attempt: lease.receiveCount, t: { ...t }, bytesRead: trace.bytesRead, bytesWritten: trace.bytesWritten,
        flops: trace.flops, outcome, ...(error !== undefined ? { error } : {}),
      });
    };
    let ctx: JobContext | null = null;
    const keeper = this.keepLease(lease);
    try {
      // A message that may be a late duplicate checks the job's status afresh: the job may have
      // finished (and been cleaned up) within the status cache's lifetime.
      ctx = await this.job(msg.j, lease.receiveCount > 1 || msg.c === 1);
      if (!ctx || !ctx.running) {
        await this.b.queue.ack([lease]);
        emit('cancelled');
        return;
      }
      const task = parseTaskKey(msg.t);
      if (!ctx.bound.isValid(task)) {
        await this.b.queue.deadLetter(lease, `no such task ${msg.t}`);
        return;
      }
      await this.crash('leased', msg.t);
      const outcome = await this.runTask(ctx, task, msg.t, lease, t, trace, () => emit('ok'), msg.c === 1);
      if (outcome === 'ok') this.stats.tasks++;
      else {
        t.ack = clock();
        emit(outcome);
        this.stats.duplicates++;
      }
    } catch (e) {
      if (e instanceof ExecutorCrash) throw e;
      this.stats.errors++;
      await this.fail(ctx, msg.j, msg.t, lease, e, emit);
    } finally {
      clearInterval(keeper);
    }
  }

  /**
   * Heartbeat: renews the lease at half the visibility timeout for as long as the task runs
   * (NumPyWren stopped after three renewals, so long tasks ran twice). A failed renewal is not
   * an error here: the worst case is a duplicate run, which the protocol tolerates.
   */
  private keepLease(lease: Lease): NodeJS.Timeout {
    const t = setInterval(() => {
      this.b.queue.renew(lease, this.visibilityMs).catch(() => undefined);
    }, Math.max(10, this.visibilityMs / 2));
    t.unref();
    return t;
  }

  private async runTask(
    ctx: JobContext,
    task: Task,
    key: string,
    lease: Lease,
    t: { read?: number; compute?: number; write?: number; mark?: number; ack?: number },
    trace: { bytesRead: number; bytesWritten: number; flops: number; kernel: string },
    emitOk: () => void,
    check: boolean,
  ): Promise<'ok' | 'duplicate'> {
    const { bound, record } = ctx;
    const { blocks, queue, state } = this.b;
    const kernel = bound.kernel(task);
    trace.kernel = kernel.name;
    // A first delivery of an unflagged message is of a task that never ran: messages that may
    // be duplicates (from a re-run parent, a resumed driver) carry the check flag, and a rare
    // queue-level duplicate reruns idempotently. This saves a state read per task.
    const suspect = lease.receiveCount > 1 || check;
    if (suspect && (await state.isTaskDone(record.id, key))) {
      await this.collectTemps(ctx, task, key);
      await queue.ack([lease]);
      return 'duplicate';
    }

    // Read inputs. A missing block may mean this is a late duplicate of a finished task whose
    // temporaries were already collected: re-check before treating it as an error.
    const reads = bound.reads(task);
    const readKeys = reads.map((r) => this.key(record, r.matrix, r.idx));
    const missing: number[] = [];
    let inputs: Block[];
    try {
      inputs = await Promise.all(readKeys.map((k, i) => blocks.get(k).catch((e: unknown) => {
        if (e instanceof StoreError && e.code === 'NOT_FOUND') missing.push(i);
        throw e;
      })));
    } catch (e) {
      if (!(e instanceof StoreError && e.code === 'NOT_FOUND')) throw e;
      if (await state.isTaskDone(record.id, key)) {
        await queue.ack([lease]);
        return 'duplicate';
      }
      // Not a late duplicate: the block was never written (or is gone), and will not appear.
      const names = missing.map((i) => `${blockToString(reads[i]!)} (${readKeys[i]!})`).join(', ');
      throw new TaskError('MISSING_INPUT', `input block ${names} does not exist`, { cause: e });
    }
    // The same block read twice (syrk(C, A, A)) is one object, which lets kernels use symmetry.
    for (const b of inputs) trace.bytesRead += b.data.byteLength;
    t.read = clock();
    await this.crash('inputs-read', key);

    const call = ctx.kernels.prepare(kernel.name, inputs, kernel.attrs);
    trace.flops = call.flops;
    // Kernels too small to be worth a hop to a kernel thread run here (like Dask's inlining).
    const inline = trace.flops < INLINE_FLOPS && trace.bytesRead <= INLINE_BYTES;
    const outputs = this.o.runKernel && !inline
      ? await this.o.runKernel(kernel.name, inputs, kernel.attrs)
      : call.run(blocks.alloc);
    t.compute = clock();
    await this.crash('kernel-done', key);
    // A kernel blocks this thread's event loop, so the heartbeat cannot fire during it: renew
    // right after a long one.
    if (t.compute - t.read > this.visibilityMs / 4) await queue.renew(lease, this.visibilityMs).catch(() => false);

    if (this.o.checkBeforeWrite && ((await state.isTaskDone(record.id, key)) || (await state.getJobState(record.id))?.status !== 'running')) {
      await this.collectTemps(ctx, task, key);
      this.ackLater(lease, key);
      return 'duplicate';
    }
    const writes = bound.writes(task);
    if (writes.length !== outputs.length) {
      throw new TaskError('BAD_OUTPUTS', `kernel ${kernel.name} returned ${outputs.length} blocks for ${writes.length} outputs`);
    }
    await Promise.all(writes.map((w, i) => blocks.put(this.key(record, w.matrix, w.idx), outputs[i]!)));
    for (const o of outputs) trace.bytesWritten += o.data.byteLength;
    t.write = clock();
    await this.crash('outputs-written', key);

    // Mark edges; enqueue each child whose last parent this is.
    const children = bound.children(task);
    const ready: Task[] = [];
    await Promise.all(
      children.map(async (c) => {
        const ck = taskKey(c);
        const n = await state.markEdge(record.id, childNode(ck), key);
        await this.crash('edge-marked', key);
        if (n >= bound.parents(c).length) ready.push(c);
      }),
    );
    if (ready.length > 0) {
      await queue.send(ready.map((c) => ({ body: encodeMessage(record.id, taskKey(c), suspect), priority: readyPriority(bound.priority(c)) })));
      await this.crash('child-enqueued', key);
    }
    t.mark = clock();

    // Marking this task as a reader of its temporaries may go along with its completion;
    // deleting a temporary may not come before it (a rerun would find its input gone).
    const [, dead] = await Promise.all([
      state.completeTask(record.id, key, bound.isTerminal(task), { flops: trace.flops }).then(() => this.crash('terminal-counted', key)),
      this.markReaders(ctx, task, key),
    ]);
    if (dead.length > 0) await blocks.delete(dead);
    await this.crash('temps-collected', key);
    // The attempt's record goes out before the ack, so whoever sees the queue drained has
    // every record of the job's attempts.
    t.ack = clock();
    emitOk();
    this.ackLater(lease, key);
    return 'ok';
  }

  /**
   * The ack is the last step and nothing waits for its result, so it is not awaited here: it
   * travels with the next lease request. Lost, it only makes the task come back as a duplicate.
   */
  private ackLater(lease: Lease, key: string): void {
    const p: Promise<void> = this.b.queue
      .ack([lease])
      .then(() => this.crash('acked', key))
      .catch(() => undefined)
      .finally(() => this.acks.delete(p));
    this.acks.add(p);
  }

  /**
   * Adds a completed task to the reader set of each of its temporary inputs; returns the
   * blocks whose readers have now all completed.
   */
  private async markReaders(ctx: JobContext, task: Task, key: string): Promise<string[]> {
    const { bound, record } = ctx;
    const seen = new Set<string>();
    const dead: string[] = [];
    await Promise.all(
      bound.reads(task).map(async (r) => {
        if (bound.role(r.matrix) !== 'temp') return;
        const bk = this.key(record, r.matrix, r.idx);
        if (seen.has(bk)) return;
        seen.add(bk);
        const n = await this.b.state.markEdge(record.id, readersNode(bk), key);
        if (n >= bound.readers(r).length) dead.push(bk);
      }),
    );
    return dead;
  }

  /** Deletes each temporary input block of a completed task once all its readers completed. */
  private async collectTemps(ctx: JobContext, task: Task, key: string): Promise<void> {
    const dead = await this.markReaders(ctx, task, key);
    if (dead.length > 0) await this.b.blocks.delete(dead);
  }

  private key(record: JobRecord, matrix: string, idx: readonly number[]): string {
    const m = record.matrices[matrix];
    if (!m) throw new TaskError('UNBOUND_MATRIX', `matrix ${matrix} is not bound in job ${record.id}`);
    return blockKey(m.prefix, idx);
  }

  private async fail(
    ctx: JobContext | null,
    jobId: string,
    key: string,
    lease: Lease,
    e: unknown,
    emit: (o: TaskAttemptTrace['outcome'], error?: string) => void,
  ): Promise<void> {
    const { queue, state } = this.b;
    const message = e instanceof Error ? e.message : String(e);
    const what = ctx ? describeSafe(ctx.bound, key) : key;
    try {
      // Decided from the error's fields only. A LapwingError that is not retryable fails the
      // same way on every run (a kernel failure, a program error, a missing input): fail now.
      if (e instanceof LapwingError && !e.retryable) {
        await state.finishJob(jobId, 'failed', `task ${what} failed: ${message}`);
        await queue.ack([lease]);
        emit('error', message);
        return;
      }
      // A retryable error has used up the store's retries. Throttling slows a job and never
      // fails it: a throttled task is released without counting toward the dead letter. Any
      // other failure (a service that keeps erring, a crash) counts its deliveries.
      const throttled = e instanceof StoreError && e.code === 'THROTTLED';
      if (!throttled && lease.receiveCount >= this.maxAttempts) {
        await queue.deadLetter(lease, message);
        await state.finishJob(jobId, 'failed', `task ${what} failed after ${lease.receiveCount} attempts: ${message}`);
        emit('error', message);
        return;
      }
      // Transient: try again later, backing off with the number of attempts.
      await queue.release([lease], Math.min(10_000, 50 * 2 ** lease.receiveCount));
      emit('retry', message);
    } catch {
      // The lease will expire and the task will be redelivered: nothing is lost.
      emit('retry', message);
    }
  }
}

function describeSafe(bound: BoundProgram, key: string): string {
  try {
    return bound.describe(parseTaskKey(key));
  } catch {
    return key;
  }
}
