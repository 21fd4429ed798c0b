/** `lapwing simulate` and `--estimate` as a user runs them; the trace renders as a report. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('../../runtime/cli/lapwing.mjs', import.meta.url));
const lapwing = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 120_000 });

test('simulate --json prints the prediction; --trace renders with lapwing report', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lapwing-sim-'));
  const trace = join(dir, 'sim.jsonl');
  const r = lapwing('simulate', 'cholesky', '--n', '2048', '--block', '512', '--workers', '4', '--trace', trace, '--json');
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
  for (const k of ['tasks', 'predicted_wall_s', 'core_s', 'cost_usd', 'api_calls', 'bottleneck', 'sim_wall_s']) assert.ok(k in out, `missing ${k}`);
  assert.equal(out.tasks, 20);
  const cost = out.cost_usd as Record<string, number>;
  assert.ok(Math.abs(cost.total! - (cost.lambda! + cost.sqs! + cost.dynamodb! + cost.s3!)) < 1e-12);
  assert.ok(readFileSync(trace, 'utf8').includes('"type":"attempt"'));
  const rep = lapwing('report', trace, '-o', join(dir, 'sim.html'));
  assert.equal(rep.status, 0, rep.stderr);
});

test('--estimate predicts a job without running it; bad options are one line', () => {
  const r = lapwing('cholesky', '--n', '2048', '--block', '512', '--backend', 'aws', '--workers', '4', '--estimate', '--json');
  assert.equal(r.status, 0, r.stderr);
  const s = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { backend: string; tasks: number; wall_s: number };
  assert.equal(s.backend, 'aws (estimate)');
  assert.equal(s.tasks, 20);
  assert.ok(s.wall_s > 0);
  const bad = lapwing('simulate', 'cholesky', '--profile', 'mars');
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /--profile must be one of aws, emulated, local/);
  assert.equal(bad.stderr.trim().split('\n').length, 1);
});
