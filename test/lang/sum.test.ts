import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bind, checkDag, compile, dagStats, params, taskKey, type BoundProgram } from '../../lang/index.ts';

const GEMM = `def mm(in A: matrix, in B: matrix, out C: matrix, M: int, N: int, K: int) {
  for i in 0..M {
    for j in 0..N {
      C[i, j] = sum k in 0..K: gemm(A[i, k], B[k, j])
    }
  }
}`;

/** All tasks of the DAG with their kernels, by a traversal from the starters. */
function allTasks(dag: BoundProgram): string[] {
  const seen = new Set<string>();
  const stack = [...dag.starters()];
  const out: string[] = [];
  while (stack.length > 0) {
    const t = stack.pop()!;
    const k = taskKey(t);
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(dag.describe(t));
    stack.push(...dag.children(t));
  }
  return out.sort();
}

test('a sum compiles to leaves, inner tree nodes and a root over a hidden temporary', () => {
  const p = compile(GEMM);
  assert.deepEqual(p.statements.map((s) => [s.kernel, s.origin]), [['gemm', 'sum-leaf'], ['add', 'sum-node'], ['add', 'sum-root']]);
  assert.deepEqual(params(p).at(-1), { name: '__sum0', kind: 'matrix', role: 'temp', rank: 4, hidden: true });
  const dag = bind(p, { M: 1, N: 1, K: 9 });
  assert.equal(dag.role('__sum0'), 'temp');
  // K = 9 with fan-in 4: 9 leaves → 3 partials at level 1 → the root adds those 3.
  const root = { stmt: 2, vars: [0, 0] };
  assert.deepEqual(dag.reads(root).map((b) => `${b.matrix}[${b.idx}]`), ['__sum0[0,0,1,0]', '__sum0[0,0,1,1]', '__sum0[0,0,1,2]']);
  assert.deepEqual(dag.writes(root), [{ matrix: 'C', idx: [0, 0] }]);
  assert.ok(dag.isTerminal(root));
  const node = { stmt: 1, vars: [0, 0, 1, 2] };
  assert.deepEqual(dag.reads(node).map((b) => b.idx.join(',')), ['0,0,0,8']); // the last partial gets one leaf
  assert.deepEqual(dag.parents(node).map(taskKey), ['0:0,0,8']);
  assert.equal(dag.describe(node), 'add __sum0[0,0,1,2] ← __sum0[0,0,0,8]  (i=0, j=0, level=1, pos=2)');
  assert.ok(!dag.isValid({ stmt: 1, vars: [0, 0, 1, 3] }));
});

test('fan-in: compile option, per-use override, K = 1 is a one-input add', () => {
  const k1 = bind(compile(GEMM), { M: 1, N: 1, K: 1 });
  assert.deepEqual(allTasks(k1), ['add C[0,0] ← __sum0[0,0,0,0]  (i=0, j=0)', 'gemm __sum0[0,0,0,0] ← A[0,0], B[0,0]  (i=0, j=0, k=0)']);
  const s2 = dagStats(bind(compile(GEMM, { fanIn: 2 }), { M: 1, N: 1, K: 8 }));
  assert.deepEqual([s2.perKernel.add, s2.criticalPath], [7, 4]);
  const s8 = dagStats(bind(compile(GEMM.replace('sum k', 'sum(fanin=8) k'), { fanIn: 2 }), { M: 1, N: 1, K: 8 }));
  assert.deepEqual([s8.perKernel.add, s8.criticalPath], [1, 2]);
});

test('sums with steps, bounds depending on outer variables, two sums in one program, and empty sums', () => {
  const src = `def tri(in A: matrix, out X: matrix, out Y: matrix, N: int) {
  for i in 0..N {
    X[i] = sum(fanin=2) k in 0..i + 1: copy(A[i, k])
    Y[i] = sum(fanin=3) k in i..2 * N step 3: copy(A[k, i])
  }
}`;
  const p = compile(src);
  assert.deepEqual(params(p).filter((x) => x.hidden).map((x) => x.name), ['__sum0', '__sum1']);
  for (const N of [1, 2, 3, 6, 9]) {
    const r = checkDag(bind(p, { N }));
    assert.ok(r.ok, r.mismatches.join('\n'));
  }
  // X[i] sums i+1 terms; Y[i] sums ⌈(2N - i) / 3⌉ terms: the root of an empty sum does not exist.
  const empty = bind(compile(src.replace('i..2 * N', 'N..i')), { N: 3 });
  assert.equal(empty.terminalCount(), 3);
  assert.ok(checkDag(empty).ok);
});

test('a sum inside an if carries the condition to all three statements', () => {
  const src = `def f(in A: matrix, out X: matrix, N: int, K: int) {
  for i in 0..N {
    if i % 2 == 0 {
      X[i] = sum k in 0..K: copy(A[i, k])
    } else {
      X[i] = copy(A[i, 0])
    }
  }
}`;
  const p = compile(src);
  const cond = JSON.stringify(p.statements[0]!.guards[0]);
  assert.ok(p.statements.slice(0, 3).every((s) => JSON.stringify(s.guards[0]) === cond));
  assert.equal(JSON.stringify(p.statements[3]!.guards[0]), JSON.stringify(['not', JSON.parse(cond)]));
  for (const [N, K] of [[1, 1], [4, 5], [5, 17]] as const) assert.ok(checkDag(bind(p, { N, K })).ok);
});

const CHAIN = GEMM.replace('sum k', 'sum(chain) k');

test('sum(chain): first, middle and last terms, each gemm adding the previous partial; no add tasks', () => {
  const p = compile(CHAIN);
  assert.deepEqual(p.statements.map((s) => [s.kernel, s.origin]), [['gemm', 'sum-leaf'], ['gemm', 'sum-node'], ['gemm', 'sum-root']]);
  assert.deepEqual(params(p).at(-1), { name: '__sum0', kind: 'matrix', role: 'temp', rank: 3, hidden: true });
  for (const [M, N, K] of [[1, 1, 1], [2, 3, 1], [2, 3, 2], [3, 2, 3], [2, 2, 7]] as const) {
    const dag = bind(p, { M, N, K });
    const r = checkDag(dag);
    assert.ok(r.ok, `K=${K}: ${r.mismatches.join('\n')}`);
    const st = dagStats(dag);
    assert.deepEqual(st.perKernel, { gemm: M * N * K }, `K=${K}`);
    assert.equal(st.criticalPath, K);
    assert.equal(dag.terminalCount(), M * N);
  }
  assert.deepEqual(allTasks(bind(p, { M: 1, N: 1, K: 1 })), ['gemm C[0,0] ← A[0,0], B[0,0]  (i=0, j=0)']);
  assert.deepEqual(allTasks(bind(p, { M: 1, N: 1, K: 3 })), [
    'gemm C[0,0] ← A[0,2], B[2,0], __sum0[0,0,1]  (i=0, j=0)',
    'gemm __sum0[0,0,0] ← A[0,0], B[0,0]  (i=0, j=0)',
    'gemm __sum0[0,0,1] ← A[0,1], B[1,0], __sum0[0,0,0]  (i=0, j=0, k=1)',
  ]);
  const dag = bind(p, { M: 1, N: 1, K: 3 });
  assert.deepEqual(dag.parents({ stmt: 2, vars: [0, 0] }).map(taskKey), ['1:0,0,1']);
  assert.deepEqual(dag.children({ stmt: 0, vars: [0, 0] }).map(taskKey), ['1:0,0,1']);
  assert.equal(bind(p, { M: 2, N: 2, K: 0 }).terminalCount(), 0); // an empty sum writes nothing
});

test('sum(chain): constant term counts leave out the statements that never run', () => {
  const one = compile(GEMM.replace('sum k in 0..K', 'sum(chain) k in 2..3'));
  assert.deepEqual(one.statements.map((s) => [s.origin, s.reads.length]), [['sum-root', 2]]);
  assert.ok(params(one).every((x) => !x.hidden));
  const two = compile(GEMM.replace('sum k in 0..K', 'sum(chain) k in 0..2'));
  assert.deepEqual(two.statements.map((s) => [s.origin, s.reads.length, s.guards.length]), [['sum-leaf', 2, 0], ['sum-root', 3, 0]]);
  assert.ok(checkDag(bind(two, { M: 2, N: 2, K: 0 })).ok);
  assert.equal(compile(GEMM.replace('sum k in 0..K', 'sum(chain) k in 3..1')).statements.length, 0);
});

test('sum(chain): term counts depending on outer variables, steps, and a sum inside an if', () => {
  const tri = `def tri(in A: matrix, in B: matrix, out C: matrix, N: int) {
  for i in 0..N {
    C[i, 0] = sum(chain) k in 0..i + 1: gemm(A[i, k], B[k, 0])
  }
}`;
  const p = compile(tri);
  for (const N of [1, 2, 3, 7]) {
    const dag = bind(p, { N });
    const r = checkDag(dag);
    assert.ok(r.ok, `N=${N}: ${r.mismatches.join('\n')}`);
    assert.deepEqual(dagStats(dag).perKernel, { gemm: (N * (N + 1)) / 2 });
  }
  const src = `def f(in A: matrix, out X: matrix, out Y: matrix, N: int, K: int) {
  for i in 0..N {
    Y[i] = sum(chain) k in i..2 * N step 3: gemm(A[k, i], A[i, k])
    if i % 2 == 0 {
      X[i] = sum(chain) k in N - i..K + 1 step 2: gemm(A[i, k], A[k, i], transA=true)
    } else {
      X[i] = copy(A[i, 0])
    }
  }
}`;
  const q = compile(src);
  for (const [N, K] of [[1, 1], [3, 0], [4, 5], [5, 9]] as const) {
    const dag = bind(q, { N, K });
    const r = checkDag(dag);
    assert.ok(r.ok, `N=${N} K=${K}: ${r.mismatches.join('\n')}`);
    assert.equal(dagStats(dag).perKernel.add, undefined);
  }
});

test('sum(chain) option errors', () => {
  const err = (src: string): { code: string; msg: string } => {
    try {
      compile(src);
    } catch (e) {
      const d = (e as { diagnostics?: { code: string; message: string }[] }).diagnostics?.[0];
      return { code: d?.code ?? String((e as { code?: string }).code), msg: String((e as Error).message) };
    }
    return assert.fail('compiled');
  };
  const both = err(GEMM.replace('sum k', 'sum(chain, fanin=2) k'));
  assert.equal(both.code, 'E_SUM_OPTION');
  assert.match(both.msg, /either a tree \(fanin=f\) or a chain/);
  const arity = err(GEMM.replace('sum k', 'sum(chain) k').replace('gemm(A[i, k], B[k, j])', 'copy(A[i, k])'));
  assert.equal(arity.code, 'E_SUM_OPTION');
  assert.match(arity.msg, /copy cannot take 2 inputs/);
  assert.match(arity.msg, /<source>:4:39: /); // located at the kernel call
  const full = err(GEMM.replace('sum k', 'sum(chain) k').replace('B[k, j])', 'B[k, j], C[i, j])'));
  assert.match(full.msg, /gemm cannot take 4 inputs/);
  assert.match(err(GEMM.replace('sum k', 'sum(chain=2) k')).msg, /chain is a flag/);
  assert.deepEqual(compile(GEMM.replace('sum k', 'sum(chain=true) k')), compile(CHAIN));
  assert.deepEqual(compile(GEMM.replace('sum k', 'sum(chain=false) k')), compile(GEMM));
  assert.match(err(GEMM.replace('sum k', 'sum(chian) k')).msg, /unknown sum option 'chian'/);
});
