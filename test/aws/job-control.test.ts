/**
 * `lapwing status | resume | cancel` on emulated AWS, as the README promises: a job whose driver
 * process died (SIGKILL, mid-job) is still in the state store; `status` shows it running part
 * way, `resume` finishes it with a correct result and cleans up, and `cancel` stops another one
 * and removes its state and temporaries. Every step runs the real CLI in a child process.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Emulators } from '../../runtime/backends/aws/dev/emulators.ts';
import { createAwsBackend, loadAwsConfig, type AwsBackend } from '../../runtime/backends/aws/index.ts';
import { BlockMatrix } from '../../runtime/library/matrix.ts';
import { writeNpy } from '../../runtime/library/npy.ts';
import { emulatorEnv, emulators, releaseEmulators, uniqueStack } from './emulated.ts';
import { lastJson, runCli, startCli, type CliResult } from '../cli.ts';
import { sleep } from '../../runtime/core/util.ts';

const N = 192;
const BLOCK = 32;
const TASKS = (6 * 7 * 8) / 6; // Cholesky of 6×6 blocks: N(N+1)(N+2)/6 tasks
/** Long enough for a loaded machine; a CLI run that hangs still fails its test. */
const CLI_TIMEOUT_MS = 600_000;

let emu: Emulators;
let env: Record<string, string>;
let backend: AwsBackend;
let dir: string;
let A: Float64Array;

before(async () => {
  emu = await emulators();
  // js kernels and one executor keep the job slow enough to be caught part way; a one-second
  // lease brings the dead driver's in-flight tasks back quickly.
  env = { PATH: process.env.PATH ?? '', ...emulatorEnv(emu, uniqueStack('jc')), LAPWING_KERNELS: 'js', LAPWING_VISIBILITY_MS: '1000' };
  const dep = await cli(['deploy', '--no-lambda']);
  assert.equal(dep.code, 0, dep.stderr);
  backend = await createAwsBackend(loadAwsConfig(env), { create: false });
  dir = await mkdtemp(join(tmpdir(), 'lw-jobs-'));
  A = spd(N);
  await writeNpy(join(dir, 'A.npy'), { rows: N, cols: N, data: A });
});

after(async () => {
  try {
    await backend?.close();
    if (env) await cli(['destroy']);
    if (dir) await rm(dir, { recursive: true, force: true });
  } finally {
    await releaseEmulators();
  }
});

function cli(args: string[]): Promise<CliResult> {
  return runCli(args, { env, timeoutMs: CLI_TIMEOUT_MS });
}

/** A well-conditioned SPD matrix, row-major: BᵀB/n + I for a deterministic B. */
function spd(n: number): Float64Array {
  const b = Float64Array.from({ length: n * n }, (_, i) => Math.sin(i * 0.37) + 0.1 * Math.cos(i * 1.3));
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += b[k * n + i]! * b[k * n + j]!;
      a[i * n + j] = a[j * n + i] = s / n + (i === j ? 1 : 0);
    }
  }
  return a;
}

/** ‖A − L·Lᵀ‖_F / ‖A‖_F for a row-major L. */
function residual(l: Float64Array): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < N; i++) {
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k <= Math.min(i, j); k++) s += l[i * N + k]! * l[j * N + k]!;
      num += (A[i * N + j]! - s) ** 2;
      den += A[i * N + j]! ** 2;
    }
  }
  return Math.sqrt(num / den);
}


/**
 * Starts a Cholesky driver process, waits until its job has completed a few tasks (read from
 * the state store), SIGKILLs the driver and returns the job id.
 */
async function startAndKillDriver(): Promise<string> {
  const trace = join(dir, `${uniqueStack('trace')}.jsonl`);
  const driver = startCli(
    ['cholesky', '--backend', 'aws', '--executors', 'process', '--workers', '1', '--input', join(dir, 'A.npy'), '--block', String(BLOCK), '--trace', trace, '--quiet'],
    { env, timeoutMs: CLI_TIMEOUT_MS },
  );
  let job: string | undefined;
  let exited: CliResult | undefined;
  void driver.done.then((r) => (exited = r));
  // The trace's header names the job as soon as it starts; then its progress is in the state store.
  for (;;) {
    assert.equal(exited, undefined, `the driver ended before it could be killed: ${JSON.stringify(exited)}`);
    if (job === undefined) {
      const header = await readFile(trace, 'utf8').then((t) => t.split('\n')[0], () => '');
      if (header) job = (JSON.parse(header) as { job: string }).job;
    } else if (((await backend.state.getJobState(job))?.counters.tasks ?? 0) >= 3) break;
    await sleep(50);
  }
  driver.child.kill('SIGKILL');
  const r = await driver.done;
  assert.equal(r.signal, 'SIGKILL');
  return job;
}

/** `lapwing status JOB --json`. */
async function status(job: string): Promise<CliResult> {
  return cli(['status', job, '--json']);
}

describe('lapwing status / resume / cancel', () => {
  it('a job whose driver was SIGKILLed mid-job: status shows it part way, resume finishes it correctly', async () => {
    const job = await startAndKillDriver();
    const st = await status(job);
    assert.equal(st.code, 0, st.stderr);
    const s = lastJson(st.stdout);
    assert.equal(s.job, job);
    assert.equal(s.status, 'running');
    assert.equal(s.total_tasks, TASKS);
    assert.ok((s.tasks as number) >= 3 && (s.tasks as number) < TASKS, `part way: ${s.tasks}/${TASKS}`);

    const res = await cli(['resume', job, '--workers', '2', '--json']);
    assert.equal(res.code, 0, res.stderr);
    const r = lastJson(res.stdout);
    assert.equal(r.status, 'done');
    assert.equal(r.tasks, TASKS, 'every task counted once');
    const outputs = r.outputs as Record<string, string>;
    const L = new BlockMatrix(backend.blocks, N, N, BLOCK, BLOCK, outputs.L!);
    const err = residual(await L.toArray());
    assert.ok(err < 1e-12, `‖A − LLᵀ‖/‖A‖ = ${err}`);

    // Finished jobs are cleaned up: no state, no temporaries.
    const gone = await status(job);
    assert.notEqual(gone.code, 0);
    assert.match(gone.stderr, /^lapwing: job .* not found[^\n]*\n$/, 'one line');
    assert.deepEqual(await backend.blocks.list(`jobs/${job}/tmp/`), []);
    await L.delete();
  });

  it('cancel stops a job whose driver died: its state and temporaries are removed', async () => {
    const job = await startAndKillDriver();
    const c = await cli(['cancel', job]);
    assert.equal(c.code, 0, c.stderr);
    assert.equal(c.stdout, `job ${job}: cancelled\n`);
    assert.equal(await backend.state.getJobState(job), null, 'state removed');
    assert.deepEqual(await backend.blocks.list(`jobs/${job}/tmp/`), [], 'temporaries removed');
    const again = await cli(['cancel', job]);
    assert.notEqual(again.code, 0);
    assert.match(again.stderr, /^lapwing: job .* is not running \(or not found\)\n$/);
    const st = await status(job);
    assert.notEqual(st.code, 0);
    assert.match(st.stderr, /^lapwing: job .* not found[^\n]*\n$/);
  });
});
