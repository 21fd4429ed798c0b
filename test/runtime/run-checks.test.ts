/**
 * `lapwing run` does not trust programs and sizes: a block written twice, a negative size, a
 * size that does not match the inputs' block grid are refused with one line before anything
 * runs; sizes not given are inferred from the inputs; an input with a NaN is named as the
 * cause of a failure; an empty input is one line; a failed job writes no output file.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readNpy, writeNpy } from '../../runtime/library/npy.ts';
import { lapwing as session } from '../../runtime/index.ts';
import { DagError } from '../../lang/index.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'lw-run-checks-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
const KERNELS = process.env.LAPWING_KERNELS ?? 'auto';

function lapwing(...args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, [join(root, 'runtime/cli/lapwing.mjs'), ...args, '--kernels', KERNELS, '--quiet'], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

/** One line, no stack trace, non-zero exit, matching `pattern`. */
function refused(r: { code: number; err: string }, pattern: RegExp): void {
  assert.notEqual(r.code, 0);
  assert.match(r.err.trim(), pattern);
  assert.equal(r.err.trim().split('\n').length, 1, r.err);
}

async function spd(name: string, n: number, poison = false): Promise<void> {
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) a[i * n + j] = i === j ? n : 1 / (1 + i + j);
  if (poison) a[101 * n + 3] = Number.NaN;
  await writeNpy(join(dir, name), { rows: n, cols: n, data: a });
}

const cholesky = join(root, 'lang/programs/cholesky.lp');

test('a block written twice is refused before the job runs (the compiler cannot tell)', async () => {
  await writeNpy(join(dir, 'col.npy'), { rows: 64, cols: 16, data: new Float64Array(64 * 16).fill(1) });
  const file = join(dir, 'twice.lp');
  writeFileSync(file, 'def twice(in A: matrix, out X: matrix, N: int) {\n  for j in 0..N {\n    X[j, 0] = copy(A[j, 0])\n  }\n  for k in N-1..N {\n    X[k, 0] = copy(A[0, 0])\n  }\n}\n');
  const r = lapwing('run', file, '--arg', 'N=4', '--in', 'A=col.npy', '--block', '16');
  refused(r, /^lapwing: block X\[3,0\] is written by two tasks: copy X\[3,0\]/);
  // The library refuses it too, with the error's code to decide on.
  const lw = await session({ workers: 1, kernels: KERNELS });
  try {
    const A = await lw.fromNpy(join(dir, 'col.npy'), { block: 64 });
    await assert.rejects(lw.run(`def one(in A: matrix, out X: matrix, N: int) {\n  for j in 0..N {\n    X[j, 0] = copy(A[j, 0])\n  }\n  X[N - 1, 0] = copy(A[0, 0])\n}\n`, { inputs: { A } }),
      (e: unknown) => {
        assert.ok(e instanceof DagError, String(e));
        assert.equal(e.code, 'SSA');
        return true;
      });
    assert.equal(lw.last, null, 'no job ran');
  } finally {
    await lw.close();
  }
});

test('argument ranges: a negative size is refused', async () => {
  await spd('A256.npy', 256);
  refused(lapwing('run', cholesky, '--arg', 'N=-3', '--in', 'A=A256.npy'), /^lapwing: argument N must be ≥ 0, got -3$/);
});

test('sizes against the input block grid: too large, the default --block on a smaller input, too small', async () => {
  await spd('A256.npy', 256);
  refused(lapwing('run', cholesky, '--arg', 'N=8', '--in', 'A=A256.npy', '--block', '64'),
    /^lapwing: input A is 4×4 blocks \(256×256 in blocks of 64\), but cholesky with N=8 reads blocks up to A\[7, 7\], beyond its last block; the inputs fit N=4$/);
  // The default --block 512 on a 256×256 input: one block.
  refused(lapwing('run', cholesky, '--arg', 'N=4', '--in', 'A=A256.npy'), /reads blocks up to A\[3, 3\], beyond its last block; the inputs fit N=1$/);
  refused(lapwing('run', cholesky, '--arg', 'N=2', '--in', 'A=A256.npy', '--block', '64'), /reads blocks up to A\[1, 1\]: its last blocks would be ignored; the inputs fit N=4$/);
});

test('a size not given is inferred from the block grid; --arg takes the comma syntax of dag', async () => {
  const rows = 5 * 16, n = 16;
  const a = new Float64Array(rows * n);
  for (let i = 0; i < a.length; i++) a[i] = (i % 11) - 5;
  await writeNpy(join(dir, 'T.npy'), { rows, cols: n, data: a });
  const r = lapwing('run', join(root, 'examples/treesum.lp'), '--in', 'A=T.npy', '--out', 'S=S.npy', '--block', '16');
  assert.equal(r.code, 0, r.err);
  const s = await readNpy(join(dir, 'S.npy'));
  // S = the sum of the row blocks of A.
  const want = new Float64Array(n * n);
  for (let i = 0; i < rows; i++) for (let j = 0; j < n; j++) want[(i % 16) * n + j]! += a[i * n + j]!;
  assert.equal(s.rows, 16);
  assert.deepEqual([...s.data], [...want]);
  await spd('A64.npy', 64);
  const t = lapwing('run', join(root, 'lang/programs/trsm.lp'), '--arg', 'N=4,R=4', '--in', 'L=A64.npy', '--in', 'B=A64.npy', '--block', '16');
  assert.equal(t.code, 0, t.err);
});

test('a NaN in the input is named as the cause; no output file is written for a failed job', async () => {
  await spd('nan.npy', 128, true);
  const r = lapwing('run', cholesky, '--in', 'A=nan.npy', '--out', 'L=L.npy', '--block', '32');
  refused(r, /^lapwing: input A contains NaN \(first at row 101, column 3\); the job failed: .*not positive definite/);
  assert.equal(existsSync(join(dir, 'L.npy')), false);
  const c = lapwing('cholesky', '--input', 'nan.npy', '--output', 'L2.npy', '--block', '32');
  refused(c, /input A contains NaN \(first at row 101, column 3\)/);
  assert.equal(existsSync(join(dir, 'L2.npy')), false);
});

test('an empty (0×5) input is one line', async () => {
  await writeNpy(join(dir, 'empty.npy'), { rows: 0, cols: 5, data: new Float64Array(0) });
  refused(lapwing('run', cholesky, '--in', 'A=empty.npy'), /^lapwing: empty\.npy: the matrix is 0×5: rows must be a positive integer \(an empty matrix has no blocks\)$/);
  refused(lapwing('cholesky', '--input', 'empty.npy'), /^lapwing: the matrix is 0×5/);
});

test('a block-size mismatch says how to fix it (re-block)', async () => {
  const lw = await session({ workers: 1, kernels: KERNELS });
  try {
    const A = await lw.random(64, 64, { block: 32, blockCols: 16 });
    await assert.rejects(lw.cholesky(A), (e: unknown) => {
      assert.ok(e instanceof Error && 'code' in e && e.code === 'SHAPE', String(e));
      assert.match(e.message, /^cholesky needs square blocks, got 32x16; re-block: make the matrix again with the block size it needs/);
      return true;
    });
    const B = await lw.random(64, 64, { block: 32 });
    await assert.rejects(lw.matmul(A, B), /block sizes 16 and 32 do not match; re-block: /);
  } finally {
    await lw.close();
  }
});
