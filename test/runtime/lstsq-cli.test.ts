/**
 * `lapwing lstsq` and `lapwing qr --q` as a user runs them: .npy in and out, the results
 * checked here (normal equations; A = Q·R, QᵀQ = I); a failed result writes no file.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readNpy, writeNpy, type NpyMatrix } from '../../runtime/library/npy.ts';
import { seededRandom } from '../../kernels/index.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'lw-lstsq-'));

function lapwing(...args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, [join(root, 'runtime/cli/lapwing.mjs'), ...args], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

function random(rows: number, cols: number, seed: number): NpyMatrix {
  const next = seededRandom(seed);
  return { rows, cols, data: Float64Array.from({ length: rows * cols }, () => 2 * next() - 1) };
}

/** op(A)·B for row-major matrices. */
function mul(a: NpyMatrix, b: NpyMatrix, transA = false): NpyMatrix {
  const [m, k] = transA ? [a.cols, a.rows] : [a.rows, a.cols];
  const out = new Float64Array(m * b.cols);
  for (let i = 0; i < m; i++) {
    for (let p = 0; p < k; p++) {
      const x = transA ? a.data[p * a.cols + i]! : a.data[i * a.cols + p]!;
      for (let j = 0; j < b.cols; j++) out[i * b.cols + j] = out[i * b.cols + j]! + x * b.data[p * b.cols + j]!;
    }
  }
  return { rows: m, cols: b.cols, data: out };
}
const fro = (a: NpyMatrix): number => Math.sqrt(a.data.reduce((s, x) => s + x * x, 0));
const minus = (a: NpyMatrix, b: NpyMatrix): NpyMatrix => ({ rows: a.rows, cols: a.cols, data: a.data.map((x, i) => x - b.data[i]!) });
const last = (out: string): Record<string, unknown> => JSON.parse(out.trim().split('\n').pop()!) as Record<string, unknown>;

test('lstsq --a --b --output: X satisfies the normal equations; the residual ‖A·X − B‖ is reported', async () => {
  const A = random(130, 45, 1), B = random(130, 3, 2);
  await writeNpy(join(dir, 'A.npy'), A);
  await writeNpy(join(dir, 'B.npy'), B);
  const r = lapwing('lstsq', '--a', 'A.npy', '--b', 'B.npy', '--output', 'X.npy', '--block', '32', '--json', '--quiet');
  assert.equal(r.code, 0, r.err);
  const s = last(r.out);
  assert.equal(s.ok, true);
  const X = await readNpy(join(dir, 'X.npy'));
  assert.deepEqual([X.rows, X.cols], [45, 3]);
  const res = minus(mul(A, X), B);
  const ne = fro(mul(A, res, true)) / (fro(A) * (fro(A) * fro(X) + fro(res)));
  assert.ok(ne < 1e-14, `normal equations: ${ne}`);
  assert.ok(Math.abs((s.lstsq_residual as number) - fro(res)) < 1e-10 * fro(res));
  const text = lapwing('lstsq', '--rows', '100', '--cols', '30', '--rhs', '2', '--block', '40');
  assert.equal(text.code, 0, text.err);
  assert.match(text.out, /‖A·X − B‖ +\d/);
});

test('lstsq of a rank-deficient A fails and writes no X; a wide A is refused', async () => {
  const A = random(80, 20, 3);
  for (let i = 0; i < 80; i++) A.data[i * 20 + 7] = 0;
  await writeNpy(join(dir, 'Z.npy'), A);
  await writeNpy(join(dir, 'B2.npy'), random(80, 1, 4));
  const r = lapwing('lstsq', '--a', 'Z.npy', '--b', 'B2.npy', '--output', 'X2.npy', '--block', '16');
  assert.equal(r.code, 1, r.err + r.out);
  assert.match(r.err, /\nlapwing: lstsq: A is rank deficient .*full column rank\n$/);
  assert.equal(existsSync(join(dir, 'X2.npy')), false);
  await writeNpy(join(dir, 'W.npy'), random(10, 20, 5));
  const w = lapwing('lstsq', '--a', 'W.npy', '--b', 'B2.npy', '--output', 'X3.npy');
  assert.equal(w.code, 2);
  assert.match(w.err, /at least as many rows as columns/);
});

test('qr --q --out-dir writes Q.npy and R.npy with A = Q·R and QᵀQ = I', async () => {
  const A = random(150, 97, 6);
  await writeNpy(join(dir, 'Aq.npy'), A);
  const r = lapwing('qr', '--input', 'Aq.npy', '--out-dir', 'qr', '--q', '--block', '40', '--json', '--quiet');
  assert.equal(r.code, 0, r.err);
  assert.equal(last(r.out).ok, true);
  const Q = await readNpy(join(dir, 'qr', 'Q.npy'));
  const R = await readNpy(join(dir, 'qr', 'R.npy'));
  assert.deepEqual([Q.rows, Q.cols, R.rows, R.cols], [150, 97, 97, 97]);
  assert.ok(fro(minus(A, mul(Q, R))) / fro(A) < 1e-14);
  const I = { rows: 97, cols: 97, data: Float64Array.from({ length: 97 * 97 }, (_, i) => (i % 98 === 0 ? 1 : 0)) };
  assert.ok(fro(minus(mul(Q, Q, true), I)) < 1e-13);
});
