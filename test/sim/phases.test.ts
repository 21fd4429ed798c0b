/**
 * Algorithms of several programs (LU then the solves, a transpose then the SVD …) are simulated
 * as the library runs them: the same programs with the same arguments, in the same order, each
 * a job on the same simulated services and executors; every job completes with the tasks its
 * program has.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { bind } from '../../lang/index.ts';
import { lapwing, type Lapwing } from '../../runtime/index.ts';
import { countTasks } from '../../runtime/scheduling/driver.ts';
import { simJob, type SimJobOptions } from '../../runtime/backends/sim/jobs.ts';
import { AWS_PROFILE } from '../../runtime/backends/sim/profiles.ts';
import { simulate } from '../../runtime/backends/sim/simulate.ts';

/** Programs and arguments of every job the real session ran, in order. */
const ran: { program: string; args: Readonly<Record<string, number>> }[] = [];
let lw: Lapwing;
const session = async (): Promise<Lapwing> =>
  (lw ??= await lapwing({ workers: 2, block: 32, kernels: process.env.LAPWING_KERNELS ?? 'auto', onJobStart: (j) => ran.push({ program: j.program.name, args: j.args }) }));
after(async () => lw?.close());

/** Runs `call` on the real local backend and returns the jobs it ran. */
async function jobsOf(call: (lw: Lapwing) => Promise<unknown>): Promise<typeof ran> {
  const s = await session();
  ran.length = 0;
  await call(s);
  return [...ran];
}

const cases: { name: string; alg: string; o: SimJobOptions; call: (lw: Lapwing) => Promise<unknown> }[] = [
  { name: 'lu', alg: 'lu', o: { n: 96, block: 32 }, call: async (lw) => lw.lu(await lw.random(96, 96)) },
  { name: 'general solve', alg: 'lu_solve', o: { n: 96, block: 32, cols: 40 }, call: async (lw) => lw.solve(await lw.random(96, 96), await lw.random(96, 40, { seed: 2 }), { assume: 'general' }) },
  { name: 'spd solve', alg: 'spd_solve', o: { n: 96, block: 32, cols: 40 }, call: async (lw) => lw.solve(await lw.randomSpd(96), await lw.random(96, 40, { seed: 2 }), { assume: 'spd' }) },
  { name: 'qr (R)', alg: 'qr', o: { n: 96, block: 32, rows: 128, cols: 64 }, call: async (lw) => lw.qr(await lw.random(128, 64)) },
  { name: 'qr --q', alg: 'qr', o: { n: 96, block: 32, rows: 128, cols: 64, q: true }, call: async (lw) => lw.qr(await lw.random(128, 64), { q: true }) },
  { name: 'lstsq', alg: 'lstsq', o: { n: 96, block: 32, rows: 128, cols: 64, rhs: 3 }, call: async (lw) => lw.lstsq(await lw.random(128, 64), await lw.random(128, 3, { seed: 2 })) },
  { name: 'svd (tall)', alg: 'svd', o: { n: 96, block: 32, rows: 128, cols: 64 }, call: async (lw) => lw.svd(await lw.random(128, 64)) },
  { name: 'svd (short-wide: transpose first)', alg: 'svd', o: { n: 96, block: 32, rows: 64, cols: 128 }, call: async (lw) => lw.svd(await lw.random(64, 128)) },
  { name: 'svd --vectors', alg: 'svd', o: { n: 96, block: 32, rows: 128, cols: 20, vectors: true }, call: async (lw) => lw.svd(await lw.random(128, 20), { vectors: true }) },
];

for (const c of cases) {
  test(`simulate ${c.name} runs the programs the library runs`, async () => {
    const real = await jobsOf(c.call);
    const sim = simJob(c.alg, c.o);
    const simulated = [sim.job, ...sim.then].map((j) => ({ program: j.program.name, args: j.args }));
    assert.ok(real.length >= 1);
    assert.deepEqual(simulated, real);
  });
}

test('a simulated call of several programs completes every job with its program\'s tasks', async () => {
  for (const [alg, o, jobs] of [['lu_solve', { n: 1024, block: 256, cols: 512 }, 2], ['svd', { n: 1024, block: 256, rows: 512, cols: 1024 }, 2]] as const) {
    const plan = simJob(alg, o);
    const r = await simulate({ job: plan.job, then: plan.then, workers: 4, profile: AWS_PROFILE, seed: 3 });
    assert.equal(r.status, 'done', r.error);
    assert.equal(r.jobs.length, jobs);
    const counts = [plan.job, ...plan.then].map((j) => countTasks(bind(j.program, j.args)));
    assert.deepEqual(r.jobs.map((j) => j.tasks), counts);
    assert.deepEqual(r.jobs.map((j) => j.totalTasks), counts);
    assert.ok(r.jobs.every((j) => j.status === 'done' && j.wallS > 0 && j.apiCalls.s3 > 0));
    assert.equal(r.tasks, counts.reduce((a, b) => a + b, 0));
    assert.ok(Math.abs(r.predictedWallS - r.jobs.reduce((a, j) => a + j.wallS, 0)) < 1e-9, 'the prediction is the sum of the jobs');
    for (const k of ['s3', 'sqs', 'dynamodb', 'lambda'] as const) assert.equal(r.jobs.reduce((a, j) => a + j.apiCalls[k], 0), r.apiCalls[k]);
    // The second job starts on the executors the first left running: no new Lambda is needed.
    assert.ok(r.jobs[1]!.apiCalls.lambda < r.jobs[0]!.apiCalls.lambda);
  }
});

const cli = fileURLToPath(new URL('../../runtime/cli/lapwing.mjs', import.meta.url));
const lapwingCli = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 120_000 });

test('simulate and --estimate of the multi-program commands print one JSON object with the per-job lines', () => {
  const sim = lapwingCli('simulate', 'lu_solve', '--n', '1024', '--block', '256', '--workers', '4', '--json');
  assert.equal(sim.status, 0, sim.stderr);
  const s = JSON.parse(sim.stdout.trim().split('\n').at(-1)!) as { tasks: number; jobs: { program: string; tasks: number }[]; predicted_wall_s: number; cost_usd: { total: number }; api_calls: Record<string, number>; bottleneck: unknown };
  assert.deepEqual(s.jobs.map((j) => j.program), ['lu', 'lu_solve']);
  assert.equal(s.tasks, s.jobs[0]!.tasks + s.jobs[1]!.tasks);
  assert.ok(s.predicted_wall_s > 0 && s.cost_usd.total > 0 && s.api_calls.sqs! > 0 && s.bottleneck);
  const text = lapwingCli('simulate', 'lu_solve', '--n', '1024', '--block', '256', '--workers', '4');
  assert.match(text.stdout, /job 1 +lu: .* · API calls s3/);
  assert.match(text.stdout, /job 2 +lu_solve: /);
  const est = lapwingCli('solve', '--n', '1024', '--block', '256', '--assume', 'general', '--workers', '4', '--backend', 'aws', '--estimate', '--json');
  assert.equal(est.status, 0, est.stderr);
  const e = JSON.parse(est.stdout.trim().split('\n').at(-1)!) as { backend: string; tasks: number; estimate: { jobs: unknown[] } };
  assert.equal(e.backend, 'aws (estimate)');
  assert.equal(e.tasks, s.tasks, 'the estimate simulates the same jobs as simulate');
  assert.equal(e.estimate.jobs.length, 2);
  const trace = lapwingCli('simulate', 'lu_solve', '--n', '1024', '--block', '256', '--trace', '/tmp/never.jsonl');
  assert.notEqual(trace.status, 0);
  assert.match(trace.stderr, /--trace records one job/);
});

test('a shape the command refuses is not simulated either', () => {
  assert.throws(() => simJob('svd', { n: 2048, block: 512, vectors: true }), /svd --vectors: the short side of A \(2048x2048\) must fit in one block/);
  assert.throws(() => simJob('qr', { n: 2048, block: 512, rows: 512, cols: 1024 }), /qr needs at least as many rows as columns/);
  assert.throws(() => simJob('lstsq', { n: 2048, block: 512, rows: 512 }), /lstsq needs at least as many rows as columns/);
});
