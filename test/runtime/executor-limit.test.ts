/**
 * More executors than the machine can use: the local launcher starts no more than its limit
 * (each executor is a kernel thread with its own kernels), and the CLI says so in one line.
 * Executors start as work arrives: a small job on many workers starts only what it can use.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { lapwing } from '../../runtime/index.ts';
import type { LocalBackend } from '../../runtime/backends/local/index.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const KERNELS = process.env.LAPWING_KERNELS ?? 'auto';
const LIMIT = Math.max(4, 2 * availableParallelism());

test('the local launcher starts at most maxExecutors, whatever is asked', async () => {
  const lw = await lapwing({ workers: 1000, kernels: KERNELS });
  try {
    const { launcher } = lw.backend as LocalBackend;
    assert.equal(launcher.maxExecutors, LIMIT);
    await lw.start();
    assert.equal(launcher.running(), LIMIT);
    const A = await lw.randomSpd(128, { block: 32 });
    const L = await lw.cholesky(A);
    assert.ok((await lw.residual.cholesky(A, L)) < 1e-12);
    assert.equal(launcher.running(), LIMIT);
  } finally {
    await lw.close();
  }
});

test('a job starts no more executors than it has tasks ready or running at the moment of each launch', async () => {
  const lw = await lapwing({ workers: 1000, kernels: KERNELS });
  try {
    const { launcher, queue } = lw.backend as LocalBackend;
    const launches: { running: number; tasks: number }[] = [];
    launcher.onLaunch = () => {
      const d = queue.depthSync();
      launches.push({ running: launcher.running(), tasks: d.visible + d.inFlight });
    };
    // 2×2 blocks: chol → trsm → syrk → chol, one task ready at a time.
    const A = await lw.randomSpd(64, { block: 32 });
    const L = await lw.cholesky(A);
    assert.ok((await lw.residual.cholesky(A, L)) < 1e-12);
    assert.deepEqual(launches, [{ running: 1, tasks: 1 }]);
    // 4×4 blocks: up to 6 tasks ready at once; every launch had a task for it, within the limit.
    // Blocks of 256 run on the kernel threads (32×32 ones run inline, and a whole job of them
    // can finish before the launcher next looks at the queue).
    const B = await lw.randomSpd(1024, { block: 256 });
    await lw.cholesky(B);
    assert.ok(launches.length > 1 && launches.length <= LIMIT, JSON.stringify(launches));
    for (const l of launches) assert.ok(l.running <= l.tasks, JSON.stringify(launches));
  } finally {
    await lw.close();
  }
});

test('--workers 1000: one warning line, the summary counts the executors that ran', () => {
  const r = spawnSync(process.execPath, [join(root, 'runtime/cli/lapwing.mjs'), 'cholesky', '--n', '128', '--block', '32', '--workers', '1000', '--kernels', KERNELS, '--json'],
    { cwd: root, encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, `lapwing: --workers 1000 is more than this machine can use (${availableParallelism()} cores); running at most ${LIMIT} executors\n`);
  const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { workers: number; ok: boolean };
  assert.equal(out.workers, LIMIT);
  assert.equal(out.ok, true);
});
