/**
 * Speculative backups: a straggling executor no longer holds the job up — a backup copy of its
 * task runs elsewhere, the first result wins, and the straggler's late result is dropped.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lapwing } from '../../runtime/index.ts';
import { stragglers, DEFAULT_SPECULATION } from '../../runtime/scheduling/speculation.ts';
import type { LocalBackend } from '../../runtime/backends/local/index.ts';

test('policy: backs up tasks running ≥ factor × their kernel median, once, given enough samples', () => {
  const samples = new Map([['syrk', [10, 11, 12, 10, 9]], ['chol', [5]]]);
  const inFlight = [
    { task: 'a', kernel: 'syrk', runningMs: 29 },
    { task: 'b', kernel: 'syrk', runningMs: 60 },
    { task: 'c', kernel: 'chol', runningMs: 500 },
    { task: 'd', kernel: 'syrk', runningMs: 70 },
  ];
  assert.deepEqual(stragglers(DEFAULT_SPECULATION, inFlight, samples, new Set(['d'])), ['b']);
});

test('a stalled executor: the job finishes without waiting for it, same result, nothing left', async () => {
  const KERNELS = process.env.LAPWING_KERNELS ?? 'auto';
  const base = await lapwing({ workers: 2, kernels: KERNELS });
  let expected: Float64Array;
  try {
    const A = await base.randomSpd(6 * 32, { block: 32, seed: 3 });
    expected = await (await base.cholesky(A)).toArray();
  } finally {
    await base.close();
  }
  // Far longer than the job takes even on a loaded machine (a 6×6-block Cholesky): finishing
  // before the stall ends can only be the backup's doing.
  const stallMs = 20_000;
  const lw = await lapwing({
    workers: 2,
    kernels: KERNELS,
    visibilityMs: 60_000, // the lease will not expire: only the backup can rescue the task
    crashAt: { point: 'kernel-done', nth: 8, stallMs },
    speculate: { factor: 3, minSamples: 3, minMs: 20 },
  });
  try {
    // Both executors from the start (not as work arrives): the stall then lands on a kernel
    // that enough other tasks have run for the policy to judge it a straggler.
    await lw.start();
    const A = await lw.randomSpd(6 * 32, { block: 32, seed: 3 });
    const t0 = performance.now();
    const L = await lw.cholesky(A);
    const wallMs = performance.now() - t0;
    assert.ok(lw.last!.speculated >= 1, 'a backup was enqueued');
    assert.ok(wallMs < stallMs, `finished in ${wallMs.toFixed(0)} ms, not held up by the ${stallMs} ms stall`);
    assert.deepEqual(await L.toArray(), expected);
    // The straggler wakes up after the job: its result is dropped, nothing is written.
    await new Promise((r) => setTimeout(r, stallMs));
    const left = (await (lw.backend as LocalBackend).blocks.list('jobs/')).filter((k) => k.includes('/tmp/'));
    assert.deepEqual(left, []);
  } finally {
    await lw.close();
  }
});
