/**
 * The linear-algebra library on the AWS backend (emulated S3, SQS and DynamoDB, executor child
 * processes): each algorithm beyond Cholesky runs there with the same programs and kernels as
 * on the local backend, one small case each.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Lapwing } from '../../runtime/library/session.ts';
import { emulatedSession, emulators, releaseEmulators, type EmulatedSession } from './emulated.ts';

let session: EmulatedSession;
let lw: Lapwing;
before(async () => {
  session = await emulatedSession(await emulators());
  lw = session.lw;
});
after(async () => {
  await session?.close();
  await releaseEmulators();
});

describe('algorithms on emulated AWS', () => {
  it('solve with assume spd (one job) and the library operations', async () => {
    const A = await lw.randomSpd(40, { block: 16 });
    const B = await lw.random(40, 3, { block: 16, seed: 4 });
    const X = await lw.solve(A, B, { assume: 'spd' });
    assert.equal(lw.last?.status, 'done');
    assert.ok((await lw.residual.solve(A, X, B)) < 1e-14);

    const M = await lw.random(40, 23, { block: 16, seed: 6 });
    const m = await M.toArray();
    const T = await lw.transpose(M);
    const t = await T.toArray();
    for (let i = 0; i < 40; i++) for (let j = 0; j < 23; j++) assert.equal(t[j * 40 + i], m[i * 23 + j]);
    let ss = 0;
    for (const v of m) ss += v * v;
    assert.ok(Math.abs((await lw.norm(M)) - Math.sqrt(ss)) < 1e-12);
    const C = await lw.matmul(M, M, { transA: true });
    assert.deepEqual(C.shape, [23, 23]);
  });

  it('lu with tournament pivoting and a general solve through it', async () => {
    const A = await lw.random(40, 40, { block: 16, seed: 8 });
    const { perm, L, U } = await lw.lu(A);
    assert.ok((await lw.residual.lu(A, perm, L, U)) < 1e-14);
    const B = await lw.random(40, 2, { block: 16, seed: 9 });
    const X = await lw.solve(A, B);
    assert.equal(lw.last?.algorithm, 'lu_solve');
    assert.ok((await lw.residual.solve(A, X, B)) < 1e-14);
  });

  it('qr (CAQR) with partial blocks', async () => {
    const A = await lw.random(45, 30, { block: 16, seed: 10 });
    const { R } = await lw.qr(A);
    assert.deepEqual(R.shape, [30, 30]);
    assert.ok((await lw.residual.qr(A, R)) < 1e-14);
  });

  it('qr with the explicit Q, and lstsq, with a last block column narrower than its blocks', async () => {
    const A = await lw.random(45, 23, { block: 16, seed: 12 });
    const { Q, R } = await lw.qr(A, { q: true });
    assert.deepEqual(Q.shape, [45, 23]);
    assert.ok((await lw.residual.qrFactors(A, Q, R)) < 1e-14);
    const B = await lw.random(45, 3, { block: 16, seed: 13 });
    const { X, residual } = await lw.lstsq(A, B);
    assert.equal(lw.last?.status, 'done');
    assert.deepEqual(X.shape, [23, 3]);
    assert.ok((await lw.residual.lstsq(A, X, B)) < 1e-15);
    const [a, x, b] = [await A.toArray(), await X.toArray(), await B.toArray()];
    let ss = 0;
    for (let i = 0; i < 45; i++) {
      for (let c = 0; c < 3; c++) {
        let v = -b[i * 3 + c]!;
        for (let p = 0; p < 23; p++) v += a[i * 23 + p]! * x[p * 3 + c]!;
        ss += v * v;
      }
    }
    assert.ok(Math.abs(residual - Math.sqrt(ss)) < 1e-12 * Math.sqrt(ss), `residual ${residual} vs ${Math.sqrt(ss)}`);
    // Full block columns: the last step's leaves have no rows below R (0-row blocks in the stores).
    const A2 = await lw.random(40, 32, { block: 16, seed: 14 });
    const B2 = await lw.random(40, 2, { block: 16, seed: 15 });
    const { X: X2 } = await lw.lstsq(A2, B2);
    assert.ok((await lw.residual.lstsq(A2, X2, B2)) < 1e-15);
  });
});
