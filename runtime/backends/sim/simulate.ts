/**
 * `simulate`: runs a job — the real driver, executors, autoscaler, priorities and speculation —
 * in virtual time against the simulated services, and reports predicted time, cost, API calls
 * and the bottleneck.
 *
 * Assembly per profile:
 *   aws       the real SqsTaskQueue and DynamoStateStore over simulated SQS and DynamoDB
 *             clients, blocks in simulated S3 (SimBlockStore), executors started by the real
 *             LambdaLauncher (with its fan-out) inside LambdaModel — each invocation builds its
 *             own stores once per execution environment, as the Lambda handler does
 *   emulated  the same stores, executors as processes sharing the host's cores
 *   local     the local backend's own in-process stores, executors as threads
 *
 * Steps: seed the input blocks → install virtual time → runJob → keep running until every
 * executor has exited (their idle tail is billed) → uninstall → analyse the attempts.
 */
import { bind, type Program } from '../../../lang/index.ts';
import { loadKernels } from '../../../kernels/index.ts';
import { LOCAL_TIMINGS, type Backend, type BlockStore, type SampleTrace, type StateStore, type TaskAttemptTrace } from '../../core/interfaces.ts';
import { blockKey } from '../../core/keys.ts';
import { countTasks, launchMissing, runJob, type JobResult } from '../../scheduling/driver.ts';
import type { ScalePolicy } from '../../scheduling/autoscaler.ts';
import type { SpeculationPolicy } from '../../scheduling/speculation.ts';
import { dagCriticalPath } from '../../report/dag-path.ts';
import { DEFAULT_PRIORITY_CUTS, DEFAULT_RETRY, resourceNames } from '../aws/config.ts';
import { SqsTaskQueue } from '../aws/stores/sqs-task-queue.ts';
import { DynamoStateStore } from '../aws/stores/dynamo-state-store.ts';
import { DynamoBlockStore } from '../aws/stores/dynamo-block-store.ts';
import { HybridBlockStore } from '../aws/stores/hybrid-block-store.ts';
import { objectKey } from '../aws/stores/object-keys.ts';
import { LambdaLauncher, lambdaInvoker, parseExecutorEvent } from '../aws/executors/lambda-launcher.ts';
import { JOBS_PER_CONTAINER, launchShare } from '../aws/executors/handler.ts';
import { JobCache, type ExecutorJobCache } from '../../executor/executor.ts';
import { claimOnce, dynamoClaim } from '../aws/executors/launch-token.ts';
import { DEFAULT_HEARTBEAT_MS, HeartbeatMonitor, HeartbeatWriter } from '../aws/executors/heartbeats.ts';
import { AWS_TIMINGS } from '../aws/index.ts';
import { MemoryBlockStore } from '../local/memory-block-store.ts';
import { MemoryQueue } from '../local/memory-queue.ts';
import { MemoryStateStore } from '../local/memory-state-store.ts';
import { DynamoModel } from './dynamodb-model.ts';
import { Cpu, KillSwitch, runSimExecutor, SimHostLauncher, type SimExecutorEnv } from './executors.ts';
import { DEFAULT_KERNEL_PROFILE, KernelRates, type KernelProfile } from './kernel-rates.ts';
import { LambdaModel, type Environment } from './lambda-model.ts';
import { Meter, type SimService } from './meter.ts';
import { placeholder } from './placeholder.ts';
import { SIM_PRICES, type SimPrices } from './prices.ts';
import { lambdaThreads, lambdaVcpus, type SimProfile } from './profiles.ts';
import { Link, S3Model, SimBlockStore } from './s3-model.ts';
import type { Serve } from './latency.ts';
import { SqsModel } from './sqs-model.ts';
import { SimDeadlockError, VirtualTime } from './virtual-time.ts';
import { errorMessage } from '../../core/util.ts';

/** An input matrix of the simulated job: its shape and blocking (blocks carry no data). */
export interface SimMatrix {
  readonly rows: number;
  readonly cols: number;
  readonly blockRows: number;
  readonly blockCols: number;
  /** Only blocks on and below the diagonal exist (a symmetric matrix stored by its lower half). */
  readonly lowerOnly?: boolean;
  /** Where its blocks are seeded (default `inputs/NAME`); jobs that name one prefix share the matrix. */
  readonly prefix?: string;
}

/** An input of a later job of a simulation: an output of an earlier one (0 = `job`). */
export interface SimOutputRef {
  readonly phase: number;
  readonly output: string;
}

export interface SimJob {
  readonly program: Program;
  readonly args: Readonly<Record<string, number>>;
  readonly inputs: Readonly<Record<string, SimMatrix | SimOutputRef>>;
}

/** One job of a simulation of several. */
export interface SimJobResult {
  readonly program: string;
  readonly jobId: string;
  readonly status: JobResult['status'];
  readonly tasks: number;
  readonly totalTasks: number;
  readonly wallS: number;
  readonly criticalPathS: number | null;
  readonly criticalPathTasks: number | null;
  readonly apiCalls: Record<SimService, number>;
}

const isRef = (m: SimMatrix | SimOutputRef): m is SimOutputRef => 'phase' in m;

/** NumPyWren's provisioner (experiments/cholesky_experiment.py, aws-figures.md). */
export interface NumpywrenScaling {
  readonly kind: 'numpywren';
  readonly max: number;
  readonly pipelineWidth: number;
  readonly everyMs: number;
}

export interface SimulateOptions {
  readonly job: SimJob;
  /**
   * Jobs run after `job`, one after another on the same services and executors, as a library
   * call of several programs runs them (e.g. LU, then the triangular solves).
   */
  readonly then?: readonly SimJob[];
  /** Executors (the maximum when autoscaling). */
  readonly workers: number;
  readonly profile: SimProfile;
  /** Lambda memory (MB): sets vCPUs and the price. Default 3008 (NumPyWren's setting). */
  readonly memoryMb?: number;
  readonly arch?: 'x86' | 'arm64';
  /** Autoscaling: a policy for the driver (default: the driver's own, queue depth up to `workers`), or NumPyWren's. */
  readonly scale?: ScalePolicy | NumpywrenScaling;
  /** Kill this fraction of the running executors once, at `afterMs` of virtual time. */
  readonly kill?: { readonly fraction: number; readonly afterMs: number };
  readonly speculate?: SpeculationPolicy;
  readonly seed?: number;
  readonly kernelProfile?: KernelProfile;
  readonly prices?: SimPrices;
  /** Receives every attempt and sample record (for `--trace`). */
  readonly onTrace?: (r: TaskAttemptTrace | SampleTrace) => void;
  /** Give up after this much virtual time (default 7 days). */
  readonly limitS?: number;
}

export interface SimCost {
  total: number;
  lambda: number;
  sqs: number;
  dynamodb: number;
  s3: number;
}

export interface Bottleneck {
  /** The resource: a throttled one, or 'kernels', 'idle (not enough ready tasks)', 'S3 transfers' … */
  readonly resource: string;
  readonly detail: string;
  /** Throttled requests of that resource (0 when it idled executors without throttling). */
  readonly throttled: number;
  /** Seconds between its first and last throttled request, or executor-seconds lost. */
  readonly seconds: number;
}

export interface SimResult {
  readonly status: JobResult['status'];
  readonly error?: string;
  readonly jobId: string;
  readonly profile: string;
  readonly workers: number;
  readonly tasks: number;
  readonly totalTasks: number;
  readonly attempts: number;
  /** Attempts of redelivered messages (after a lost lease, a crash, a retry). */
  readonly redelivered: number;
  /** Executors killed by the fault experiment. */
  readonly killed: number;
  readonly flops: number;
  readonly predictedWallS: number;
  /** Executor lifetime × cores per executor (vCPU-seconds on Lambda). */
  readonly coreS: number;
  /** Executor lifetime, summed. */
  readonly executorS: number;
  /** Kernel time / (executor lifetime × task slots per executor). */
  readonly utilisation: number;
  readonly costUsd: SimCost;
  readonly apiCalls: Record<SimService, number>;
  readonly operations: Record<string, number>;
  readonly billed: {
    readonly sqsRequests: number;
    readonly sqsEmptyReceives: number;
    readonly dynamoWru: number;
    readonly dynamoRru: number;
    readonly s3Get: number;
    readonly s3Put: number;
    readonly lambdaGbS: number;
    readonly lambdaInvocations: number;
    readonly s3PeakGb: number;
  };
  readonly peakConcurrency: number;
  readonly coldStarts: number;
  readonly criticalPathS: number | null;
  readonly criticalPathTasks: number | null;
  /** Each job of the simulation (one unless `then` was given); the figures above are their sums. */
  readonly jobs: readonly SimJobResult[];
  /** Executor time per protocol phase (seconds, summed over attempts) and idle time. */
  readonly phases: Readonly<Record<'read' | 'compute' | 'write' | 'mark' | 'finish' | 'idle', number>>;
  readonly throttles: readonly { resource: string; count: number; firstS: number; lastS: number }[];
  readonly bottleneck: Bottleneck;
  /** Real seconds the simulation took. */
  readonly simWallS: number;
  readonly events: number;
  readonly memoryMb: number;
  readonly arch: 'x86' | 'arm64';
}

/** Lambda handler's margin before its timeout (runtime/backends/aws/executors/handler.ts). */
const LAMBDA_TIMEOUT_MS = 15 * 60_000;
const HANDLER_MARGIN_MS = 60_000;

interface PhaseAcc {
  read: number;
  compute: number;
  write: number;
  mark: number;
  finish: number;
  attempts: number;
  /** Attempts of a redelivered message (the task ran, or began, before). */
  redelivered: number;
  /** Per kernel: summed attempt time (ms) and count of ok attempts. */
  readonly byKernel: Map<string, { ms: number; n: number }>;
  busyMs: number;
}

function accumulate(acc: PhaseAcc, a: TaskAttemptTrace): void {
  acc.attempts++;
  if (a.attempt > 1) acc.redelivered++;
  const t = a.t;
  const end = t.ack ?? t.mark ?? t.write ?? t.compute ?? t.read ?? t.lease;
  acc.busyMs += end - t.lease;
  if (t.read !== undefined) acc.read += t.read - t.lease;
  if (t.compute !== undefined && t.read !== undefined) acc.compute += t.compute - t.read;
  if (t.write !== undefined && t.compute !== undefined) acc.write += t.write - t.compute;
  if (t.mark !== undefined && t.write !== undefined) acc.mark += t.mark - t.write;
  if (t.ack !== undefined && t.mark !== undefined) acc.finish += t.ack - t.mark;
  if (a.outcome === 'ok') {
    const k = acc.byKernel.get(a.kernel) ?? { ms: 0, n: 0 };
    k.ms += end - t.lease;
    k.n++;
    acc.byKernel.set(a.kernel, k);
  }
}

/** Keys of every block of `m` under `prefix`. */
function* inputBlocks(prefix: string, m: SimMatrix): Generator<{ key: string; rows: number; cols: number }> {
  const gr = Math.ceil(m.rows / m.blockRows);
  const gc = Math.ceil(m.cols / m.blockCols);
  for (let i = 0; i < gr; i++) {
    for (let j = 0; j < gc; j++) {
      if (m.lowerOnly && j > i) continue;
      const rows = Math.min(m.blockRows, m.rows - i * m.blockRows);
      const cols = Math.min(m.blockCols, m.cols - j * m.blockCols);
      yield { key: blockKey(prefix, [i, j]), rows, cols };
    }
  }
}

/** Runs the simulation. Never leaves virtual time installed. */
export async function simulate(o: SimulateOptions): Promise<SimResult> {
  const realStart = process.hrtime.bigint();
  // Executors load their kernels (only small blocks run for real); loaded here, in real time,
  // the executors' load resolves at once instead of racing virtual time.
  await loadKernels('js');
  const p = o.profile;
  const memoryMb = o.memoryMb ?? 3008;
  const arch = o.arch ?? 'x86';
  const prices = o.prices ?? SIM_PRICES;
  const clock = new VirtualTime({ seed: o.seed ?? 1 });
  const meter = new Meter(() => clock.now());
  const names = resourceNames('lapwing-sim');
  const retry = DEFAULT_RETRY;
  const jobId = `j-sim-${o.seed ?? 1}`;
  let killed = 0;
  /** Set when the driver failed: executors still starting stop at once. */
  let stopped = false;

  // Executors on Lambda have their own vCPUs (memory-sized; an arm64 core is assumed 0.9 of an
  // x86 one for BLAS); processes and threads share the host's cores one kernel at a time.
  const onLambda = p.executors === 'lambda';
  const cores = onLambda ? lambdaVcpus(memoryMb) : 1;
  // On Lambda the handler runs one single-threaded kernel per thread, ⌈vCPUs⌉ threads and as
  // many tasks at once: a kernel gets its share of the vCPUs (0.85 of a core at 3008 MB).
  const threads = onLambda ? lambdaThreads(memoryMb) : 1;
  const rates = new KernelRates(o.kernelProfile ?? DEFAULT_KERNEL_PROFILE, p.coreFactor * (onLambda && arch === 'arm64' ? 0.9 : 1), cores / threads);
  const acc: PhaseAcc = { read: 0, compute: 0, write: 0, mark: 0, finish: 0, attempts: 0, redelivered: 0, byKernel: new Map(), busyMs: 0 };
  const hostCpu = onLambda ? undefined : new Cpu(clock, p.hostCores);
  const execEnv: SimExecutorEnv = {
    clock,
    rates,
    ...(hostCpu ? { cpu: hostCpu } : {}),
    jitter: 0.05,
    onTrace: (t) => {
      accumulate(acc, t);
      o.onTrace?.(t);
    },
    kernelMs: 0,
  };

  const jobs = [o.job, ...(o.then ?? [])];
  // Every matrix a job is given (not made by an earlier job) is seeded once, under its prefix.
  const seeds = new Map<string, SimMatrix>();
  for (const j of jobs) for (const [name, m] of Object.entries(j.inputs)) if (!isRef(m)) seeds.set(m.prefix ?? `inputs/${name}`, m);

  let backend: Backend;
  let lambda: LambdaModel | null = null;
  let host: SimHostLauncher | null = null;
  const liveLambdas = new Map<string, KillSwitch>();
  let lambdaLifeMs = 0;
  let sqs: SqsModel | null = null;
  let stopHeartbeats = (): void => undefined;

  if (p.executors === 'thread') {
    const blocks = new MemoryBlockStore();
    for (const [prefix, m] of seeds) for (const b of inputBlocks(prefix, m)) blocks.putSync(b.key, placeholder(b.rows, b.cols));
    const queue = new MemoryQueue(() => Date.now());
    const state = new MemoryStateStore();
    const stores = { blocks, queue, state };
    host = new SimHostLauncher(clock, p.processStart, (id, kill) =>
      runSimExecutor(execEnv, stores, { executorId: id, ...executorSettings(p), checkBeforeWrite: true }, kill), 'local');
    backend = { name: 'local', blocks, queue, state, launcher: host, defaultWorkers: 1, timings: LOCAL_TIMINGS, close: () => host!.close() };
  } else {
    // Emulators on the host: s3rver and the SQS emulator share one thread of the driver's
    // process, DynamoDB Local runs on any core; all of them on the cores the kernels use.
    const onHost = p.services === 'host' && hostCpu !== undefined;
    const loop = new Cpu(clock, 1);
    const inLoop: Serve | undefined = onHost ? (ms) => loop.hold(() => hostCpu.run(ms)) : undefined;
    const s3 = new S3Model(clock, p.s3, meter, inLoop);
    sqs = new SqsModel(clock, p.sqs, meter, inLoop);
    const ddb = new DynamoModel(clock, p.dynamodb, meter, onHost ? (ms) => hostCpu.run(ms) : undefined);
    for (const [prefix, m] of seeds) for (const b of inputBlocks(prefix, m)) s3.seed(`${names.bucket}/${objectKey(names.keyPrefix, b.key)}`, b.rows, b.cols);
    const sqsModel = sqs;
    // As the aws backend builds it: small blocks inline in DynamoDB through the real hybrid
    // store (inputs are seeded in S3 only; the hybrid store's fallback finds small ones there).
    const blockStore = (objects: SimBlockStore): BlockStore =>
      p.s3.inlineBytes > 0 ? new HybridBlockStore(new DynamoBlockStore(ddb.client(), { table: names.table, ttlSeconds: 7 * 24 * 3600, retry }), objects, p.s3.inlineBytes) : objects;
    /**
     * One executor's (or the driver's) stores, as the handler builds them; process executors
     * get the queue URLs from their launcher (no look-ups), Lambdas look them up.
     */
    const openStores = async (urls?: readonly [string, string, string, string]): Promise<{ blocks: BlockStore; queue: SqsTaskQueue; state: StateStore }> => ({
      blocks: blockStore(new SimBlockStore(s3.client(new Link(clock, p.s3)), names.bucket, retry, names.keyPrefix)),
      queue: await SqsTaskQueue.open(sqsModel.client(), names, { priorityCuts: DEFAULT_PRIORITY_CUTS, retry }, urls),
      state: new DynamoStateStore(ddb.client(), { table: names.table, ttlSeconds: 7 * 24 * 3600, retry }),
    });
    // The executors' heartbeats (heartbeats.ts): each executor writes its own item; the driver's
    // monitor reads them all, and the Lambda launcher counts the live ones.
    const heartbeats = new HeartbeatMonitor(ddb.client(), { table: names.table, retry });
    /** Runs an executor as the handler and executor-main.ts do: heartbeat, loop, stop, close. */
    const runBeating = async (id: string, stores: Awaited<ReturnType<typeof openStores>>, kill: KillSwitch, first: Promise<unknown>, settings: Parameters<typeof runSimExecutor>[2]): Promise<void> => {
      // A killed executor's requests never leave (its heartbeat goes stale, as a dead process's).
      const shared = ddb.client();
      const own = Object.create(shared) as typeof shared;
      Object.defineProperty(own, 'send', { value: (cmd: unknown) => (kill.killed ? new Promise<never>(() => undefined) : (shared.send as (c: unknown) => Promise<unknown>)(cmd)) });
      const beat = new HeartbeatWriter(own, stores.queue, { table: names.table, executorId: id, retry, intervalMs: DEFAULT_HEARTBEAT_MS, warn: () => undefined });
      // Stopping also cuts a waiting lease short, as executor-main.ts does on SIGTERM.
      kill.stopSignal.addEventListener('abort', () => stores.queue.interrupt(), { once: true });
      await Promise.race([Promise.all([beat.start(), first]), kill.dead]);
      try {
        if (!kill.killed) await runSimExecutor(execEnv, stores, settings, kill);
      } finally {
        if (!kill.killed) {
          await beat.stop();
          // Messages an outstanding long poll brings now go back to the queue at once.
          await stores.queue.close().catch(() => undefined);
        }
      }
    };
    let launcher: Backend['launcher'];
    const envStores = new Map<number, Awaited<ReturnType<typeof openStores>>>();
    // The handler's jobs read and bound, per execution environment (as its module scope).
    const envJobs = new Map<number, ExecutorJobCache>();
    if (onLambda) {
      const lambdaClient = (): ReturnType<LambdaModel['client']> => lambda!.client();
      lambda = new LambdaModel(clock, p.lambda, meter, memoryMb, async (payload: unknown, env: Environment) => {
        let event: ReturnType<typeof parseExecutorEvent> = {};
        try {
          event = parseExecutorEvent(payload);
        } catch {
          event = {};
        }
        const id = event.executorId ?? `lambda-env-${env.id}`;
        const kill = new KillSwitch();
        if (stopped) kill.kill();
        liveLambdas.set(id, kill);
        const t0 = clock.now();
        try {
          // The handler keeps its backend for the life of the environment (warm starts reuse it).
          let stores = envStores.get(env.id);
          if (!stores) {
            stores = await openStores();
            envStores.set(env.id, stores);
          }
          // The handler's launch token: a repeated event runs nothing (one PutItem per executor).
          if (event.executorId !== undefined && !(await claimOnce(dynamoClaim(ddb.client(), names.table, retry), event.executorId, () => undefined))) return;
          const share = launchShare(event, lambdaInvoker(lambdaClient(), names.functionName, retry), () => undefined);
          let jobCache = envJobs.get(env.id);
          if (!jobCache) envJobs.set(env.id, (jobCache = new JobCache(JOBS_PER_CONTAINER)));
          await runBeating(id, stores, kill, share, { executorId: id, jobCache, ...executorSettings(p), concurrency: Math.max(p.executor.concurrency, threads), maxRuntimeMs: LAMBDA_TIMEOUT_MS - HANDLER_MARGIN_MS });
        } finally {
          liveLambdas.delete(id);
          lambdaLifeMs += clock.now() - t0;
        }
      });
      const idle = p.executor.idleTimeoutMs;
      launcher = new LambdaLauncher(lambda.client(), {
        functionName: names.functionName,
        retry,
        lifetimeMs: Math.min(LAMBDA_TIMEOUT_MS, idle + 30_000),
        available: true,
        heartbeats,
        // What the aws backend reads from Lambda (the function's or the account's concurrency).
        concurrencyLimit: p.lambda.concurrency,
      });
    } else {
      host = new SimHostLauncher(clock, p.processStart, async (id, kill) => {
        const stores = await openStores(urls());
        await runBeating(id, stores, kill, Promise.resolve(), { executorId: id, ...executorSettings(p) }, );
      }, 'proc');
      launcher = host;
    }
    const driverStores = await withClock(clock, openStores());
    const urls = (): [string, string, string, string] => driverStores.queue.urls();
    // SQS cannot list what is in flight; the heartbeats can (speculation reads it).
    driverStores.queue.leases = heartbeats.leases;
    stopHeartbeats = () => heartbeats.stop();
    // The driver's own set-up (queue URLs) is the session's, before the job: the bench counts
    // the job's requests only.
    meter.reset();
    backend = { name: 'aws', ...driverStores, launcher, defaultWorkers: 1, timings: AWS_TIMINGS, close: () => launcher.close() };
  }

  const bounds = jobs.map((j) => bind(j.program, j.args));
  const totals = bounds.map((b) => countTasks(b));
  const totalTasks = totals.reduce((a, b) => a + b, 0);
  const numpywren = o.scale && 'kind' in o.scale ? o.scale : null;
  const lapwingScale = o.scale && !('kind' in o.scale) ? o.scale : undefined;

  const queueDepth = (): { visible: number; inFlight: number } => sqs?.depth() ?? { visible: 0, inFlight: 0 };
  const running = (): number => lambda?.concurrency() ?? host?.running() ?? 0;

  let result: JobResult;
  const results: JobResult[] = [];
  /** API calls when each job started (a job's own are the difference to the next). */
  const callsBefore: Record<SimService, number>[] = [];
  clock.install();
  try {
    if (numpywren) {
      // Every minute: if running < ⌈½ · waiting / pipeline⌉, launch up to ⌈waiting / pipeline⌉ − running.
      const tick = (): void => {
        const d = queueDepth();
        const waiting = d.visible;
        const r = running();
        if (r < Math.ceil((0.5 * waiting) / numpywren.pipelineWidth)) {
          const n = Math.min(numpywren.max, Math.ceil(waiting / numpywren.pipelineWidth)) - r;
          if (n > 0) void backend.launcher.launch(n).catch(() => undefined);
        }
      };
      const t = setInterval(tick, numpywren.everyMs);
      t.unref();
      setTimeout(tick, 1000).unref();
    }
    if (o.kill) {
      const { fraction, afterMs } = o.kill;
      setTimeout(() => {
        const ids = host ? host.ids() : [...liveLambdas.keys()];
        const n = Math.round(fraction * ids.length);
        // A seeded shuffle picks the victims.
        for (let i = ids.length - 1; i > 0; i--) {
          const j = Math.floor(clock.random() * (i + 1));
          [ids[i], ids[j]] = [ids[j]!, ids[i]!];
        }
        for (const id of ids.slice(0, n)) {
          if (host) void host.kill(id);
          else liveLambdas.get(id)?.kill();
        }
        killed = n;
      }, afterMs).unref();
    }
    // The jobs one after another, as the library runs a call of several programs: each starts
    // when the one before has returned, on the executors still running.
    for (const [i, j] of jobs.entries()) {
      const id = i === 0 ? jobId : `${jobId}-${i + 1}`;
      const inputs: Record<string, string> = {};
      for (const [name, m] of Object.entries(j.inputs)) {
        const prefix = isRef(m) ? results[m.phase]?.outputs[m.output] : (m.prefix ?? `inputs/${name}`);
        if (prefix === undefined) throw new Error(`job ${i + 1} (${j.program.name}) reads output ${isRef(m) ? `${m.output} of job ${m.phase + 1}` : name}, which no earlier job made`);
        inputs[name] = prefix;
      }
      // As Lapwing.run does where the launcher cannot start executors as work arrives (and every
      // `bench`): the pool is started right before each job, not waited for.
      if (o.scale === undefined && !backend.launcher.launchOnDemand) await clock.run(launchMissing(backend.launcher, o.workers));
      callsBefore.push({ ...meter.calls });
      const driverStart = performance.now();
      const job = runJob(
        backend,
        { program: j.program, args: j.args, inputs, kernels: 'js' },
        {
          workers: numpywren || lapwingScale ? Math.min(o.workers, lapwingScale?.min ?? 0) : o.workers,
          jobId: id,
          keepState: false,
          ...(lapwingScale ? { scale: lapwingScale } : numpywren ? { scale: { min: 0, max: 0, pipelineWidth: 1, cooldownMs: 0 } } : {}),
          ...(o.speculate ? { speculate: o.speculate } : {}),
          // A traced run samples the queue depth (GetQueueAttributes) as the real traced one
          // does; an untraced, quiet one does not.
          ...(o.onTrace ? { onSample: (s: SampleTrace) => o.onTrace!(s) } : {}),
        },
      );
      // The driver gives up when a store call exhausts its retries (a throttled state store):
      // that is an outcome of the simulated job, not an error of the simulation.
      const r = await clock.run(job, { limitMs: (o.limitS ?? 7 * 24 * 3600) * 1000 }).catch((e: unknown): JobResult => {
        if (e instanceof SimDeadlockError) throw e;
        return { jobId: id, status: 'failed', error: `the driver failed: ${errorMessage(e)}`, wallS: (performance.now() - driverStart) / 1000, tasks: 0, flops: 0, outputs: {}, speculated: 0 };
      });
      results.push(r);
      if (r.status !== 'done') break;
    }
    const last = results.at(-1)!;
    result = {
      jobId,
      status: last.status,
      ...(last.error !== undefined ? { error: jobs.length > 1 ? `job ${results.length} (${jobs[results.length - 1]!.program.name}): ${last.error}` : last.error } : {}),
      wallS: results.reduce((a, r) => a + r.wallS, 0),
      tasks: results.reduce((a, r) => a + r.tasks, 0),
      flops: results.reduce((a, r) => a + r.flops, 0),
      outputs: last.outputs,
      speculated: results.reduce((a, r) => a + r.speculated, 0),
    };
    // The driver is done: it no longer reads the heartbeats (the launcher's close() stops them).
    stopHeartbeats();
    // Executors idle out after the job: their tail is billed. Local threads never idle out;
    // after a failed driver the executors of the real system would work on: stop them here.
    if (result.status !== 'done') {
      stopped = true;
      for (const k of liveLambdas.values()) k.kill();
      host?.killAll();
    }
    // Process executors are stopped when the session closes after its job (ProcessLauncher's
    // close(): SIGTERM), as `bench … --emulate` does before it reads their request counts;
    // Lambda executors idle out.
    if (p.executors === 'process') await host?.close();
    if (p.executors === 'thread') await backend.close();
    else await clock.run(waitUntil(() => running() === 0 && (lambda?.queued() ?? 0) === 0), { limitMs: clock.now() + 3600_000 });
  } finally {
    clock.uninstall();
  }

  // ---- analysis ------------------------------------------------------------------------------
  const executorMs = onLambda ? lambdaLifeMs : (host?.lifeMs ?? 0) + (p.executors === 'thread' ? 0 : 0);
  const executorS = (p.executors === 'thread' ? (host?.started ?? 0) * result.wallS * 1000 : executorMs) / 1000;
  // An executor runs up to `slots` tasks at once: phases are summed per attempt, so idle time
  // and utilisation are per slot.
  const slots = onLambda ? Math.max(p.executor.concurrency, threads) : p.executor.concurrency;
  const slotS = executorS * slots;
  const coreS = executorS * cores;
  const kernelS = execEnv.kernelMs / 1000;
  const weight = (k: string): number => {
    const s = acc.byKernel.get(k);
    return s && s.n > 0 ? s.ms / s.n / 1000 : 0;
  };
  const paths = bounds.map((b, i) => (totals[i]! <= 1_000_000 ? dagCriticalPath(b, weight, 1_000_000) : null));
  // Jobs run one after another: their critical paths add up.
  const path = paths.every((x) => x !== null) ? { seconds: paths.reduce((a, x) => a + x!.seconds, 0), tasks: paths.reduce((a, x) => a + x!.tasks, 0) } : null;
  const jobResults: SimJobResult[] = results.map((r, i) => {
    const until = callsBefore[i + 1] ?? meter.calls;
    return {
      program: jobs[i]!.program.name,
      jobId: r.jobId,
      status: r.status,
      tasks: r.status === 'failed' && r.tasks === 0 && results.length === 1 ? [...acc.byKernel.values()].reduce((a, k) => a + k.n, 0) : r.tasks,
      totalTasks: totals[i]!,
      wallS: r.wallS,
      criticalPathS: paths[i]?.seconds ?? null,
      criticalPathTasks: paths[i]?.tasks ?? null,
      // The set-up before the first job counts as its own; the idle tail after the last as the last's.
      apiCalls: Object.fromEntries(Object.entries(until).map(([k, v]) => [k, v - (i === 0 ? 0 : callsBefore[i]![k as SimService])])) as Record<SimService, number>,
    };
  });
  const phases = {
    read: acc.read / 1000,
    compute: acc.compute / 1000,
    write: acc.write / 1000,
    mark: acc.mark / 1000,
    finish: acc.finish / 1000,
    idle: Math.max(0, slotS - acc.busyMs / 1000),
  };
  const throttles = [...meter.throttles.entries()]
    .map(([resource, s]) => ({ resource, count: s.count, firstS: s.first / 1000, lastS: s.last / 1000 }))
    .sort((a, b) => b.count - a.count);
  const costUsd = cost(meter, prices, arch);
  const out: SimResult = {
    status: result.status,
    ...(result.error !== undefined ? { error: result.error } : {}),
    jobId,
    profile: p.name,
    workers: o.workers,
    tasks: result.status === 'failed' && result.tasks === 0 ? [...acc.byKernel.values()].reduce((a, k) => a + k.n, 0) : result.tasks,
    totalTasks,
    attempts: acc.attempts,
    redelivered: acc.redelivered,
    killed,
    flops: result.flops,
    predictedWallS: result.wallS,
    coreS,
    executorS,
    utilisation: slotS > 0 ? Math.min(1, kernelS / slotS) : 0,
    costUsd,
    apiCalls: { ...meter.calls },
    operations: meter.operations(),
    billed: {
      sqsRequests: meter.sqsBilled,
      sqsEmptyReceives: meter.sqsEmptyReceives,
      dynamoWru: meter.dynamoWru,
      dynamoRru: meter.dynamoRru,
      s3Get: meter.s3Get,
      s3Put: meter.s3Put,
      lambdaGbS: meter.lambdaMbMs / 1024 / 1000,
      lambdaInvocations: meter.lambdaInvocations,
      s3PeakGb: meter.s3PeakBytes / 1e9,
    },
    peakConcurrency: onLambda ? meter.lambdaPeakConcurrency : (host?.started ?? 0) > 0 ? Math.min(o.workers, host?.started ?? 0) : 0,
    coldStarts: meter.lambdaColdStarts,
    criticalPathS: path ? path.seconds : null,
    criticalPathTasks: path ? path.tasks : null,
    jobs: jobResults,
    phases,
    throttles,
    bottleneck: bottleneck(throttles, phases, killed, result.wallS),
    simWallS: Number(process.hrtime.bigint() - realStart) / 1e9,
    events: clock.fired,
    memoryMb,
    arch,
  };
  return out;
}

function executorSettings(p: SimProfile): { idleTimeoutMs: number; pollMs: number; visibilityMs: number; concurrency: number; kernels: string } {
  return { ...p.executor, kernels: 'js' };
}

/** Runs `work` in virtual time (setup steps before the job). */
async function withClock<T>(clock: VirtualTime, work: Promise<T>): Promise<T> {
  clock.install();
  try {
    return await clock.run(work);
  } finally {
    clock.uninstall();
  }
}

/** Resolves once `cond` holds, checking every virtual second. */
function waitUntil(cond: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const check = (): void => {
      if (cond()) resolve();
      else setTimeout(check, 1000);
    };
    check();
  });
}

/** Dollars by service, as AWS bills the metered units. */
export function cost(m: Meter, prices: SimPrices, arch: 'x86' | 'arm64'): SimCost {
  const lambda = (m.lambdaMbMs / 1024 / 1000) * prices.lambdaGbSecond[arch] + m.lambdaInvocations * prices.lambdaRequest;
  const sqs = m.sqsBilled * prices.sqsRequest;
  const dynamodb = m.dynamoWru * prices.dynamoWrite + m.dynamoRru * prices.dynamoRead;
  const gbMonths = m.s3ByteMs / 1e9 / (30 * 24 * 3600 * 1000);
  const s3 = m.s3Get * prices.s3Get + m.s3Put * prices.s3Put + gbMonths * prices.s3GbMonth;
  return { total: lambda + sqs + dynamodb + s3, lambda, sqs, dynamodb, s3 };
}

/**
 * The bottleneck: the resource that throttled most, if any did; otherwise the largest share of
 * executor time that was not kernel work.
 */
function bottleneck(
  throttles: readonly { resource: string; count: number; firstS: number; lastS: number }[],
  phases: Readonly<Record<'read' | 'compute' | 'write' | 'mark' | 'finish' | 'idle', number>>,
  killedExecutors: number,
  wallS: number,
): Bottleneck {
  const total = Object.values(phases).reduce((a, b) => a + b, 0) || 1;
  const pct = (x: number): string => `${Math.round((100 * x) / total)}%`;
  const share = `executor time: kernels ${pct(phases.compute)}, S3 reads ${pct(phases.read)}, S3 writes ${pct(phases.write)}, state+queue ${pct(phases.mark + phases.finish)}, idle ${pct(phases.idle)}`;
  // A throttled resource is the bottleneck when it refused requests over a real part of the run
  // (a burst of refusals while the job's items are deleted at the end is not).
  const top = throttles.find((t) => t.count >= 10 && t.lastS - t.firstS >= 0.02 * wallS);
  if (top) {
    return {
      resource: top.resource,
      detail: `${top.count} requests refused between ${top.firstS.toFixed(1)} s and ${top.lastS.toFixed(1)} s; ${share}${killedExecutors ? `; ${killedExecutors} executors killed` : ''}`,
      throttled: top.count,
      seconds: top.lastS - top.firstS,
    };
  }
  const candidates: [string, number][] = [
    ['kernels (compute-bound)', phases.compute],
    ['S3 transfers (reads)', phases.read],
    ['S3 transfers (writes)', phases.write],
    ['state store and queue calls', phases.mark + phases.finish],
    ['idle executors (too few ready tasks, start-up and idle tail)', phases.idle],
  ];
  candidates.sort((a, b) => b[1] - a[1]);
  const [resource, seconds] = candidates[0]!;
  return { resource, detail: share, throttled: 0, seconds };
}
