/**
 * The end-to-end command: `lapwing bench cholesky --backend aws --executors process`
 * against emulators on loopback (started by --emulate) passes with the same residual as local,
 * and reports the requests (per service and per operation) and the DynamoDB capacity it used.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const root = fileURLToPath(new URL('../..', import.meta.url));

function bench(...args: string[]): Record<string, unknown> {
  const r = spawnSync(process.execPath, [join(root, 'runtime/cli/lapwing.mjs'), 'bench', 'cholesky', '--n', '512', '--block', '128', '--workers', '2', '--json', ...args], {
    encoding: 'utf8',
    timeout: 180_000,
    env: { ...process.env, LAPWING_AWS_PREFIX: `lwbench${process.pid}` },
  });
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]!) as Record<string, unknown>;
}

test('bench cholesky on the emulated AWS backend matches the local residual, with api_calls', () => {
  const local = bench();
  const aws = bench('--backend', 'aws', '--emulate', '--executors', 'process');
  assert.equal(aws.ok, true);
  assert.equal(aws.backend, 'aws');
  assert.equal(aws.tasks, local.tasks);
  // Same kernels on the same blocks: the same factor, so the same residual.
  assert.equal(aws.residual, local.residual);
  const calls = aws.api_calls as Record<string, number>;
  for (const k of ['s3', 'sqs', 'dynamodb']) assert.ok(calls[k]! > 0, k);
  // Per operation: they sum to the counts per service; the DAG (4×4 blocks: 20 tasks) fixes
  // some exactly, the same as the simulator's model of the run (test/sim/simulate.test.ts).
  const ops = aws.api_calls_by_op as Record<string, number>;
  for (const k of ['s3', 'sqs', 'dynamodb']) {
    const sum = Object.entries(ops).filter(([op]) => op.startsWith(`${k}:`)).reduce((a, [, v]) => a + v, 0);
    assert.equal(sum, calls[k], `${k}: ${JSON.stringify(ops)}`);
  }
  assert.equal(ops['sqs:DeleteMessageBatch'], 20, 'one ack per task');
  assert.ok(ops['sqs:ReceiveMessage']! >= 20, 'a receive brought each task');
  assert.ok((ops['sqs:ReceiveMessage(empty)'] ?? 0) > 0, 'idle long polls and the ones cut short at exit are empty');
  assert.equal(ops['s3:PutObject'], 20, 'one output block per task');
  assert.equal(ops['dynamodb:TransactWriteItems'], 21, 'one completion per task, and the job record');
  // Their latencies: every request that did not long-poll, per operation; the executors' start.
  const lat = aws.api_latency_by_op as Record<string, { n: number; median_ms: number; p90_ms: number }>;
  assert.equal(lat['dynamodb:TransactWriteItems']?.n, 21);
  assert.equal(lat['s3:PutObject']?.n, 20);
  for (const [op, t] of Object.entries(lat)) assert.ok(t.n > 0 && t.median_ms > 0 && t.p90_ms >= t.median_ms, `${op}: ${JSON.stringify(t)}`);
  const start = aws.executor_start_ms as { n: number; median_ms: number };
  assert.equal(start.n, 2, 'two executors started');
  assert.ok(start.median_ms > 0);
  // The capacity DynamoDB reported for the job: at least a completion's 4 WCU per task (blocks
  // stored inline cost 1 WCU per KB on top).
  const cap = aws.dynamodb_capacity as Record<string, number>;
  assert.ok(cap.wcu! > 0 && cap.rcu! > 0, JSON.stringify(cap));
  assert.ok(cap.wcu_per_task! >= 4, JSON.stringify(cap));
});
