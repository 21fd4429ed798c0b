import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { syntheticTrace, toJsonl } from './synthetic.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = join(root, 'runtime', 'cli', 'lapwing.mjs');
let dir = '';

function lapwing(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lapwing-report-cli-'));
  await writeFile(join(dir, 'trace.jsonl'), toJsonl(syntheticTrace({ executors: 3, attempts: 60, retries: 1, samples: true })));
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('lapwing report trace.jsonl -o out.html writes the report', async () => {
  const r = lapwing('report', 'trace.jsonl', '-o', 'out.html');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^wrote out\.html \(60 attempts on 3 executors, \d+ KiB\)\n$/);
  const html = await readFile(join(dir, 'out.html'), 'utf8');
  assert.match(html, /^<!doctype html>/);
  assert.equal((html.match(/<g class="row" /g) ?? []).length, 3);
  assert.equal((html.match(/<rect class="attempt[ "]/g) ?? []).length, 60);
});

test('lapwing report: default output name and --prices/--memory change the cost', async () => {
  await writeFile(join(dir, 'prices.json'), JSON.stringify({ lambdaGbSecond: 1 }));
  const r = lapwing('report', 'trace.jsonl', '--prices', 'prices.json', '--memory', '1024');
  assert.equal(r.code, 0, r.stderr);
  const html = await readFile(join(dir, 'trace.html'), 'utf8');
  assert.ok((await stat(join(dir, 'trace.html'))).size > 0);
  assert.match(html, /compute \([\d.]+ executor-s × 1024 MB\)/);
  assert.match(html, /\$1\.00000 \/ GB-s/);
});

test('lapwing report: a missing trace is a one-line error and a non-zero exit', () => {
  const r = lapwing('report', 'missing.jsonl', '-o', 'x.html');
  assert.notEqual(r.code, 0);
  assert.equal(r.stderr, 'lapwing: trace file not found: missing.jsonl\n');
});

test('lapwing report: a malformed trace names the line', async () => {
  await writeFile(join(dir, 'bad.jsonl'), '{"type":"header","job":"j","startedAt":1}\n{"type":"attempt",\n');
  const r = lapwing('report', 'bad.jsonl', '-o', 'x.html');
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /^lapwing: bad\.jsonl:2: not valid JSON \(.*\)\n$/);
});

test('lapwing report: bad --prices file is a one-line error', async () => {
  await writeFile(join(dir, 'typo.json'), '{"lamdaGbSecond": 1}');
  const r = lapwing('report', 'trace.jsonl', '--prices', 'typo.json');
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /^lapwing: typo\.json: unknown key "lamdaGbSecond" \(known: .*\)\n$/);
});
