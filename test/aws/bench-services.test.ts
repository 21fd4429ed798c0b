/**
 * `lapwing bench services --json` against the emulators it starts: every operation a job sends
 * is measured, and its `profile` is one the simulator takes (`parseServiceProfile`).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseServiceProfile } from '../../runtime/backends/sim/profiles.ts';

const cli = fileURLToPath(new URL('../../runtime/cli/lapwing.mjs', import.meta.url));

test('bench services measures every operation of a job and an executor start', () => {
  const r = spawnSync(process.execPath, [cli, 'bench', 'services', '--reps', '2', '--starts', '1', '--json'], {
    encoding: 'utf8',
    timeout: 240_000,
    env: { ...process.env, LAPWING_AWS_PREFIX: `lwsvc${process.pid}` },
  });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { ops: Record<string, { n: number; median_ms: number; p90_ms: number }>; profile: unknown };
  // The requests of a Cholesky job's driver and executor (4×4 blocks: 20 tasks, 21 completions).
  for (const op of ['sqs:SendMessageBatch', 'sqs:ReceiveMessage', 'sqs:DeleteMessageBatch', 'dynamodb:TransactWriteItems', 'dynamodb:UpdateItem', 'dynamodb:BatchGetItem', 'process:start']) {
    const t = out.ops[op] ?? Object.entries(out.ops).find(([k]) => k.startsWith(`${op} (`))?.[1];
    assert.ok(t && t.n > 0 && t.median_ms > 0 && t.p90_ms >= t.median_ms, `${op}: ${JSON.stringify(t)}`);
  }
  assert.equal(out.ops['dynamodb:TransactWriteItems']!.n, 21);
  // The fresh DynamoDB Local's first transaction is timed apart (it loads its code then).
  assert.equal(out.ops['dynamodb:TransactWriteItems (first)']?.n, 1);
  assert.equal(Object.keys(out.ops).filter((k) => k.startsWith('s3:GetObject ')).length, 3, 'three block sizes');
  const p = parseServiceProfile(out.profile);
  assert.ok(p.s3?.downloadMBps !== undefined && p.s3.downloadMBps > 0);
  assert.ok(p.processStart !== undefined && p.processStart.medianMs > 0);
  assert.ok(p.dynamodb?.ops?.TransactWriteItems !== undefined);
});
