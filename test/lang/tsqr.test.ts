import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bind, checkDag, compile, dagStats, programSource, taskKey, type Task } from '../../lang/index.ts';

const p = compile(programSource('tsqr'));
// Statements: 0 leaves, 1 pair (qr_r of two), 2 carry (copy), 3 final copy.

test('TSQR at N = 6: the tree pairs blocks, carries the odd one, ends at R[0,0]', () => {
  const dag = bind(p, { N: 6 });
  const d = (t: Task): string => dag.describe(t);
  assert.equal(d({ stmt: 1, vars: [0, 4] }), 'qr_r Rt[1,4] ← Rt[0,4], Rt[0,5]  (level=0, j=4)');
  assert.equal(d({ stmt: 2, vars: [1, 4] }), 'copy Rt[2,4] ← Rt[1,4]  (level=1, j=4)');
  assert.equal(d({ stmt: 1, vars: [2, 0] }), 'qr_r Rt[3,0] ← Rt[2,0], Rt[2,4]  (level=2, j=0)');
  assert.equal(d({ stmt: 3, vars: [] }), 'copy R[0,0] ← Rt[3,0]');
  assert.deepEqual(dag.children({ stmt: 0, vars: [5] }).map(taskKey), ['1:0,4']);
  assert.deepEqual(dag.children({ stmt: 1, vars: [0, 4] }).map(taskKey), ['2:1,4']);
  assert.deepEqual(dag.parents({ stmt: 1, vars: [2, 0] }).map(taskKey), ['1:1,0', '2:1,4']);
  assert.deepEqual(dag.parents({ stmt: 3, vars: [] }).map(taskKey), ['1:2,0']);
  // j must be a multiple of 2**(level+1), and the pair statement needs a partner.
  assert.ok(!dag.isValid({ stmt: 1, vars: [1, 2] }));
  assert.ok(!dag.isValid({ stmt: 1, vars: [1, 4] }));
  assert.ok(dag.isValid({ stmt: 2, vars: [1, 4] }));
  assert.equal(dag.terminalCount(), 1);
  assert.equal([...dag.starters()].length, 6);
});

test('TSQR: the non-affine 2**level is solved once level is known (no enumeration for writes)', () => {
  const dag = bind(p, { N: 8 });
  const plans = dag.plans();
  const pairRead = plans.find((x) => x.stmt === 1 && x.access === 'read 1 Rt')!;
  assert.deepEqual(pairRead.steps.filter((s) => s.startsWith('solve')), ['solve level = c0', 'solve j = c1 - 2**level']);
  for (const x of plans.filter((q) => q.access.startsWith('write'))) {
    assert.ok(!x.steps.some((s) => s.startsWith('enumerate')), `${x.stmt} ${x.access}: ${x.steps.join(' ; ')}`);
  }
});

test('TSQR: brute force agrees at N = 1 … 17 and at N = 100; critical path is ⌈log2 N⌉ + 2', () => {
  for (const N of [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 100]) {
    assert.ok(checkDag(bind(p, { N })).ok, `N=${N}`);
    const s = dagStats(bind(p, { N }));
    assert.equal(s.criticalPath, Math.ceil(Math.log2(N)) + 2, `N=${N}`);
  }
});
