/**
 * Kills at any moment on the local backend: an executor killed while its kernel thread is still
 * starting ends like any killed executor (its launch does not fail the job), and `lapwing chaos`
 * survives kills of every executor, replacements still starting included, with a trace.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lapwing } from '../../runtime/index.ts';
import type { LocalBackend } from '../../runtime/backends/local/index.ts';
import { readTrace } from '../../runtime/tracing/trace-file.ts';
import { runCli, type CliResult } from '../cli.ts';

const KERNELS = process.env.LAPWING_KERNELS ?? 'auto';

const cli = (args: string[]): Promise<CliResult> => runCli(args);

test('an executor killed while starting ends as killed; its launch succeeds and the job finishes', async () => {
  const lw = await lapwing({ workers: 2, kernels: KERNELS, visibilityMs: 400 });
  try {
    const { launcher } = lw.backend as LocalBackend;
    const killedStarting: string[] = [];
    launcher.onLaunch = (id) => {
      if (killedStarting.length >= 1) return;
      assert.equal(launcher.isStarting(id), true);
      killedStarting.push(id);
      void launcher.kill(id);
    };
    // The first launch: one of the two executors dies before its kernel thread is ready.
    await lw.start();
    assert.equal(killedStarting.length, 1, 'an executor was killed during start-up');
    assert.deepEqual(launcher.exits.filter((e) => e.executorId === killedStarting[0]), [{ executorId: killedStarting[0], code: 86 }]);
    const A = await lw.randomSpd(100, { block: 25, seed: 3 });
    const L = await lw.cholesky(A);
    assert.ok((await lw.residual.cholesky(A, L)) < 1e-12);
  } finally {
    await lw.close();
  }
});

test('lapwing chaos: every executor killed, two of them while starting, passes and writes a trace', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'lapwing-chaos-'));
  try {
    const trace = join(dir, 'chaos.jsonl');
    const r = await cli([
      'chaos', 'cholesky', '--n', '1024', '--block', '128', '--workers', '4', '--kill-fraction', '1.0',
      '--kill-at-start', '2', '--after', '50ms', '--lease', '1s', '--kernels', KERNELS, '--trace', trace, '--json',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Record<string, number | boolean>;
    assert.equal(out.ok, true);
    assert.ok((out.killed_starting as number) >= 2, `kills during start-up: ${String(out.killed_starting)}`);
    assert.ok((out.killed as number) >= 2);
    const t = await readTrace(trace);
    assert.ok(t.attempts.length >= 1);
    assert.equal(t.summary?.ok, true);
    assert.equal(t.header.job, t.attempts[0]!.job, 'the trace holds the job with kills only');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
