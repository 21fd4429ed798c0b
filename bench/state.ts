/**
 * `lapwing bench state`: the state store's cost on DynamoDB, task by task. It replays the
 * state-store calls a job makes — per task: the executor's job-status read, one markEdge per
 * child, completeTask, one markEdge per temporary input read by other tasks too (its reader set);
 * per wave of tasks: the
 * driver's poll — against DynamoDB (Local with --emulate) with `ReturnConsumedCapacity: TOTAL`,
 * with no kernels, blocks or queue, so the figures are the state store's alone.
 *
 * Tasks run in waves of `workers` at once, in the order the DAG releases them (a child runs once
 * markEdge reported all its parents: the store's own counts drive the replay). At the end the
 * table is scanned for item sizes and partition keys, and deleteJob is timed.
 */
import { ScanCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { bind, compile, programSource, taskKey, type ProgramName, type Task } from '../lang/index.ts';
import type { JobRecord, JobState, StateStore } from '../runtime/core/interfaces.ts';
import { blockKey, childNode, newJobId, readersNode, tempPrefix } from '../runtime/core/keys.ts';
import type { AwsClients } from '../runtime/backends/aws/clients.ts';
import type { AwsConfig } from '../runtime/backends/aws/config.ts';
import { DynamoStateStore } from '../runtime/backends/aws/stores/dynamo-state-store.ts';
import { meterCapacity, type Capacity } from '../runtime/backends/aws/stores/dynamo-capacity.ts';

/** On-demand prices, us-east-1 (per million request units). */
const USD_PER_MILLION_WRU = 0.625;
const USD_PER_MILLION_RRU = 0.125;

export interface StateBenchOptions {
  readonly program: ProgramName;
  readonly args: Readonly<Record<string, number>>;
  /** Tasks replayed at once (executors); the driver polls once per wave. */
  readonly workers: number;
  readonly config: AwsConfig;
  readonly clients: AwsClients;
}

export interface StateBenchResult {
  readonly benchmark: 'state';
  readonly program: string;
  readonly args: Readonly<Record<string, number>>;
  readonly tasks: number;
  readonly workers: number;
  readonly children_per_task: number;
  readonly temp_reads_per_task: number;
  readonly wcu_per_task: number;
  readonly wcu_per_task_first_decile: number;
  readonly wcu_per_task_last_decile: number;
  readonly wcu_per_task_max: number;
  readonly rcu_per_task: number;
  readonly calls_per_task: number;
  readonly max_item_bytes: number;
  readonly items: number;
  readonly partition_keys: number;
  readonly usd_per_million_tasks: number;
  readonly delete_s: number;
  readonly wall_s: number;
}

/** DynamoDB's size of an attribute value (names count separately). */
function valueBytes(v: AttributeValue): number {
  if (v.S !== undefined) return Buffer.byteLength(v.S);
  if (v.N !== undefined) return Math.ceil(v.N.replace(/^-|\.|e.*$/gi, '').length / 2) + 1;
  if (v.B !== undefined) return v.B.byteLength;
  if (v.SS !== undefined) return v.SS.reduce((s, x) => s + Buffer.byteLength(x), 0);
  if (v.NS !== undefined) return v.NS.reduce((s, x) => s + Math.ceil(x.length / 2) + 1, 0);
  if (v.BS !== undefined) return v.BS.reduce((s, x) => s + x.byteLength, 0);
  if (v.BOOL !== undefined || v.NULL !== undefined) return 1;
  if (v.L !== undefined) return 3 + v.L.reduce((s, x) => s + 1 + valueBytes(x), 0);
  if (v.M !== undefined) return 3 + Object.entries(v.M).reduce((s, [k, x]) => s + 1 + Buffer.byteLength(k) + valueBytes(x), 0);
  return 0;
}

/** DynamoDB's size of an item: attribute names plus values. */
export function itemBytes(item: Record<string, AttributeValue>): number {
  return Object.entries(item).reduce((s, [k, v]) => s + Buffer.byteLength(k) + valueBytes(v), 0);
}

const mean = (xs: readonly number[]): number => (xs.length === 0 ? 0 : xs.reduce((s, x) => s + x, 0) / xs.length);
const round = (x: number, digits = 3): number => Math.round(x * 10 ** digits) / 10 ** digits;

/** The status read an executor makes before a task (the cheap one where the store has it). */
function statusRead(state: StateStore, jobId: string): Promise<Pick<JobState, 'status'> | null> {
  const s = state as StateStore & { getJobStatus?: (id: string) => Promise<Pick<JobState, 'status'> | null> };
  return s.getJobStatus ? s.getJobStatus(jobId) : s.getJobState(jobId);
}

/** Replays the state-store calls of every task of the program's DAG; see the module header. */
export async function benchState(o: StateBenchOptions): Promise<StateBenchResult> {
  const t0 = performance.now();
  const program = compile(programSource(o.program));
  const bound = bind(program, o.args);
  const table = o.config.names.table;
  const state = new DynamoStateStore(o.clients.dynamodb, { table, ttlSeconds: o.config.ttlSeconds, retry: o.config.retry });
  const meter = meterCapacity(o.clients.dynamodb, { transactionsReportedAtHalf: o.config.emulated });
  const jobId = newJobId();
  const matrices: Record<string, { role: 'in' | 'out' | 'temp'; prefix: string }> = {};
  for (const p of program.params) if (p.kind === 'matrix') matrices[p.name] = { role: p.role ?? 'temp', prefix: tempPrefix(jobId, p.name) };
  const record: JobRecord = { id: jobId, program, args: o.args, matrices, terminalTasks: bound.terminalCount(), createdAt: Date.now(), kernels: 'js' };
  await state.putJob(record);

  const perTask: Capacity[] = [];
  let children = 0;
  let tempReads = 0;
  const callsBefore = o.clients.counts().dynamodb;
  const driverBefore = { rcu: 0, wcu: 0 };
  let ready: Task[] = [...bound.starters()];
  while (ready.length > 0) {
    const next: Task[] = [];
    for (let i = 0; i < ready.length; i += o.workers) {
      const wave = ready.slice(i, i + o.workers);
      const done = await Promise.all(wave.map((t) => meter.scope(() => replayTask(state, bound, jobId, matrices, t))));
      for (const d of done) {
        perTask.push(d.capacity);
        next.push(...d.result.ready);
        children += d.result.children;
        tempReads += d.result.tempReads;
      }
      const poll = await meter.scope(() => state.getJobState(jobId));
      driverBefore.rcu += poll.capacity.rcu;
    }
    ready = next;
  }
  const st = await state.getJobState(jobId);
  if (st?.terminalDone !== record.terminalTasks) {
    throw new Error(`replay ended with ${st?.terminalDone} of ${record.terminalTasks} terminal tasks counted`);
  }
  await state.finishJob(jobId, 'done');
  const calls = o.clients.counts().dynamodb - callsBefore;

  // Sizes and partitions of what the job left in the table.
  let maxItem = 0;
  let items = 0;
  const pks = new Set<string>();
  let start: Record<string, AttributeValue> | undefined;
  do {
    const res = await o.clients.dynamodb.send(new ScanCommand({ TableName: table, ...(start ? { ExclusiveStartKey: start } : {}) }));
    for (const it of res.Items ?? []) {
      items++;
      maxItem = Math.max(maxItem, itemBytes(it));
      if (it.pk?.S !== undefined) pks.add(it.pk.S);
    }
    start = res.LastEvaluatedKey;
  } while (start);

  const d0 = performance.now();
  await state.deleteJob(jobId);
  const deleteS = (performance.now() - d0) / 1000;

  const n = perTask.length;
  const wcu = perTask.map((c) => c.wcu);
  const decile = Math.max(1, Math.floor(n / 10));
  const rcuTotal = perTask.reduce((s, c) => s + c.rcu, 0) + driverBefore.rcu;
  const wcuTotal = wcu.reduce((s, x) => s + x, 0);
  return {
    benchmark: 'state',
    program: o.program,
    args: o.args,
    tasks: n,
    workers: o.workers,
    children_per_task: round(children / n),
    temp_reads_per_task: round(tempReads / n),
    wcu_per_task: round(wcuTotal / n),
    wcu_per_task_first_decile: round(mean(wcu.slice(0, decile))),
    wcu_per_task_last_decile: round(mean(wcu.slice(n - decile))),
    wcu_per_task_max: Math.max(...wcu),
    rcu_per_task: round(rcuTotal / n),
    calls_per_task: round(calls / n),
    max_item_bytes: maxItem,
    items,
    partition_keys: pks.size,
    usd_per_million_tasks: round(((wcuTotal / n) * USD_PER_MILLION_WRU) + ((rcuTotal / n) * USD_PER_MILLION_RRU), 2),
    delete_s: round(deleteS),
    wall_s: round((performance.now() - t0) / 1000),
  };
}

/** The executor's state-store calls for one task (executor.ts, first delivery, no crash). */
async function replayTask(
  state: StateStore,
  bound: ReturnType<typeof bind>,
  jobId: string,
  matrices: Readonly<Record<string, { role: string; prefix: string }>>,
  t: Task,
): Promise<{ ready: Task[]; children: number; tempReads: number }> {
  const key = taskKey(t);
  await statusRead(state, jobId);
  const kids = bound.children(t);
  const ready: Task[] = [];
  await Promise.all(
    kids.map(async (c) => {
      const n = await state.markEdge(jobId, childNode(taskKey(c)), key);
      if (n === bound.parents(c).length) ready.push(c);
    }),
  );
  const temps = new Set<string>();
  // A temporary read by this task alone is deleted without a reader set (executor.ts).
  for (const r of bound.reads(t)) if (bound.role(r.matrix) === 'temp' && bound.readers(r).length > 1) temps.add(blockKey(matrices[r.matrix]!.prefix, r.idx));
  await Promise.all([
    state.completeTask(jobId, key, bound.isTerminal(t), { flops: 1 }),
    ...[...temps].map((b) => state.markEdge(jobId, readersNode(b), key)),
  ]);
  return { ready, children: kids.length, tempReads: temps.size };
}

/** Options of `lapwing bench state` as commander parses them. */
export interface StateBenchCliOptions {
  readonly program: string;
  readonly arg: readonly string[];
  readonly workers: string;
  readonly emulate?: boolean;
  readonly json?: boolean;
}

/**
 * `lapwing bench state`: against the emulators started for the run (--emulate), or against the
 * deployed table of the environment's stack. Prints the result; its last line is the JSON object.
 */
export async function runStateBench(o: StateBenchCliOptions): Promise<StateBenchResult> {
  const { UserError } = await import('../runtime/cli/errors.ts');
  const { isProgramName } = await import('../lang/index.ts');
  const { loadAwsConfig } = await import('../runtime/backends/aws/config.ts');
  const { createClients } = await import('../runtime/backends/aws/clients.ts');
  const { createDataResources, destroyDataResources } = await import('../runtime/backends/aws/deploy/provision.ts');
  if (!isProgramName(o.program)) throw new UserError(`--program: no shipped program '${o.program}' (cholesky, gemm, trsm, tsqr)`);
  const args: Record<string, number> = {};
  for (const item of o.arg) {
    for (const s of item.split(',')) {
      const m = /^\s*([A-Za-z_]\w*)\s*=\s*(-?\d+)\s*$/.exec(s);
      if (m === null) throw new UserError(`--arg expects NAME=INTEGER (e.g. --arg N=8), got '${s}'`);
      args[m[1]!] = Number(m[2]);
    }
  }
  const workers = Number(o.workers);
  if (!Number.isInteger(workers) || workers < 1) throw new UserError(`--workers must be a positive integer, got '${o.workers}'`);
  const env: Record<string, string | undefined> = { ...process.env };
  let stop = async (): Promise<void> => undefined;
  if (o.emulate) {
    const { startEmulators, emulatorEnv } = await import('../runtime/backends/aws/dev/emulators.ts');
    const emu = await startEmulators();
    stop = () => emu.stop();
    Object.assign(env, emulatorEnv(emu.endpoints, 'bench-state'));
  }
  try {
    const config = loadAwsConfig(env);
    const clients = createClients(config);
    try {
      if (o.emulate) await createDataResources(clients, config);
      const r = await benchState({ program: o.program, args, workers, config, clients });
      if (!o.json) {
        for (const [k, v] of Object.entries(r)) if (typeof v !== 'object') process.stdout.write(`${k.padEnd(28)} ${v}\n`);
      }
      process.stdout.write(`${JSON.stringify(r)}\n`);
      if (o.emulate) await destroyDataResources(clients, config);
      return r;
    } finally {
      clients.destroy();
    }
  } finally {
    await stop();
  }
}
