/**
 * Fault tolerance on the local backend: an executor thread killed at every step of the task
 * protocol, duplicate delivery, lost acks, store errors, throttling and a stalled executor all
 * leave a result bit-identical to a fault-free run, with nothing left behind. Each test also
 * asserts that its fault happened: the kill (exit records), the plan's faults (the counters of
 * the backend's Faults), the stall (another executor ran the stalled task).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lapwing, CRASH_POINTS, JobFailedError, type Lapwing, type CrashPoint } from '../../runtime/index.ts';
import type { LocalBackend, LocalBackendOptions } from '../../runtime/backends/local/index.ts';
import type { FaultKind, FaultPlan } from '../../runtime/executor/faults.ts';
import type { TaskAttemptTrace, TraceRecord } from '../../runtime/core/interfaces.ts';

const KERNELS = process.env.LAPWING_KERNELS ?? 'auto';

interface Outcome {
  chol: Float64Array;
  r: Float64Array;
  leftovers: string[];
  executorsExited: number;
  injected: Readonly<Record<FaultKind, number>>;
  attempts: TaskAttemptTrace[];
  stalled: string[];
}

async function run(opts: Partial<LocalBackendOptions> & { faults?: FaultPlan } = {}): Promise<Outcome> {
  const attempts: TaskAttemptTrace[] = [];
  const onTrace = (t: TraceRecord): void => void (t.type === 'attempt' && attempts.push(t));
  const lw: Lapwing = await lapwing({ workers: 2, kernels: KERNELS, visibilityMs: 400, onTrace, ...opts });
  try {
    const A = await lw.randomSpd(5 * 16 + 3, { block: 16, seed: 7 });
    const T = await lw.random(7 * 16 + 5, 12, { block: 16, blockCols: 12, seed: 9 });
    const chol = await (await lw.cholesky(A)).toArray();
    const r = await (await lw.tsqr(T)).toArray();
    const b = lw.backend as LocalBackend;
    const leftovers = (await b.blocks.list('jobs/')).filter((k) => k.includes('/tmp/'));
    return { chol, r, leftovers, executorsExited: b.launcher.exits.length, injected: b.faults.injected, attempts, stalled: b.launcher.stalls.map((x) => x.executorId) };
  } finally {
    await lw.close();
  }
}

const clean = run();

for (const point of CRASH_POINTS) {
  test(`executor killed at '${point}': same result, nothing lost or left`, async () => {
    const base = await clean;
    const got = await run({ crashAt: { point: point as CrashPoint, nth: 3 } });
    assert.ok(got.executorsExited >= 1, 'the executor was really killed');
    assert.deepEqual(got.chol, base.chol);
    assert.deepEqual(got.r, base.r);
    assert.deepEqual(got.leftovers, []);
  });
}

test('an executor that stalls past its lease: another one takes over, same result', async () => {
  const base = await clean;
  // One task at a time per executor: the stalled one cannot lease its own task again.
  const got = await run({ concurrency: 1, crashAt: { point: 'kernel-done', nth: 2, stallMs: 1200 } });
  assert.equal(got.stalled.length, 1, 'one executor stalled');
  assert.ok(got.injected.lostRenewal > 0, 'the stalled executor\'s renewals were lost');
  // Its lease expired, so its task was delivered again and run by the other executor. No other
  // fault is injected, so a second delivery can only be the stalled task's.
  const again = got.attempts.filter((t) => t.attempt >= 2);
  assert.ok(again.length >= 1, 'the stalled task was delivered again');
  for (const t of again) assert.notEqual(t.executor, got.stalled[0], `run by another executor: ${JSON.stringify(t)}`);
  assert.ok(again.some((t) => t.outcome === 'ok'), `and completed there: ${JSON.stringify(again)}`);
  assert.deepEqual(got.chol, base.chol);
  assert.deepEqual(got.r, base.r);
});

const plans: [string, FaultPlan, FaultKind][] = [
  ['duplicate delivery of every message', { duplicateDelivery: true }, 'duplicateDelivery'],
  ['lost acks', { lostAck: 0.3 }, 'lostAck'],
  ['block-store write errors', { blockWriteError: 0.15 }, 'blockWriteError'],
  ['state-store throttling', { stateThrottle: 0.15 }, 'stateThrottle'],
];
for (const [name, faults, kind] of plans) {
  test(`${name}: same result`, async () => {
    const base = await clean;
    const got = await run({ faults: { ...faults, seed: 42 } });
    assert.ok(got.injected[kind] > 0, `the plan injected ${kind} faults: ${JSON.stringify(got.injected)}`);
    for (const [other, n] of Object.entries(got.injected)) if (other !== kind) assert.equal(n, 0, `no ${other} faults`);
    assert.deepEqual(got.chol, base.chol);
    assert.deepEqual(got.r, base.r);
    assert.deepEqual(got.leftovers, []);
  });
}

test('a task that keeps failing is dead-lettered and the job fails naming it and its attempts', async () => {
  const lw = await lapwing({ workers: 1, kernels: KERNELS, maxAttempts: 2, faults: { blockWriteError: 1 } });
  try {
    const A = await lw.randomSpd(32, { block: 16 });
    await assert.rejects(lw.cholesky(A), (e: unknown) => {
      assert.ok(e instanceof JobFailedError);
      assert.match(e.message, /after 2 attempts/);
      assert.match(e.message, /chol/);
      return true;
    });
    assert.equal((lw.backend as LocalBackend).queue.deadLetters.length, 1);
    assert.ok((lw.backend as LocalBackend).faults.injected.blockWriteError >= 2, 'write errors injected in both attempts');
  } finally {
    await lw.close();
  }
});
