/**
 * The matrix library beyond the factorisations: SPD solve in one job, inv, transpose, add,
 * sub, scale, norm, diag and products with transposed operands, on rectangular matrices with
 * partial edge blocks, compared with NumPy (skipped visibly where it is not installed) and
 * with exact formulas.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { lapwing, ShapeError, type Lapwing, type BlockMatrix } from '../../runtime/index.ts';
import { numpy, numpyMissing } from './numpy.ts';
import type { NpyMatrix } from '../../runtime/library/npy.ts';

let lw: Lapwing;
const session = async (): Promise<Lapwing> => (lw ??= await lapwing({ workers: 2, kernels: process.env.LAPWING_KERNELS ?? 'auto' }));
after(async () => lw?.close());
const noNumpy = numpyMissing();

const dense = async (m: BlockMatrix): Promise<NpyMatrix> => ({ rows: m.rows, cols: m.cols, data: await m.toArray() });

function relErr(x: NpyMatrix, y: NpyMatrix): number {
  assert.deepEqual([x.rows, x.cols], [y.rows, y.cols]);
  let e = 0, s = 0;
  for (let i = 0; i < x.data.length; i++) { e += (x.data[i]! - y.data[i]!) ** 2; s += y.data[i]! ** 2; }
  return Math.sqrt(e / s);
}

test('solve with assume spd: one job (Cholesky + both triangular solves) agrees with NumPy; partial blocks', { skip: noNumpy }, async () => {
  const s = await session();
  const A = await s.randomSpd(203, { block: 64 }); // stored as its lower blocks only
  const B = await s.random(203, 70, { block: 64, seed: 5 });
  const X = await s.solve(A, B, { assume: 'spd' });
  assert.equal(s.last!.algorithm, 'spd_solve');
  const N = 4, R = 2;
  assert.equal(s.last!.tasks, (N * (N + 1) * (N + 2)) / 6 + 2 * R * (N * (N + 1)) / 2);
  const want = await numpy('X = np.linalg.solve(A, B)', { A: await dense(A), B: await dense(B) }, ['X']);
  assert.ok(relErr(await dense(X), want.X!) < 1e-12);
  assert.ok((await s.residual.solve(A, X, B)) < 1e-15);
});

test('solve never reduces a full matrix to its lower triangle unasked; a lapwing-made factor is solved as triangular', async () => {
  const s = await session();
  const S = await s.random(96, 96, { block: 32 });
  const B = await s.random(96, 5, { block: 32, seed: 3 });
  await assert.rejects(s.solve(S, B), (e: unknown) => e instanceof ShapeError && /not known to be triangular/.test(e.message));
  const L = await s.cholesky(await s.randomSpd(96, { block: 32 }));
  const X = await s.solve(L, B);
  assert.equal(s.last!.algorithm, 'trsm');
  assert.ok((await s.residual.solve(L, X, B)) < 1e-15);
  const Y = await s.solve(S, B, { assume: 'lower' }); // asked for: only the lower triangle is read
  assert.equal(s.last!.algorithm, 'trsm');
  assert.deepEqual(Y.shape, [96, 5]);
});

test('inv with assume spd: A·A⁻¹ = I, against NumPy', { skip: noNumpy }, async () => {
  const s = await session();
  const A = await s.randomSpd(150, { block: 64 });
  const Ai = await s.inv(A, { assume: 'spd' });
  const want = await numpy('Ai = np.linalg.inv(A)', { A: await dense(A) }, ['Ai']);
  assert.ok(relErr(await dense(Ai), want.Ai!) < 1e-12);
});

test('transpose, add, sub, scale, norm, diag on rectangular matrices with partial blocks: exact', async () => {
  const s = await session();
  const m = 150, n = 97;
  const A = await s.random(m, n, { block: 40, seed: 7 });
  const B = await s.random(m, n, { block: 40, seed: 8 });
  const a = await A.toArray(), b = await B.toArray();
  const T = await s.transpose(A);
  assert.deepEqual([T.rows, T.cols, T.blockRows, T.blockCols], [n, m, 40, 40]);
  const t = await T.toArray();
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) assert.equal(t[j * m + i], a[i * n + j]);
  assert.deepEqual(await (await s.add(A, B)).toArray(), a.map((v, i) => v + b[i]!));
  assert.deepEqual(await (await s.sub(A, B)).toArray(), a.map((v, i) => v - b[i]!));
  assert.deepEqual(await (await s.scale(A, -0.5)).toArray(), a.map((v) => -0.5 * v));
  let ss = 0;
  for (const v of a) ss += v * v;
  assert.ok(Math.abs((await s.norm(A)) - Math.sqrt(ss)) < 1e-13 * Math.sqrt(ss));
  const D = await s.diag(A);
  assert.deepEqual(D.shape, [n, 1]);
  assert.deepEqual(await D.toArray(), Float64Array.from({ length: n }, (_, i) => a[i * n + i]!));
  await assert.rejects(s.add(A, await s.random(m, n, { block: 32 })), ShapeError);
  await assert.rejects(s.add(A, T), ShapeError);
  await assert.rejects(s.transpose(await s.randomSpd(50, { block: 20 })), /lower blocks only/);
});

test('matmul with transposed operands, every combination, against NumPy', { skip: noNumpy }, async () => {
  const s = await session();
  const m = 90, k = 130, n = 70;
  const A = await s.random(m, k, { block: 32, seed: 1 });
  const At = await s.transpose(A);
  const B = await s.random(k, n, { block: 32, seed: 2 });
  const Bt = await s.transpose(B);
  const want = await numpy('C = A @ B', { A: await dense(A), B: await dense(B) }, ['C']);
  for (const [x, y, transA, transB] of [[A, B, false, false], [At, B, true, false], [A, Bt, false, true], [At, Bt, true, true]] as const) {
    const C = await s.matmul(x, y, { transA, transB });
    assert.ok(relErr(await dense(C), want.C!) < 1e-14, `transA=${transA} transB=${transB}`);
  }
  await assert.rejects(s.matmul(A, B, { transA: true }), /inner dimensions differ/);
});
