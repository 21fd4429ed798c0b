/**
 * Service latencies of the emulated AWS backend (`lapwing bench services`): per-request latency
 * (median, p90) of every operation the driver and executors send, against the emulators that
 * `--emulate` starts on loopback (s3rver and local-aws-sqs in this process, DynamoDB Local in
 * its JVM), and the start of one executor process (spawn → ready). Its `profile` is the part
 * of the simulator's `emulated` profile these measure: `lapwing simulate --service-profile
 * FILE` takes this JSON.
 *
 * How, Gillis-style (measure each layer, then predict):
 *   S3        put and get of one block through S3BlockStore (encoding and checksum included, as
 *             an executor pays them) at three sizes; the first-byte latency is the smallest
 *             size's time, the bandwidth the slope between the smallest and the largest
 *   SQS,      a small Cholesky job (4×4 blocks) run twice through the real driver and one
 *   DynamoDB  executor in this process, every request timed by a middleware on the clients
 *             (the second job's): the requests, items and conditions the job really sends.
 *             Receives that waited (long polls) are left out: their time is the wait. From the
 *             first job, the first request of each DynamoDB operation on the fresh emulator
 *             (DynamoDB Local loads and compiles its code then), less a warm one's median
 *   process   ProcessLauncher.launch(2) → each child's `ready` (node, module load, kernels,
 *             first heartbeat), two at once as a job's pool starts on this machine's two
 *             cores, first thing after the emulators start (as in a bench run: DynamoDB
 *             Local's JVM is still warming up then, which slows them ~1.5×), less one PutItem
 *             (the heartbeat, which the simulation sends itself)
 */
import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { Block, ExecutorLauncher } from '../runtime/core/interfaces.ts';
import { createAwsBackend, type AwsBackend } from '../runtime/backends/aws/index.ts';
import { configToEnv, loadAwsConfig, type AwsConfig } from '../runtime/backends/aws/config.ts';
import { emulatorEnv, startEmulators } from '../runtime/backends/aws/dev/emulators.ts';
import { createDataResources, destroyDataResources } from '../runtime/backends/aws/deploy/provision.ts';
import { encodedBytes } from '../runtime/backends/aws/stores/block-codec.ts';
import { S3BlockStore } from '../runtime/backends/aws/stores/s3-block-store.ts';
import { ProcessLauncher } from '../runtime/backends/aws/executors/process-launcher.ts';
import { runExecutor } from '../runtime/executor/executor.ts';
import { QueryCommand } from '@aws-sdk/client-dynamodb';
import { lapwing } from '../runtime/library/session.ts';
import { loadKernels } from '../kernels/index.ts';
import type { Latency } from '../runtime/backends/sim/latency.ts';
import type { ServiceProfile } from '../runtime/backends/sim/profiles.ts';
import { latencySummary } from '../runtime/core/util.ts';

/** One operation's latencies (ms). */
export interface OpTiming {
  readonly n: number;
  readonly median_ms: number;
  readonly p90_ms: number;
}

export interface ServicesBenchResult {
  readonly bench: 'services';
  /** ISO date of the measurement. */
  readonly measured: string;
  readonly command: string;
  /** Per operation, e.g. `s3:GetObject 524320 B`, `sqs:SendMessageBatch`, `dynamodb:Query`, `process:start`. */
  readonly ops: Readonly<Record<string, OpTiming>>;
  readonly profile: ServiceProfile;
}

export interface ServicesBenchOptions {
  /** Timed repetitions of each S3 size (after 3 warm-ups). Default 15. */
  readonly repetitions?: number;
  /**
   * Rounds of executor starts (two processes at once each). Default 1: the first round, right
   * after the emulators start, is what a bench's pool meets; later ones find a warmer machine.
   */
  readonly processStarts?: number;
}

const round = (x: number): number => Math.round(x * 100) / 100;

const timing = (xs: readonly number[]): OpTiming => latencySummary(xs);

/** A timing as the simulator's latency distribution (p90 at least the median). */
export const latency = (t: OpTiming | undefined): Latency | undefined => (t ? { medianMs: t.median_ms, p90Ms: Math.max(t.median_ms, t.p90_ms) } : undefined);

interface Timable {
  middlewareStack: {
    add(
      mw: (next: (args: { input?: Record<string, unknown> }) => Promise<unknown>, context: { readonly commandName?: string }) => (args: { input?: Record<string, unknown> }) => Promise<unknown>,
      options: { step: 'initialize'; name: string },
    ): void;
  };
}

/**
 * Times every request of `client` (serialising, signing, the round trip and parsing: what the
 * caller waits for) into `into` by `service:Operation` while `on()` holds.
 */
function timeRequests(client: unknown, service: string, into: () => Map<string, number[]> | null): void {
  (client as Timable).middlewareStack.add(
    (next, context) => async (args) => {
      const t0 = performance.now();
      const out = await next(args);
      const op = `${service}:${(context.commandName ?? 'unknown').replace(/Command$/, '')}`;
      const samples = into();
      // A long poll's time is its wait: only receives that did not wait are latencies. Block
      // GETs and PUTs are timed by size apart (timeS3).
      const skip = (op === 'sqs:ReceiveMessage' && Number(args.input?.WaitTimeSeconds ?? 0) > 0) || op === 's3:GetObject' || op === 's3:PutObject';
      if (samples && !skip) {
        const list = samples.get(op) ?? [];
        list.push(performance.now() - t0);
        samples.set(op, list);
      }
      return out;
    },
    { step: 'initialize', name: `lapwingTime_${service}` },
  );
}

/**
 * A service profile from per-operation timings (`service:Operation` keys, as `ops` here and the
 * bench JSON's `api_latency_by_op` have them), the S3 part given, and the executors' start
 * (spawn → ready, less the heartbeat write the simulation sends itself).
 */
export function serviceProfileOf(ops: Readonly<Record<string, OpTiming>>, s3: NonNullable<ServiceProfile['s3']>, start: OpTiming, firstCallMs: Readonly<Partial<Record<string, number>>> = {}): ServiceProfile {
  const pick = (...names: string[]): Latency | undefined => latency(names.map((n) => ops[n]).find((t) => t !== undefined));
  const ddbOps: Record<string, Latency> = {};
  for (const [op, t] of Object.entries(ops)) if (op.startsWith('dynamodb:') && !op.endsWith(')')) ddbOps[op.slice('dynamodb:'.length)] = latency(t)!;
  const defined = <T extends object>(o: T): T => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
  const heartbeat = (ops['dynamodb:PutItem'] ?? ops['dynamodb:UpdateItem'])?.median_ms ?? 0;
  return {
    s3,
    sqs: defined({
      send: pick('sqs:SendMessageBatch', 'sqs:SendMessage'),
      receive: pick('sqs:ReceiveMessage'),
      delete: pick('sqs:DeleteMessageBatch', 'sqs:DeleteMessage'),
      changeVisibility: pick('sqs:ChangeMessageVisibilityBatch', 'sqs:ChangeMessageVisibility'),
      attributes: pick('sqs:GetQueueAttributes'),
    }),
    dynamodb: defined({ read: pick('dynamodb:GetItem'), write: pick('dynamodb:PutItem', 'dynamodb:UpdateItem'), ops: ddbOps, firstCallMs }),
    // Taken one request at a time (but for the job's two actors): queued on the host's cores.
    services: 'host',
    processStart: { medianMs: round(Math.max(0, start.median_ms - heartbeat)), p90Ms: round(Math.max(0, start.p90_ms - heartbeat)) },
  };
}

/** Executors in this process, on the benchmark's own backend (their requests are timed). */
class InProcessLauncher implements ExecutorLauncher {
  private readonly runs = new Set<Promise<unknown>>();
  private seq = 0;
  constructor(private readonly backend: AwsBackend) {}
  async launch(count: number): Promise<void> {
    for (let i = 0; i < count; i++) {
      const p = runExecutor(this.backend, { executorId: `bench-${++this.seq}`, idleTimeoutMs: 1500, pollMs: 1000, kernels: 'js' }).finally(() => this.runs.delete(p));
      this.runs.add(p);
    }
  }
  running(): number {
    return this.runs.size;
  }
  async close(): Promise<void> {
    await Promise.allSettled([...this.runs]);
  }
}

/** S3 put and get of blocks of three sizes through S3BlockStore. */
async function timeS3(backend: AwsBackend, config: AwsConfig, reps: number, ops: Record<string, OpTiming>): Promise<ServiceProfile['s3']> {
  const store = new S3BlockStore(backend.clients.s3, { bucket: config.names.bucket, keyPrefix: config.names.keyPrefix, retry: config.retry });
  // 1 KB, a 256² block (the validation's) and a 512² block.
  const shapes: [number, number][] = [[128, 1], [256, 256], [512, 512]];
  const fits: { bytes: number; get: number; put: number }[] = [];
  for (const [rows, cols] of shapes) {
    const block: Block = { rows, cols, data: Float64Array.from({ length: rows * cols }, (_, i) => (i % 97) * 0.5) };
    const puts: number[] = [];
    const gets: number[] = [];
    for (let i = -3; i < reps; i++) {
      const key = `bench/services/${rows}x${cols}/${i + 3}`;
      const t0 = performance.now();
      await store.put(key, block);
      const t1 = performance.now();
      await store.get(key);
      const t2 = performance.now();
      if (i >= 0) {
        puts.push(t1 - t0);
        gets.push(t2 - t1);
      }
    }
    const bytes = encodedBytes(rows, cols);
    const get = timing(gets);
    const put = timing(puts);
    ops[`s3:GetObject ${bytes} B`] = get;
    ops[`s3:PutObject ${bytes} B`] = put;
    fits.push({ bytes, get: get.median_ms, put: put.median_ms });
  }
  const small = fits[0]!;
  const large = fits.at(-1)!;
  const mbps = (dBytes: number, dMs: number): number => round(dMs > 0 ? dBytes / 1e6 / (dMs / 1000) : 1e6);
  const smallGet = ops[`s3:GetObject ${small.bytes} B`]!;
  const smallPut = ops[`s3:PutObject ${small.bytes} B`]!;
  return {
    getFirstByte: latency(smallGet)!,
    put: latency(smallPut)!,
    downloadMBps: mbps(large.bytes - small.bytes, large.get - small.get),
    uploadMBps: mbps(large.bytes - small.bytes, large.put - small.put),
  };
}

/**
 * A small job twice on the fresh emulators: the SQS and DynamoDB requests of driver and
 * executor, the first job's into `cold` (DynamoDB Local answers the first request of each kind
 * slowly: class loading, JIT), the second's into `warm`.
 */
async function timeJob(backend: AwsBackend, cold: Map<string, number[]>, warm: Map<string, number[]>, into: (m: Map<string, number[]> | null) => void): Promise<void> {
  const lw = await lapwing({ backend: { ...backend, launcher: new InProcessLauncher(backend) }, workers: 1, kernels: 'js' });
  try {
    for (let run = 0; run < 2; run++) {
      const a = await lw.randomSpd(256, { block: 64, seed: run + 1 });
      into(run === 0 ? cold : warm);
      await lw.cholesky(a);
      into(null);
      await lw.backend.launcher.close();
    }
  } finally {
    into(null);
  }
}

/**
 * Executor process starts, spawn → ready: `count` rounds of `together` processes launched at
 * once (as a job's pool is, sharing the cores), each process's time a sample.
 */
async function timeProcessStart(backend: AwsBackend, config: AwsConfig, count: number, together: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    let t0 = 0;
    const launcher = new ProcessLauncher({
      env: configToEnv({ ...config, queueUrls: backend.queue.urls() }, true),
      executor: { idleTimeoutMs: 60_000 },
      onReady: () => out.push(performance.now() - t0),
    });
    t0 = performance.now();
    await launcher.launch(together);
    await launcher.ready();
    await launcher.close();
  }
  return out;
}

/**
 * Measures every operation against fresh emulators and derives the profile.
 * @example
 * const r = await benchServices();
 * console.log(r.profile.dynamodb?.ops?.TransactWriteItems);
 */
export async function benchServices(options: ServicesBenchOptions = {}): Promise<ServicesBenchResult> {
  await loadKernels('js');
  const emu = await startEmulators();
  const config = loadAwsConfig(emulatorEnv(emu.endpoints), { stack: `bench-${Date.now().toString(36)}` });
  let backend: AwsBackend | undefined;
  const cold = new Map<string, number[]>();
  const warm = new Map<string, number[]>();
  let into: Map<string, number[]> | null = null;
  try {
    backend = await createAwsBackend(config, { executors: 'process', create: true });
    for (const service of ['s3', 'sqs', 'dynamodb'] as const) timeRequests(backend.clients[service], service, () => into);
    const ops: Record<string, OpTiming> = {};
    // First, as a bench's pool starts: right after the emulators (DynamoDB Local's JVM still
    // warming up), two processes at once on the two cores.
    const together = Math.max(1, Math.min(2, availableParallelism()));
    const starts = await timeProcessStart(backend, config, options.processStarts ?? 1, together);
    ops[`process:start (${together} at once)`] = timing(starts);
    const s3 = await timeS3(backend, config, options.repetitions ?? 15, ops);
    await timeJob(backend, cold, warm, (m) => (into = m));
    // The job's Queries are the cleanup's 64 sent at once (each waits for the others): one at a
    // time they take their own time, which the simulation queues on the host's cores.
    const burst = warm.get('dynamodb:Query');
    warm.delete('dynamodb:Query');
    into = warm;
    for (let i = -3; i < 15; i++) {
      if (i === 0) warm.delete('dynamodb:Query');
      await backend.clients.dynamodb.send(new QueryCommand({
        TableName: config.names.table,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :p)',
        ExpressionAttributeValues: { ':pk': { S: `bench-services#${i + 3}` }, ':p': { S: 'jobs/' } },
        ProjectionExpression: 'sk',
        ConsistentRead: true,
      }));
    }
    into = null;
    for (const [op, xs] of [...warm.entries()].sort((x, y) => (x[0] < y[0] ? -1 : 1))) ops[op] = timing(xs);
    if (burst) ops['dynamodb:Query (64 at once)'] = timing(burst);
    // The first request of each DynamoDB operation on the fresh emulator, less a warm one's median.
    const firstCallMs: Record<string, number> = {};
    for (const [op, xs] of cold) {
      const extra = (xs[0] ?? 0) - (ops[op]?.median_ms ?? 0);
      if (op.startsWith('dynamodb:') && extra > 0) {
        firstCallMs[op.slice('dynamodb:'.length)] = round(extra);
        ops[`${op} (first)`] = timing([xs[0]!]);
      }
    }
    const profile = serviceProfileOf(ops, { ...s3!, other: latency(ops['s3:DeleteObjects'] ?? ops['s3:ListObjects']) ?? s3!.getFirstByte! }, ops[`process:start (${together} at once)`]!, firstCallMs);
    return { bench: 'services', measured: new Date().toISOString(), command: 'lapwing bench services --json', ops, profile };
  } finally {
    if (backend) {
      await backend.close().catch(() => undefined);
      await destroyDataResources(backend.clients, config).catch(() => undefined);
    }
    await emu.stop();
  }
}
