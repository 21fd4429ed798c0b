import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import {
  PROGRAMS, bind, checkDag, compile, dagStats, params, programPath, programSource, statementCount, taskKey, type Program,
} from '../../lang/index.ts';

function assertChecks(program: Program, args: Record<string, number>): number {
  const r = checkDag(bind(program, args));
  assert.ok(r.ok, `${program.name} ${JSON.stringify(args)}:\n${r.mismatches.slice(0, 10).join('\n')}`);
  return r.tasks;
}

test('shipped programs exist and compile to small JSON IR', () => {
  for (const name of PROGRAMS) {
    assert.ok(existsSync(programPath(name)), programPath(name));
    const p = compile(programSource(name), { filename: `${name}.lp` });
    assert.equal(p.version, 1);
    assert.equal(p.name, name);
    const json = JSON.stringify(p);
    assert.ok(json.length < 16000, `${name}: ${json.length} bytes`); // lu, tournament and row exchanges included, is the largest (~15 kB)
    assert.deepEqual(JSON.parse(json), p); // plain data, nothing lost
  }
});

test('cholesky: brute-force check at N = 1, 2, 3, 5, 8, 11', () => {
  const p = compile(programSource('cholesky'));
  for (const N of [1, 2, 3, 5, 8, 11]) {
    const tasks = assertChecks(p, { N });
    assert.equal(tasks, (N * (N + 1) * (N + 2)) / 6);
  }
});

test('cholesky: counts, terminals, critical path; N = 128 has 357,760 tasks (counted, not traversed)', () => {
  const p = compile(programSource('cholesky'));
  assert.deepEqual(params(p).map((x) => `${x.name}:${x.kind}:${x.role ?? ''}`), ['A:matrix:in', 'L:matrix:out', 'S:matrix:temp', 'N:int:']);
  for (const N of [1, 4, 9]) {
    const dag = bind(p, { N });
    const s = dagStats(dag);
    assert.equal(s.tasks, (N * (N + 1) * (N + 2)) / 6);
    assert.equal(s.criticalPath, 3 * N - 2);
    assert.equal(s.terminal, (N * (N + 1)) / 2);
    assert.equal(dag.terminalCount(), (N * (N + 1)) / 2);
    assert.deepEqual([...dag.starters()].map(taskKey), ['0:']);
  }
  const big = bind(p, { N: 128 });
  const total = p.statements.reduce((n, _, s) => n + statementCount(big, s), 0);
  assert.equal(total, 357_760);
  assert.equal(big.terminalCount(), 128 * 129 / 2);
});

test('trsm: brute-force check for N = 1, 2, 3, 5, 8 and R = 1, 2, 3', () => {
  const p = compile(programSource('trsm'));
  for (const N of [1, 2, 3, 5, 8]) {
    for (const R of [1, 2, 3]) {
      assert.equal(assertChecks(p, { N, R }), R * (N * (N + 1)) / 2);
      assert.equal(bind(p, { N, R }).terminalCount(), N * R);
    }
  }
  const trsm = p.statements.find((s) => s.kernel === 'trsm')!;
  assert.deepEqual(trsm.attrs, { side: 'left', trans: false });
  assert.deepEqual(p.statements.find((s) => s.kernel === 'gemm')!.attrs, { alpha: -1 });
});

test('tsqr: brute-force check for N = 1 … 13 (powers of two and not)', () => {
  const p = compile(programSource('tsqr'));
  for (let N = 1; N <= 13; N++) {
    const tasks = assertChecks(p, { N });
    // N leaves, then ⌈N/2^(l+1)⌉ nodes per level, then the final copy.
    let expected = N + 1;
    for (let l = 0; 2 ** l < N; l++) expected += Math.ceil(N / 2 ** (l + 1));
    assert.equal(tasks, expected, `N=${N}`);
  }
});

test('gemm as a tree: brute-force check for several M, N, K and fan-ins 2, 3, 4', () => {
  const src = programSource('gemm').replace('sum(chain)', 'sum'); // the shipped program is a chain (see sum.test.ts)
  for (const fanIn of [2, 3, 4]) {
    const p = compile(src, { fanIn });
    for (const [M, N, K] of [[1, 1, 1], [2, 3, 1], [1, 1, 2], [2, 2, 5], [1, 2, 9], [3, 1, 16], [1, 1, 17]] as const) {
      assertChecks(p, { M, N, K });
      const s = dagStats(bind(p, { M, N, K }));
      assert.equal(s.perKernel.gemm, M * N * K);
      assert.equal(s.terminal, M * N);
      // A tree of fan-in f over K leaves: ⌈log_f K⌉ levels of adds (at least one).
      let levels = 0;
      for (let c: number = K; c > 1; c = Math.ceil(c / fanIn)) levels++;
      assert.equal(s.criticalPath, 1 + Math.max(1, levels), `f=${fanIn} K=${K}`);
    }
  }
  const chain = compile(programSource('gemm'));
  for (const [M, N, K] of [[1, 1, 1], [2, 3, 1], [1, 1, 2], [2, 2, 5], [1, 2, 9]] as const) {
    assertChecks(chain, { M, N, K });
    const s = dagStats(bind(chain, { M, N, K }));
    assert.deepEqual([s.perKernel, s.terminal, s.criticalPath], [{ gemm: M * N * K }, M * N, K]);
  }
});

test('the IR is independent of the sizes and survives a JSON round trip', () => {
  const p = compile(programSource('cholesky'));
  const copy = JSON.parse(JSON.stringify(p)) as Program;
  const a = bind(p, { N: 6 });
  const b = bind(copy, { N: 6 });
  const t = { stmt: 4, vars: [1, 3] };
  assert.deepEqual(b.children(t), a.children(t));
  assert.deepEqual(b.parents(t), a.parents(t));
  assert.ok(checkDag(b).ok);
});

test('language features together: let, / % min max, step, else if, multi-output, non-affine and scaled indices', () => {
  const src = `
def exotic(in A: matrix, out X: matrix, out Y: matrix, T: matrix, F: matrix, N: int) {
  for i in 0..N {
    let h = i / 2
    for j in h..min(N, i + 3) step 2 {
      if i % 3 == 0 and j > 0 {
        T[i, j] = copy(A[i, j])
      } else if not (i == j) {
        T[i, j] = add(A[i, 0], A[0, j])
      } else {
        T[i, j] = zeros(rows=2, cols=2)
      }
    }
  }
  for i in 0..N {
    X[i] = sum(fanin=3) j in i / 2..min(N, i + 3) step 2: copy(T[i, j])
    F[2 * i + 1], Y[i, 0] = qr_factor(X[i], A[i / 2, max(0, i - 2)])
  }
  for j in 0..N {
    Y[j, 1] = qr_apply(F[2 * j + 1], T[j, j / 2])
  }
}`;
  const p = compile(src);
  for (const N of [1, 2, 3, 4, 7, 10]) {
    const dag = bind(p, { N });
    const r = checkDag(dag);
    assert.deepEqual(r.mismatches, [], `N=${N}`);
    assert.equal(dag.terminalCount(), 3 * N);
  }
});
