/**
 * The four interfaces every backend implements (local: in-process / worker threads;
 * aws: S3, SQS, DynamoDB, Lambda). The executor and driver are written against these only.
 *
 * Contract highlights (checked by the contract suites in test/contract/, run per backend):
 * - BlockStore.put overwrites (a task that runs twice writes the same bytes); get of a missing
 *   key throws StoreError('NOT_FOUND'); delete ignores missing keys.
 * - TaskQueue has SQS semantics: at-least-once delivery; a leased message is invisible until
 *   its visibility timeout expires, then visible again with receiveCount + 1; ack deletes it.
 * - StateStore.markEdge is set-based and atomic: adding a member that is already in the set
 *   changes nothing and returns the same size. completeTask is a compare-and-set: it succeeds
 *   once per task, and counts the task as terminal in the same atomic step.
 */
import type { Block, Allocator } from '../../kernels/types.ts';

export type { Block, Allocator };

// ---------------------------------------------------------------------------------------------
// Errors translated at the edge: backends throw only StoreError for storage conditions
// (defined with the rest of the hierarchy in errors.ts).

export { StoreError, type StoreErrorCode } from './errors.ts';

// ---------------------------------------------------------------------------------------------

/** Blocks by key. Keys are built by runtime/keys.ts and never contain raw user strings. */
export interface BlockStore {
  get(key: string): Promise<Block>;
  /** Overwrite-safe: writing the same key twice leaves the last (identical) value. */
  put(key: string, block: Block): Promise<void>;
  /** Deletes keys; missing keys are ignored. */
  delete(keys: readonly string[]): Promise<void>;
  /** Keys starting with `prefix` (for garbage-collection checks and cleanup). */
  list(prefix: string): Promise<string[]>;
  /** Optional allocator whose blocks this store can keep without copying (shared memory). */
  readonly alloc?: Allocator;
}

export interface QueueMessage {
  readonly body: string;
  /** Higher runs first. Backends may bucket priorities (e.g. a few SQS queues). */
  readonly priority: number;
}

export interface Lease {
  /** Opaque handle for renew/ack/release (an SQS receipt handle). */
  readonly handle: string;
  readonly body: string;
  /** 1 on first delivery. */
  readonly receiveCount: number;
}

export interface QueueDepth {
  readonly visible: number;
  readonly inFlight: number;
}

/** A message leased right now, and for how long (speculation looks for stragglers). */
export interface InFlightMessage {
  readonly body: string;
  readonly leasedMs: number;
}

/**
 * What a queue that can see its own leases offers (SQS cannot list in-flight messages, the AWS
 * backend's executor heartbeats stand in; the in-process queue can). The driver backs up
 * stragglers only on a queue that has it.
 */
export interface LeaseWatch {
  /** Messages leased right now. */
  inFlight(): InFlightMessage[];
  /** Calls `listener` on every ack with the body and how long its lease ran; returns the unsubscribe. */
  onAck(listener: (body: string, leaseMs: number) => void): () => void;
}

/** A task queue with leases and SQS semantics. */
export interface TaskQueue {
  send(messages: readonly QueueMessage[]): Promise<void>;
  /** Leases up to `max` messages, waiting up to `waitMs` for the first (long polling). */
  lease(max: number, visibilityMs: number, waitMs: number): Promise<Lease[]>;
  /** Extends a lease; false if it was lost (expired and re-leased, or acked). */
  renew(lease: Lease, visibilityMs: number): Promise<boolean>;
  ack(leases: readonly Lease[]): Promise<void>;
  /** Makes leased messages visible again after `delayMs` (0: at once). */
  release(leases: readonly Lease[], delayMs: number): Promise<void>;
  /** Moves a message that cannot be processed to the dead-letter queue. */
  deadLetter(lease: Lease, reason: string): Promise<void>;
  depth(): Promise<QueueDepth>;
  /**
   * Optional: drops every message of job `jobId` at once (job cleanup). Without it, messages of
   * a finished job are dropped by the executors that lease them (they find the job gone).
   */
  purgeJob?(jobId: string): Promise<number>;
  /** Optional: the queue's view of its leases (see {@link LeaseWatch}). */
  readonly leases?: LeaseWatch;
}

export type JobStatus = 'running' | 'done' | 'failed' | 'cancelled';

/** Everything an executor needs to run tasks of a job; stored once in the state store. */
export interface JobRecord {
  readonly id: string;
  /** Compiled program IR (lang's `Program`, JSON). */
  readonly program: unknown;
  /** Integer arguments of the program. */
  readonly args: Readonly<Record<string, number>>;
  /** Block-key prefix of each matrix parameter. */
  readonly matrices: Readonly<Record<string, MatrixBinding>>;
  /** Number of terminal tasks: the job is done when this many completed. */
  readonly terminalTasks: number;
  readonly createdAt: number;
  /** Kernel backend the executors must use ('auto' resolves per executor). */
  readonly kernels: string;
  readonly status?: JobStatus;
  readonly error?: string;
}

export interface MatrixBinding {
  readonly role: 'in' | 'out' | 'temp';
  /** Key prefix; block (i, j, …) lives at `${prefix}/${i}_${j}_…`. */
  readonly prefix: string;
}

/** Statistics a task reports when it completes. */
export interface TaskStats {
  readonly flops: number;
}

export interface JobState {
  readonly status: JobStatus;
  readonly error?: string;
  readonly terminalDone: number;
  /** Includes `tasks` (completed tasks) and `flops` (their flops), kept by completeTask. */
  readonly counters: Readonly<Record<string, number>>;
}

/** Task and job state with compare-and-set and set-based edge marking. */
export interface StateStore {
  putJob(job: JobRecord): Promise<void>;
  getJob(jobId: string): Promise<JobRecord | null>;
  getJobState(jobId: string): Promise<JobState | null>;
  /**
   * Optional: the job's status alone, cheaper than getJobState where counters are spread over
   * several items; it may lag a finishJob by a moment. Executors poll it; absent, getJobState.
   */
  getJobStatus?(jobId: string): Promise<Pick<JobState, 'status' | 'error'> | null>;
  /** running → done | failed | cancelled; the first call wins (first error is kept). */
  finishJob(jobId: string, status: Exclude<JobStatus, 'running'>, error?: string): Promise<boolean>;
  /** True if the task completed (completeTask succeeded). */
  isTaskDone(jobId: string, task: string): Promise<boolean>;
  /**
   * Marks the task done (once); in the same atomic step increments the job's `tasks` counter,
   * its terminal count if `terminal`, and its `flops` counter by `stats.flops`.
   * Returns false if it was already done (nothing changes then).
   */
  completeTask(jobId: string, task: string, terminal: boolean, stats?: TaskStats): Promise<boolean>;
  /**
   * Adds `member` to the set `node` (a child task, or a block's reader set) and returns the
   * set's size afterwards. Idempotent: re-adding returns the same size. One atomic operation.
   */
  markEdge(jobId: string, node: string, member: string): Promise<number>;
  /** Adds `by` to a named counter (statistics only: not idempotent). */
  incr(jobId: string, counter: string, by: number): Promise<void>;
  /**
   * Removes the job: afterwards every read sees no job (getJob, getJobState null; isTaskDone
   * false) and completeTask, finishJob, incr change nothing. A backend may leave per-task items
   * to expire on their own (DynamoDB's TTL) rather than enumerate them.
   */
  deleteJob(jobId: string): Promise<void>;
  /**
   * Optional, for stores in the driver's process: resolves when the job may have ended (its
   * status changed or its last terminal task completed) or after `timeoutMs`, so that the
   * driver waits for the end instead of polling. Absent, the driver polls.
   */
  jobChanged?(jobId: string, timeoutMs: number): Promise<void>;
}

/** Starts executors (worker threads, processes, Lambda invocations). */
export interface ExecutorLauncher {
  launch(count: number): Promise<void>;
  /**
   * Most executors it runs at once, if it has a limit (the local backend: what the machine's
   * cores can use); `launch` starts no more than that.
   */
  readonly maxExecutors?: number;
  /** Executors currently running (as far as the launcher knows). */
  running(): number;
  /** Stops all executors it started (best effort) and releases resources. */
  close(): Promise<void>;
  /** Optional: ids of the running executors (fault experiments pick victims among them). */
  ids?(): string[];
  /**
   * Optional: kills one executor at once, as a crash would (no cleanup, no ack: its leases
   * expire). False if no such executor runs. Launchers of remote executors (Lambda) lack it.
   */
  kill?(executorId: string): Promise<boolean>;
  /**
   * Optional: resolves when every executor launched so far can lease tasks (or has ended), for
   * launchers whose `launch` resolves before that (child processes still loading).
   */
  ready?(): Promise<void>;
  /**
   * Optional: start executors as work arrives instead of all at once. From now on the launcher
   * keeps up to `count` executors (within `maxExecutors`), launching one whenever the queue
   * holds more tasks (ready or running) than executors were launched, and replacing executors
   * that die while work remains. A launch that fails is passed to `onError`. A later `launch`
   * still starts executors at once (to have them warm before a timed job).
   */
  launchOnDemand?(count: number, onError: (e: Error) => void): void;
}

/**
 * How often the driver looks at a backend: in-process stores answer in microseconds and can
 * be polled often; remote ones cost a request (and money) per look.
 */
export interface BackendTimings {
  /** Job-state polling interval while a job runs. */
  readonly pollMs: number;
  /** Least time between two autoscaling decisions. */
  readonly scaleEveryMs: number;
  /** Least time between two progress reports (and queue samples). */
  readonly reportEveryMs: number;
  /** Queue polling interval while the last in-flight tasks drain. */
  readonly drainPollMs: number;
}

/** Timings of in-process backends. */
export const LOCAL_TIMINGS: BackendTimings = { pollMs: 5, scaleEveryMs: 100, reportEveryMs: 250, drainPollMs: 2 };
/** Timings of backends whose stores are a network round trip away. */
export const REMOTE_TIMINGS: BackendTimings = { pollMs: 100, scaleEveryMs: 1000, reportEveryMs: 1000, drainPollMs: 200 };

/**
 * A backend bundles one of each, and declares what the driver needs to know about it: a
 * backend is never recognised by its name.
 */
export interface Backend {
  /** For messages and traces only. */
  readonly name: string;
  readonly blocks: BlockStore;
  readonly queue: TaskQueue;
  readonly state: StateStore;
  readonly launcher: ExecutorLauncher;
  /** Executors to keep running when the caller names no number (e.g. one per core locally). */
  readonly defaultWorkers: number;
  readonly timings: BackendTimings;
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Tracing: one record per task attempt, plus periodic samples.

export type AttemptOutcome = 'ok' | 'duplicate' | 'error' | 'retry' | 'cancelled' | 'crashed';

export interface TaskAttemptTrace {
  readonly type: 'attempt';
  readonly job: string;
  readonly task: string;
  readonly kernel: string;
  readonly executor: string;
  readonly attempt: number;
  /** Epoch milliseconds of each protocol step (absent when not reached). */
  readonly t: {
    readonly lease: number;
    readonly read?: number;
    readonly compute?: number;
    readonly write?: number;
    readonly mark?: number;
    readonly ack?: number;
    /**
     * When the kernel itself started and ended, where it runs on a thread shared by the
     * executor's task slots (local kernel threads): between `read` and `compute`, the rest is
     * waiting for the thread. Absent elsewhere (the compute phase is then the kernel's time).
     */
    readonly kernelStart?: number;
    readonly kernelEnd?: number;
  };
  readonly bytesRead: number;
  readonly bytesWritten: number;
  readonly flops: number;
  readonly outcome: AttemptOutcome;
  readonly error?: string;
}

export interface SampleTrace {
  readonly type: 'sample';
  readonly time: number;
  readonly queueVisible: number;
  readonly queueInFlight: number;
  readonly executors: number;
  readonly tasksDone: number;
}

export type TraceRecord = TaskAttemptTrace | SampleTrace;
