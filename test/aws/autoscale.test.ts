/**
 * Queue-depth autoscaling end to end on the emulated AWS backend with process executors: the
 * driver's loop (runtime/autoscaler.ts `decide()`) starts executors from zero as the Cholesky
 * DAG widens, never more than `max`, and once the queue is empty they exit by themselves after
 * their idle timeout — cleanly, before their maximum runtime, holding no lease — back to zero.
 * A second test shows the maximum runtime ending an executor that is never idle long enough.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Emulators } from '../../runtime/backends/aws/dev/emulators.ts';
import { createAwsBackend, type AwsBackend } from '../../runtime/backends/aws/index.ts';
import { ProcessLauncher } from '../../runtime/backends/aws/executors/process-launcher.ts';
import { configToEnv, type AwsConfig } from '../../runtime/backends/aws/config.ts';
import { destroyDataResources } from '../../runtime/backends/aws/deploy/provision.ts';
import { runJob } from '../../runtime/scheduling/driver.ts';
import type { SampleTrace } from '../../runtime/core/interfaces.ts';
import { lapwing } from '../../runtime/library/session.ts';
import { emulatorConfig, emulators, releaseEmulators } from './emulated.ts';

const KERNELS = process.env.LAPWING_KERNELS ?? 'js';
const IDLE_MS = 2000;
const MAX_RUNTIME_MS = 10 * 60_000;

let emu: Emulators;
let config: AwsConfig;
let backend: AwsBackend;

before(async () => {
  emu = await emulators();
  config = emulatorConfig(emu);
  backend = await createAwsBackend(config, {
    executors: 'process',
    executor: { idleTimeoutMs: IDLE_MS, maxRuntimeMs: MAX_RUNTIME_MS, kernels: KERNELS, visibilityMs: 10_000, pollMs: 200 },
  });
});

after(async () => {
  try {
    await backend?.close();
  } finally {
    if (backend) await destroyDataResources(backend.clients, config).catch(() => undefined);
    await releaseEmulators();
  }
});

async function until(what: string, ok: () => boolean | Promise<boolean>, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) assert.fail(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('executors scale up from zero with the queue and exit by themselves when idle, back to zero', async () => {
  const launcher = backend.launcher as unknown as ProcessLauncher;
  const lw = await lapwing({ backend, kernels: KERNELS, block: 16 });
  const a = await lw.randomSpd(8 * 16, { block: 16, seed: 3 }); // 8×8 blocks: 120 tasks
  assert.equal(launcher.running(), 0, 'no executor before the job');
  const samples: SampleTrace[] = [];
  const policy = { min: 0, max: 3, pipelineWidth: 4, cooldownMs: 1000 };
  const res = await runJob(
    backend,
    { program: lw.program('cholesky'), args: { N: 8 }, inputs: { A: a.prefix }, kernels: KERNELS },
    { workers: 0, scale: policy, onSample: (s) => samples.push(s) },
  );
  assert.equal(res.status, 'done', res.error);
  const l = lw.output(res, 'L', a.rows, a.cols, a.blockRows, a.blockCols);
  assert.ok((await lw.residual.cholesky(a, l)) < 1e-12);

  // Scaled up with the queue: from zero to more than one, never above max.
  const peak = Math.max(...samples.map((s) => s.executors));
  assert.ok(peak >= 2, `peak ${peak} executors (samples: ${samples.map((s) => `${s.queueVisible}+${s.queueInFlight}:${s.executors}`).join(' ')})`);
  assert.ok(samples.every((s) => s.executors <= policy.max), 'never more than max');
  const launched = launcher.exits.length + launcher.running();
  assert.ok(launched >= 2, `${launched} executors launched`);

  // Back to zero by themselves: the driver is done and launches nothing more.
  await until('every executor exited', () => launcher.running() === 0);
  assert.equal(launcher.exits.length, launched, 'nothing launched after the job');
  for (const e of launcher.exits) {
    assert.equal(e.code, 0, `${e.executorId} exit code`);
    assert.equal(e.signal, null);
    assert.equal(e.killed, false);
    assert.equal(e.reason, 'idle', `${e.executorId} stopped because it was idle, before its maximum runtime`);
  }
  assert.ok(launcher.exits.reduce((n, e) => n + (e.tasks ?? 0), 0) >= 120, 'every task ran on these executors');
  // They held no lease when they left: nothing is in flight, nothing waits.
  assert.deepEqual(await backend.queue.depth(), { visible: 0, inFlight: 0 });
});

test('an executor stops at its maximum runtime even when never idle long enough', async () => {
  const launcher = new ProcessLauncher({
    env: configToEnv(config, true),
    executor: { idleTimeoutMs: 600_000, maxRuntimeMs: 1500, kernels: KERNELS, pollMs: 200 },
  });
  try {
    await launcher.launch(1);
    await until('the executor exited', () => launcher.running() === 0);
    assert.deepEqual(launcher.exits.map((e) => [e.code, e.reason]), [[0, 'max-runtime']]);
  } finally {
    await launcher.close();
  }
});
