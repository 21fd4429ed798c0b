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
  assert.equal(dag.terminalCount(), d.tasks.filter((t) => dag.isTerminal(t)).length, label);
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

/**
 * Tree reductions level by level: loop bounds and guards use `f**level`, and solving a write
 * `P[level+1, …]` for the block P[0, …] gives level = −1, outside the loop, where `f**level`
 * cannot be evaluated. The solver must never evaluate a condition outside its loop's domain.
 */
function treeProgram(r: () => number): string {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const f = pick([2, 3]);
  // ⌈N / f^level⌉, written in equivalent ways (N ≥ 1).
  const width = pick([`(N + ${f}**level - 1) / ${f}**level`, `(N - 1) / ${f}**level + 1`]);
  const rem = (k: number): string => pick([`n % ${f} == ${k}`, `n - n / ${f} * ${f} == ${k}`]);
  const terms = Array.from({ length: f }, (_, k) => `P[level, ${f}*i + ${k}]`).join(', ');
  const carry = f === 2
    ? `if ${rem(1)} { P[level+1, n / 2] = copy(P[level, n - 1]) }`
    : `if ${rem(1)} { P[level+1, n / 3] = copy(P[level, n - 1]) } else if ${rem(2)} { P[level+1, n / 3] = add(P[level, n - 2], P[level, n - 1]) }`;
  return `def tree(in A: matrix, out S: matrix, P: matrix, N: int) {
  for j in 0..N {
    P[0, j] = copy(A[j, 0])
  }
  for level in 0..ceil_log(N, ${f}) {
    let n = ${width}
    for i in 0..n / ${f} {
      P[level+1, i] = add(${terms})
    }
    ${carry}
  }
  S[0, 0] = copy(P[ceil_log(N, ${f}), 0])
}`;
}

test('tree reductions with level-dependent bounds and guards: never evaluated outside the loop', () => {
  // The compacting binary tree: level l holds ⌈N / 2^l⌉ partials; an odd last one is carried.
  const compacting = compile(`def treesum(in A: matrix, out S: matrix, P: matrix, N: int) {
  for j in 0..N {
    P[0, j] = copy(A[j, 0])
  }
  for level in 0..ceil_log2(N) {
    let n = (N + 2**level - 1) / 2**level
    for i in 0..n / 2 {
      P[level+1, i] = add(P[level, 2*i], P[level, 2*i+1])
    }
    if n % 2 == 1 {
      P[level+1, n / 2] = copy(P[level, n - 1])
    }
  }
  S[0, 0] = copy(P[ceil_log2(N), 0])
}`);
  for (const N of [1, 2, 3, 5, 8, 13]) {
    const dag = bind(compacting, { N });
    // P[0, 0] is written by the leaf statement only; no level −1 is ever looked at.
    assert.equal(taskKey(dag.writer({ matrix: 'P', idx: [0, 0] })!), taskKey({ stmt: 0, vars: [0] }));
    compare(dag, `treesum N=${N}`);
  }
  const r = rng(77);
  for (let n = 0; n < 24; n++) {
    const src = treeProgram(r);
    const p = compile(src);
    for (const N of [1, 4, 7, 10, 17]) compare(bind(p, { N }), `tree program ${n} N=${N}:\n${src}\n`);
  }
});
