/**
 * Options and helpers shared by the job commands (cholesky, matmul, solve, tsqr, run, bench).
 */
import type { Command } from 'commander';
import { availableParallelism } from 'node:os';
import { loadKernels } from '../../kernels/index.ts';
import { lapwing, type Lapwing } from '../library/session.ts';
import type { JobProgress } from '../scheduling/driver.ts';
import type { TraceRecord } from '../core/interfaces.ts';
import { UserError } from './errors.ts';
import { DEFAULT_SPECULATION } from '../scheduling/speculation.ts';

export interface JobOptions {
  backend: string;
  executors?: string;
  emulate?: boolean;
  workers?: string;
  kernels?: string;
  block: string;
  quiet?: boolean;
  json?: boolean;
  trace?: string;
  speculate?: string | boolean;
  estimate?: boolean;
}

/** Adds the options every job command takes. */
export function jobOptions(cmd: Command, defaults: { block?: string } = {}): Command {
  return cmd
    .option('--backend <name>', 'local (worker threads) or aws (S3, SQS, DynamoDB; endpoints and credentials from the environment)', 'local')
    .option('--executors <kind>', 'aws: process (local child processes) or lambda')
    .option('--emulate', 'aws: start S3/SQS/DynamoDB emulators on 127.0.0.1 for this run')
    .option('--workers <n>', 'executors (default: one per core)')
    .option('--kernels <name>', 'kernel backend: auto | openblas | wasm | js (default: $LAPWING_KERNELS or auto)')
    .option('--block <b>', 'block size', defaults.block ?? '512')
    .option('--trace <file>', 'record every task attempt to a JSON Lines trace (see `lapwing report`)')
    .option('--speculate [factor]', 'back up tasks running ≥ factor × their kernel median (default 3; on AWS seen through the executor heartbeats)')
    .option('--estimate', 'aws: print the predicted time and cost (a simulation, see `lapwing simulate`) and exit')
    .option('--json', 'print the summary as one JSON object on the last line')
    .option('-q, --quiet', 'no progress output');
}

export function positiveInt(v: string | undefined, what: string): number {
  const n = Number(v);
  if (v === undefined || !Number.isInteger(n) || n <= 0) throw new UserError(`${what} must be a positive integer, got '${v ?? ''}'`);
  return n;
}

export interface OpenedSession {
  readonly lw: Lapwing;
  readonly kernels: string;
  readonly workers: number;
  /** Requests per AWS service so far (aws backend only). */
  readonly apiCalls?: () => Record<string, number>;
  /** Requests per `service:Operation` so far (aws backend only). */
  readonly apiOperations?: () => Record<string, number>;
  /** Request latencies per `service:Operation` so far, this process's first (aws backend only). */
  readonly apiLatencies?: () => Record<string, number[]>;
  /** Spawn → ready ms of the process executors started so far (aws backend only). */
  readonly executorStarts?: () => number[];
  /** DynamoDB capacity units consumed so far (aws backend only). */
  readonly dynamodbCapacity?: () => { wcu: number; rcu: number };
  /** Closes the session (executors, emulators started for the run). */
  close(): Promise<void>;
  /** Stops progress and trace output. */
  finish(summary?: Record<string, unknown>): Promise<void>;
}

/** Validates the options, loads the kernels once here (clear error before any thread starts). */
export async function openSession(o: JobOptions, label: string): Promise<OpenedSession> {
  if (o.backend !== 'local' && o.backend !== 'aws') throw new UserError(`unknown backend '${o.backend}' (choose local or aws)`);
  const given = o.workers === undefined ? undefined : positiveInt(o.workers, '--workers');
  // The AWS backend runs two executors unless told otherwise; the summary and the trace say the same.
  const workers = given ?? (o.backend === 'aws' ? 2 : undefined);
  const choice = o.kernels ?? process.env.LAPWING_KERNELS ?? 'auto';
  const k = await loadKernels(choice);
  const kernels = k.backend.name;
  const progress = await makeProgress(label, o.quiet === true || o.json === true);
  const block = Number(o.block);
  const tracer = o.trace ? await makeTracer(o.trace, { algorithm: label, backend: o.backend, kernels, block }) : null;
  const onTrace = tracer?.write;
  const aws = o.backend === 'aws' ? await openAws(o, { kernels }, onTrace) : null;
  // Executors the session runs: what was asked (or the backend's default), within the launcher's limit.
  const running = (): number => Math.min(workers ?? lw.backend.defaultWorkers, lw.backend.launcher.maxExecutors ?? Number.POSITIVE_INFINITY);
  const lw: Lapwing = await lapwing({
    ...(aws ? { backend: aws.backend } : {}),
    ...(workers !== undefined ? { workers } : {}),
    kernels,
    // Quiet runs take no progress: on AWS each report costs queue-depth requests.
    ...(o.quiet === true || o.json === true ? {} : { onProgress: progress.update }),
    ...(o.speculate !== undefined && o.speculate !== false
      ? { speculate: { ...DEFAULT_SPECULATION, ...(typeof o.speculate === 'string' ? { factor: Number(o.speculate) } : {}) } }
      : {}),
    ...(tracer
      ? {
          onTrace: tracer.write,
          onSample: tracer.write,
          onJobStart: (j) => tracer.start({ job: j.jobId, program: j.program, args: j.args, workers: running() }),
        }
      : {}),
  });
  const cap = lw.backend.launcher.maxExecutors;
  if (given !== undefined && cap !== undefined && given > cap) {
    process.stderr.write(`lapwing: --workers ${given} is more than this machine can use (${availableParallelism()} cores); running at most ${cap} executors\n`);
  }
  let finished = false;
  return {
    lw,
    kernels,
    workers: running(),
    apiCalls: aws ? () => aws.backend.apiCalls() : undefined,
    apiOperations: aws ? () => aws.backend.apiOperations() : undefined,
    apiLatencies: aws ? () => aws.backend.apiLatencies() : undefined,
    executorStarts: aws ? () => aws.backend.executorStarts() : undefined,
    dynamodbCapacity: aws ? () => aws.backend.dynamodbCapacity() : undefined,
    finish: async (summary) => {
      if (finished) return;
      finished = true;
      progress.stop();
      await tracer?.close(summary);
    },
    close: async () => {
      await lw.close();
      await aws?.stop();
    },
  };
}

/** Executor settings for AWS executors (see runtime/backends/aws/executor-env.ts). */
export interface AwsExecutorSettings {
  readonly kernels?: string;
  readonly visibilityMs?: number;
  readonly idleTimeoutMs?: number;
  readonly pollMs?: number;
}

/** The AWS backend from the environment (or from emulators started here with --emulate). */
export async function openAws(
  o: Pick<JobOptions, 'emulate' | 'executors'>,
  executor: AwsExecutorSettings,
  onTrace: ((r: TraceRecord) => void) | undefined,
) {
  const aws = await import('../backends/aws/index.ts');
  let stop = async (): Promise<void> => undefined;
  const env: Record<string, string | undefined> = { ...process.env };
  if (o.emulate) {
    const { startEmulators, emulatorEnv } = await import('../backends/aws/dev/emulators.ts');
    const emu = await startEmulators();
    stop = () => emu.stop();
    Object.assign(env, emulatorEnv(emu.endpoints));
  }
  const executors = o.executors ?? undefined;
  if (executors !== undefined && executors !== 'process' && executors !== 'lambda') {
    throw new UserError(`--executors must be process or lambda, got '${executors}'`);
  }
  try {
    const backend = await aws.createAwsBackend(aws.loadAwsConfig(env), {
      ...(executors ? { executors } : {}),
      executor,
      ...(onTrace ? { onTrace } : {}),
    });
    return { backend, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

interface ProgressSink {
  update: (p: JobProgress) => void;
  stop: () => void;
}

async function makeProgress(label: string, quiet: boolean): Promise<ProgressSink> {
  if (quiet) return { update: () => undefined, stop: () => undefined };
  const mod = await import('../tracing/progress.ts');
  let bar: ReturnType<typeof mod.createProgress> | null = null;
  return {
    update: (p) => {
      const total = Math.max(p.totalTasks, p.tasksDone);
      bar ??= mod.createProgress({ total, label, stream: process.stderr });
      bar.update({ done: p.tasksDone, total, running: p.executors, gflops: p.elapsedS > 0 ? p.flops / p.elapsedS / 1e9 : 0 });
    },
    stop: () => bar?.stop(),
  };
}

interface Tracer {
  write: (r: TraceRecord) => void;
  /** Opens the file with the job's header; records before it are kept and written after it. */
  start: (header: Record<string, unknown>) => void;
  close: (summary?: Record<string, unknown>) => Promise<void>;
}

async function makeTracer(path: string, base: Record<string, unknown>): Promise<Tracer> {
  const mod = await import('../tracing/trace-file.ts');
  let error: Error | null = null;
  const w = new mod.TraceWriter({ onError: (e) => (error = e) });
  const early: TraceRecord[] = [];
  let opened: Promise<void> | null = null;
  let open = false;
  return {
    write: (r) => {
      if (open) w.write(r);
      else early.push(r);
    },
    start: (header) => {
      if (opened) return;
      opened = w.open(path, { startedAt: Date.now(), ...base, ...header } as Parameters<typeof w.open>[1]).then(() => {
        open = true;
        for (const r of early.splice(0)) w.write(r);
      });
    },
    close: async (summary) => {
      await opened;
      await w.close({ ok: true, wall_s: 0, ...summary } as Parameters<typeof w.close>[0]);
      if (error) throw new UserError(`writing the trace ${path} failed: ${String(error)}`);
    },
  };
}

/** Prints the run summary (human lines, or one JSON line). */
export function printSummary(json: boolean, s: Record<string, unknown>, lines: string[]): void {
  if (json) process.stdout.write(`${JSON.stringify(s)}\n`);
  else process.stdout.write(`${lines.join('\n')}\n`);
}

export function fmtS(s: number): string {
  return s < 10 ? s.toFixed(3) : s.toFixed(1);
}
