/**
 * More executors than the machine can use: the local launcher starts no more than its limit
 * (each executor is a kernel thread with its own kernels), and the CLI says so in one line.
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
    const A = await lw.randomSpd(128, { block: 32 });
    const L = await lw.cholesky(A);
    assert.ok((await lw.residual.cholesky(A, L)) < 1e-12);
    assert.equal(launcher.running(), LIMIT);
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
