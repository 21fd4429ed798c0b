import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

function lapwing(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['runtime/cli/lapwing.mjs', 'dag', ...args], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const dir = mkdtempSync(join(tmpdir(), 'lapwing-dag-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

test('dag --check on shipped programs (by name and by path)', () => {
  const a = lapwing('cholesky', '--arg', 'N=8', '--check');
  assert.equal(a.code, 0, a.stderr);
  assert.equal(a.stdout, 'ok 120 tasks\n');
  const b = lapwing(join(root, 'lang/programs/tsqr.lp'), '--arg', 'N=7', '--check');
  assert.equal(b.code, 0, b.stderr);
  assert.equal(b.stdout, 'ok 15 tasks\n');
});

test('dag --check on the compacting tree reduction (guards with 2**level solved at level = -1)', () => {
  for (const [n, tasks] of [[1, 2], [5, 12], [13, 28]] as const) {
    const r = lapwing(join(root, 'examples/treesum.lp'), '--arg', `N=${n}`, '--check');
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(r.stdout, `ok ${tasks} tasks\n`);
  }
});

test('dag --check lists mismatches and exits 1 (a write conflict only visible for concrete sizes)', () => {
  const file = join(dir, 'conflict.lp');
  writeFileSync(file, 'def c(in A: matrix, out X: matrix, N: int) {\n  for j in 0..N {\n    X[j] = copy(A[j])\n  }\n  for k in 1..N+1 {\n    X[k] = copy(A[0])\n  }\n}\n');
  const r = lapwing(file, '--arg', 'N=3', '--check');
  assert.equal(r.code, 1);
  assert.match(r.stdout, /^SSA: X\[1\] is written by 0:1, 1:1$/m);
  assert.match(r.stdout, /FAILED: \d+ mismatch/);
});

test('dag --stats streams the traversal; --json variants parse', () => {
  const s = lapwing('cholesky', '--arg', 'N=16', '--stats');
  assert.equal(s.code, 0, s.stderr);
  assert.match(s.stdout, /^tasks +816$/m);
  assert.match(s.stdout, /^critical path +46 tasks$/m);
  assert.match(s.stdout, /^per kernel +chol 16, trsm 120, syrk 680$/m);
  // The shipped gemm sums by a chain; --fan-in shapes the tree variant.
  const tree = join(dir, 'gemm-tree.lp');
  writeFileSync(tree, readFileSync(join(root, 'lang/programs/gemm.lp'), 'utf8').replace('sum(chain)', 'sum'));
  const j = lapwing(tree, '--arg', 'M=2,N=2', '--arg', 'K=5', '--fan-in', '2', '--stats', '--json');
  assert.equal(j.code, 0, j.stderr);
  const stats = JSON.parse(j.stdout) as { tasks: number; perKernel: Record<string, number>; criticalPath: number };
  assert.deepEqual(stats.perKernel, { gemm: 20, add: 24 });
  assert.equal(stats.criticalPath, 4);
  const dag = lapwing('tsqr', '--arg', 'N=3', '--json');
  assert.equal(dag.code, 0, dag.stderr);
  const parsed = JSON.parse(dag.stdout) as { program: string; tasks: { key: string }[] };
  assert.equal(parsed.program, 'tsqr');
  assert.equal(parsed.tasks.length, 7);
});

test('dag --dot and the default text listing', () => {
  const d = lapwing('cholesky', '--arg', 'N=2', '--dot');
  assert.equal(d.code, 0, d.stderr);
  assert.match(d.stdout, /^digraph "cholesky" \{\n/);
  assert.match(d.stdout, /"0:" -> "1:1";/);
  const t = lapwing('cholesky', '--arg', 'N=2');
  assert.equal(t.code, 0, t.stderr);
  assert.match(t.stdout, /^0: +chol L\[0,0\] ← A\[0,0\] +→ 1:1$/m);
  assert.match(t.stdout, /^4 tasks$/m);
});

test('user mistakes: compile errors exit 2 with diagnostics; bad or missing args exit 2; no stack traces', () => {
  const file = join(dir, 'bad.lp');
  writeFileSync(file, 'def b(in A: matrix, out X: matrix, N: int) {\n  X[0] = chol2(A[0])\n  X[1] = copy(A[q])\n}\n');
  const c = lapwing(file, '--arg', 'N=2');
  assert.equal(c.code, 2);
  assert.match(c.stderr, /bad\.lp:2:10: E_UNKNOWN_KERNEL: unknown kernel 'chol2'/);
  assert.match(c.stderr, /bad\.lp:3:17: E_UNDEFINED_VAR/);
  assert.match(c.stderr, /\n {3}\| {10}\^{5}\n/);
  const m = lapwing('cholesky');
  assert.equal(m.code, 2);
  assert.match(m.stderr, /missing argument N/);
  const n = lapwing('nosuch.lp', '--arg', 'N=2');
  assert.equal(n.code, 2);
  assert.match(n.stderr, /no such file or shipped program/);
  const bad = lapwing('cholesky', '--arg', 'N=two');
  assert.equal(bad.code, 2);
  for (const r of [c, m, n, bad]) assert.doesNotMatch(r.stderr, /\n\s+at /);
});
