/**
 * qr_q.lp (explicit Q) and lstsq.lp: symbolic DAG queries agree with brute force at several
 * sizes, and the task counts are what the algorithms promise.
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

/** Σ over the steps k < N of f(rows left, columns left). */
const steps = (M: number, N: number, f: (rows: number, cols: number) => number): number =>
  Array.from({ length: N }, (_, k) => f(M - k, N - k)).reduce((a, b) => a + b, 0);

const SIZES = [[1, 1], [2, 1], [3, 2], [4, 4], [5, 3], [7, 2], [7, 5], [9, 4]] as const;

test('qr_q: brute-force check up to 9×4; every tree is walked back down once per column', () => {
  for (const [M, N] of SIZES) {
    const s = checked('qr_q', { M, N });
    // Forward: a leaf per block row and a merge per pair; back down: the same nodes.
    assert.equal(s.perKernel.qr_factor, steps(M, N, (r) => 2 * r - 1));
    assert.equal(s.perKernel.qr_expand, steps(M, N, (r, c) => r * c), `${M}×${N}: one leaf task per block of each step`);
    assert.equal(s.perKernel.qr_apply_split ?? 0, steps(M, N, (r) => r - 1), `${M}×${N}: column k's merges`);
    assert.equal(s.perKernel.eye, N);
    assert.equal(s.perKernel.zeros ?? 0, (N * (N - 1)) / 2);
  }
});

test('qr_qtb: brute-force check up to 9×4 with 1 to 3 block columns of B; no Q formed, no back substitution', () => {
  for (const [M, N] of SIZES) {
    for (const NB of [1, 2, 3]) {
      const s = checked('qr_qtb', { M, N, NB });
      assert.equal(s.perKernel.qr_factor, steps(M, N, (r) => 2 * r - 1));
      assert.equal(s.perKernel.qr_apply_split, (M - N + 1) * NB);
      assert.equal(s.perKernel.qr_expand ?? 0, 0);
      assert.equal(s.perKernel.trsm ?? 0, 0);
    }
  }
});

test('lstsq: brute-force check up to 9×4 with 1 to 3 block columns of B; split leaves only in the last step', () => {
  for (const [M, N] of SIZES) {
    for (const NB of [1, 2, 3]) {
      const s = checked('lstsq', { M, N, NB });
      assert.equal(s.perKernel.qr_factor, steps(M, N, (r) => 2 * r - 1));
      assert.equal(s.perKernel.qr_apply_split, (M - N + 1) * NB);
      assert.equal(s.perKernel.trsm, N * NB);
      assert.equal(s.perKernel.gemm ?? 0, ((N * (N - 1)) / 2) * NB);
      assert.equal(s.perKernel.sumsq, (2 * (M - N) + 1) * NB, `${M}×${N}×${NB}: a sum of squares per block of Qᵀ·B below R`);
    }
  }
});
