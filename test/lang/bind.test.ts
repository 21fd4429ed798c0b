import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DagError, bind, blockKeySuffix, compile, expand, params, parseTaskKey, programSource, taskKey, toDot, toJson,
} from '../../lang/index.ts';

const chol = compile(programSource('cholesky'));

test('task keys round-trip; block key suffixes', () => {
  for (const t of [{ stmt: 0, vars: [] }, { stmt: 3, vars: [1, 4, 2] }, { stmt: 12, vars: [-1, 0] }]) {
    assert.deepEqual(parseTaskKey(taskKey(t)), t);
  }
  assert.equal(taskKey({ stmt: 3, vars: [1, 4, 2] }), '3:1,4,2');
  assert.equal(taskKey({ stmt: 0, vars: [] }), '0:');
  assert.equal(blockKeySuffix([1, 4, 2]), '1_4_2');
  for (const bad of ['', '3', '3:1,,2', 'a:1', '3:1 ,2']) {
    assert.throws(() => parseTaskKey(bad), (e: unknown) => e instanceof DagError && e.code === 'BAD_TASK', bad);
  }
});

test('Cholesky N=4: reads, writes, kernel, parents, children, describe', () => {
  const dag = bind(chol, { N: 4 });
  const syrk = { stmt: 5, vars: [1, 2, 2] }; // S[2,2,2] = syrk(S[1,2,2], L[2,1], L[2,1])
  assert.deepEqual(dag.reads(syrk), [
    { matrix: 'S', idx: [1, 2, 2] }, { matrix: 'L', idx: [2, 1] }, { matrix: 'L', idx: [2, 1] },
  ]);
  assert.deepEqual(dag.writes(syrk), [{ matrix: 'S', idx: [2, 2, 2] }]);
  assert.deepEqual(dag.kernel(syrk), { name: 'syrk', attrs: {} });
  assert.deepEqual(dag.parents(syrk).map(taskKey), ['2:2,2', '4:1,2']); // duplicate read, one parent
  assert.deepEqual(dag.children(syrk).map(taskKey), ['3:2']);
  assert.equal(dag.describe({ stmt: 4, vars: [1, 3] }), 'trsm L[3,1] ← L[1,1], S[1,3,1]  (i=1, j=3)');
  // trsm(3,1) writes L[3,1]: read by syrk(1,3,2), syrk(1,3,3) (as L[j,i]) and by nothing else (k ≤ j).
  assert.deepEqual(dag.children({ stmt: 4, vars: [1, 3] }).map(taskKey).sort(), ['5:1,3,2', '5:1,3,3']);
  assert.deepEqual(dag.children({ stmt: 4, vars: [1, 2] }).map(taskKey).sort(), ['5:1,2,2', '5:1,3,2']);
  assert.equal(dag.isTerminal({ stmt: 4, vars: [1, 3] }), true);
  assert.equal(dag.isTerminal(syrk), false);
});

test('writer, readers, role, isValid', () => {
  const dag = bind(chol, { N: 4 });
  assert.equal(dag.writer({ matrix: 'A', idx: [1, 1] }), null);
  assert.deepEqual(dag.writer({ matrix: 'L', idx: [2, 2] }), { stmt: 3, vars: [2] });
  assert.equal(dag.writer({ matrix: 'L', idx: [1, 2] }), null); // upper triangle: never written
  assert.equal(dag.writer({ matrix: 'L', idx: [1] }), null);
  assert.deepEqual(dag.readers({ matrix: 'A', idx: [2, 1] }).map(taskKey), ['2:2,1']);
  assert.deepEqual(dag.readers({ matrix: 'L', idx: [0, 0] }).map(taskKey), ['1:1', '1:2', '1:3']);
  assert.deepEqual([dag.role('A'), dag.role('L'), dag.role('S')], ['in', 'out', 'temp']);
  assert.throws(() => dag.role('Q'), (e: unknown) => e instanceof DagError && e.code === 'UNKNOWN_MATRIX');
  assert.ok(dag.isValid({ stmt: 5, vars: [1, 3, 2] }));
  for (const vars of [[1, 3, 1], [1, 4, 2], [0, 3, 2], [1, 3], [1, 3, 2.5]]) assert.ok(!dag.isValid({ stmt: 5, vars }), String(vars));
  assert.ok(!dag.isValid({ stmt: 9, vars: [] }));
});

test('params lists user parameters (and hidden temporaries) with kinds, roles and ranks', () => {
  assert.deepEqual(params(chol), [
    { name: 'A', kind: 'matrix', role: 'in', rank: 2 },
    { name: 'L', kind: 'matrix', role: 'out', rank: 2 },
    { name: 'S', kind: 'matrix', role: 'temp', rank: 3 },
    { name: 'N', kind: 'int' },
  ]);
});

test('expand, toJson and toDot materialise small DAGs', () => {
  const dag = bind(chol, { N: 3 });
  const d = expand(dag);
  assert.equal(d.tasks.length, 10);
  assert.deepEqual(d.problems, []);
  const j = toJson(dag);
  assert.equal(j.tasks.length, 10);
  const first = j.tasks.find((t) => t.key === '0:')!;
  assert.deepEqual([first.kernel, first.reads, first.writes, first.children], ['chol', ['A[0,0]'], ['L[0,0]'], ['1:1', '1:2']]);
  const dot = toDot(dag);
  assert.match(dot, /^digraph "cholesky" \{/);
  assert.equal(dot.match(/->/g)?.length, j.tasks.reduce((n, t) => n + t.children.length, 0));
  assert.throws(() => expand(bind(chol, { N: 30 }), 100), (e: unknown) => e instanceof DagError && e.code === 'TOO_LARGE');
});

test('starters stream lazily', () => {
  const gemm = bind(compile(programSource('gemm')), { M: 1000, N: 1000, K: 1000 });
  const it = gemm.starters()[Symbol.iterator]();
  // gemm.lp sums by a chain: the starters are the first terms, one per C block.
  assert.deepEqual(it.next().value, { stmt: 0, vars: [0, 0] });
  assert.deepEqual(it.next().value, { stmt: 0, vars: [0, 1] });
  assert.equal(gemm.terminalCount(), 1_000_000);
});

test('solve plans: every writer lookup of the shipped programs is solved, never enumerated', () => {
  const sizes: Record<string, Record<string, number>> = { cholesky: { N: 9 }, gemm: { M: 3, N: 3, K: 9 }, trsm: { N: 5, R: 2 }, tsqr: { N: 9 } };
  for (const [name, args] of Object.entries(sizes)) {
    const dag = bind(compile(programSource(name as 'cholesky')), args);
    for (const p of dag.plans().filter((x) => x.access.startsWith('write'))) {
      assert.ok(!p.steps.some((s) => s.startsWith('enumerate')), `${name} ${p.stmt} ${p.access}: ${p.steps.join(' ; ')}`);
    }
  }
});
