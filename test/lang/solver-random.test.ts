/**
 * Randomised property test of the dependency solver: generated programs with affine, scaled,
 * swapped, floor-divided, modular, min/max and power indices, stepped and triangular loops and
 * guards; every symbolic query must agree with brute force. Deterministic (seeded).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DagError, bind, compile, expand, taskKey, type BoundProgram } from '../../lang/index.ts';
import { seededRandom } from '../../kernels/random.ts';

const rng = seededRandom;

// Injective writes: integer-invertible maps of (i, j) plus offsets.
const WRITES = ['i, j', '2 * i + 1, j', 'i + j, j', 'j, i', 'i - j, 3 * j', 'i, i + j', 'i + 2, j - 1'];
const READS = ['a', 'b', 'a + 1', 'b - 1', 'a / 2', 'a % 3', '2 * a', 'min(a, b)', 'max(a, b) - 1', '2**a', 'a + b',
  'a - b', 'N - 1 - a', 'ceil_log2(a + 1)', '(a + b) / 2', '3 * b - a'];
const RANGES = ['0..N', 'i..N', '0..i + 1', 'i / 2..min(N, i + 3)', '1..N step 2', 'i..2 * N step 3'];
const CONDS = ['', 'i % 2 == 0', 'j != i', 'i + j < N', 'not (j == 0) or i == 1'];

function program(r: () => number): string {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const cond = pick(CONDS);
  const write = `X[${pick(WRITES)}] = copy(A[i, j])`;
  const reads = Array.from({ length: 1 + Math.floor(r() * 3) }, () => `X[${pick(READS)}, ${pick(READS)}]`);
  return `def rnd(in A: matrix, out X: matrix, out Y: matrix, N: int) {
  for i in 0..N {
    for j in ${pick(RANGES)} {
      ${cond === '' ? write : `if ${cond} { ${write} }`}
    }
  }
  for a in 0..N {
    for b in 0..${pick(['N', 'a + 1', '2'])} {
      Y[a, b] = add(${reads.join(', ')})
    }
  }
}`;
}

const keys = (ts: readonly { stmt: number; vars: readonly number[] }[]): string[] => ts.map(taskKey).sort();

function compare(dag: BoundProgram, label: string): void {
  const d = expand(dag);
  const bruteUnwritten = new Set(d.problems.filter((p) => p.startsWith('UNWRITTEN')).map((p) => p.split(' ')[1]));
  assert.deepEqual(d.problems.filter((p) => !p.startsWith('UNWRITTEN')), [], label);
  const symUnwritten = new Set<string>();
  d.tasks.forEach((t, i) => {
    try {
      assert.deepEqual(keys(dag.parents(t)), d.parents[i]!.map((p) => taskKey(d.tasks[p]!)).sort(), `${label} parents ${taskKey(t)}`);
    } catch (e) {
      if (!(e instanceof DagError && e.code === 'UNWRITTEN')) throw e;
      symUnwritten.add(taskKey(t));
    }
    assert.deepEqual(keys(dag.children(t)), d.children[i]!.map((c) => taskKey(d.tasks[c]!)).sort(), `${label} children ${taskKey(t)}`);
  });
  assert.deepEqual([...symUnwritten].sort(), [...bruteUnwritten].sort(), `${label} unwritten reads`);
  assert.equal(dag.terminalCount(), d.tasks.length, label);
  const starters = d.tasks.filter((t, i) => d.parents[i]!.length === 0 && !bruteUnwritten.has(taskKey(t)));
  assert.deepEqual(keys([...dag.starters()]), keys(starters), `${label} starters`);
}

test('random programs: symbolic parents/children/starters agree with brute force', () => {
  const r = rng(2024);
  for (let n = 0; n < 60; n++) {
    const src = program(r);
    const p = compile(src);
    for (const N of [1, 3, 6]) compare(bind(p, { N }), `program ${n} N=${N}:\n${src}\n`);
  }
});
