/**
 * The library's programs (SPD solve, products with transposed operands, transpose, add, sub,
 * scale, norm, diag): symbolic DAG queries agree with brute force at several sizes, and the
 * task counts are what the algorithms promise.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bind, checkDag, compile, dagStats, programSource, type ProgramName } from '../../lang/index.ts';

function checked(name: ProgramName, args: Record<string, number>): ReturnType<typeof dagStats> {
  const dag = bind(compile(programSource(name)), args);
  const r = checkDag(dag);
  assert.ok(r.ok, `${name} ${JSON.stringify(args)}:\n${r.mismatches.slice(0, 10).join('\n')}`);
  return dagStats(dag);
}

test('spd_solve: Cholesky + forward + backward substitution, N = 1 … 6, R = 1 … 3', () => {
  for (let N = 1; N <= 6; N++) {
    for (const R of [1, 2, 3]) {
      const s = checked('spd_solve', { N, R });
      assert.equal(s.tasks, (N * (N + 1) * (N + 2)) / 6 + R * N * (N + 1));
      assert.equal(s.terminal, N * R);
      assert.equal(s.perKernel.chol, N);
      assert.equal(s.perKernel.trsm, (N * (N - 1)) / 2 + 2 * N * R);
    }
  }
});

test('gemm_tn, gemm_nt, gemm_tt: several shapes', () => {
  for (const p of ['gemm_tn', 'gemm_nt', 'gemm_tt'] as const) {
    for (const [M, N, K] of [[1, 1, 1], [2, 3, 1], [3, 2, 4], [1, 4, 5]] as const) {
      const s = checked(p, { M, N, K });
      assert.deepEqual([s.tasks, s.terminal, s.criticalPath], [M * N * K, M * N, K]);
    }
  }
});

test('transpose, add, sub, scale, diag: one task per block; norm: two chains', () => {
  for (const [M, N] of [[1, 1], [2, 3], [4, 1], [3, 5]] as const) {
    for (const p of ['transpose', 'add', 'sub', 'scale'] as const) assert.equal(checked(p, { M, N }).tasks, M * N);
    assert.equal(checked('diag', { M, N }).tasks, Math.min(M, N));
    const norm = checked('norm', { M, N });
    assert.deepEqual([norm.tasks, norm.terminal], [M * N + M, 1]);
  }
});

test('lu (tournament pivoting): brute-force check at N = 1 … 6; one tournament tree per panel', () => {
  for (let N = 1; N <= 6; N++) {
    const s = checked('lu', { N });
    assert.equal(s.perKernel.lu_nopiv, N);
    assert.equal(s.perKernel.lu_cand, (N * (N + 1)) / 2); // one leaf per block of each panel
    assert.equal(s.terminal, N * N + N); // tasks: a diagonal factor (L and U), U's and L's off-diagonal blocks, P's blocks
    let merges = 0;
    for (let m = 1; m <= N; m++) merges += m - 1; // a tree over m leaves has m − 1 merges
    assert.equal(s.perKernel.lu_merge ?? 0, merges);
  }
});

test('lu_solve: brute-force check for N = 1 … 5, R = 1 … 3', () => {
  for (let N = 1; N <= 5; N++) {
    for (const R of [1, 2, 3]) {
      const s = checked('lu_solve', { N, R });
      assert.equal(s.terminal, N * R);
      assert.equal(s.perKernel.lu_gather, N * N * R);
    }
  }
});

test('qr (CAQR): brute-force check for M ≥ N up to 7×5; one TSQR tree per block column', () => {
  for (const [M, N] of [[1, 1], [2, 1], [3, 2], [4, 4], [5, 3], [7, 2], [7, 5]] as const) {
    const s = checked('qr', { M, N });
    let leaves = 0, merges = 0;
    for (let k = 0; k < N; k++) { leaves += M - k; merges += M - k - 1; }
    assert.equal(s.perKernel.qr_factor, leaves + merges);
    assert.equal(s.terminal, (N * (N + 1)) / 2);
  }
});
