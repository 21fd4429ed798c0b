/** `lapwing qr` as a user runs it: .npy in, R.npy out with RᵀR = AᵀA; m < n refused. */
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
const dir = mkdtempSync(join(tmpdir(), 'lw-qr-'));

function lapwing(...args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, [join(root, 'runtime/cli/lapwing.mjs'), ...args], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

test('qr --input --out-dir writes R (upper, RᵀR = AᵀA); a wide matrix is refused', async () => {
  const m = 90, n = 50;
  const next = seededRandom(31);
  const a = Float64Array.from({ length: m * n }, () => 2 * next() - 1);
  await writeNpy(join(dir, 'A.npy'), { rows: m, cols: n, data: a });
  const r = lapwing('qr', '--input', 'A.npy', '--out-dir', 'out', '--block', '32', '--json', '--quiet');
  assert.equal(r.code, 0, r.err);
  assert.equal((JSON.parse(r.out.trim().split('\n').pop()!) as { ok: boolean }).ok, true);
  const R = await readNpy(join(dir, 'out', 'R.npy'));
  assert.deepEqual([R.rows, R.cols], [n, n]);
  let err = 0, norm = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      if (i > j) assert.equal(R.data[i * n + j], 0);
      let ata = 0, rtr = 0;
      for (let p = 0; p < m; p++) ata += a[p * n + i]! * a[p * n + j]!;
      for (let p = 0; p < n; p++) rtr += R.data[p * n + i]! * R.data[p * n + j]!;
      err += (ata - rtr) ** 2;
      norm += ata ** 2;
    }
  }
  assert.ok(Math.sqrt(err / norm) < 1e-14);
  await writeNpy(join(dir, 'W.npy'), { rows: 20, cols: 30, data: new Float64Array(600) });
  const w = lapwing('qr', '--input', 'W.npy', '--out-dir', 'wide', '--block', '8');
  assert.equal(w.code, 2);
  assert.match(w.err, /at least as many rows as columns/);
  assert.equal(existsSync(join(dir, 'wide')), false);
});
