/**
 * ml-matrix and ndarray in and out of the library: `fromMatrix`/`toMatrix` with a real
 * ml-matrix `Matrix`, `fromNdarray`/`toNdarray` with a real ndarray, on a rectangular matrix
 * with partial edge blocks, and a symmetric matrix stored as its lower blocks (read back whole).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { CholeskyDecomposition, Matrix } from 'ml-matrix';
import ndarray from 'ndarray';
import { lapwing, type Lapwing } from '../../runtime/index.ts';

let lw: Lapwing;
const session = async (): Promise<Lapwing> => (lw ??= await lapwing({ workers: 1, kernels: 'js' }));
after(async () => lw?.close());

const ROWS = 37;
const COLS = 23;
const value = (i: number, j: number): number => i * 100 + j + 0.25;

test('fromMatrix → toMatrix: an ml-matrix Matrix comes back equal, partial blocks included', async () => {
  const s = await session();
  const m = Matrix.zeros(ROWS, COLS);
  for (let i = 0; i < ROWS; i++) for (let j = 0; j < COLS; j++) m.set(i, j, value(i, j));
  const A = await s.fromMatrix(m, { block: 16 });
  const back = await A.toMatrix();
  assert.ok(back instanceof Matrix);
  assert.deepEqual([back.rows, back.columns], [ROWS, COLS]);
  assert.deepEqual(back.to2DArray(), m.to2DArray());
});

test('fromNdarray → toNdarray: a 2-D ndarray comes back equal, row-major', async () => {
  const s = await session();
  const a = ndarray(new Float64Array(ROWS * COLS), [ROWS, COLS]);
  for (let i = 0; i < ROWS; i++) for (let j = 0; j < COLS; j++) a.set(i, j, value(i, j));
  const A = await s.fromNdarray(a, { block: 16 });
  const back = await A.toNdarray();
  assert.deepEqual(back.shape, [ROWS, COLS]);
  assert.deepEqual(back.stride, [COLS, 1]);
  for (let i = 0; i < ROWS; i++) for (let j = 0; j < COLS; j++) assert.equal(back.get(i, j), value(i, j), `(${i}, ${j})`);
  assert.deepEqual(back.data, await A.toArray());
});

test('a symmetric matrix stored as its lower blocks converts whole, and ml-matrix agrees it is SPD', async () => {
  const s = await session();
  const A = await s.randomSpd(40, { block: 16 });
  const m = await A.toMatrix();
  assert.ok(m.isSymmetric());
  const L = await s.cholesky(A);
  // The lower factor of ml-matrix's own Cholesky is the same matrix (up to rounding).
  const ours = await L.toMatrix();
  const theirs = new CholeskyDecomposition(m).lowerTriangularMatrix;
  assert.ok(ours.clone().sub(theirs).norm() / theirs.norm() < 1e-12);
  const nd = await L.toNdarray();
  assert.equal(nd.get(39, 0), ours.get(39, 0));
  assert.equal(nd.get(0, 39), 0, 'upper triangle of a Cholesky factor reads as zeros');
});
