/**
 * lw.svd: singular values by band reduction (QR/LQ sweeps in the DAG, the band on one task)
 * and singular vectors of tall-skinny and short-wide matrices (TSQR, SVD of R, U = Q·U_R), on inputs
 * with partial edge blocks. References: ml-matrix's SVD (an independent Golub–Kahan
 * implementation) always, NumPy where installed (skipped visibly otherwise).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Matrix, SingularValueDecomposition } from 'ml-matrix';
import { lapwing, ShapeError, svd, type Lapwing, type BlockMatrix } from '../../runtime/index.ts';
import { numpy, numpyMissing } from './numpy.ts';

let lw: Lapwing;
const session = async (): Promise<Lapwing> => (lw ??= await lapwing({ workers: 2, kernels: process.env.LAPWING_KERNELS ?? 'auto' }));
after(async () => lw?.close());
const noNumpy = numpyMissing();

async function reference(a: BlockMatrix): Promise<number[]> {
  const d = await a.toArray();
  const m = new Matrix(a.rows, a.cols);
  for (let i = 0; i < a.rows; i++) for (let j = 0; j < a.cols; j++) m.set(i, j, d[i * a.cols + j]!);
  const d2 = new SingularValueDecomposition(m, { computeLeftSingularVectors: false, computeRightSingularVectors: false, autoTranspose: true }).diagonal;
  return d2.sort((x, y) => y - x).slice(0, Math.min(a.rows, a.cols));
}

/** Largest |σ − σ_ref| / σ_ref over all values (each relative to itself). */
function worstRelative(s: ArrayLike<number>, ref: readonly number[]): number {
  assert.equal(s.length, ref.length);
  let w = 0;
  for (let i = 0; i < ref.length; i++) w = Math.max(w, Math.abs(s[i]! - ref[i]!) / ref[i]!);
  return w;
}

// m × n / block: partial edge blocks in both directions, one block, square, wide (transposed first).
const SHAPES = [[150, 97, 40], [100, 100, 40], [64, 64, 64], [203, 150, 32], [130, 61, 16], [90, 130, 32], [37, 5, 8]] as const;

test('singular values within 1e-10 (each relative to itself) of an independent SVD; descending; partial blocks', async () => {
  const s = await session();
  for (const [m, n, b] of SHAPES) {
    const A = await s.random(m, n, { block: b, seed: m + 3 * n });
    const r = await s.svd(A);
    assert.equal(r.U, undefined);
    assert.equal(r.V, undefined);
    assert.deepEqual(r.s.shape, [Math.min(m, n), 1]);
    const sv = await r.s.toArray();
    const err = worstRelative(sv, await reference(A));
    assert.ok(err < 1e-10, `${m}×${n}/${b}: worst relative error ${err}`);
    assert.ok((await s.residual.svd(A, r.s)) < 1e-13);
  }
});

test('singular values agree with NumPy (each within 1e-10 of itself)', { skip: noNumpy }, async () => {
  const s = await session();
  for (const [m, n, b] of SHAPES) {
    const A = await s.random(m, n, { block: b, seed: 7 * m + n });
    const { s: sv } = await svd(A);
    const got = await numpy('err = np.max(np.abs(s[:, 0] - np.linalg.svd(A, compute_uv=False)) / np.linalg.svd(A, compute_uv=False))',
      { A: { rows: m, cols: n, data: await A.toArray() }, s: { rows: sv.rows, cols: 1, data: await sv.toArray() } }, ['err']);
    assert.ok(got.err!.data[0]! < 1e-10, `${m}×${n}/${b}: ${got.err!.data[0]}`);
  }
});

test('a rank-deficient matrix: the zero singular values come out as (near) zero, the others exact', async () => {
  const s = await session();
  // Rows repeat with period 3: rank 3.
  const m = 70, n = 45;
  const base = await (await s.random(3, n, { block: 16, seed: 11 })).toArray();
  const data = Float64Array.from({ length: m * n }, (_, k) => base[(Math.floor(k / n) % 3) * n + (k % n)]!);
  const A = await s.fromArray(data, m, n, { block: 16 });
  const sv = await (await s.svd(A)).s.toArray();
  const ref = await reference(A);
  for (let i = 0; i < 3; i++) assert.ok(Math.abs(sv[i]! - ref[i]!) < 1e-12 * ref[0]!, `σ${i}`);
  for (let i = 3; i < n; i++) assert.ok(Math.abs(sv[i]!) < 1e-13 * ref[0]!, `σ${i} = ${sv[i]} should vanish`);
});

test('vectors: U, s and V of a tall-skinny A (one job: TSQR, SVD of R, U = Q·U_R) and of a short-wide one; others are refused', async () => {
  const s = await session();
  for (const [m, n, b] of [[333, 40, 64], [64, 64, 64], [200, 30, 30], [45, 7, 8]] as const) {
    const T = await s.random(m, n, { block: b, seed: 21 + m });
    const r = await s.svd(T, { vectors: true });
    assert.equal(s.last!.algorithm, 'svd');
    assert.ok(r.U && r.V);
    assert.deepEqual([r.U.shape, r.V.shape], [[m, n], [n, n]]);
    assert.ok(worstRelative(await r.s.toArray(), await reference(T)) < 1e-10, `${m}×${n}/${b}: s`);
    // AᵀA·V = V·diag(s²), A·Aᵀ·U = U·diag(s²), A·V = U·diag(s).
    assert.ok((await s.residual.svd(T, r.s, r)) < 1e-13, `${m}×${n}/${b}: residual`);
    // U has orthonormal columns.
    const u = await r.U.toArray();
    for (let p = 0; p < n; p++) {
      for (let q = 0; q <= p; q++) {
        let d = 0;
        for (let i = 0; i < m; i++) d += u[i * n + p]! * u[i * n + q]!;
        assert.ok(Math.abs(d - (p === q ? 1 : 0)) < 1e-13, `${m}×${n}/${b}: (UᵀU)[${p}, ${q}] = ${d}`);
      }
    }
  }
  const W = await s.random(25, 150, { block: 32, seed: 22 });
  const w = await s.svd(W, { vectors: true });
  assert.ok(w.U && w.V);
  assert.deepEqual([w.U.shape, w.V.shape], [[25, 25], [150, 25]]);
  assert.ok(worstRelative(await w.s.toArray(), await reference(W)) < 1e-10);
  assert.ok((await s.residual.svd(W, w.s, w)) < 1e-13);
  // The check is not vacuous: a wrong V fails it.
  const T = await s.random(100, 20, { block: 32, seed: 5 });
  const t = await s.svd(T, { vectors: true });
  assert.ok((await s.residual.svd(T, t.s, { V: await s.transpose(t.V!) })) > 1e-3);
  await assert.rejects(s.svd(await s.random(100, 70, { block: 32 }), { vectors: true }), (e: unknown) => e instanceof ShapeError && /within one block/.test(e.message));
});
