/**
 * A task that kills its executor at every attempt (as one that runs out of memory or time does)
 * fails its job naming the task after the configured number of deliveries — it does not vanish
 * into the dead-letter queue while the job waits forever. Every executor process, replacements
 * included, is armed to SIGKILL itself when it finishes that task's kernel; the test asserts the
 * kills happened, the job's error, and the dead letter left for the record.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Emulators } from '../../runtime/backends/aws/dev/emulators.ts';
import { createAwsBackend } from '../../runtime/backends/aws/index.ts';
import type { ProcessLauncher } from '../../runtime/backends/aws/executors/process-launcher.ts';
import { destroyDataResources } from '../../runtime/backends/aws/deploy/provision.ts';
import { JobFailedError } from '../../runtime/scheduling/driver.ts';
import { lapwing } from '../../runtime/library/session.ts';
import { emulatorConfig, emulators, releaseEmulators } from './emulated.ts';

let emu: Emulators;
before(async () => {
  emu = await emulators();
});
after(async () => {
  await releaseEmulators();
});

test('a task that kills every executor running it fails the job naming the task', async () => {
  const deliveries = 3;
  const config = emulatorConfig(emu, { maxReceiveCount: deliveries });
  // Task `0:` is the first chol; SQS's shortest visibility brings it back a second after a death.
  const backend = await createAwsBackend(config, {
    executors: 'process',
    executor: { idleTimeoutMs: 60_000, kernels: 'js', visibilityMs: 1000, pollMs: 1000 },
    crashAt: { point: 'kernel-done', nth: 1, task: '0:', every: true },
  });
  const launcher = backend.launcher as unknown as ProcessLauncher;
  try {
    const lw = await lapwing({ backend, workers: 1, kernels: 'js', block: 16 });
    const a = await lw.randomSpd(32, { block: 16 });
    await assert.rejects(lw.cholesky(a), (e: unknown) => {
      assert.ok(e instanceof JobFailedError, String(e));
      assert.match(e.message, /task chol.*failed: its executor stopped during each of 3 attempts/);
      return true;
    });
    const kills = launcher.exits.filter((x) => x.crash?.point === 'kernel-done' && x.signal === 'SIGKILL');
    assert.equal(kills.length, deliveries, `one executor killed per delivery (${JSON.stringify(launcher.exits)})`);
    const dead = await backend.queue.peekDeadLetters();
    assert.equal(dead.length, 1, 'the task is kept in the dead-letter queue for the record');
    assert.match(dead[0]!.body, /"t":"0:"/);
    assert.match(dead[0]!.reason, /executor stopped/);
    await lw.close();
  } finally {
    await backend.close();
    await destroyDataResources(backend.clients, config).catch(() => undefined);
  }
});
