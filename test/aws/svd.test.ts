/**
 * The SVD on the AWS backend (emulated S3, SQS and DynamoDB, executor child processes): the
 * band reduction and the tall-skinny SVD run there with the same programs and kernels as on
 * the local backend.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Emulators } from '../../runtime/backends/aws/dev/emulators.ts';
import { createAwsBackend, type AwsBackend } from '../../runtime/backends/aws/index.ts';
import { lapwing, type Lapwing } from '../../runtime/library/session.ts';
import { emulatorConfig, emulators, releaseEmulators } from './emulated.ts';
import { destroyDataResources } from '../../runtime/backends/aws/deploy/provision.ts';
import type { AwsConfig } from '../../runtime/backends/aws/config.ts';
import { createLocalBackend } from '../../runtime/backends/local/index.ts';

let emu: Emulators;
let config: AwsConfig;
let backend: AwsBackend;
let lw: Lapwing;
let local: Lapwing;
before(async () => {
  emu = await emulators();
  config = emulatorConfig(emu, { inlineThresholdBytes: 16 * 1024 });
  backend = await createAwsBackend(config, {
    executors: 'process',
    executor: { idleTimeoutMs: 20_000, kernels: 'js', visibilityMs: 20_000, pollMs: 200 },
  });
  lw = await lapwing({ backend, workers: 2, kernels: 'js', block: 16 });
  local = await lapwing({ backend: createLocalBackend({ workers: 1, kernels: 'js' }), workers: 1, kernels: 'js' });
});
after(async () => {
  await local?.close();
  await backend?.close();
  if (backend) await destroyDataResources(backend.clients, config).catch(() => undefined);
  await releaseEmulators();
});

describe('svd on emulated AWS', () => {
  it('singular values by band reduction (partial blocks) equal the local backend\'s', async () => {
    const data = Float64Array.from({ length: 45 * 37 }, (_, k) => Math.sin(k * 0.7) + (k % 7) / 10);
    const A = await lw.fromArray(data, 45, 37, { block: 16 });
    const { s } = await lw.svd(A);
    assert.equal(lw.last?.status, 'done');
    assert.ok((await lw.residual.svd(A, s)) < 1e-13);
    const want = await (await local.svd(await local.fromArray(data, 45, 37, { block: 16 }))).s.toArray();
    assert.deepEqual(await s.toArray(), want);
  });

  it('U, s and V of a tall-skinny matrix', async () => {
    const T = await lw.random(70, 12, { block: 16, seed: 3 });
    const r = await lw.svd(T, { vectors: true });
    assert.ok(r.U && r.V);
    assert.ok((await lw.residual.svd(T, r.s, r)) < 1e-13);
  });
});
