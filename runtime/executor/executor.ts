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
 * Lease keeping: one lease keeper per executor (lease-keeper.ts) renews every held lease in one
 * timer, and renews at once after a long kernel (kernels block the event loop). A lease it
 * reports lost makes the attempt a possible duplicate: before writing outputs it checks that
 * the task is not done, and the messages of its children carry the check flag.
 *
 * Failure policy, decided from the error's fields (core/errors.ts), never from its message:
 * - a LapwingError that is not retryable (a kernel failure such as not positive definite, a
 *   program error found only at run time — an evaluation error, an SSA violation —, an input
 *   block that does not exist and is not explained by the task being a late duplicate) fails
 *   the job at once, naming the task, its kernel and the cause;
 * - a throttled store call (THROTTLED after the store's own retries) releases the lease with
 *   backoff and never counts toward the dead letter: throttling slows a job, it does not fail it;
 * - anything else (a store that keeps erring, an unexpected error) releases the lease with
 *   backoff, and after `maxAttempts` deliveries the message is dead-lettered and the job fails
 *   naming the task and its attempts;
 * - a delivery past `maxAttempts` of a task that is not done fails the job before running: every
 *   earlier attempt ended with neither an ack nor a caught error, so its executor died (out of
 *   memory, out of time) and running it again would only kill another one. For this count to
 *   mean deaths, a throttled attempt is not released but replaced by a fresh copy of its message
 *   (delivery count 1, the check flag set).
 * A message that cannot be parsed is dead-lettered and the executor goes on.
 *
 * The steps of one attempt are the methods of `Attempt` (attempt.ts).
 */
import { bind, parseTaskKey, type BoundProgram, type Program } from '../../lang/index.ts';
import { loadKernels, type Attrs, type Block } from '../../kernels/index.ts';
import type { BlockStore, Lease, StateStore, TaskAttemptTrace, TaskQueue } from '../core/interfaces.ts';
import { LapwingError, StoreError } from '../core/errors.ts';
import { decodeMessage, encodeMessage, type TaskMessage } from '../core/keys.ts';
import { readyPriority } from '../scheduling/priority.ts';
import { Attempt, clock, CRASH_POINTS, type AttemptHost, type CrashPoint, type JobContext, type KernelTimes } from './attempt.ts';
export type { KernelTimes } from './attempt.ts';
import { LeaseKeeper } from './lease-keeper.ts';
import { JobCache } from './job-cache.ts';
import { errorMessage } from '../core/util.ts';

export { CRASH_POINTS, type CrashPoint };

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
  readonly runKernel?: (name: string, inputs: readonly Block[], attrs: Attrs, ran?: KernelTimes) => Promise<Block[]>;
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
  /**
   * Jobs read by earlier executors of this process or container (default: this executor's
   * own). A job's record never changes once written; its status is checked as ever.
   */
  readonly jobCache?: ExecutorJobCache;
}

/** The jobs executors share through {@link ExecutorOptions.jobCache}. */
export type ExecutorJobCache = JobCache<Promise<JobContext | null>>;
export { JobCache };

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

const STATUS_TTL_MS = 250;

/** Runs the executor loop until idle, out of time, or aborted. */
export async function runExecutor(backend: ExecutorBackend, options: ExecutorOptions): Promise<ExecutorStats> {
  const ex = new Executor(backend, options);
  return ex.loop();
}

class Executor implements AttemptHost {
  private readonly jobs: ExecutorJobCache;
  /** Acks on their way (see ackLater). */
  private readonly acks = new Set<Promise<void>>();
  /** Set when a crash hook stopped this executor. */
  private crashed: ExecutorCrash | undefined;
  private readonly stats: ExecutorStats = { tasks: 0, duplicates: 0, errors: 0 };
  /** Attempts in progress, by lease handle (the keeper reports lost leases by handle). */
  private readonly attempts = new Map<string, Attempt>();
  private readonly maxAttempts: number;
  readonly visibilityMs: number;
  readonly keeper: LeaseKeeper;
  readonly checkBeforeWrite: boolean;
  readonly runKernel?: (name: string, inputs: readonly Block[], attrs: Attrs, ran?: KernelTimes) => Promise<Block[]>;

  /** The stores retry their own retryable errors (at their edge); nothing here retries again. */
  constructor(readonly stores: ExecutorBackend, private readonly o: ExecutorOptions) {
    this.visibilityMs = o.visibilityMs ?? 60_000;
    this.maxAttempts = o.maxAttempts ?? 5;
    this.checkBeforeWrite = o.checkBeforeWrite ?? false;
    this.jobs = o.jobCache ?? new JobCache(Infinity);
    if (o.runKernel) this.runKernel = o.runKernel;
    this.keeper = new LeaseKeeper({
      queue: stores.queue,
      visibilityMs: this.visibilityMs,
      onLost: (lease) => this.attempts.get(lease.handle)?.leaseLost(),
    });
  }

  async loop(): Promise<ExecutorStats> {
    try {
      return await this.leaseLoop();
    } finally {
      this.keeper.stop();
    }
  }

  private async leaseLoop(): Promise<ExecutorStats> {
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
      const leases = await this.stores.queue.lease(slots - inflight.size, this.visibilityMs, wait);
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

  async crash(point: CrashPoint, task: string): Promise<void> {
    const r = this.o.crash?.(point, task);
    if (r) await r;
  }

  private async job(jobId: string, fresh = false): Promise<JobContext | null> {
    let p = this.jobs.get(jobId);
    if (!p) {
      p = (async () => {
        const record = await this.stores.state.getJob(jobId);
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
      // A fresh check must see a finishJob at once; the periodic one may take the cheap read.
      const { state } = this.stores;
      const st = fresh || !state.getJobStatus ? await state.getJobState(jobId) : await state.getJobStatus(jobId);
      ctx.running = st?.status === 'running';
      ctx.checkedAt = Date.now();
    }
    return ctx;
  }

  /** Processes one leased message; throws only ExecutorCrash (errors become retries or job failures). */
  private async process(lease: Lease): Promise<void> {
    const msg = decodeMessage(lease.body);
    if (!msg) {
      await this.stores.queue.deadLetter(lease, 'not a lapwing task message').catch(() => undefined);
      process.emitWarning(`lapwing executor ${this.o.executorId}: dead-lettered a malformed message`);
      return;
    }
    const leasedAt = clock();
    let attempt: Attempt | null = null;
    const emit = (outcome: TaskAttemptTrace['outcome'], error?: string): void => {
      const a = attempt;
      this.o.onTrace?.({
        type: 'attempt', job: msg.job, task: msg.task, kernel: a?.kernel ?? '?', executor: this.o.executorId,
        attempt: lease.receiveCount, t: a ? { ...a.times } : { lease: leasedAt },
        bytesRead: a?.bytesRead ?? 0, bytesWritten: a?.bytesWritten ?? 0, flops: a?.flops ?? 0,
        outcome, ...(error !== undefined ? { error } : {}),
      });
    };
    let ctx: JobContext | null = null;
    this.keeper.hold(lease);
    try {
      // A message that may be a late duplicate checks the job's status afresh: the job may have
      // finished (and been cleaned up) within the status cache's lifetime.
      ctx = await this.job(msg.job, lease.receiveCount > 1 || msg.check);
      if (!ctx || !ctx.running) {
        await this.stores.queue.ack([lease]);
        emit('cancelled');
        return;
      }
      const task = parseTaskKey(msg.task);
      if (!ctx.bound.isValid(task)) {
        await this.stores.queue.deadLetter(lease, `no such task ${msg.task}`);
        return;
      }
      if (lease.receiveCount > this.maxAttempts && !(await this.stores.state.isTaskDone(msg.job, msg.task))) {
        const why = `its executor stopped during each of ${lease.receiveCount - 1} attempts (out of memory or time?)`;
        await this.stores.state.finishJob(msg.job, 'failed', `task ${describeTask(ctx.bound, msg.task, undefined)} failed: ${why}`);
        await this.stores.queue.deadLetter(lease, why);
        emit('error', why);
        return;
      }
      attempt = new Attempt(this, ctx, msg, lease);
      attempt.times.lease = leasedAt;
      this.attempts.set(lease.handle, attempt);
      await this.crash('leased', msg.task);
      const outcome = await attempt.run(task, () => emit('ok'));
      if (outcome === 'ok') this.stats.tasks++;
      else {
        attempt.times.ack = clock();
        emit(outcome);
        this.stats.duplicates++;
      }
    } catch (e) {
      if (e instanceof ExecutorCrash) throw e;
      this.stats.errors++;
      await this.fail(ctx, msg, lease, e, attempt?.kernel, emit);
    } finally {
      this.attempts.delete(lease.handle);
      this.keeper.release(lease);
    }
  }

  /**
   * The ack is the last step and nothing waits for its result, so it is not awaited here: it
   * travels with the next lease request. Lost, it only makes the task come back as a duplicate.
   */
  ackLater(lease: Lease, task: string): void {
    const p: Promise<void> = this.stores.queue
      .ack([lease])
      .then(() => this.crash('acked', task))
      .catch(() => undefined)
      .finally(() => this.acks.delete(p));
    this.acks.add(p);
  }

  /** Decides what a failed attempt means (see the failure policy in the module comment). */
  private async fail(
    ctx: JobContext | null,
    msg: TaskMessage,
    lease: Lease,
    e: unknown,
    kernel: string | undefined,
    emit: (o: TaskAttemptTrace['outcome'], error?: string) => void,
  ): Promise<void> {
    const { queue, state } = this.stores;
    const message = errorMessage(e);
    const what = describeTask(ctx?.bound, msg.task, kernel);
    try {
      if (e instanceof LapwingError && !e.retryable) {
        await state.finishJob(msg.job, 'failed', `task ${what} failed: ${message}`);
        await queue.ack([lease]);
        emit('error', message);
        return;
      }
      const throttled = e instanceof StoreError && e.code === 'THROTTLED';
      if (!throttled && lease.receiveCount >= this.maxAttempts) {
        await queue.deadLetter(lease, message);
        await state.finishJob(msg.job, 'failed', `task ${what} failed after ${lease.receiveCount} attempts: ${message}`);
        emit('error', message);
        return;
      }
      if (throttled && ctx) {
        // A fresh copy instead of a release, so that throttling never adds to the delivery
        // count (which counts dead executors, see above). The store's own retries already
        // backed off; the copy may be a duplicate of work done, hence the check flag.
        await queue.send([{ body: encodeMessage(msg.job, msg.task, true), priority: readyPriority(ctx.bound.priority(parseTaskKey(msg.task))) }]);
        await queue.ack([lease]);
        emit('retry', message);
        return;
      }
      // Try again later, backing off with the number of deliveries.
      await queue.release([lease], Math.min(10_000, 50 * 2 ** lease.receiveCount));
      emit('retry', message);
    } catch {
      // The lease will expire and the task will be redelivered: nothing is lost.
      emit('retry', message);
    }
  }
}

/**
 * The task as a failure message names it: its kernel, the blocks it writes and reads, and its
 * loop variables; when the program cannot even say that (the failure is in evaluating the
 * task's accesses), the kernel and the task key.
 */
function describeTask(bound: BoundProgram | undefined, key: string, kernel: string | undefined): string {
  if (!bound) return key;
  try {
    return bound.describe(parseTaskKey(key));
  } catch {
    let k = kernel;
    try {
      k ??= bound.kernel(parseTaskKey(key)).name;
    } catch {
      // no kernel either
    }
    return k === undefined || k === '?' ? `[${key}]` : `${k} [${key}]`;
  }
}
