/**
 * `lapwing simulate cholesky --n 262144 --block 4096 --workers 1000`: runs the job's real
 * driver and executors in virtual time against simulated AWS services (runtime/backends/sim/)
 * and prints the predicted wall time, core-seconds, cost and API calls by service, peak
 * concurrency, the critical path against the achieved time, and the bottleneck.
 */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import type { SampleTrace, TaskAttemptTrace } from '../../core/interfaces.ts';
import { simJob, SIM_ALGORITHMS } from '../../backends/sim/jobs.ts';
import type { KernelProfile, KernelRow } from '../../backends/sim/kernel-rates.ts';
import { parseServiceProfile, PROFILE_NAMES, profileByName, withServiceProfile, type ServiceProfile, type SimProfile } from '../../backends/sim/profiles.ts';
import type { SimResult, SimulateOptions } from '../../backends/sim/simulate.ts';
import { positiveInt, printSummary } from '../common.ts';
import type { Algorithm, AlgorithmOptions, Summary } from './algorithms.ts';
import { UserError } from '../errors.ts';
import { errorMessage } from '../../core/util.ts';

interface SimulateFlags {
  n: string;
  block: string;
  workers: string;
  rows?: string;
  cols?: string;
  q?: boolean;
  rhs?: string;
  vectors?: boolean;
  arg?: string[];
  profile: string;
  memory: string;
  arch: string;
  autoscale: string;
  killFraction?: string;
  after?: string;
  trace?: string;
  json?: boolean;
  seed: string;
  kernelProfile?: string;
  serviceProfile?: string;
  speculate?: boolean;
  set?: string[];
}

/** Applies `--set section.field=number` overrides to a profile (what-if studies of limits). */
export function overrideProfile(p: SimProfile, sets: readonly string[]): SimProfile {
  let out: SimProfile = p;
  for (const s of sets) {
    const m = /^(s3|sqs|dynamodb|lambda)\.(\w+)=(\d+(?:\.\d+)?(?:e\d+)?)$/.exec(s);
    const section = m?.[1] as 's3' | 'sqs' | 'dynamodb' | 'lambda' | undefined;
    const field = m?.[2];
    if (!m || !section || !field || typeof Object.getOwnPropertyDescriptor(out[section], field)?.value !== 'number') {
      throw new UserError(`--set must look like dynamodb.partitionWcu=3000 (a numeric field of s3, sqs, dynamodb or lambda), got '${s}'`);
    }
    out = { ...out, [section]: { ...out[section], [field]: Number(m[3]) } };
  }
  return out;
}

/** Parses a duration: `60s`, `1.5m`, `500ms` or plain seconds. */
export function parseDuration(v: string, what: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(v.trim());
  if (!m) throw new UserError(`${what} must be a duration like 60s, 2m or 500ms, got '${v}'`);
  const x = Number(m[1]);
  const unit = m[2] ?? 's';
  return unit === 'ms' ? x : unit === 's' ? x * 1000 : unit === 'm' ? x * 60_000 : x * 3_600_000;
}

/** Reads `lapwing bench kernels --json` output (its last line) as a kernel profile; one-line errors. */
export async function kernelProfile(path: string): Promise<KernelProfile> {
  let rows: unknown;
  try {
    rows = JSON.parse((await readFile(path, 'utf8')).trim().split('\n').at(-1) ?? '');
  } catch (e) {
    throw new UserError(`--kernel-profile ${path}: not the JSON array \`lapwing bench kernels --json\` prints (${errorMessage(e)})`);
  }
  const ok = Array.isArray(rows) && rows.every((r: unknown) => typeof r === 'object' && r !== null && typeof (r as KernelRow).kernel === 'string' && typeof (r as KernelRow).n === 'number' && typeof (r as KernelRow).gflops === 'number');
  if (!ok) throw new UserError(`--kernel-profile ${path}: expected rows like {"kernel":"gemm","backend":"openblas","n":512,"gflops":30}`);
  return { measured: path, command: 'lapwing bench kernels --json', machine: 'this machine', rows: rows as KernelRow[] };
}

/** Reads `lapwing bench services --json` output (its last line; its `profile`); one-line errors. */
export async function serviceProfile(path: string): Promise<ServiceProfile> {
  try {
    const out = JSON.parse((await readFile(path, 'utf8')).trim().split('\n').at(-1) ?? '') as { profile?: unknown };
    return parseServiceProfile(out.profile);
  } catch (e) {
    throw new UserError(`--service-profile ${path}: not the JSON object \`lapwing bench services --json\` prints (${errorMessage(e)})`);
  }
}

/** Options of a simulation from CLI flags (shared with `--estimate`). */
export async function simulateOptions(what: string, f: SimulateFlags, onTrace?: SimulateOptions['onTrace']): Promise<{ options: SimulateOptions; flops: number; label: string; n: number; block: number }> {
  const n = positiveInt(f.n, '--n');
  const block = positiveInt(f.block, '--block');
  const workers = positiveInt(f.workers, '--workers');
  if (!PROFILE_NAMES.includes(f.profile as never)) throw new UserError(`--profile must be one of ${PROFILE_NAMES.join(', ')}, got '${f.profile}'`);
  const memoryMb = positiveInt(f.memory, '--memory');
  if (memoryMb < 128 || memoryMb > 10_240) throw new UserError(`--memory must be 128…10240 MB (Lambda's range), got ${memoryMb}`);
  if (f.arch !== 'x86' && f.arch !== 'arm64') throw new UserError(`--arch must be x86 or arm64, got '${f.arch}'`);
  const args: Record<string, number> = {};
  for (const a of f.arg ?? []) {
    const m = /^([A-Za-z_]\w*)=(-?\d+)$/.exec(a);
    if (!m) throw new UserError(`--arg must look like N=8, got '${a}'`);
    args[m[1]!] = Number(m[2]);
  }
  let scale: SimulateOptions['scale'];
  if (f.autoscale === 'numpywren') scale = { kind: 'numpywren', max: workers, pipelineWidth: 1, everyMs: 60_000 };
  else if (f.autoscale === 'fixed') scale = { min: workers, max: workers, pipelineWidth: 1, cooldownMs: 0 };
  else if (f.autoscale !== 'lapwing') throw new UserError(`--autoscale must be fixed, lapwing or numpywren, got '${f.autoscale}'`);
  let kill: SimulateOptions['kill'];
  if (f.killFraction !== undefined) {
    const fraction = Number(f.killFraction);
    if (!(fraction > 0 && fraction <= 1)) throw new UserError(`--kill-fraction must be in (0, 1], got '${f.killFraction}'`);
    kill = { fraction, afterMs: parseDuration(f.after ?? '60s', '--after') };
  }
  const { job, then, flops, label, n: shownN } = (() => {
    try {
      return simJob(what, {
        n, block, args,
        ...(f.rows ? { rows: positiveInt(f.rows, '--rows') } : {}),
        ...(f.cols ? { cols: positiveInt(f.cols, '--cols') } : {}),
        ...(f.rhs ? { rhs: positiveInt(f.rhs, '--rhs') } : {}),
        ...(f.q ? { q: true } : {}),
        ...(f.vectors ? { vectors: true } : {}),
      });
    } catch (e) {
      if (e instanceof Error && 'code' in e && e.code === 'ENOENT') throw new UserError(`${what}: no such algorithm (${SIM_ALGORITHMS.join(', ')}) or program file`);
      throw e;
    }
  })();
  const options: SimulateOptions = {
    job,
    ...(then.length > 0 ? { then } : {}),
    workers,
    profile: overrideProfile(f.serviceProfile ? withServiceProfile(profileByName(f.profile), await serviceProfile(f.serviceProfile)) : profileByName(f.profile), f.set ?? []),
    memoryMb,
    arch: f.arch,
    seed: positiveInt(f.seed, '--seed'),
    ...(scale ? { scale } : {}),
    ...(kill ? { kill } : {}),
    ...(f.kernelProfile ? { kernelProfile: await kernelProfile(f.kernelProfile) } : {}),
    ...(f.speculate ? { speculate: { factor: 3, minSamples: 5, minMs: 1000 } } : {}),
    ...(onTrace ? { onTrace } : {}),
  };
  return { options, flops, label, n: shownN, block };
}

const usd = (x: number): string => (x >= 100 ? `$${x.toFixed(0)}` : x >= 1 ? `$${x.toFixed(2)}` : `$${x.toPrecision(2)}`);
const int = (x: number): string => Math.round(x).toLocaleString('en-US');
const secs = (s: number): string => (s >= 100 ? `${s.toFixed(0)} s` : `${s.toFixed(2)} s`);

/** The human summary of a simulation. */
export function summaryLines(label: string, n: number, block: number, r: SimResult): string[] {
  const jobs = r.jobs.length > 1
    ? r.jobs.map((j, i) => `  ${`job ${i + 1}`.padEnd(17)}${j.program}: ${secs(j.wallS)}, ${int(j.tasks)} of ${int(j.totalTasks)} tasks${j.criticalPathS === null ? '' : `, critical path ${secs(j.criticalPathS)}`} · API calls s3 ${int(j.apiCalls.s3)} · sqs ${int(j.apiCalls.sqs)} · dynamodb ${int(j.apiCalls.dynamodb)} · lambda ${int(j.apiCalls.lambda)}${j.status === 'done' ? '' : ` (${j.status})`}`)
    : [];
  const cp = r.criticalPathS === null ? 'not computed' : `${secs(r.criticalPathS)} over ${r.criticalPathTasks} tasks (${Math.round((100 * r.criticalPathS) / Math.max(1e-9, r.predictedWallS))}% of the predicted time)`;
  return [
    `simulate ${label} n=${n} block=${block} workers=${r.workers} profile=${r.profile} (${r.arch}, ${r.memoryMb} MB): ${r.status}${r.error ? ` — ${r.error}` : ''}`,
    `  predicted wall   ${secs(r.predictedWallS)}${r.jobs.length > 1 ? ` (the sum of ${r.jobs.length} jobs run one after another)` : ''}`,
    ...jobs,
    `  critical path    ${cp}`,
    `  tasks            ${int(r.tasks)} of ${int(r.totalTasks)} (${int(r.attempts)} attempts, ${int(r.redelivered)} redelivered${r.killed ? `; ${r.killed} executors killed` : ''})`,
    `  core-seconds     ${int(r.coreS)} (executor-seconds ${int(r.executorS)}, kernel utilisation ${Math.round(100 * r.utilisation)}%)`,
    `  cost             ${usd(r.costUsd.total)}: lambda ${usd(r.costUsd.lambda)} · sqs ${usd(r.costUsd.sqs)} · dynamodb ${usd(r.costUsd.dynamodb)} · s3 ${usd(r.costUsd.s3)}`,
    `  API calls        s3 ${int(r.apiCalls.s3)} · sqs ${int(r.apiCalls.sqs)} · dynamodb ${int(r.apiCalls.dynamodb)} · lambda ${int(r.apiCalls.lambda)}`,
    `  peak concurrency ${int(r.peakConcurrency)} executors (${int(r.coldStarts)} cold starts)`,
    `  bottleneck       ${r.bottleneck.resource}: ${r.bottleneck.detail}`,
    ...r.throttles.slice(0, 4).map((t) => `  throttled        ${t.resource}: ${int(t.count)} requests, ${t.firstS.toFixed(1)}–${t.lastS.toFixed(1)} s`),
    `  simulated in     ${r.simWallS.toFixed(1)} s (${int(r.events)} events)`,
  ];
}

/** The `--json` object (snake_case like the bench JSON). */
export function summaryJson(label: string, n: number, block: number, r: SimResult): Record<string, unknown> {
  return {
    algorithm: label,
    n,
    block,
    profile: r.profile,
    workers: r.workers,
    memory_mb: r.memoryMb,
    arch: r.arch,
    status: r.status,
    tasks: r.tasks,
    attempts: r.attempts,
    redelivered: r.redelivered,
    killed: r.killed,
    predicted_wall_s: r.predictedWallS,
    critical_path_s: r.criticalPathS,
    core_s: r.coreS,
    executor_s: r.executorS,
    utilisation: r.utilisation,
    cost_usd: r.costUsd,
    api_calls: r.apiCalls,
    api_calls_by_op: r.operations,
    operations: r.operations,
    billed: r.billed,
    peak_concurrency: r.peakConcurrency,
    cold_starts: r.coldStarts,
    phases_s: r.phases,
    jobs: r.jobs.map((j) => ({
      program: j.program,
      status: j.status,
      tasks: j.tasks,
      total_tasks: j.totalTasks,
      predicted_wall_s: j.wallS,
      critical_path_s: j.criticalPathS,
      api_calls: j.apiCalls,
    })),
    throttles: r.throttles,
    bottleneck: r.bottleneck,
    sim_wall_s: r.simWallS,
    events: r.events,
  };
}

/** Registers the `simulate` command. */
export function register(cli: Command): void {
  cli
    .command('simulate')
    .description('predict a job on AWS (time, $, API calls, bottleneck): the real driver and executors in virtual time against simulated Lambda, SQS, S3 and DynamoDB')
    .argument('<job>', `${SIM_ALGORITHMS.join('|')} or a program file (.lp)`)
    .option('--n <n>', 'matrix size', '8192')
    .option('--block <b>', 'block size', '1024')
    .option('--workers <w>', 'executors (the maximum when autoscaling)', '100')
    .option('--rows <m>', 'tsqr, qr, lstsq, svd: rows of A (default --n)')
    .option('--cols <c>', 'tsqr, qr, lstsq, svd: columns of A (default --n); trsm, spd_solve, lu_solve: columns of B (default --n)')
    .option('--q', 'qr: also the explicit Q (as lapwing qr --q)')
    .option('--rhs <k>', 'lstsq: columns of B', '1')
    .option('--vectors', 'svd: also U and V (as lapwing svd --vectors)')
    .option('--arg <NAME=INT...>', 'integer argument of a program file (repeatable)')
    .option('--profile <p>', `service and executor calibration: ${PROFILE_NAMES.join(', ')}`, 'aws')
    .option('--memory <MB>', 'Lambda memory (sets vCPUs and price)', '3008')
    .option('--arch <a>', 'Lambda architecture: x86 or arm64', 'x86')
    .option('--autoscale <policy>', 'lapwing (the driver\'s default: queue depth, up to --workers), fixed (keep --workers running) or numpywren (every 60 s: add while running < ½ waiting)', 'lapwing')
    .option('--kill-fraction <f>', 'kill this fraction of the running executors once …')
    .option('--after <t>', '… this long into the run (e.g. 60s)', '60s')
    .option('--speculate', 'speculative backups of stragglers')
    .option('--set <section.field=value...>', 'override a service figure, e.g. dynamodb.partitionWcu=1e9 or lambda.concurrency=3000 (repeatable)')
    .option('--kernel-profile <file>', 'kernel rates: the output of `lapwing bench kernels --json` (default: the shipped profile)')
    .option('--service-profile <file>', 'service latencies and executor start: the output of `lapwing bench services --json` (measured against the emulators; default: the profile\'s own figures)')
    .option('--seed <s>', 'random seed of latencies and faults', '1')
    .option('--trace <file>', 'write the simulated run as a trace (`lapwing report FILE` renders it)')
    .option('--json', 'one JSON object on the last line')
    .action(async (what: string, f: SimulateFlags) => {
      const records: (TaskAttemptTrace | SampleTrace)[] = [];
      const { options, label, n, block } = await simulateOptions(what, f, f.trace ? (r) => records.push(r) : undefined);
      // A trace is the record of one job (its header carries the one program the report reads).
      if (f.trace && options.then) throw new UserError(`--trace records one job, and ${label} runs ${1 + options.then.length} (${[options.job, ...options.then].map((j) => j.program.name).join(', ')}): leave out --trace`);
      // The simulated services load the AWS SDK: only when a simulation runs, not with every CLI start.
      const { simulate } = await import('../../backends/sim/simulate.ts');
      const r = await simulate(options);
      if (f.trace) await writeSimTrace(f.trace, label, n, block, options, r, records);
      printSummary(f.json === true, summaryJson(label, n, block, r), summaryLines(label, n, block, r));
      if (r.status !== 'done') process.exitCode = 1;
    });
}

async function writeSimTrace(path: string, label: string, n: number, block: number, o: SimulateOptions, r: SimResult, records: readonly (TaskAttemptTrace | SampleTrace)[]): Promise<void> {
  const { TraceWriter } = await import('../../tracing/trace-file.ts');
  let error: Error | null = null;
  const w = new TraceWriter({ onError: (e) => (error = e) });
  const first = records.find((x) => x.type === 'attempt');
  const startedAt = first && first.type === 'attempt' ? first.t.lease : Date.now();
  await w.open(path, {
    job: r.jobId,
    algorithm: label,
    n,
    block,
    backend: `sim:${r.profile}`,
    kernels: 'simulated',
    workers: r.workers,
    startedAt,
    totalTasks: r.totalTasks,
    memoryMb: r.memoryMb,
    program: o.job.program,
    args: o.job.args,
    ...(r.criticalPathS !== null && r.criticalPathTasks !== null ? { criticalPath: { tasks: r.criticalPathTasks, seconds: r.criticalPathS } } : {}),
  });
  for (const rec of records) w.write(rec);
  await w.close({ wall_s: r.predictedWallS, tasks: r.tasks, ok: r.status === 'done', ...(r.error ? { error: r.error } : {}) });
  if (error) throw new UserError(`writing the trace ${path} failed: ${String(error)}`);
}

/**
 * `lapwing cholesky … --backend aws --estimate`: simulates the job on the AWS profile (Lambda
 * executors, 3008 MB) with the command's size, block and workers, prints the prediction and
 * returns it as the command's summary (nothing runs on AWS).
 */
export async function estimateAlgorithm(alg: Algorithm, o: AlgorithmOptions): Promise<Summary> {
  if (o.backend !== 'aws') throw new UserError('--estimate predicts a run on AWS: add --backend aws');
  if (o.input || o.a || o.b || o.l) throw new UserError('--estimate works from sizes: give --n (and --rows/--cols for tsqr, qr, lstsq, svd), not input files');
  const flags: SimulateFlags = {
    n: o.n ?? (alg === 'tsqr' ? o.rows ?? '2048' : '2048'),
    block: o.block,
    workers: o.workers ?? '2',
    ...(o.rows ? { rows: o.rows } : {}),
    ...(o.cols ? { cols: o.cols } : {}),
    ...(o.rhs ? { rhs: o.rhs } : {}),
    ...(o.q ? { q: true } : {}),
    ...(o.vectors ? { vectors: true } : {}),
    profile: 'aws',
    memory: '3008',
    arch: 'x86',
    autoscale: 'lapwing',
    seed: '1',
  };
  const { options, label, n, block, flops } = await simulateOptions(alg, flags);
  const { simulate } = await import('../../backends/sim/simulate.ts');
  const r = await simulate(options);
  const summary: Summary = {
    algorithm: alg,
    n,
    block,
    backend: 'aws (estimate)',
    kernels: 'simulated',
    workers: r.workers,
    tasks: r.tasks,
    wall_s: r.predictedWallS,
    gflops: flops / r.predictedWallS / 1e9,
    residual: Number.NaN,
    ok: r.status === 'done',
    estimate: summaryJson(label, n, block, r),
  };
  printSummary(o.json === true, summary, [
    `${alg} n=${n} block=${block} on AWS, estimated by simulation (nothing ran):`,
    ...summaryLines(label, n, block, r).slice(1),
  ]);
  return summary;
}
