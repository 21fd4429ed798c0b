/**
 * `lapwing svd` as a user runs it: .npy in, s.npy (1-D, descending) out, equal to an
 * independent SVD (ml-matrix); --vectors writes U.npy and V.npy; random inputs with --rows/--cols; the
 * benchmark's last line is its JSON summary.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Matrix, SingularValueDecomposition } from 'ml-matrix';
import { readNpy, writeNpy } from '../../runtime/library/npy.ts';
import { seededRandom } from '../../kernels/index.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'lw-svd-'));

function lapwing(...args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, [join(root, 'runtime/cli/lapwing.mjs'), ...args], { cwd: dir, encoding: 'utf8', timeout: 180_000 });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

const lastJson = (out: string): Record<string, unknown> => JSON.parse(out.trim().split('\n').pop()!) as Record<string, unknown>;

test('svd --input --out-dir writes s.npy (1-D, descending, equal to an independent SVD); --vectors adds U.npy and V.npy', async () => {
  const m = 90, n = 50;
  const next = seededRandom(41);
  const a = Float64Array.from({ length: m * n }, () => 2 * next() - 1);
  await writeNpy(join(dir, 'A.npy'), { rows: m, cols: n, data: a });
  const r = lapwing('svd', '--input', 'A.npy', '--out-dir', 'out', '--block', '32', '--json', '--quiet');
  assert.equal(r.code, 0, r.err);
  assert.equal(lastJson(r.out).ok, true);
  const raw = await readFile(join(dir, 'out', 's.npy'));
  assert.match(raw.toString('latin1', 0, 128), new RegExp(`'shape': \\(${n},\\)`));
  const s = { data: new Float64Array(raw.buffer.slice(raw.byteOffset + raw.byteLength - 8 * n, raw.byteOffset + raw.byteLength)) };
  const ref = new SingularValueDecomposition(new Matrix(Array.from({ length: m }, (_, i) => Array.from(a.subarray(i * n, i * n + n)))), { computeLeftSingularVectors: false, computeRightSingularVectors: false }).diagonal;
  for (let i = 0; i < n; i++) assert.ok(Math.abs(s.data[i]! - ref[i]!) <= 1e-10 * ref[i]!, `σ${i}: ${s.data[i]} vs ${ref[i]}`);
  const v = lapwing('svd', '--input', 'A.npy', '--out-dir', 'vec', '--block', '64', '--vectors', '--json', '--quiet');
  assert.equal(v.code, 0, v.err);
  const V = await readNpy(join(dir, 'vec', 'V.npy'));
  assert.deepEqual([V.rows, V.cols], [n, n]);
  const U = await readNpy(join(dir, 'vec', 'U.npy'));
  assert.deepEqual([U.rows, U.cols], [m, n]);
  const refused = lapwing('svd', '--input', 'A.npy', '--out-dir', 'no', '--block', '32', '--vectors');
  assert.equal(refused.code, 2);
  assert.match(refused.err, /must fit in one block/);
  assert.equal(existsSync(join(dir, 'no')), false);
});

test('svd with --rows/--cols (a wide random A) and bench svd print their JSON summary last', () => {
  const r = lapwing('svd', '--rows', '40', '--cols', '75', '--block', '16', '--json', '--quiet');
  assert.equal(r.code, 0, r.err);
  const j = lastJson(r.out);
  assert.equal(j.algorithm, 'svd');
  assert.equal(j.ok, true);
  assert.ok((j.residual as number) < 1e-13);
  const b = lapwing('bench', 'svd', '--n', '96', '--block', '32', '--json');
  assert.equal(b.code, 0, b.err);
  const jb = lastJson(b.out);
  assert.equal(jb.algorithm, 'svd');
  assert.equal(jb.ok, true);
  // 9 copies of A; QR sweeps: 9 qr_factor, 13 qr_apply, 3 copies; LQ sweeps: 4 lq_factor, 7 lq_apply, 3 copies; 3 band_pack, 1 band_svals.
  assert.equal(jb.tasks, 52);
});
