/**
 * The simulator against runs that really happen on this machine, measured in the same run:
 *
 *   local     `simulate cholesky --profile local` of 8192/512 on 2 workers against
 *             `bench cholesky --n 8192 --block 512 --workers 2` (goal: wall within 15%)
 *   emulated  `simulate cholesky --profile emulated` against `bench cholesky --backend aws
 *             --emulate --executors process` at n 1024 and 2048, block 256, 2 workers (goal: API
 *             calls per service within 5%, wall within 25%)
 *
 * Each rep first measures the kernels (`bench kernels --json`), and the simulation takes that
 * profile (`--kernel-profile`), so prediction and measurement see the same machine state; the
 * emulated check also measures the emulators' latencies and an executor's start (`bench
 * services --json`, taken with `--service-profile`), and prints the operations whose counts
 * differ (`api_calls_by_op`); a second wall row (`wall s in-run`) simulates again with the
 * latencies the measured job's own requests had and its executors' start (`api_latency_by_op`,
 * `executor_start_ms` of the bench JSON). The
 * local check measures the kernels again after the job and simulates with the mean of both
 * profiles (`wall s`), and once more with the rates the job's kernels achieved, read from its
 * trace (`wall s in-run`): that row leaves out the machine's drift between the kernel bench and
 * the job, so what remains is the simulator's own error.
 *
 *   node --import tsx bench/sim-validate.ts [--which local,emulated] [--reps 1]
 *
 * Prints one line per comparison (predicted, measured, ratio, within the goal or not), with
 * several reps their medians; the last line is a JSON array of those rows.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { ServiceProfile } from '../runtime/backends/sim/profiles.ts';
import { latency, serviceProfileOf, type OpTiming } from './services.ts';

const CLI = fileURLToPath(new URL('../runtime/cli/lapwing.mjs', import.meta.url));

/** Runs `lapwing …` and returns its last stdout line (the JSON the command prints). */
function lapwing(args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [CLI, ...args], { maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`lapwing ${args.join(' ')} failed: ${stderr.trim().split('\n').at(-1) ?? err.message}`));
      else resolve(stdout.trim().split('\n').at(-1) ?? '');
    });
  });
}

async function json<T>(args: readonly string[]): Promise<T> {
  return JSON.parse(await lapwing(args)) as T;
}

interface Row {
  readonly check: string;
  readonly rep: number;
  readonly quantity: string;
  readonly predicted: number;
  readonly measured: number;
  readonly ratio: number;
  readonly goal: number;
  readonly within: boolean;
}

const rows: Row[] = [];
function compare(check: string, rep: number, quantity: string, predicted: number, measured: number, goal: number): void {
  const ratio = measured > 0 ? predicted / measured : Number.NaN;
  const row: Row = { check, rep, quantity, predicted, measured, ratio, goal, within: Math.abs(ratio - 1) <= goal };
  rows.push(row);
  const f = (x: number): string => (Number.isInteger(x) ? String(x) : x.toFixed(2));
  process.stdout.write(`${check.padEnd(30)} ${quantity.padEnd(14)} predicted ${f(predicted).padStart(9)}  measured ${f(measured).padStart(9)}  ratio ${ratio.toFixed(3)}  ${row.within ? 'within' : 'OUTSIDE'} ±${goal * 100}%\n`);
}

const KERNEL_BENCH = ['bench', 'kernels', '--sizes', '256,512,1024', '--backends', 'openblas', '--kernels', 'gemm,syrk,trsm,chol', '--json'] as const;

/** A kernel profile row, as `bench kernels --json` prints it. */
interface KernelRow {
  readonly kernel: string;
  readonly backend: string;
  readonly n: number;
  readonly gflops: number;
}

async function readRows(path: string): Promise<KernelRow[]> {
  return JSON.parse(await readFile(path, 'utf8')) as KernelRow[];
}

/** Per kernel and size, the rate whose time is the mean of the profiles' times (harmonic mean). */
function meanProfile(profiles: readonly (readonly KernelRow[])[]): KernelRow[] {
  const first = profiles[0] ?? [];
  return first.map((r) => {
    const same = profiles.map((p) => p.find((q) => q.kernel === r.kernel && q.n === r.n && q.backend === r.backend)?.gflops ?? r.gflops);
    return { ...r, gflops: same.length / same.reduce((s, g) => s + 1 / g, 0) };
  });
}

/**
 * Rates each kernel achieved in a traced run: its flops ÷ its kernel time, over all attempts.
 * A syrk that read three distinct blocks is a gemm (C − A·Bᵀ, the simulator times it as one),
 * so its rate is the profile's gemm row; one that read two (B is A) is the symmetric syrk.
 */
async function traceRates(path: string): Promise<KernelRow[]> {
  const sums = new Map<string, { flops: number; ms: number; n: number }>();
  const text = await readFile(path, 'utf8');
  const block = Number((JSON.parse(text.split('\n', 1)[0]!) as { block: number }).block);
  for (const line of text.split('\n')) {
    if (!line.includes('"attempt"')) continue;
    const a = JSON.parse(line) as { type?: string; kernel: string; flops?: number; bytesRead?: number; outcome: string; t: { kernelStart?: number; kernelEnd?: number } };
    if (a.type !== 'attempt' || a.outcome !== 'ok' || a.t.kernelStart === undefined || a.t.kernelEnd === undefined || !a.flops) continue;
    const kernel = a.kernel === 'syrk' && (a.bytesRead ?? 0) >= 3 * 8 * block * block ? 'gemm' : a.kernel;
    const s = sums.get(kernel) ?? { flops: 0, ms: 0, n: block };
    s.flops += a.flops;
    s.ms += a.t.kernelEnd - a.t.kernelStart;
    sums.set(kernel, s);
  }
  return [...sums].map(([kernel, s]) => ({ kernel, backend: 'openblas', n: s.n, gflops: s.flops / (s.ms * 1e6) }));
}

/** API calls as `bench … --backend aws` and `simulate` print them (the bench also their latencies). */
interface Calls {
  readonly api_calls?: Record<string, number>;
  readonly api_calls_by_op?: Record<string, number>;
  readonly api_latency_by_op?: Record<string, OpTiming>;
  readonly executor_start_ms?: OpTiming;
}

/**
 * The service profile of a measured run: its own requests' latencies (one block size: S3 GETs
 * and PUTs take their measured time whole, transfer included), its executors' start, and the
 * first-request costs of DynamoDB Local from `bench services` (a median leaves them out).
 */
function inRunProfile(services: { profile: ServiceProfile }, ops: Readonly<Record<string, OpTiming>>, start: OpTiming): ServiceProfile {
  const base = services.profile;
  const s3 = {
    ...base.s3,
    ...(ops['s3:GetObject'] ? { getFirstByte: latency(ops['s3:GetObject'])!, downloadMBps: 1e6 } : {}),
    ...(ops['s3:PutObject'] ? { put: latency(ops['s3:PutObject'])!, uploadMBps: 1e6 } : {}),
    ...(ops['s3:DeleteObjects'] ? { other: latency(ops['s3:DeleteObjects'])! } : {}),
  };
  const own = serviceProfileOf(ops, s3, start, base.dynamodb?.firstCallMs ?? {});
  // Measured under the job's own load: their queueing is in them already.
  return { ...own, sqs: { ...base.sqs, ...own.sqs }, dynamodb: { ...base.dynamodb, ...own.dynamodb, ops: { ...base.dynamodb?.ops, ...own.dynamodb?.ops } }, services: 'remote' };
}

/** Prints the operations whose counts differ between prediction and measurement. */
function operationsApart(predicted: Record<string, number>, measured: Record<string, number>): void {
  const ops = [...new Set([...Object.keys(predicted), ...Object.keys(measured)])].sort();
  const apart = ops.filter((op) => (predicted[op] ?? 0) !== (measured[op] ?? 0)).map((op) => `${op} ${predicted[op] ?? 0}/${measured[op] ?? 0}`);
  process.stdout.write(`${''.padEnd(30)} operations apart (predicted/measured): ${apart.length > 0 ? apart.join(' · ') : 'none'}\n`);
}

/** Medians over the reps of every check and quantity (the machine's speed swings: one rep is noise). */
function medians(all: readonly Row[]): void {
  const groups = new Map<string, Row[]>();
  for (const r of all) groups.set(`${r.check}\u0000${r.quantity}`, [...(groups.get(`${r.check}\u0000${r.quantity}`) ?? []), r]);
  const mid = (xs: number[]): number => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 === 1 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
  };
  process.stdout.write(`medians over ${reps} rep(s):\n`);
  for (const g of groups.values()) {
    const ratio = mid(g.map((r) => r.ratio));
    const { check, quantity, goal } = g[0]!;
    process.stdout.write(`${check.padEnd(30)} ${quantity.padEnd(14)} predicted ${mid(g.map((r) => r.predicted)).toFixed(2).padStart(9)}  measured ${mid(g.map((r) => r.measured)).toFixed(2).padStart(9)}  ratio ${ratio.toFixed(3)}  ${Math.abs(ratio - 1) <= goal ? 'within' : 'OUTSIDE'} ±${goal * 100}%\n`);
  }
}

const { values } = parseArgs({ options: { which: { type: 'string', default: 'local,emulated' }, reps: { type: 'string', default: '1' } } });
const which = new Set(values.which.split(','));
const reps = Number(values.reps);
const dir = await mkdtemp(join(tmpdir(), 'lapwing-sim-validate-'));
process.stdout.write(`load average at start: ${(await import('node:os')).loadavg().map((x) => x.toFixed(1)).join(' ')}\n`);
try {
  for (let rep = 1; rep <= reps; rep++) {
    const profile = join(dir, `kernels-${rep}.json`);
    await writeFile(profile, await lapwing(KERNEL_BENCH));
    if (which.has('local')) {
      const shape = ['--n', '8192', '--block', '512', '--workers', '2'];
      const trace = join(dir, `local-${rep}.jsonl`);
      const measured = await json<{ wall_s: number }>(['bench', 'cholesky', ...shape, '--trace', trace, '--json']);
      // The machine's speed drifts within seconds: the kernels are measured again after the
      // job and the simulation takes the mean of both profiles.
      const after = join(dir, `kernels-${rep}-after.json`);
      await writeFile(after, await lapwing(KERNEL_BENCH));
      const around = join(dir, `kernels-${rep}-around.json`);
      await writeFile(around, JSON.stringify(meanProfile([await readRows(profile), await readRows(after)])));
      const sim = await json<{ predicted_wall_s: number }>(['simulate', 'cholesky', ...shape, '--profile', 'local', '--kernel-profile', around, '--json']);
      compare('local cholesky 8192/512 ×2', rep, 'wall s', sim.predicted_wall_s, measured.wall_s, 0.15);
      // The same simulation with the kernel rates the job itself achieved (from its trace):
      // what is left is the simulator's own error, the machine's drift taken out.
      const inRun = join(dir, `kernels-${rep}-in-run.json`);
      await writeFile(inRun, JSON.stringify(await traceRates(trace)));
      const simInRun = await json<{ predicted_wall_s: number }>(['simulate', 'cholesky', ...shape, '--profile', 'local', '--kernel-profile', inRun, '--json']);
      compare('local cholesky 8192/512 ×2', rep, 'wall s in-run', simInRun.predicted_wall_s, measured.wall_s, 0.15);
    }
    if (which.has('emulated')) {
      // The emulators' latencies and an executor process's start, measured in the same run.
      const services = join(dir, `services-${rep}.json`);
      await writeFile(services, await lapwing(['bench', 'services', '--json']));
      for (const n of ['1024', '2048']) {
        const shape = ['--n', n, '--block', '256', '--workers', '2'];
        const measured = await json<Calls & { wall_s: number }>(['bench', 'cholesky', ...shape, '--backend', 'aws', '--emulate', '--executors', 'process', '--json']);
        const sim = await json<Calls & { predicted_wall_s: number }>(['simulate', 'cholesky', ...shape, '--profile', 'emulated', '--kernel-profile', profile, '--service-profile', services, '--json']);
        const check = `emulated cholesky ${n}/256 ×2`;
        compare(check, rep, 'wall s', sim.predicted_wall_s, measured.wall_s, 0.25);
        for (const service of ['s3', 'sqs', 'dynamodb']) compare(check, rep, `${service} calls`, sim.api_calls?.[service] ?? 0, measured.api_calls?.[service] ?? 0, 0.05);
        operationsApart(sim.api_calls_by_op ?? {}, measured.api_calls_by_op ?? {});
        // The same simulation with the latencies the job's own requests had and its executors'
        // start (the bench JSON's api_latency_by_op, executor_start_ms): what is left is the
        // simulator's own error, the load of the job on its emulators taken out.
        if (measured.api_latency_by_op && measured.executor_start_ms) {
          const inRun = join(dir, `services-${rep}-${n}-in-run.json`);
          await writeFile(inRun, JSON.stringify({ profile: inRunProfile(JSON.parse(await readFile(services, 'utf8')) as { profile: ServiceProfile }, measured.api_latency_by_op, measured.executor_start_ms) }));
          const simInRun = await json<Calls & { predicted_wall_s: number }>(['simulate', 'cholesky', ...shape, '--profile', 'emulated', '--kernel-profile', profile, '--service-profile', inRun, '--json']);
          compare(check, rep, 'wall s in-run', simInRun.predicted_wall_s, measured.wall_s, 0.25);
        }
      }
    }
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
if (reps > 1) medians(rows);
process.stdout.write(`${JSON.stringify(rows)}\n`);
