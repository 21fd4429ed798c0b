/**
 * The SVD on the AWS backend (emulated S3, SQS and DynamoDB, executor child processes): the
 * band reduction and the tall-skinny SVD run there with the same programs and kernels as on
 * the local backend.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { lapwing, type Lapwing } from '../../runtime/library/session.ts';
import { emulatedSession, emulators, releaseEmulators, type EmulatedSession } from './emulated.ts';
import { createLocalBackend } from '../../runtime/backends/local/index.ts';

let session: EmulatedSession;
let lw: Lapwing;
let local: Lapwing;
before(async () => {
  session = await emulatedSession(await emulators());
  lw = session.lw;
  local = await lapwing({ backend: createLocalBackend({ workers: 1, kernels: 'js' }), workers: 1, kernels: 'js' });
});
after(async () => {
  await local?.close();
  await session?.close();
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
