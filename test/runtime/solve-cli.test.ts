/**
 * `lapwing solve` as a user runs it: the SPD form in one job, the triangular form refusing a
 * matrix that is not lower triangular, and no output file for a result that fails its check.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readNpy, writeNpy } from '../../runtime/library/npy.ts';
import { seededRandom } from '../../kernels/index.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'lw-solve-'));

function lapwing(...args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, [join(root, 'runtime/cli/lapwing.mjs'), ...args], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

const n = 70, k = 3;
const next = seededRandom(9);
const rand = (len: number): Float64Array => Float64Array.from({ length: len }, () => 2 * next() - 1);

/** Row-major A·X. */
function mul(a: Float64Array, x: Float64Array, m: number, kk: number, c: number): Float64Array {
  const y = new Float64Array(m * c);
  for (let i = 0; i < m; i++) for (let p = 0; p < kk; p++) for (let j = 0; j < c; j++) y[i * c + j] = y[i * c + j]! + a[i * kk + p]! * x[p * c + j]!;
  return y;
}

test('solve --a --b --assume spd writes X with A·X = B (partial blocks)', async () => {
  const m = rand(n * n);
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) a[i * n + j] = (m[i * n + j]! + m[j * n + i]!) / 2 + (i === j ? n : 0);
  const b = rand(n * k);
  await writeNpy(join(dir, 'A.npy'), { rows: n, cols: n, data: a });
  await writeNpy(join(dir, 'B.npy'), { rows: n, cols: k, data: b });
  const r = lapwing('solve', '--a', 'A.npy', '--b', 'B.npy', '--assume', 'spd', '--output', 'X.npy', '--block', '32', '--json', '--quiet');
  assert.equal(r.code, 0, r.err);
  const s = JSON.parse(r.out.trim().split('\n').pop()!) as { algorithm: string; ok: boolean; residual: number };
  assert.deepEqual([s.algorithm, s.ok], ['spd_solve', true]);
  const x = await readNpy(join(dir, 'X.npy'));
  const ax = mul(a, x.data, n, n, k);
  for (let i = 0; i < n * k; i++) assert.ok(Math.abs(ax[i]! - b[i]!) < 1e-12, `A·X ≠ B at ${i}`);
});

test('solve --l with a full matrix is refused, naming an element above the diagonal, nothing written; --a solves it by LU', async () => {
  await writeNpy(join(dir, 'full.npy'), { rows: n, cols: n, data: rand(n * n) });
  await writeNpy(join(dir, 'B.npy'), { rows: n, cols: k, data: rand(n * k) });
  const r = lapwing('solve', '--l', 'full.npy', '--b', 'B.npy', '--output', 'Xfull.npy', '--block', '32');
  assert.equal(r.code, 2);
  assert.match(r.err, /not lower triangular \(element \(0, 1\)/);
  assert.equal(existsSync(join(dir, 'Xfull.npy')), false);
  const g = lapwing('solve', '--a', 'full.npy', '--b', 'B.npy', '--output', 'Xg.npy', '--block', '32', '--json', '--quiet');
  assert.equal(g.code, 0, g.err);
  assert.equal((JSON.parse(g.out.trim().split('\n').pop()!) as { algorithm: string }).algorithm, 'lu_solve');
  assert.ok(existsSync(join(dir, 'Xg.npy')));
});

test('a result that fails its residual check is reported FAILED and not written', async () => {
  const l = new Float64Array(n * n);
  for (let i = 0; i < n; i++) l[i * n + i] = i === 40 ? 0 : 1; // singular: X gets Inf/NaN
  await writeNpy(join(dir, 'Lsing.npy'), { rows: n, cols: n, data: l });
  const r = lapwing('solve', '--l', 'Lsing.npy', '--b', 'B.npy', '--output', 'Xsing.npy', '--block', '32');
  assert.equal(r.code, 1, r.err);
  assert.match(r.out, /FAILED/);
  assert.match(r.out, /not written/);
  assert.equal(existsSync(join(dir, 'Xsing.npy')), false);
});
