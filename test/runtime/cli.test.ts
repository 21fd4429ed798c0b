/**
 * The CLI as a user runs it: real processes, real files; user mistakes are one line and a
 * non-zero exit, never a stack trace.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readNpy, writeNpy } from '../../runtime/library/npy.ts';
import { lastJson } from '../cli.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'lw-cli-'));

function lapwing(...args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, [join(root, 'runtime/cli/lapwing.mjs'), ...args], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

test('--help lists the commands', () => {
  const r = lapwing('--help');
  assert.equal(r.code, 0);
  for (const c of ['cholesky', 'matmul', 'solve', 'tsqr', 'run', 'dag', 'bench']) assert.match(r.out, new RegExp(`\\b${c}\\b`));
});

test('bench cholesky --json: last line is the summary object, exit 0', () => {
  const r = lapwing('bench', 'cholesky', '--n', '300', '--block', '64', '--workers', '2', '--json');
  assert.equal(r.code, 0, r.err);
  const s = lastJson(r.out);
  for (const k of ['algorithm', 'n', 'block', 'backend', 'kernels', 'workers', 'tasks', 'wall_s', 'gflops', 'residual', 'ok']) assert.ok(k in s, k);
  assert.equal(s.ok, true);
  assert.equal(s.n, 300);
  assert.equal(s.workers, 2);
  // The floor: n³/3 flops on 2 workers at the gemm-512 rate measured in the same run.
  const floor = s.floor_s as number, rate = s.gemm512_gflops as number;
  assert.ok(rate > 0 && Math.abs(floor - 300 ** 3 / 3 / (2 * rate * 1e9)) <= 2e-3 * floor, JSON.stringify(s));
  assert.ok(Math.abs((s.floor_ratio as number) - (s.wall_s as number) / floor) <= 2e-3 * (s.floor_ratio as number), JSON.stringify(s));
  // The parallel floor: the same flops at the summed rate of 2 dgemm threads running at once.
  const parallel = s.floor_parallel_s as number, prate = s.gemm512_parallel_gflops as number;
  assert.ok(prate > 0 && Math.abs(parallel - 300 ** 3 / 3 / (prate * 1e9)) <= 2e-3 * parallel, JSON.stringify(s));
  assert.ok(Math.abs((s.floor_parallel_ratio as number) - (s.wall_s as number) / parallel) <= 2e-3 * (s.floor_parallel_ratio as number), JSON.stringify(s));
  assert.ok((s.floor_drift as number) > 0, JSON.stringify(s));
});

test('bench gemm, trsm and tsqr pass with --json', () => {
  for (const [alg, extra] of [['gemm', ['--n', '200']], ['trsm', ['--n', '200']], ['tsqr', ['--rows', '700', '--cols', '30']]] as const) {
    const r = lapwing('bench', alg, '--block', '64', ...extra, '--json');
    assert.equal(r.code, 0, `${alg}: ${r.err}`);
    assert.equal(lastJson(r.out).ok, true, alg);
  }
});

test('cholesky --input/--output round trip through .npy', async () => {
  const n = 90;
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) a[i * n + j] = i === j ? n : 1 / (1 + i + j);
  await writeNpy(join(dir, 'A.npy'), { rows: n, cols: n, data: a });
  const r = lapwing('cholesky', '--input', 'A.npy', '--output', 'L.npy', '--block', '32', '--quiet');
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /residual/);
  assert.match(r.out, /kernels\s+\w+/);
  const l = await readNpy(join(dir, 'L.npy'));
  assert.deepEqual([l.rows, l.cols], [n, n]);
});

test('user mistakes: one line, non-zero exit, no stack trace', async () => {
  await writeNpy(join(dir, 'rect.npy'), { rows: 3, cols: 4, data: new Float64Array(12) });
  const nonPd = new Float64Array(16);
  nonPd[0] = 1; nonPd[5] = -1; nonPd[10] = 1; nonPd[15] = 1;
  await writeNpy(join(dir, 'nonpd.npy'), { rows: 4, cols: 4, data: nonPd });
  const cases: [string[], RegExp][] = [
    [['cholesky', '--input', 'missing.npy'], /missing\.npy: no such file/],
    [['cholesky', '--input', 'rect.npy'], /square/],
    [['cholesky', '--n', '64', '--block', '0'], /block.*positive integer/],
    [['cholesky', '--n', '64', '--kernels', 'cuda'], /cuda/],
    [['cholesky', '--input', 'nonpd.npy', '--block', '2'], /positive definite/],
    [['matmul', '--a', 'rect.npy', '--b', 'rect.npy'], /3x4/],
  ];
  for (const [args, pattern] of cases) {
    const r = lapwing(...args, '--quiet');
    assert.notEqual(r.code, 0, args.join(' '));
    assert.match(r.err, pattern, args.join(' '));
    assert.doesNotMatch(r.err, /\n\s+at /, `stack trace for ${args.join(' ')}`);
  }
});

test('run FILE.lp with --arg/--in/--out', async () => {
  const n = 64;
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) a[i * n + i] = 4;
  await writeNpy(join(dir, 'D.npy'), { rows: n, cols: n, data: a });
  const r = lapwing('run', join(root, 'lang/programs/cholesky.lp'), '--arg', 'N=2', '--in', 'A=D.npy', '--out', 'L=LD.npy', '--block', '32', '--quiet');
  assert.equal(r.code, 0, r.err);
  const l = await readNpy(join(dir, 'LD.npy'));
  assert.equal(l.data[0], 2);
  assert.equal(l.data[n * n - 1], 2);
});
