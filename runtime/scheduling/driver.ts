/**
 * The driver: binds a program to matrices, records the job in the state store, enqueues the
 * starter tasks, makes sure executors run, waits until every terminal task completed (or the
 * job failed), then cleans up everything of the job but its outputs.
 *
 * The driver holds no state the executors need: the job record, task states and edges live in
 * the state store, so a driver that dies can be replaced (`resume`).
 */
import { sampleIntervalMs } from '../tracing/sampling.ts';
import { bind, params, parseTaskKey, statementCount, taskKey, type BoundProgram, type Program } from '../../lang/index.ts';
import { LapwingError } from '../core/errors.ts';
import type { Backend, ExecutorLauncher, JobRecord, JobState, MatrixBinding, SampleTrace } from '../core/interfaces.ts';
import { decodeMessage, encodeMessage, jobPrefix, newJobId, outputPrefix, tempPrefix } from '../core/keys.ts';
import { decide, type ScalePolicy } from './autoscaler.ts';
import { READY_BASE, STARTER_PRIORITY } from './priority.ts';
import { speculate, type Speculation, type SpeculationPolicy } from './speculation.ts';
import { sleep } from '../core/util.ts';

export interface JobSpec {
  readonly program: Program;
  /** Integer arguments of the program. */
  readonly args: Readonly<Record<string, number>>;
  /** Key prefix of every `in` matrix (a BlockMatrix's prefix). */
  readonly inputs: Readonly<Record<string, string>>;
  /** Key prefix of `out` matrices (default: under the job's prefix). */
  readonly outputs?: Readonly<Record<string, string>>;
  /** Kernel backend executors use ('auto' by default). */
  readonly kernels?: string;
}

export interface JobProgress {
  readonly jobId: string;
  readonly tasksDone: number;
  readonly terminalDone: number;
  readonly terminalTasks: number;
  /** Tasks of the whole DAG (each counted once). */
  readonly totalTasks: number;
  readonly flops: number;
  readonly elapsedS: number;
  readonly executors: number;
  readonly queueVisible: number;
  readonly queueInFlight: number;
}

export interface RunOptions {
  /** Executors to keep running (default: the backend's own default, e.g. one per core). */
  readonly workers?: number;
  /** State polling interval (default: the backend's `timings.pollMs`). */
  readonly pollMs?: number;
  /** Called about every 250 ms and once at the end. */
  readonly onProgress?: (p: JobProgress) => void;
  /** Receives queue-depth/executor samples for traces. */
  readonly onSample?: (s: SampleTrace) => void;
  readonly signal?: AbortSignal;
  /** Keep the job's state items after the run (debugging). */
  readonly keepState?: boolean;
  /** Preassigned job id (tests, resume). */
  readonly jobId?: string;
  /** Autoscaling policy (default: keep exactly `workers` executors, replacing any that die). */
  readonly scale?: ScalePolicy;
  /**
   * Speculative backups of stragglers (needs a queue that can see its in-flight messages: the
   * local one, or SQS through the AWS executors' heartbeats). Off by default.
   */
  readonly speculate?: SpeculationPolicy;
}

export interface JobResult {
  readonly jobId: string;
  readonly status: 'done' | 'failed' | 'cancelled';
  readonly error?: string;
  readonly wallS: number;
  /** Completed tasks (each counted once, however often it ran). */
  readonly tasks: number;
  readonly flops: number;
  /** Key prefix of each `out` matrix. */
  readonly outputs: Readonly<Record<string, string>>;
  /** Backup copies enqueued for stragglers. */
  readonly speculated: number;
}

/** A job failed: the message names the task and the reason. */
export class JobFailedError extends LapwingError {
  declare readonly code: 'JOB_FAILED';
  constructor(readonly jobId: string, message: string) {
    super('JOB_FAILED', message, { userFacing: true });
    this.name = 'JobFailedError';
  }
}

const STARTER_BATCH = 512;

/** Runs one job to completion on `backend`. Does not throw for a failed job: see `status`. */
export async function runJob(backend: Backend, spec: JobSpec, opts: RunOptions = {}): Promise<JobResult> {
  const t0 = performance.now();
  const jobId = opts.jobId ?? newJobId();
  const bound = bind(spec.program, spec.args);
  const matrices = bindMatrices(jobId, spec);
  const record: JobRecord = {
    id: jobId,
    program: spec.program,
    args: spec.args,
    matrices,
    terminalTasks: bound.terminalCount(),
    createdAt: Date.now(),
    kernels: spec.kernels ?? 'auto',
  };
  await backend.state.putJob(record);
  const scale = await provideExecutors(backend, jobId, opts);
  await enqueueStarters(backend, jobId, bound);
  const totalTasks = countTasks(bound);
  return await waitForJob(backend, record, t0, { ...opts, ...(scale ? { scale } : {}) }, totalTasks);
}

/**
 * Continues a job whose driver died: the job's state lives in the state store, and the tasks
 * that were ready are still in the queue, so resuming means re-enqueueing the starters (the
 * dead driver may not have sent them all; messages flagged so that finished ones are skipped),
 * making sure executors run, and waiting as the first driver would have.
 */
export async function resumeJob(backend: Backend, jobId: string, opts: RunOptions = {}): Promise<JobResult> {
  const t0 = performance.now();
  const record = await backend.state.getJob(jobId);
  if (!record) throw new JobFailedError(jobId, `job ${jobId} not found in the state store (finished jobs are cleaned up)`);
  const bound = bind(record.program as Program, record.args);
  const scale = await provideExecutors(backend, jobId, opts);
  if (record.status === undefined || record.status === 'running') await enqueueStarters(backend, jobId, bound, true);
  return await waitForJob(backend, record, t0, { ...opts, ...(scale ? { scale } : {}) }, countTasks(bound));
}

/** Stops a job: later deliveries of its tasks are dropped, its temporaries and state removed. */
export async function cancelJob(backend: Backend, jobId: string): Promise<boolean> {
  const record = await backend.state.getJob(jobId);
  if (!record) return false;
  const changed = await backend.state.finishJob(jobId, 'cancelled', 'cancelled by the user');
  await drain(backend);
  await cleanup(backend, record, false, false);
  return changed;
}

/** Tasks in the DAG, from closed-form loop counts (no enumeration of the DAG). */
export function countTasks(bound: BoundProgram): number {
  let n = 0;
  for (let s = 0; s < bound.program.statements.length; s++) n += statementCount(bound, s);
  return n;
}

/**
 * Makes sure executors will run the job. A launcher that can start executors as work arrives
 * does so (a small job on many workers starts only what it uses; it also replaces executors
 * that die); otherwise the pool is launched now and the returned policy keeps it full.
 */
async function provideExecutors(backend: Backend, jobId: string, opts: RunOptions): Promise<ScalePolicy | undefined> {
  const wanted = opts.workers ?? backend.defaultWorkers;
  const launcher = backend.launcher;
  if (!opts.scale && launcher.launchOnDemand) {
    launcher.launchOnDemand(wanted, (e) => {
      void backend.state.finishJob(jobId, 'failed', `an executor could not start: ${e.message}`).catch(() => undefined);
    });
    return undefined;
  }
  if (opts.scale) {
    await launchMissing(launcher, wanted);
    return opts.scale;
  }
  // Executors that exit when idle (Lambda, processes) are launched for the work that exists, up
  // to `wanted`, and not relaunched while there is none: a fixed pool would relaunch every
  // executor that idles out during a narrow phase of the DAG (a Cholesky's tail), paying for
  // hundreds of thousands of idle invocations at 1,000 workers. The first decision comes at once.
  return defaultScale(wanted);
}

/** The default policy where executors cannot start on demand: queue depth, up to `workers`. */
function defaultScale(workers: number): ScalePolicy {
  return { min: 0, max: workers, pipelineWidth: 1, cooldownMs: 2000 };
}

/** Launches executors until `wanted` run (executors that died are replaced this way). */
export async function launchMissing(launcher: ExecutorLauncher, wanted: number): Promise<void> {
  const missing = wanted - launcher.running();
  if (missing > 0) await launcher.launch(missing);
}

function bindMatrices(jobId: string, spec: JobSpec): Record<string, MatrixBinding> {
  const out: Record<string, MatrixBinding> = {};
  for (const p of params(spec.program)) {
    if (p.kind !== 'matrix') continue;
    const role = p.role ?? 'temp';
    if (role === 'in') {
      const prefix = spec.inputs[p.name];
      if (prefix === undefined) throw new Error(`input matrix ${p.name} is not given`);
      out[p.name] = { role, prefix };
    } else if (role === 'out') {
      out[p.name] = { role, prefix: spec.outputs?.[p.name] ?? outputPrefix(jobId, p.name) };
    } else {
      out[p.name] = { role, prefix: tempPrefix(jobId, p.name) };
    }
  }
  for (const name of Object.keys(spec.inputs)) {
    if (out[name]?.role !== 'in') throw new Error(`${name} is not an input matrix of ${spec.program.name}`);
  }
  return out;
}

async function enqueueStarters(backend: Backend, jobId: string, bound: BoundProgram, check = false): Promise<void> {
  let batch: { body: string; priority: number }[] = [];
  for (const t of bound.starters()) {
    batch.push({ body: encodeMessage(jobId, taskKey(t), check), priority: STARTER_PRIORITY });
    if (batch.length >= STARTER_BATCH) {
      await backend.queue.send(batch);
      batch = [];
    }
  }
  if (batch.length > 0) await backend.queue.send(batch);
}

/** Polls the job's state until it ends; reports progress; cleans up. */
export async function waitForJob(backend: Backend, record: JobRecord, t0: number, opts: RunOptions, totalTasks = 0): Promise<JobResult> {
  const timings = backend.timings;
  const poll = opts.pollMs ?? timings.pollMs;
  let lastReport = 0;
  let lastScale = Number.NEGATIVE_INFINITY;
  let lastLaunchAt = Number.NEGATIVE_INFINITY;
  const autoscale = async (): Promise<void> => {
    const now = performance.now();
    if (!opts.scale || now - lastScale < timings.scaleEveryMs) return;
    lastScale = now;
    // A fixed pool (min = max), or one at its maximum, needs no queue depth, only the count of
    // live executors: spare the queue its (billed) depth requests.
    const running = backend.launcher.running();
    const depth = opts.scale.min === opts.scale.max || running >= opts.scale.max ? { visible: 0, inFlight: 0 } : await backend.queue.depth();
    const n = decide(opts.scale, { ...depth, running, now, lastLaunchAt });
    if (n > 0) {
      lastLaunchAt = now;
      await backend.launcher.launch(n);
    }
  };
  let st: JobState | null = null;
  const report = async (final: boolean): Promise<void> => {
    const now = performance.now();
    if (!final && now - lastReport < sampleIntervalMs(now - t0, timings.reportEveryMs)) return;
    lastReport = now;
    if (!opts.onProgress && !opts.onSample) return;
    const depth = await backend.queue.depth();
    const tasksDone = st?.counters.tasks ?? 0;
    opts.onProgress?.({
      jobId: record.id, tasksDone, terminalDone: st?.terminalDone ?? 0, terminalTasks: record.terminalTasks, totalTasks,
      flops: st?.counters.flops ?? 0, elapsedS: (now - t0) / 1000, executors: backend.launcher.running(),
      queueVisible: depth.visible, queueInFlight: depth.inFlight,
    });
    opts.onSample?.({ type: 'sample', time: Date.now(), queueVisible: depth.visible, queueInFlight: depth.inFlight, executors: backend.launcher.running(), tasksDone });
  };
  // Until the next progress report or autoscaling decision is due (a store that signals the
  // job's end lets the driver sleep that long; an abort wakes it).
  const nextDue = (): number => {
    const now = performance.now();
    let due = 1000;
    if (opts.onProgress || opts.onSample) due = Math.min(due, lastReport + sampleIntervalMs(now - t0, timings.reportEveryMs) - now);
    if (opts.scale) due = Math.min(due, lastScale + timings.scaleEveryMs - now);
    return due;
  };
  const signal = opts.signal;
  const aborted = signal ? new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true })) : null;
  const speculation = opts.speculate ? startSpeculation(backend, record, opts.speculate) : null;
  let retryable = 0;
  for (;;) {
    try {
      st = await backend.state.getJobState(record.id);
      if (!st) throw new Error(`job ${record.id} vanished from the state store`);
      if (st.status !== 'running') break;
      if (st.terminalDone >= record.terminalTasks) {
        await backend.state.finishJob(record.id, 'done');
        continue;
      }
      if (opts.signal?.aborted) {
        await backend.state.finishJob(record.id, 'cancelled', 'cancelled by the user');
        continue;
      }
      await report(false);
      await autoscale();
      retryable = 0;
    } catch (e) {
      // A throttled or unreachable service slows the driver down; it does not end the job.
      if (!(e instanceof LapwingError && e.retryable)) throw e;
      retryable = Math.min(retryable + 1, 6);
    }
    if (retryable === 0 && backend.state.jobChanged) {
      const changed = backend.state.jobChanged(record.id, Math.max(poll, nextDue()));
      await (aborted ? Promise.race([changed, aborted]) : changed);
    } else await sleep(poll * 2 ** retryable);
  }
  speculation?.stop();
  await drain(backend);
  await report(true);
  const status = st.status as JobResult['status'];
  await cleanup(backend, record, opts.keepState === true, status === 'done');
  const outputs: Record<string, string> = {};
  for (const [name, m] of Object.entries(record.matrices)) if (m.role === 'out') outputs[name] = m.prefix;
  return {
    jobId: record.id,
    status,
    ...(st.error !== undefined ? { error: st.error } : {}),
    wallS: (performance.now() - t0) / 1000,
    tasks: st.counters.tasks ?? 0,
    flops: st.counters.flops ?? 0,
    outputs,
    speculated: speculation?.count() ?? 0,
  };
}

/** Backs up the job's stragglers, on a queue that can see its leases (null otherwise). */
function startSpeculation(backend: Backend, record: JobRecord, policy: SpeculationPolicy): Speculation | null {
  const leases = backend.queue.leases;
  if (!leases) return null;
  const bound = bind(record.program as Program, record.args);
  return speculate({
    leases,
    taskOf: (body) => {
      const m = decodeMessage(body);
      return m && m.job === record.id ? m.task : null;
    },
    kernelOf: (task) => bound.kernel(parseTaskKey(task)).name,
    // A backup carries the check flag: whichever copy finishes second is dropped as a duplicate.
    backup: (tasks) => backend.queue.send(tasks.map((t) => ({ body: encodeMessage(record.id, t, true), priority: READY_BASE + 1 }))),
    every: (ms, tick) => {
      const timer = setInterval(tick, ms);
      timer.unref();
      return () => clearInterval(timer);
    },
  }, policy);
}

/**
 * Waits (briefly) until no task is in flight, so that executors finishing a last attempt do not
 * race the cleanup and their trace records are in.
 */
async function drain(backend: Backend, maxMs = 2000): Promise<void> {
  const until = performance.now() + maxMs;
  const poll = backend.timings.drainPollMs;
  while (performance.now() < until && (await backend.queue.depth()).inFlight > 0) await sleep(poll);
}

/**
 * Removes the job's temporaries, its queue messages (purged where the queue can; elsewhere
 * executors drop messages of finished jobs) and its state items. Outputs of a failed job are
 * removed too.
 */
async function cleanup(backend: Backend, record: JobRecord, keepState: boolean, succeeded: boolean): Promise<void> {
  const prefixes = [`${jobPrefix(record.id)}/tmp/`];
  if (!succeeded) for (const m of Object.values(record.matrices)) if (m.role === 'out') prefixes.push(`${m.prefix}/`);
  for (const p of prefixes) {
    const keys = await backend.blocks.list(p);
    if (keys.length > 0) await backend.blocks.delete(keys);
  }
  await backend.queue.purgeJob?.(record.id);
  if (!keepState) await backend.state.deleteJob(record.id);
}
