/**
 * Fault tolerance on the local backend: an executor thread killed at every step of the task
 * protocol, duplicate delivery, lost acks, store errors, throttling and a stalled executor all
 * leave a result bit-identical to a fault-free run, with nothing left behind.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lapwing, CRASH_POINTS, JobFailedError, type Lapwing, type CrashPoint } from '../../runtime/index.ts';
import type { LocalBackend, LocalBackendOptions } from '../../runtime/backends/local/index.ts';
import type { FaultPlan } from '../../runtime/executor/faults.ts';

const KERNELS = process.env.LAPWING_KERNELS ?? 'auto';

interface Outcome { chol: Float64Array; r: Float64Array; leftovers: string[]; executorsExited: number }

async function run(opts: Partial<LocalBackendOptions> & { faults?: FaultPlan } = {}): Promise<Outcome> {
  const lw: Lapwing = await lapwing({ workers: 2, kernels: KERNELS, visibilityMs: 400, ...opts });
  try {
    const A = await lw.randomSpd(5 * 16 + 3, { block: 16, seed: 7 });
    const T = await lw.random(7 * 16 + 5, 12, { block: 16, blockCols: 12, seed: 9 });
    const chol = await (await lw.cholesky(A)).toArray();
    const r = await (await lw.tsqr(T)).toArray();
    const b = lw.backend as LocalBackend;
    const leftovers = (await b.blocks.list('jobs/')).filter((k) => k.includes('/tmp/'));
    return { chol, r, leftovers, executorsExited: b.launcher.exits.length };
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
  const got = await run({ crashAt: { point: 'kernel-done', nth: 2, stallMs: 1200 } });
  assert.deepEqual(got.chol, base.chol);
  assert.deepEqual(got.r, base.r);
});

const plans: [string, FaultPlan][] = [
  ['duplicate delivery of every message', { duplicateDelivery: true }],
  ['lost acks', { lostAck: 0.3 }],
  ['block-store write errors', { blockWriteError: 0.15 }],
  ['state-store throttling', { stateThrottle: 0.15 }],
];
for (const [name, faults] of plans) {
  test(`${name}: same result`, async () => {
    const base = await clean;
    const got = await run({ faults: { ...faults, seed: 42 } });
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
  } finally {
    await lw.close();
  }
});
