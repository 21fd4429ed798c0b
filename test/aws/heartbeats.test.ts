/**
 * Executor heartbeats on the emulators: the LambdaLauncher counts executors by their heartbeats
 * (not by time since launch), so a killed or frozen executor stops counting once its heartbeat
 * goes stale, a frozen one that wakes up counts again, and one that exits removes its heartbeat.
 * "Lambda" executors here are executor processes started by the launcher's invoke function with
 * the id of the event — what a Lambda invocation runs, minus the Lambda service. The same
 * heartbeats carry the attempts in flight: a stalled task gets a speculative backup on AWS.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { QueryCommand } from '@aws-sdk/client-dynamodb';
import type { Emulators } from '../../runtime/backends/aws/dev/emulators.ts';
import { EMULATOR_CREDENTIALS } from '../../runtime/backends/aws/dev/emulators.ts';
import { configToEnv } from '../../runtime/backends/aws/config.ts';
import { LambdaLauncher, type ExecutorEvent } from '../../runtime/backends/aws/executors/lambda-launcher.ts';
import { HeartbeatMonitor, HeartbeatWriter, heartbeatPk } from '../../runtime/backends/aws/executors/heartbeats.ts';
import { SqsTaskQueue } from '../../runtime/backends/aws/stores/sqs-task-queue.ts';
import { createAwsBackend } from '../../runtime/backends/aws/index.ts';
import { destroyDataResources } from '../../runtime/backends/aws/deploy/provision.ts';
import { lapwing } from '../../runtime/library/session.ts';
import { bind, compile, parseTaskKey, programSource } from '../../lang/index.ts';
import { emulatorConfig, emulators, freshStack, releaseEmulators, TEST_RETRY } from './emulated.ts';

const ENTRY = fileURLToPath(new URL('../../runtime/backends/aws/executors/executor-entry.mjs', import.meta.url));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Waits (without a deadline of its own: the test's timeout is the bound) until `cond` holds. */
async function until(cond: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await cond())) await sleep(100);
}

describe('executor heartbeats', () => {
  let emu: Emulators;
  before(async () => {
    emu = await emulators();
  });
  after(async () => {
    await releaseEmulators();
  });

  it('the Lambda launcher counts executors by heartbeat: killed and frozen ones stop counting, exited ones leave nothing', { timeout: 300_000 }, async () => {
    const stack = await freshStack(emu);
    const children = new Map<string, ChildProcess>();
    const lambda = new LambdaClient({ endpoint: 'http://127.0.0.1:9', region: 'us-east-1', credentials: EMULATOR_CREDENTIALS });
    const monitor = new HeartbeatMonitor(stack.clients.dynamodb, { table: stack.config.names.table, retry: TEST_RETRY, refreshMs: 200 });
    try {
      const env = {
        ...process.env,
        ...configToEnv(stack.config, true),
        LAPWING_HEARTBEAT_MS: '300',
        // Idle executors that stay: only the faults below end them.
        LAPWING_IDLE_TIMEOUT_MS: '600000',
        LAPWING_POLL_MS: '1000',
      };
      const invoke = async (e: ExecutorEvent): Promise<void> => {
        children.set(e.executorId, spawn(process.execPath, [ENTRY], { env: { ...env, LAPWING_EXECUTOR_ID: e.executorId }, stdio: ['ignore', 'ignore', 'inherit'] }));
      };
      // lifetimeMs 1: the old estimate would count nobody; heartbeats count what runs.
      const launcher = new LambdaLauncher(lambda, { functionName: stack.config.names.functionName, retry: TEST_RETRY, lifetimeMs: 1, heartbeats: monitor, invoke });
      await launcher.launch(3);
      assert.equal(launcher.running(), 3, 'launched executors count while they start');
      const ids = [...children.keys()];
      assert.equal(ids.length, 3);
      await until(() => ids.every((id) => monitor.isLive(id)));
      assert.equal(launcher.running(), 3);
      assert.deepEqual(new Set(launcher.ids()), new Set(ids));

      const [killed, frozen, healthy] = ids as [string, string, string];
      const exit = new Promise<NodeJS.Signals | null>((r) => children.get(killed)!.once('exit', (_code, signal) => r(signal)));
      assert.ok(children.get(killed)!.kill('SIGKILL'));
      assert.equal(await exit, 'SIGKILL', 'the executor was killed');
      assert.ok(children.get(frozen)!.kill('SIGSTOP'), 'the executor was frozen');

      // Only the missing heartbeats can tell the launcher: nothing else reports these faults.
      // (On a loaded machine a live executor can miss beats too: it counts again at its next one.)
      await until(() => monitor.isDead(killed) && monitor.isDead(frozen) && monitor.isLive(healthy));
      assert.equal(launcher.running(), 1);
      assert.deepEqual(launcher.ids(), [healthy]);
      assert.ok(monitor.isLive(healthy));
      // The dead executors' heartbeat items are removed.
      const remaining = async (id: string): Promise<number> =>
        (
          await stack.clients.dynamodb.send(
            new QueryCommand({ TableName: stack.config.names.table, KeyConditionExpression: 'pk = :p AND sk = :s', ExpressionAttributeValues: { ':p': { S: heartbeatPk(id) }, ':s': { S: id } } }),
          )
        ).Count ?? 0;
      assert.equal(await remaining(killed), 0);

      // The frozen executor wakes up: it beats again and counts again.
      children.get(frozen)!.kill('SIGCONT');
      await until(() => monitor.isLive(frozen) && monitor.isLive(healthy));
      assert.equal(launcher.running(), 2);

      // A clean exit deletes the heartbeat: gone at once, not stale.
      const exits = [frozen, healthy].map((id) => new Promise<number | null>((r) => children.get(id)!.once('exit', (code) => r(code))));
      for (const id of [frozen, healthy]) children.get(id)!.kill('SIGTERM');
      assert.deepEqual(await Promise.all(exits), [0, 0]);
      assert.equal(await remaining(frozen), 0);
      assert.equal(await remaining(healthy), 0);
      await until(() => launcher.running() === 0);
      assert.ok(!monitor.isDead(healthy), 'it left, it did not go stale');
      await launcher.close();
    } finally {
      for (const c of children.values()) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
      monitor.stop();
      lambda.destroy();
      await stack.destroy();
    }
  });

  it('a launched executor that never beats stops counting after the start grace (the driver may launch another)', async () => {
    const stack = await freshStack(emu);
    const lambda = new LambdaClient({ endpoint: 'http://127.0.0.1:9', region: 'us-east-1', credentials: EMULATOR_CREDENTIALS });
    const monitor = new HeartbeatMonitor(stack.clients.dynamodb, { table: stack.config.names.table, retry: TEST_RETRY, refreshMs: 100 });
    try {
      const invoked: string[] = [];
      // Invocations accepted and lost: nothing ever runs them.
      const launcher = new LambdaLauncher(lambda, {
        functionName: stack.config.names.functionName,
        retry: TEST_RETRY,
        lifetimeMs: 3_600_000,
        heartbeats: monitor,
        startGraceMs: 300,
        invoke: async (e) => void invoked.push(e.executorId),
      });
      await launcher.launch(2);
      assert.equal(invoked.length, 2);
      assert.equal(launcher.running(), 2);
      await until(() => launcher.running() === 0);
      assert.deepEqual(launcher.ids(), []);
      assert.ok(monitor.generation > 0, 'the heartbeats were read');
      await launcher.close();
    } finally {
      monitor.stop();
      lambda.destroy();
      await stack.destroy();
    }
  });

  it('the queue reports the attempts it handed out until they end, and how long acked ones ran', async () => {
    const stack = await freshStack(emu);
    try {
      const q = await SqsTaskQueue.open(stack.clients.sqs, stack.config.names, { priorityCuts: stack.config.priorityCuts, retry: TEST_RETRY });
      await q.send([{ body: 'a', priority: 0 }, { body: 'b', priority: 0 }]);
      const got = [];
      while (got.length < 2) got.push(...(await q.lease(2 - got.length, 30_000, 1000)));
      assert.deepEqual(q.inProgress().map((a) => a.body).sort(), ['a', 'b']);
      const [first, second] = got as [(typeof got)[0], (typeof got)[0]];
      await q.ack([first]);
      await q.release([second], 0);
      assert.deepEqual(q.inProgress(), []);
      const fin = q.takeFinished();
      assert.deepEqual(fin.map((f) => f.body), [first.body], 'acked attempts are samples; released ones are not');
      assert.ok(fin[0]!.ms >= 0);
      assert.deepEqual(q.takeFinished(), [], 'taken once');
      await q.close();
    } finally {
      await stack.destroy();
    }
  });

  it('the monitor reports attempts as of their beat (a finished one does not grow into a straggler); a stopped writer leaves nothing', async () => {
    const stack = await freshStack(emu);
    try {
      const q = await SqsTaskQueue.open(stack.clients.sqs, stack.config.names, { priorityCuts: stack.config.priorityCuts, retry: TEST_RETRY });
      await q.send([{ body: 'x', priority: 0 }]);
      const got = [];
      while (got.length < 1) got.push(...(await q.lease(1, 30_000, 1000)));
      // One beat only (the next would be an hour later).
      const writer = new HeartbeatWriter(stack.clients.dynamodb, q, { table: stack.config.names.table, executorId: 'w-1', retry: TEST_RETRY, intervalMs: 3_600_000 });
      await writer.start();
      await q.ack(got);
      const monitor = new HeartbeatMonitor(stack.clients.dynamodb, { table: stack.config.names.table, retry: TEST_RETRY });
      await monitor.refresh();
      assert.deepEqual(monitor.live(), ['w-1']);
      const seen = monitor.inFlight();
      assert.deepEqual(seen.map((f) => f.body), ['x']);
      await sleep(300);
      assert.deepEqual(monitor.inFlight(), seen, 'run time as of the beat, not extrapolated');
      await writer.stop();
      await monitor.refresh();
      assert.deepEqual(monitor.live(), []);
      assert.deepEqual(monitor.inFlight(), []);
      assert.equal(monitor.isDead('w-1'), false, 'it left; it did not die');
      await q.close();
    } finally {
      await stack.destroy();
    }
  });

  it('a stalled task gets a speculative backup from the heartbeats, and the job finishes right', { timeout: 600_000 }, async () => {
    const config = emulatorConfig(emu, { inlineThresholdBytes: 2000 });
    // One executor with two task slots: every task passes through it, the stall hits the first
    // attempt of STALLED, and the other slot is free for the backup.
    const STALLED = '2:5,5';
    const backend = await createAwsBackend(config, {
      executors: 'process',
      executor: { idleTimeoutMs: 300_000, kernels: 'js', visibilityMs: 60_000, pollMs: 200, concurrency: 2, heartbeatMs: 200 },
      // Longer than the test's timeout: the job can only finish through the backup.
      crashAt: { point: 'kernel-done', nth: 1, task: STALLED, stallMs: 900_000 },
      heartbeatRefreshMs: 200,
    });
    try {
      const lw = await lapwing({ backend, workers: 1, kernels: 'js', block: 16, speculate: { factor: 3, minSamples: 3, minMs: 20 } });
      const a = await lw.randomSpd(6 * 16, { block: 16, seed: 5 }); // 6×6 blocks: 56 tasks
      assert.equal(bind(compile(programSource('cholesky')), { N: 6 }).kernel(parseTaskKey(STALLED)).name, 'syrk', 'the stalled task is an update (its kernel has samples)');
      const l = await lw.cholesky(a);
      assert.equal(lw.last?.status, 'done', lw.last?.error);
      assert.equal(lw.last?.tasks, 56, 'the late copy is not counted twice');
      assert.ok((lw.last?.speculated ?? 0) >= 1, 'a backup was enqueued');
      const residual = await lw.residual.cholesky(a, l);
      assert.ok(residual < 1e-12, `residual ${residual}`);
    } finally {
      await backend.close();
      await destroyDataResources(backend.clients, config).catch(() => undefined);
    }
  });
});
