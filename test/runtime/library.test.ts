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
import { seededRandom } from '../../kernels/index.ts';
import type { NpyMatrix } from '../../runtime/library/npy.ts';
import { hashUniform } from '../../runtime/library/matrix.ts';

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

test('solve never reduces a full matrix to its lower triangle unasked (general LU); a lapwing-made factor is solved as triangular', async () => {
  const s = await session();
  const S = await s.random(96, 96, { block: 32 });
  const B = await s.random(96, 5, { block: 32, seed: 3 });
  const Xg = await s.solve(S, B); // a general matrix: pivoted LU, all of S
  assert.equal(s.last!.algorithm, 'lu_solve');
  assert.ok((await s.residual.solve(S, Xg, B)) < 1e-15);
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

test('randomSpd is exactly the symmetric hash matrix plus n on the diagonal (partial edge blocks)', async () => {
  const s = await session();
  const n = 70, seed = 9;
  const a = await (await s.randomSpd(n, { block: 32, seed })).toArray();
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const v = hashUniform(seed, Math.max(i, j), Math.min(i, j));
      assert.equal(a[i * n + j], i === j ? v + n : v, `entry (${i}, ${j})`);
    }
  }
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

test('lu with tournament pivoting: A[perm] = L·U to 1e-15, growth like SciPy\'s getrf, partial blocks', { skip: noNumpy }, async () => {
  const s = await session();
  for (const [n, b] of [[203, 64], [100, 100], [150, 32]] as const) {
    const A = await s.random(n, n, { block: b, seed: n });
    const { perm, L, U } = await s.lu(A);
    const got = await numpy(`
p = P.ravel().astype(int)
ok = float(sorted(p) == list(range(len(p))) and np.allclose(np.tril(L), L) and np.all(np.diag(L) == 1) and np.allclose(np.triu(U), U))
res = np.linalg.norm(A[p] - L @ U) / np.linalg.norm(A)
growth = np.abs(U).max() / np.abs(A).max()
_, _, u = sp.lu(A)
ref = np.abs(u).max() / np.abs(A).max()`, { A: await dense(A), P: await dense(perm), L: await dense(L), U: await dense(U) }, ['ok', 'res', 'growth', 'ref']);
    assert.equal(got.ok!.data[0], 1, `n=${n} b=${b}: perm is a permutation, L unit lower, U upper`);
    assert.ok(got.res!.data[0]! < 1e-14, `n=${n} b=${b}: residual ${got.res!.data[0]}`);
    assert.ok(got.growth!.data[0]! < 3 * got.ref!.data[0]!, `n=${n} b=${b}: growth ${got.growth!.data[0]} vs getrf ${got.ref!.data[0]}`);
  }
});

test('general solve and inv via LU agree with NumPy; an exactly singular matrix fails naming its column', { skip: noNumpy }, async () => {
  const s = await session();
  const A = await s.random(130, 130, { block: 48, seed: 11 });
  const B = await s.random(130, 9, { block: 48, seed: 12 });
  const X = await s.solve(A, B);
  const Ai = await s.inv(A);
  const want = await numpy('X = np.linalg.solve(A, B)\nAi = np.linalg.inv(A)', { A: await dense(A), B: await dense(B) }, ['X', 'Ai']);
  assert.ok(relErr(await dense(X), want.X!) < 1e-11);
  assert.ok(relErr(await dense(Ai), want.Ai!) < 1e-11);
  // Column 70 zero: elimination leaves it exactly zero, so its pivot is exactly zero (as in getrf).
  const n = 100;
  const a = new Float64Array(n * n);
  const next = seededRandom(70);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) a[i * n + j] = j === 70 ? 0 : 2 * next() - 1;
  const S = await s.fromArray(a, n, n, { block: 32 });
  await assert.rejects(s.lu(S), /singular: no non-zero pivot for column 70\b/);
});

test('qr (CAQR) of tall matrices with partial blocks: R agrees with NumPy up to row signs', { skip: noNumpy }, async () => {
  const s = await session();
  for (const [m, n, b] of [[150, 97, 40], [200, 64, 64], [90, 90, 32], [333, 50, 32]] as const) {
    const A = await s.random(m, n, { block: b, seed: m + n });
    const { R } = await s.qr(A);
    const got = await numpy(`
R0 = np.linalg.qr(A)[1]
d = np.sign(np.diag(R)) * np.sign(np.diag(R0))
err = np.linalg.norm(d[:, None] * R - R0) / np.linalg.norm(R0)
upper = float(np.allclose(np.triu(R), R, atol=0))`, { A: await dense(A), R: await dense(R) }, ['err', 'upper']);
    assert.equal(got.upper!.data[0], 1, `${m}×${n}/${b}: R upper triangular`);
    assert.ok(got.err!.data[0]! < 1e-13, `${m}×${n}/${b}: ‖R − R_numpy‖/‖R‖ = ${got.err!.data[0]}`);
    assert.ok((await s.residual.qr(A, R)) < 1e-14);
  }
  await assert.rejects(s.qr(await s.random(40, 60, { block: 20 })), /m ≥ n/);
});
