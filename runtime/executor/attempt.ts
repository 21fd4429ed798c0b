/**
 * One attempt at one leased task: the protocol of executor.ts, one method per step, in order.
 *
 *   skipIfDone → readInputs → compute → writeOutputs → enqueueChildren → complete → ack
 *
 * Each step returns normally to go on, or ends the attempt as a duplicate (the task already
 * completed elsewhere); errors go up to the executor, which decides (executor.ts: failure
 * policy). Crash points are hit where executor.ts's header places them.
 */
import { taskKey, blockToString, type BoundProgram, type Task } from '../../lang/index.ts';
import type { Attrs, Block, Kernels } from '../../kernels/index.ts';
import type { BlockStore, JobRecord, Lease, StateStore, TaskAttemptTrace, TaskQueue } from '../core/interfaces.ts';
import { StoreError, TaskError } from '../core/errors.ts';
import { blockKey, childNode, encodeMessage, readersNode, type TaskMessage } from '../core/keys.ts';
import { readyPriority } from '../scheduling/priority.ts';
import type { LeaseKeeper } from './lease-keeper.ts';

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

/** A job as executors see it: its record, its bound program and the kernels it runs. */
export interface JobContext {
  readonly record: JobRecord;
  readonly bound: BoundProgram;
  readonly kernels: Kernels;
  /** Job status cache (refreshed by the executor). */
  running: boolean;
  checkedAt: number;
}

/** What an attempt uses of the executor running it. */
export interface AttemptHost {
  readonly stores: { readonly blocks: BlockStore; readonly queue: TaskQueue; readonly state: StateStore };
  readonly keeper: LeaseKeeper;
  readonly visibilityMs: number;
  /** Check the task is not done before writing (see ExecutorOptions.checkBeforeWrite). */
  readonly checkBeforeWrite: boolean;
  /** Runs a kernel on another thread, when the executor has one. */
  readonly runKernel?: (name: string, inputs: readonly Block[], attrs: Attrs, ran?: KernelTimes) => Promise<Block[]>;
  /** Crash hook (fault injection) at a protocol step. */
  crash(point: CrashPoint, task: string): Promise<void>;
  /** Acks without waiting (the last step; see Executor.ackLater). */
  ackLater(lease: Lease, task: string): void;
}

/** Below this many flops a kernel runs inline rather than on a kernel thread (a 32×32 gemm). */
const INLINE_FLOPS = 65_536;
/** …and reads at most this many bytes (zero-flop kernels such as `copy` can still be big). */
const INLINE_BYTES = 64 * 1024;

/** Epoch milliseconds with sub-millisecond resolution (trace timestamps). */
export const clock = (): number => performance.timeOrigin + performance.now();

/** Timestamps of the protocol steps an attempt reached. */
/** Epoch milliseconds when a kernel run on another thread started and ended, filled in by `runKernel`. */
export interface KernelTimes {
  start?: number;
  end?: number;
}

type StepTimes = { -readonly [K in keyof TaskAttemptTrace['t']]: TaskAttemptTrace['t'][K] };

/** One attempt; see the module comment. */
export class Attempt {
  readonly times: StepTimes = { lease: clock() };
  bytesRead = 0;
  bytesWritten = 0;
  flops = 0;
  /** Kernel name, once known ('?' before). */
  kernel = '?';
  /** The parsed task (set by {@link run}). */
  private task!: Task;
  /**
   * The task may already have completed elsewhere: its message said so, it is a redelivery, or
   * its lease was lost. Then its status is checked before work, and its children's messages
   * carry the check flag.
   */
  private suspect: boolean;
  /** The lease keeper reported the lease lost. */
  private lost = false;

  constructor(
    private readonly host: AttemptHost,
    private readonly ctx: JobContext,
    readonly msg: TaskMessage,
    readonly lease: Lease,
  ) {
    // A first delivery of an unflagged message is of a task that never ran: messages that may
    // be duplicates (from a re-run parent, a resumed driver) carry the check flag, and a rare
    // queue-level duplicate reruns idempotently. This saves a state read per task.
    this.suspect = lease.receiveCount > 1 || msg.check;
  }

  /** The lease keeper reported this attempt's lease lost: another executor may run the task. */
  leaseLost(): void {
    this.lost = true;
    this.suspect = true;
  }

  /** Runs every step; `onOk` is called just before the ack of a completed task. */
  async run(task: Task, onOk: () => void): Promise<'ok' | 'duplicate'> {
    this.task = task;
    this.kernel = this.ctx.bound.kernel(task).name;
    if (await this.skipIfDone()) return 'duplicate';
    const inputs = await this.readInputs();
    if (!inputs) return 'duplicate';
    const outputs = await this.compute(inputs);
    if (!(await this.writeOutputs(outputs))) return 'duplicate';
    await this.enqueueChildren();
    await this.complete();
    // The attempt's record goes out before the ack, so whoever sees the queue drained has
    // every record of the job's attempts.
    this.times.ack = clock();
    onOk();
    this.host.ackLater(this.lease, this.msg.task);
    return 'ok';
  }

  /** A suspect task that already completed: redo the idempotent post-completion steps, ack. */
  private async skipIfDone(): Promise<boolean> {
    if (!this.suspect || !(await this.isDone())) return false;
    await this.collectTemps();
    await this.host.stores.queue.ack([this.lease]);
    return true;
  }

  /**
   * Reads the inputs; null when one is missing because this is a late duplicate of a finished
   * task whose temporaries were already collected. A missing input that is not explained so
   * will not appear on a retry: a TaskError fails the job.
   */
  private async readInputs(): Promise<Block[] | null> {
    const { record, bound } = this.ctx;
    const reads = bound.reads(this.task);
    const keys = reads.map((r) => this.key(r.matrix, r.idx));
    const missing: number[] = [];
    let inputs: Block[];
    // A block read twice (syrk(C, A, A)) is fetched once and passed as one object: one request
    // fewer, and kernels see the symmetry without comparing contents. (A task reads a few
    // blocks: indexOf beats a map here, on the path of every task.)
    const fetches: Promise<Block>[] = [];
    for (let i = 0; i < keys.length; i++) {
      const first = keys.indexOf(keys[i]!);
      fetches.push(first < i ? fetches[first]! : this.host.stores.blocks.get(keys[i]!).catch((e: unknown) => {
        if (e instanceof StoreError && e.code === 'NOT_FOUND') missing.push(i);
        throw e;
      }));
    }
    try {
      inputs = await Promise.all(fetches);
    } catch (e) {
      if (!(e instanceof StoreError && e.code === 'NOT_FOUND')) throw e;
      if (await this.isDone()) {
        await this.host.stores.queue.ack([this.lease]);
        return null;
      }
      const names = missing.map((i) => `${blockToString(reads[i]!)} (${keys[i]!})`).join(', ');
      throw new TaskError('MISSING_INPUT', `input block ${names} of job ${record.id} does not exist`, { cause: e });
    }
    for (let i = 0; i < inputs.length; i++) if (inputs.indexOf(inputs[i]!) === i) this.bytesRead += inputs[i]!.data.byteLength;
    this.times.read = clock();
    await this.host.crash('inputs-read', this.msg.task);
    return inputs;
  }

  /** Runs the kernel (here if small, else where the host runs kernels). */
  private async compute(inputs: Block[]): Promise<Block[]> {
    const { bound, kernels } = this.ctx;
    const k = bound.kernel(this.task);
    const call = kernels.prepare(k.name, inputs, k.attrs);
    this.flops = call.flops;
    // Kernels too small to be worth a hop to a kernel thread run here (like Dask's inlining).
    const inline = this.flops < INLINE_FLOPS && this.bytesRead <= INLINE_BYTES;
    const ran: KernelTimes = {};
    const outputs = this.host.runKernel && !inline
      ? await this.host.runKernel(k.name, inputs, k.attrs, ran)
      : call.run(this.host.stores.blocks.alloc);
    this.times.compute = clock();
    // The thread is shared by the executor's task slots: its own times tell kernel from waiting.
    if (ran.start !== undefined && ran.end !== undefined) {
      this.times.kernelStart = ran.start;
      this.times.kernelEnd = ran.end;
    }
    await this.host.crash('kernel-done', this.msg.task);
    // A kernel blocks this thread's event loop, so the keeper's timer cannot fire during it:
    // renew right after a long one.
    if (this.times.compute - (this.times.read ?? this.times.lease) > this.host.visibilityMs / 4) {
      if (!(await this.host.keeper.renewNow(this.lease))) this.leaseLost();
    }
    return outputs;
  }

  /**
   * Writes the outputs; false (after acking) when the task turns out to be done already. The
   * check runs where deleted blocks' memory is reused (a late duplicate may have computed from
   * overwritten inputs), and whenever the lease was lost.
   */
  private async writeOutputs(outputs: Block[]): Promise<boolean> {
    const { record, bound } = this.ctx;
    const { blocks, state } = this.host.stores;
    if ((this.host.checkBeforeWrite || this.lost) &&
      ((await this.isDone()) || (await state.getJobState(record.id))?.status !== 'running')) {
      await this.collectTemps();
      this.host.ackLater(this.lease, this.msg.task);
      return false;
    }
    const writes = bound.writes(this.task);
    if (writes.length !== outputs.length) {
      throw new TaskError('BAD_OUTPUTS', `kernel ${this.kernel} returned ${outputs.length} blocks for ${writes.length} outputs`);
    }
    await Promise.all(writes.map((w, i) => blocks.put(this.key(w.matrix, w.idx), outputs[i]!)));
    for (const o of outputs) this.bytesWritten += o.data.byteLength;
    this.times.write = clock();
    await this.host.crash('outputs-written', this.msg.task);
    return true;
  }

  /** Marks this task done in each child's parent set; enqueues each child whose last parent it is. */
  private async enqueueChildren(): Promise<void> {
    const { record, bound } = this.ctx;
    const { queue, state } = this.host.stores;
    const ready: Task[] = [];
    await Promise.all(
      bound.children(this.task).map(async (c) => {
        const n = await state.markEdge(record.id, childNode(taskKey(c)), this.msg.task);
        await this.host.crash('edge-marked', this.msg.task);
        if (n >= bound.parents(c).length) ready.push(c);
      }),
    );
    if (ready.length > 0) {
      await queue.send(ready.map((c) => ({ body: encodeMessage(record.id, taskKey(c), this.suspect), priority: readyPriority(bound.priority(c)) })));
      await this.host.crash('child-enqueued', this.msg.task);
    }
    this.times.mark = clock();
  }

  /**
   * Completes the task (counting it if terminal) and collects its temporary inputs. Marking
   * this task as a reader may go along with its completion; deleting a temporary may not come
   * before it (a rerun would find its input gone).
   */
  private async complete(): Promise<void> {
    const { record, bound } = this.ctx;
    const [, dead] = await Promise.all([
      this.host.stores.state.completeTask(record.id, this.msg.task, bound.isTerminal(this.task), { flops: this.flops })
        .then(() => this.host.crash('terminal-counted', this.msg.task)),
      this.markReaders(),
    ]);
    if (dead.length > 0) await this.host.stores.blocks.delete(dead);
    await this.host.crash('temps-collected', this.msg.task);
  }

  private isDone(): Promise<boolean> {
    return this.host.stores.state.isTaskDone(this.ctx.record.id, this.msg.task);
  }

  /**
   * Adds this (completed) task to the reader set of each of its temporary inputs; returns the
   * blocks whose readers have now all completed.
   */
  private async markReaders(): Promise<string[]> {
    const { bound, record } = this.ctx;
    const seen = new Set<string>();
    const dead: string[] = [];
    await Promise.all(
      bound.reads(this.task).map(async (r) => {
        if (bound.role(r.matrix) !== 'temp') return;
        const bk = this.key(r.matrix, r.idx);
        if (seen.has(bk)) return;
        seen.add(bk);
        const readers = bound.readers(r).length;
        // A block read by this task alone needs no reader set: its one reader completes now.
        const n = readers <= 1 ? readers : await this.host.stores.state.markEdge(record.id, readersNode(bk), this.msg.task);
        if (n >= readers) dead.push(bk);
      }),
    );
    return dead;
  }

  /** Deletes each temporary input block of a completed task once all its readers completed. */
  private async collectTemps(): Promise<void> {
    const dead = await this.markReaders();
    if (dead.length > 0) await this.host.stores.blocks.delete(dead);
  }

  private key(matrix: string, idx: readonly number[]): string {
    const m = this.ctx.record.matrices[matrix];
    if (!m) throw new TaskError('UNBOUND_MATRIX', `matrix ${matrix} is not bound in job ${this.ctx.record.id}`);
    return blockKey(m.prefix, idx);
  }
}
