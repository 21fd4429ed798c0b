/**
 * The whole AWS backend end to end on the emulators: a Cholesky factorisation run by executor
 * child processes (ProcessLauncher → executor-main.ts → runExecutor), API calls counted across
 * processes, a malformed message dead-lettered while the executors keep working, and the
 * launcher's process accounting.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Emulators } from '../../runtime/backends/aws/dev/emulators.ts';
import { createAwsBackend } from '../../runtime/backends/aws/index.ts';
import { ProcessLauncher } from '../../runtime/backends/aws/executors/process-launcher.ts';
import { configToEnv } from '../../runtime/backends/aws/config.ts';
import { lapwing } from '../../runtime/library/session.ts';
import { emulatorConfig, emulators, releaseEmulators } from './emulated.ts';
import { destroyDataResources } from '../../runtime/backends/aws/deploy/provision.ts';

let emu: Emulators;
before(async () => {
  emu = await emulators();
});
after(async () => {
  await releaseEmulators();
});

describe('AWS backend with process executors', () => {
  it('factorises a matrix with two executor processes, dead-letters garbage, and counts API calls', async () => {
    const config = emulatorConfig(emu, { inlineThresholdBytes: 16 * 1024 });
    const traces: string[] = [];
    const backend = await createAwsBackend(config, {
      executors: 'process',
      // The executors must outlive a slow job on a loaded machine: the test counts them at the end.
      executor: { idleTimeoutMs: 120_000, kernels: 'js', visibilityMs: 20_000, pollMs: 500 },
      onTrace: (t) => traces.push(`${t.task}:${t.outcome}`),
    });
    try {
      assert.equal(backend.name, 'aws');
      await backend.queue.send([{ body: '{"this is": "not a task"}', priority: 10 }]);
      const lw = await lapwing({ backend, workers: 2, kernels: 'js', block: 32 });
      const a = await lw.randomSpd(128, { block: 32 });
      const l = await lw.cholesky(a);
      assert.equal(lw.last?.status, 'done');
      const residual = await lw.residual.cholesky(a, l);
      assert.ok(residual < 1e-12, `residual ${residual}`);
      assert.equal(backend.launcher.running(), 2);

      const dead = await backend.queue.peekDeadLetters();
      assert.deepEqual(dead.map((d) => d.body), ['{"this is": "not a task"}']);
      assert.match(dead[0]!.reason, /not a lapwing task/);

      await backend.launcher.close();
      assert.equal(backend.launcher.running(), 0);
      const calls = backend.apiCalls();
      assert.deepEqual(Object.keys(calls).sort(), ['dynamodb', 'lambda', 's3', 'sqs']);
      assert.equal(calls.lambda, 0);
      // 4×4 blocks: 20 tasks. Blocks of 32×32 (8 KB) go inline, so S3 sees only the cleanup;
      // the executors' calls arrive through IPC and are included.
      assert.ok(calls.sqs! > 20 && calls.dynamodb! > 40, JSON.stringify(calls));
      assert.ok(traces.filter((t) => t.endsWith(':ok')).length >= 20, `${traces.length} traces`);
    } finally {
      await backend.close();
      await destroyDataResources(backend.clients, config).catch(() => undefined);
    }
  });

  it('ProcessLauncher starts, counts and stops executor processes', async () => {
    const config = emulatorConfig(emu);
    const backend = await createAwsBackend(config, { executors: 'process' });
    const exits: (number | null)[] = [];
    const launcher = new ProcessLauncher({
      env: configToEnv(config, true),
      executor: { idleTimeoutMs: 60_000, pollMs: 200 },
      onExit: (_id, code) => exits.push(code),
      killGraceMs: 10_000,
    });
    try {
      await launcher.launch(2);
      assert.equal(launcher.running(), 2);
      assert.equal(launcher.pids().length, 2);
      // Let them start polling (their api_calls reports arrive every second).
      const until = Date.now() + 20_000;
      while (launcher.apiCalls().sqs === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 200));
      assert.ok(launcher.apiCalls().sqs > 0, 'executors report their calls');
      await launcher.close();
      assert.equal(launcher.running(), 0);
      assert.deepEqual(exits, [0, 0], 'SIGTERM lets them finish and exit cleanly');
    } finally {
      await launcher.close();
      await backend.close();
      await destroyDataResources(backend.clients, config).catch(() => undefined);
    }
  });

  it('an executor with a broken configuration exits with one line, code 2', async () => {
    const config = emulatorConfig(emu);
    const exits: (number | null)[] = [];
    const launcher = new ProcessLauncher({
      env: { ...configToEnv(config, true), LAPWING_AWS_PREFIX: 'Not_Valid' },
      onExit: (_id, code) => exits.push(code),
    });
    await launcher.launch(1);
    const until = Date.now() + 30_000;
    while (launcher.running() > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(exits, [2]);
  });
});
