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
 * profile (`--kernel-profile`), so prediction and measurement see the same machine state.
 *
 *   node --import tsx bench/sim-validate.ts [--which local,emulated] [--reps 1]
 *
 * Prints one line per comparison (predicted, measured, ratio, within the goal or not); the last
 * line is a JSON array of those rows.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

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

const { values } = parseArgs({ options: { which: { type: 'string', default: 'local,emulated' }, reps: { type: 'string', default: '1' } } });
const which = new Set(values.which.split(','));
const reps = Number(values.reps);
const dir = await mkdtemp(join(tmpdir(), 'lapwing-sim-validate-'));
process.stdout.write(`load average at start: ${(await import('node:os')).loadavg().map((x) => x.toFixed(1)).join(' ')}\n`);
try {
  for (let rep = 1; rep <= reps; rep++) {
    const profile = join(dir, `kernels-${rep}.json`);
    await writeFile(profile, await lapwing(['bench', 'kernels', '--sizes', '256,512,1024', '--backends', 'openblas', '--kernels', 'gemm,syrk,trsm,chol', '--json']));
    if (which.has('local')) {
      const shape = ['--n', '8192', '--block', '512', '--workers', '2'];
      const measured = await json<{ wall_s: number }>(['bench', 'cholesky', ...shape, '--json']);
      const sim = await json<{ predicted_wall_s: number }>(['simulate', 'cholesky', ...shape, '--profile', 'local', '--kernel-profile', profile, '--json']);
      compare('local cholesky 8192/512 ×2', rep, 'wall s', sim.predicted_wall_s, measured.wall_s, 0.15);
    }
    if (which.has('emulated')) {
      for (const n of ['1024', '2048']) {
        const shape = ['--n', n, '--block', '256', '--workers', '2'];
        const measured = await json<{ wall_s: number; api_calls?: Record<string, number> }>(['bench', 'cholesky', ...shape, '--backend', 'aws', '--emulate', '--executors', 'process', '--json']);
        const sim = await json<{ predicted_wall_s: number; api_calls: Record<string, number> }>(['simulate', 'cholesky', ...shape, '--profile', 'emulated', '--kernel-profile', profile, '--json']);
        const check = `emulated cholesky ${n}/256 ×2`;
        compare(check, rep, 'wall s', sim.predicted_wall_s, measured.wall_s, 0.25);
        for (const service of ['s3', 'sqs', 'dynamodb']) compare(check, rep, `${service} calls`, sim.api_calls[service] ?? 0, measured.api_calls?.[service] ?? 0, 0.05);
      }
    }
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
process.stdout.write(`${JSON.stringify(rows)}\n`);
