/**
 * QR with the explicit Q, Qᵀ·B and least squares (qr_q.lp, lstsq.lp) on tall matrices with
 * partial edge blocks, including a last block column narrower than its blocks (the leaves of
 * its tree are taller than their R). Checked in the test with dense arithmetic: A = Q·R,
 * QᵀQ = I, Qᵀ·B from the explicit Q, and the normal equations Aᵀ(A·X − B) = 0; NumPy's lstsq
 * as well where NumPy is installed.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { lapwing, lstsq, qr, RankDeficientError, type Lapwing, type BlockMatrix } from '../../runtime/index.ts';
import { numpy, numpyMissing } from './numpy.ts';

let lw: Lapwing;
const session = async (): Promise<Lapwing> => (lw ??= await lapwing({ workers: 2, kernels: process.env.LAPWING_KERNELS ?? 'auto' }));
after(async () => lw?.close());
const noNumpy = numpyMissing();

/** A dense row-major matrix. */
interface Dense { rows: number; cols: number; data: Float64Array }
const dense = async (m: BlockMatrix): Promise<Dense> => ({ rows: m.rows, cols: m.cols, data: await m.toArray() });

function mul(a: Dense, b: Dense, transA = false): Dense {
  const [m, k] = transA ? [a.cols, a.rows] : [a.rows, a.cols];
  assert.equal(k, b.rows);
  const out = new Float64Array(m * b.cols);
  for (let i = 0; i < m; i++) {
    for (let p = 0; p < k; p++) {
      const x = transA ? a.data[p * a.cols + i]! : a.data[i * a.cols + p]!;
      if (x === 0) continue;
      for (let j = 0; j < b.cols; j++) out[i * b.cols + j] = out[i * b.cols + j]! + x * b.data[p * b.cols + j]!;
    }
  }
  return { rows: m, cols: b.cols, data: out };
}

const fro = (a: Dense): number => Math.sqrt(a.data.reduce((s, x) => s + x * x, 0));
function minus(a: Dense, b: Dense): Dense {
  assert.deepEqual([a.rows, a.cols], [b.rows, b.cols]);
  return { rows: a.rows, cols: a.cols, data: a.data.map((x, i) => x - b.data[i]!) };
}
const eye = (n: number): Dense => ({ rows: n, cols: n, data: Float64Array.from({ length: n * n }, (_, i) => (i % (n + 1) === 0 ? 1 : 0)) });

// m × n / block: partial last rows and columns, a last column narrower than its blocks, one
// block column, one block, a square matrix, a last block row shorter than the last block
// column is wide (12×9/5: its leaf R has fewer rows than columns).
const SHAPES = [[150, 97, 40], [333, 50, 32], [90, 90, 32], [100, 30, 40], [64, 64, 64], [41, 40, 40], [200, 64, 64], [12, 9, 5]] as const;

test('qr with q: A = Q·R and QᵀQ = I to 1e-14, R as qr alone gives it; partial edge blocks', async () => {
  const s = await session();
  for (const [m, n, b] of SHAPES) {
    const l = `${m}×${n}/${b}`;
    const A = await s.random(m, n, { block: b, seed: m + n });
    const { Q, R } = await qr(A, { q: true });
    assert.deepEqual([Q.rows, Q.cols, R.rows, R.cols], [m, n, n, n], l);
    const [a, q, r] = [await dense(A), await dense(Q), await dense(R)];
    const e1 = fro(minus(a, mul(q, r))) / fro(a);
    const e2 = fro(minus(mul(q, q, true), eye(n))) / Math.sqrt(n);
    assert.ok(e1 < 1e-14, `${l}: ‖A − QR‖/‖A‖ = ${e1}`);
    assert.ok(e2 < 1e-14, `${l}: ‖QᵀQ − I‖_F/√n = ${e2}`);
    for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) assert.equal(r.data[i * n + j], 0, `${l}: R upper triangular`);
    const { R: R1 } = await s.qr(A);
    assert.deepEqual((await dense(R1)).data, r.data, `${l}: the same R as qr without Q`);
  }
});

test('qr with apply: Qᵀ·B (thin) equals the explicit Q transposed times B', async () => {
  const s = await session();
  for (const [m, n, b, c] of [[150, 97, 40, 23], [100, 30, 40, 90], [90, 90, 32, 5]] as const) {
    const l = `${m}×${n}/${b} on ${c} columns`;
    const A = await s.random(m, n, { block: b, seed: 3 * m + n });
    const B = await s.random(m, c, { block: b, seed: 7 });
    const { Q, R, QtB } = await s.qr(A, { q: true, apply: B });
    assert.deepEqual([QtB.rows, QtB.cols], [n, c], l);
    const want = mul(await dense(Q), await dense(B), true);
    const e = fro(minus(await dense(QtB), want)) / fro(want);
    assert.ok(e < 1e-13, `${l}: ‖QtB − QᵀB‖/‖QᵀB‖ = ${e}`);
    const alone = await qr(A, { apply: B });
    assert.equal('Q' in alone, false);
    assert.deepEqual((await dense(alone.QtB)).data, (await dense(QtB)).data, `${l}: one job without Q gives the same Qᵀ·B`);
    assert.deepEqual((await dense(alone.R)).data, (await dense(R)).data, `${l}: and the same R`);
    await Promise.all([alone.R.delete(), alone.QtB.delete()]);
    await Promise.all([Q.delete(), R.delete(), QtB.delete()]);
  }
});

test('lstsq: the normal equations hold to rounding and the residual is ‖A·X − B‖_F; partial edge blocks', async () => {
  const s = await session();
  for (const [m, n, b] of SHAPES) {
    for (const c of [1, 45]) {
      const l = `${m}×${n}/${b} on ${c} columns`;
      const A = await s.random(m, n, { block: b, seed: m * n });
      const B = await s.random(m, c, { block: b, seed: c });
      const { X, residual } = await lstsq(A, B);
      assert.equal(s.last!.algorithm, 'lstsq');
      assert.deepEqual([X.rows, X.cols], [n, c], l);
      const [a, x, bb] = [await dense(A), await dense(X), await dense(B)];
      const r = minus(mul(a, x), bb);
      // A backward-stable solution has ‖Aᵀr‖ ≲ ε‖A‖(‖A‖‖X‖ + ‖r‖), whatever A's condition.
      const ne = fro(mul(a, r, true)) / (fro(a) * (fro(a) * fro(x) + fro(r)));
      assert.ok(ne < 1e-14, `${l}: normal equations residual ${ne}`);
      assert.ok(Math.abs(residual - fro(r)) <= 1e-10 * Math.max(fro(r), 1e-300) + 1e-13 * fro(bb), `${l}: residual ${residual} vs ‖AX − B‖ = ${fro(r)}`);
      await X.delete();
    }
  }
});

test('lstsq agrees with NumPy\'s', { skip: noNumpy }, async () => {
  const s = await session();
  for (const [m, n, b] of [[150, 97, 40], [100, 30, 40], [333, 50, 32]] as const) {
    const A = await s.random(m, n, { block: b, seed: 11 });
    const B = await s.random(m, 33, { block: b, seed: 12 });
    const { X, residual } = await s.lstsq(A, B);
    const got = await numpy(`
X0, res, rank, sv = np.linalg.lstsq(A, B, rcond=None)
err = np.linalg.norm(X - X0) / np.linalg.norm(X0)
rn = np.sqrt(res.sum())`, { A: await dense(A), B: await dense(B), X: await dense(X) }, ['err', 'rn']);
    assert.ok(got.err!.data[0]! < 1e-12, `${m}×${n}/${b}: ‖X − X_numpy‖/‖X_numpy‖ = ${got.err!.data[0]}`);
    assert.ok(Math.abs(residual - got.rn!.data[0]!) < 1e-12 * got.rn!.data[0]!, `${m}×${n}/${b}: residual ${residual} vs NumPy's ${got.rn!.data[0]}`);
  }
});

test('qr and lstsq refuse wide A, mismatched B and symmetric storage', async () => {
  const s = await session();
  const wide = await s.random(40, 60, { block: 20 });
  await assert.rejects(s.qr(wide, { q: true }), /qr needs m ≥ n/);
  await assert.rejects(s.lstsq(wide, await s.random(40, 2, { block: 20 })), /lstsq needs m ≥ n/);
  const A = await s.random(60, 40, { block: 20 });
  await assert.rejects(s.lstsq(A, await s.random(59, 2, { block: 20 })), /B has 59 rows/);
  await assert.rejects(s.lstsq(A, await s.random(60, 2, { block: 30 })), /same row blocks/);
  await assert.rejects(s.lstsq(A, await s.randomSpd(60, { block: 20 })), /symmetric/);
});

test('lstsq of a rank-deficient A throws RankDeficientError (no non-finite X)', async () => {
  const s = await session();
  const data = Float64Array.from({ length: 60 * 20 }, (_, k) => Math.sin(k * 0.37) + (k % 5) / 7);
  for (let i = 0; i < 60; i++) data[i * 20 + 7] = 0; // column 7 is zero: rank 19
  const A = await s.fromArray(data, 60, 20, { block: 16 });
  await assert.rejects(s.lstsq(A, await s.random(60, 1, { block: 16 })), (e: unknown) => e instanceof RankDeficientError && /full column rank/.test(e.message));
});
