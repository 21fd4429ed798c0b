/** `lapwing lu` as a user runs it: .npy in, perm.npy (1-D), L.npy, U.npy out with A[perm] = L·U. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readNpy, writeNpy } from '../../runtime/library/npy.ts';
import { seededRandom } from '../../kernels/index.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'lw-lu-'));

function lapwing(...args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, [join(root, 'runtime/cli/lapwing.mjs'), ...args], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

test('lu --input --out-dir: A[perm] = L·U with a 1-D perm.npy; a singular matrix names its column and writes nothing', async () => {
  const n = 75;
  const next = seededRandom(21);
  const a = Float64Array.from({ length: n * n }, () => 2 * next() - 1);
  await writeNpy(join(dir, 'A.npy'), { rows: n, cols: n, data: a });
  const r = lapwing('lu', '--input', 'A.npy', '--out-dir', 'out', '--block', '32', '--json', '--quiet');
  assert.equal(r.code, 0, r.err);
  const s = JSON.parse(r.out.trim().split('\n').pop()!) as { algorithm: string; ok: boolean; residual: number };
  assert.deepEqual([s.algorithm, s.ok], ['lu', true]);
  assert.match((await readFile(join(dir, 'out', 'perm.npy'))).toString('latin1', 0, 128), /'shape': \(75,\)/);
  const [L, U] = [await readNpy(join(dir, 'out', 'L.npy')), await readNpy(join(dir, 'out', 'U.npy'))];
  const perm = (await readFile(join(dir, 'out', 'perm.npy')));
  const p = new Float64Array(perm.buffer.slice(perm.byteOffset + perm.byteLength - 8 * n, perm.byteOffset + perm.byteLength));
  let err = 0, norm = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let lu = 0;
      for (let q = 0; q < n; q++) lu += L.data[i * n + q]! * U.data[q * n + j]!;
      err += (a[p[i]! * n + j]! - lu) ** 2;
      norm += a[i * n + j]! ** 2;
    }
  }
  assert.ok(Math.sqrt(err / norm) < 1e-14, `‖A[perm] − LU‖/‖A‖ = ${Math.sqrt(err / norm)}`);

  const sing = a.slice();
  for (let i = 0; i < n; i++) sing[i * n + 40] = 0;
  await writeNpy(join(dir, 'S.npy'), { rows: n, cols: n, data: sing });
  const f = lapwing('lu', '--input', 'S.npy', '--out-dir', 'sing', '--block', '32', '--quiet');
  assert.notEqual(f.code, 0);
  assert.match(f.err, /singular: no non-zero pivot for column 40\b/);
  assert.equal(existsSync(join(dir, 'sing')), false);
});
