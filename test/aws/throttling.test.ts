/**
 * Throttling slows a job, never fails it: in the middle of a Cholesky run by executor processes,
 * every service (S3, SQS, DynamoDB) answers a run of consecutive requests with its throttling
 * error — more than one call's retries, so the throttling reaches the executors' task protocol
 * and the driver's poll. The job completes with the right factor, no task fails or is
 * dead-lettered, and the proxies prove every throttle was served.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Emulators } from '../../runtime/backends/aws/dev/emulators.ts';
import { createAwsBackend } from '../../runtime/backends/aws/index.ts';
import { destroyDataResources } from '../../runtime/backends/aws/deploy/provision.ts';
import type { TaskAttemptTrace } from '../../runtime/core/interfaces.ts';
import { lapwing } from '../../runtime/library/session.ts';
import { emulatorConfig, emulators, releaseEmulators } from './emulated.ts';
import { DYNAMO_THROUGHPUT_EXCEEDED, S3_SLOW_DOWN, startFaultProxy, type FaultProxy, type InjectedFault } from './fault-proxy.ts';

/** SQS's throttling reply (JSON protocol). */
const SQS_THROTTLED: InjectedFault = {
  status: 400,
  body: JSON.stringify({ __type: 'com.amazonaws.sqs#ThrottlingException', message: 'Rate exceeded' }),
  headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-query-error': 'ThrottlingException;Sender' },
};

/** Consecutive requests each service throttles: past the retries of one call (8 attempts). */
const THROTTLES = { s3: 12, sqs: 40, dynamodb: 40 } as const;

let emu: Emulators;
const proxies: FaultProxy[] = [];
before(async () => {
  emu = await emulators();
});
after(async () => {
  for (const p of proxies) await p.close();
  await releaseEmulators();
});

test('a job throttled by every service for a while completes: slower, never failed, nothing dead-lettered', async () => {
  const [s3, sqs, ddb] = await Promise.all([startFaultProxy(emu.endpoints.s3), startFaultProxy(emu.endpoints.sqs), startFaultProxy(emu.endpoints.dynamodb)]);
  proxies.push(s3!, sqs!, ddb!);
  const config = emulatorConfig(emu, { inlineThresholdBytes: 2000 }, {
    AWS_ENDPOINT_URL_S3: s3!.url,
    AWS_ENDPOINT_URL_SQS: sqs!.url,
    AWS_ENDPOINT_URL_DYNAMODB: ddb!.url,
  });
  const attempts: TaskAttemptTrace[] = [];
  let armed = false;
  const throttle = (): void => {
    armed = true;
    s3!.fail(THROTTLES.s3, S3_SLOW_DOWN);
    sqs!.fail(THROTTLES.sqs, SQS_THROTTLED);
    ddb!.fail(THROTTLES.dynamodb, DYNAMO_THROUGHPUT_EXCEEDED);
  };
  const backend = await createAwsBackend(config, {
    executors: 'process',
    executor: { idleTimeoutMs: 60_000, kernels: 'js', visibilityMs: 5_000, pollMs: 200 },
    onTrace: (t) => {
      if (t.type !== 'attempt') return;
      attempts.push(t);
      // Once the job is under way: the throttling hits tasks in every state of the protocol.
      if (!armed && attempts.filter((a) => a.outcome === 'ok').length >= 2) throttle();
    },
  });
  try {
    const lw = await lapwing({ backend, workers: 2, kernels: 'js', block: 16 });
    const a = await lw.randomSpd(3 * 16 + 5, { block: 16, seed: 3 }); // 4×4 blocks: 20 tasks
    const l = await lw.cholesky(a);
    assert.equal(lw.last?.status, 'done', lw.last?.error);
    assert.equal(lw.last?.tasks, 20);
    const residual = await lw.residual.cholesky(a, l);
    assert.ok(residual < 1e-12, `residual ${residual}`);

    assert.ok(armed, 'the throttling was switched on during the job');
    assert.deepEqual({ s3: s3!.failed, sqs: sqs!.failed, dynamodb: ddb!.failed }, THROTTLES, 'every throttle was served');
    assert.deepEqual(await backend.queue.peekDeadLetters(), [], 'no task was dead-lettered');
    assert.equal(attempts.filter((t) => t.outcome === 'error').length, 0, 'no attempt failed for good');
  } finally {
    await backend.close();
    await destroyDataResources(backend.clients, config).catch(() => undefined);
  }
});
