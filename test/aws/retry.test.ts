/**
 * One retry layer: a throttled S3 call, made by a real executor on the emulated AWS backend
 * behind the fault proxy, is sent exactly `retry.attempts` times (the store edge's policy) and
 * then released to run again later — not retried again by the executor (stacked retries send
 * one throttled call attempts × tries times). The job is slowed by the throttling, not failed.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Emulators } from '../../runtime/backends/aws/dev/emulators.ts';
import { createAwsBackend, type AwsBackend } from '../../runtime/backends/aws/index.ts';
import { createDataResources, destroyDataResources } from '../../runtime/backends/aws/deploy/provision.ts';
import type { AwsConfig } from '../../runtime/backends/aws/config.ts';
import { runExecutor } from '../../runtime/executor/executor.ts';
import { runJob } from '../../runtime/scheduling/driver.ts';
import type { TaskAttemptTrace } from '../../runtime/core/interfaces.ts';
import { compile, programSource } from '../../lang/index.ts';
import { createClients } from '../../runtime/backends/aws/clients.ts';
import { emulatorConfig, emulators, releaseEmulators, TEST_RETRY } from './emulated.ts';
import { S3_SLOW_DOWN, startFaultProxy, type FaultProxy } from './fault-proxy.ts';

let emu: Emulators;
let proxy: FaultProxy;
let config: AwsConfig;
let backend: AwsBackend;

before(async () => {
  emu = await emulators();
  proxy = await startFaultProxy(emu.endpoints.s3);
  // S3 through the proxy; every block goes to S3 (no inline blocks in DynamoDB).
  config = emulatorConfig(emu, { inlineThresholdBytes: 0, retry: TEST_RETRY }, { AWS_ENDPOINT_URL_S3: proxy.url });
  const clients = createClients(config);
  try {
    await createDataResources(clients, config);
  } finally {
    clients.destroy();
  }
  backend = await createAwsBackend(config, { executors: 'process', create: false });
});

after(async () => {
  try {
    await backend?.close();
    if (config) {
      const clients = createClients(config);
      await destroyDataResources(clients, config).catch(() => undefined);
      clients.destroy();
    }
  } finally {
    await proxy?.close();
    await releaseEmulators();
  }
});

test('one throttled call is sent retry.attempts times, then the task is released and the job still succeeds', async () => {
  const input = 'inputs/throttled-A';
  await backend.blocks.put(`${input}/0_0`, { rows: 2, cols: 2, data: Float64Array.of(4, 2, 2, 5) });
  // Every read of the input block is throttled until the executor gives the attempt up.
  proxy.fail(1_000_000, { ...S3_SLOW_DOWN, when: (req) => req.method === 'GET' && (req.url ?? '').includes('throttled-A') });
  let sentBeforeRelease = -1;
  const traces: TaskAttemptTrace[] = [];
  const stop = new AbortController();
  const onTrace = (t: TaskAttemptTrace): void => {
    traces.push(t);
    if (t.outcome === 'retry' && sentBeforeRelease < 0) {
      sentBeforeRelease = proxy.failed;
      proxy.fail(0, S3_SLOW_DOWN); // the service recovers
    }
  };
  const executor = runExecutor(backend, {
    executorId: 'retry-test', idleTimeoutMs: 120_000, pollMs: 100, visibilityMs: 5_000, kernels: 'js', onTrace, signal: stop.signal,
  });
  try {
    // workers: 0: the driver launches nothing; the executor above is the only one.
    const res = await runJob(backend, { program: compile(programSource('cholesky')), args: { N: 1 }, inputs: { A: input }, kernels: 'js' }, { workers: 0 });
    assert.equal(res.status, 'done', res.error);
  } finally {
    stop.abort();
    await executor;
  }
  assert.equal(sentBeforeRelease, TEST_RETRY.attempts, `one throttled GET was sent ${sentBeforeRelease} times`);
  assert.deepEqual(traces.map((t) => t.outcome), ['retry', 'ok'], 'released once, then done');
  assert.match(traces[0]!.error ?? '', /SlowDown/);
});
