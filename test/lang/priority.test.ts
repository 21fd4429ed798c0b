import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bind, blockPriority, compile, programSource, type Task } from '../../lang/index.ts';

test('blockPriority orders by min index, then by index sum (smaller first)', () => {
  const order = [[0, 0], [1, 0], [1, 1], [2, 1], [3, 1], [2, 2], [5, 2], [2, 3, 3]];
  for (let i = 1; i < order.length; i++) {
    assert.ok(blockPriority(order[i - 1]!) > blockPriority(order[i]!), `${order[i - 1]} before ${order[i]}`);
  }
  assert.equal(blockPriority([4, 2]), blockPriority([2, 4]));
  assert.equal(blockPriority([]), 0);
  // Bucketable: ⌊−priority⌋ is the min index.
  for (const idx of [[0, 0], [3, 7], [2, 9, 4], [10, 10]]) assert.equal(Math.floor(-blockPriority(idx)), Math.min(...idx));
});

test('Cholesky: chol(i) > trsm(·, i) > every syrk of step i > every syrk of step i+1', () => {
  const N = 7;
  const dag = bind(compile(programSource('cholesky')), { N });
  const pr = (stmt: number, ...vars: number[]): number => dag.priority({ stmt, vars });
  const chol = (i: number): number => (i === 0 ? pr(0) : pr(3, i));
  const trsm = (j: number, i: number): number => (i === 0 ? pr(1, j) : pr(4, i, j));
  const syrks = (i: number): number[] => {
    const out: number[] = [];
    for (let j = i + 1; j < N; j++) for (let k = i + 1; k <= j; k++) out.push(i === 0 ? pr(2, j, k) : pr(5, i, j, k));
    return out;
  };
  for (let i = 0; i < N; i++) {
    const ts = Array.from({ length: N - i - 1 }, (_, d) => trsm(i + 1 + d, i));
    assert.ok(ts.every((t) => chol(i) > t), `chol(${i}) before its trsms`);
    for (let d = 1; d < ts.length; d++) assert.ok(ts[d - 1]! > ts[d]!, 'trsms top to bottom');
    const lowestTrsm = Math.min(chol(i), ...ts);
    assert.ok(syrks(i).every((s) => s < lowestTrsm), `step ${i}: panel before updates`);
    if (i + 1 < N) assert.ok(Math.min(...syrks(i)) > Math.max(...syrks(i + 1), -Infinity), `updates of step ${i} before step ${i + 1}`);
    // Look-ahead: the next diagonal chol outranks the step's far-away updates, and the update feeding it comes first.
    if (i + 2 < N) {
      const s = syrks(i);
      assert.ok(chol(i + 1) > Math.min(...s));
      assert.equal(Math.max(...s), i === 0 ? pr(2, 1, 1) : pr(5, i, i + 1, i + 1));
    }
  }
});

test('priority is a pure function of the task', () => {
  const p = compile(programSource('tsqr'));
  const a = bind(p, { N: 9 });
  const b = bind(p, { N: 9 });
  const t: Task = { stmt: 1, vars: [1, 4] };
  assert.equal(a.priority(t), b.priority(t));
  assert.equal(a.priority(t), blockPriority(a.writes(t)[0]!.idx));
  // The j = 0 chain (which ends at the root) outranks the rest of its level.
  assert.ok(a.priority({ stmt: 1, vars: [1, 0] }) > a.priority(t));
});
