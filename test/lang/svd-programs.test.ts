/**
 * The SVD programs: symbolic DAG queries agree with brute force at several sizes, and the task
 * counts are the sweeps' (one QR tree per block column, one LQ tree per block row but the last).
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

test('svd (band reduction): brute-force check for M ≥ N up to 8×6; QR and LQ trees per step; one band task', () => {
  for (const [M, N] of [[1, 1], [2, 1], [2, 2], [3, 2], [3, 3], [4, 4], [5, 3], [6, 6], [7, 5], [8, 6]] as const) {
    const s = checked('svd', { M, N });
    let qr = 0, lq = 0, qrApply = 0, lqApply = 0;
    for (let k = 0; k < N; k++) {
      qr += 2 * (M - k) - 1; // M−k leaves, M−k−1 merges
      qrApply += (2 * (M - k) - 1) * (N - k - 1);
      if (k + 1 < N) {
        lq += 2 * (N - k - 1) - 1;
        lqApply += (2 * (N - k - 1) - 1) * (M - k - 1);
      }
    }
    assert.equal(s.perKernel.qr_factor, qr, `${M}×${N} qr_factor`);
    assert.equal(s.perKernel.qr_apply ?? 0, qrApply, `${M}×${N} qr_apply`);
    assert.equal(s.perKernel.lq_factor ?? 0, lq, `${M}×${N} lq_factor`);
    assert.equal(s.perKernel.lq_apply ?? 0, lqApply, `${M}×${N} lq_apply`);
    assert.equal(s.perKernel.band_pack, N);
    assert.equal(s.perKernel.band_svals, 1);
    assert.equal(s.terminal, 1);
  }
});

test('tsvd (TSQR, SVD of R, U = Q·U_R down the tree): brute-force check, N = 1 … 9', () => {
  for (let N = 1; N <= 9; N++) {
    const s = checked('tsvd', { N });
    assert.equal(s.perKernel.qr_factor, 2 * N - 1);
    assert.equal(s.perKernel.svd, 1);
    assert.equal(s.perKernel.qr_apply_split ?? 0, N - 1);
    assert.equal(s.perKernel.qr_expand, N);
    assert.equal(s.terminal, N + 1); // U's row blocks, and the task writing s and V
  }
});
