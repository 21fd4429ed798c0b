/**
 * End to end on the local backend: compiled programs + real kernels + executor threads produce
 * verified results, including partial last blocks; bad input fails clearly.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { lapwing, JobFailedError, type Lapwing } from '../../runtime/index.ts';

let lw: Lapwing;
const session = async (): Promise<Lapwing> => (lw ??= await lapwing({ workers: 2, kernels: process.env.LAPWING_KERNELS ?? 'auto' }));
after(async () => lw?.close());

/** Naive dense helpers (row-major). */
function mul(a: Float64Array, b: Float64Array, m: number, k: number, n: number, transB = false): Float64Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let p = 0; p < k; p++) {
    const x = a[i * k + p]!;
    for (let j = 0; j < n; j++) c[i * n + j] = c[i * n + j]! + x * (transB ? b[j * k + p]! : b[p * n + j]!);
  }
  return c;
}
function relErr(x: Float64Array, y: Float64Array): number {
  let e = 0, s = 0;
  for (let i = 0; i < x.length; i++) { e += (x[i]! - y[i]!) ** 2; s += y[i]! ** 2; }
  return Math.sqrt(e / s);
}

test('cholesky with a partial last block: L·Lᵀ = A, L lower', async () => {
  const s = await session();
  const n = 200;
  const A = await s.randomSpd(n, { block: 64 });
  const L = await s.cholesky(A);
  const a = await A.toArray(), l = await L.toArray();
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) assert.equal(l[i * n + j], 0);
  assert.ok(relErr(mul(l, l, n, n, n, true), a) < 1e-13);
  assert.ok((await s.residual.cholesky(A, L)) < 1e-13);
  assert.equal(s.last!.tasks, 4 + 6 + 10); // N=4: chol 4, trsm 6, syrk 4+3+2+1
});

test('matmul of rectangular matrices with partial blocks', async () => {
  const s = await session();
  const m = 150, k = 130, n = 170;
  const a = Float64Array.from({ length: m * k }, (_, i) => Math.sin(i + 1));
  const b = Float64Array.from({ length: k * n }, (_, i) => Math.cos(i * 3));
  const A = await s.fromArray(a, m, k, { block: 64 });
  const B = await s.fromArray(b, k, n, { block: 64 });
  const C = await s.matmul(A, B);
  assert.deepEqual(C.shape, [m, n]);
  assert.ok(relErr(await C.toArray(), mul(a, b, m, k, n)) < 1e-13);
});

test('solve L·X = B (blocked forward substitution)', async () => {
  const s = await session();
  const L = await s.randomLower(190, { block: 64 });
  const B = await s.random(190, 70, { block: 64 });
  const X = await s.solve(L, B);
  const lx = mul(await L.toArray(), await X.toArray(), 190, 190, 70);
  assert.ok(relErr(lx, await B.toArray()) < 1e-12);
});

test('tsqr: RᵀR = AᵀA and R upper triangular, odd number of row blocks', async () => {
  const s = await session();
  const m = 5 * 64 + 17, c = 24;
  const A = await s.random(m, c, { block: 64, blockCols: c });
  const R = await s.tsqr(A);
  const r = await R.toArray(), a = await A.toArray();
  for (let i = 0; i < c; i++) for (let j = 0; j < i; j++) assert.ok(Math.abs(r[i * c + j]!) < 1e-14);
  const at = new Float64Array(c * m);
  for (let i = 0; i < m; i++) for (let j = 0; j < c; j++) at[j * m + i] = a[i * c + j]!;
  const rt = new Float64Array(c * c);
  for (let i = 0; i < c; i++) for (let j = 0; j < c; j++) rt[j * c + i] = r[i * c + j]!;
  assert.ok(relErr(mul(rt, r, c, c, c), mul(at, a, c, m, c)) < 1e-12);
});

test('a matrix that is not positive definite fails the job naming the task and minor', async () => {
  const s = await session();
  const n = 100;
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) a[i * n + i] = i === 70 ? -1 : 1;
  const A = await s.fromArray(a, n, n, { block: 32 });
  await assert.rejects(s.cholesky(A), (e: unknown) => {
    assert.ok(e instanceof JobFailedError);
    assert.match(e.message, /chol/);
    assert.match(e.message, /L\[2, ?2\]|L\[2,2\]/);
    assert.match(e.message, /minor 7|leading minor.*7/);
    return true;
  });
});

test('the same job twice gives bit-identical results; temporaries are gone afterwards', async () => {
  const s = await session();
  const A = await s.randomSpd(160, { block: 32 });
  const l1 = await (await s.cholesky(A)).toArray();
  const l2 = await (await s.cholesky(A)).toArray();
  assert.deepEqual(l1, l2);
  assert.deepEqual(await s.backend.blocks.list('jobs/'), (await s.backend.blocks.list('jobs/')).filter((k) => !k.includes('/tmp/')));
});
