import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyzeTrace } from '../../runtime/report/analysis.ts';
import { blockRequests, estimateCost, priceUsage, usageOf } from '../../runtime/report/cost.ts';
import { DEFAULT_PRICES, PricesError, loadPrices, mergePrices } from '../../runtime/report/prices.ts';
import type { TaskAttemptTrace } from '../../runtime/core/interfaces.ts';
import type { TraceFile } from '../../runtime/tracing/trace-file.ts';

const close = (a: number, b: number): void => assert.ok(Math.abs(a - b) <= 1e-12 * Math.max(1, Math.abs(b)), `${a} ≉ ${b}`);

test('priceUsage: each line is quantity × unit price, the total their sum', () => {
  const usage = { executorSeconds: 100, memoryMb: 2048, invocations: 10, s3Gets: 5000, s3Puts: 2000, sqsRequests: 3000, dynamoReads: 1000, dynamoWrites: 3000 };
  const c = priceUsage(usage, DEFAULT_PRICES);
  const by = new Map(c.lines.map((l) => [l.item.split(' ')[0]!, l]));
  close(by.get('compute')!.quantity, 200); // 100 s × 2 GB
  close(by.get('compute')!.usd, 200 * 0.0000166667);
  close(by.get('invocations')!.usd, 10 * 0.2e-6);
  close(by.get('GET')!.usd, 5000 * 0.0004 / 1000);
  close(by.get('PUT')!.usd, 2000 * 0.005 / 1000);
  close(by.get('send')!.usd, 3000 * 0.4e-6);
  close(by.get('read')!.usd, 1000 * 0.125e-6);
  close(by.get('write')!.usd, 3000 * 0.625e-6);
  const expected = 200 * 0.0000166667 + 10 * 0.2e-6 + 5000 * 0.4e-6 + 2000 * 5e-6 + 3000 * 0.4e-6 + 1000 * 0.125e-6 + 3000 * 0.625e-6;
  close(c.totalUsd, expected);
  assert.equal(c.lines.length, 7);
});

test('blockRequests: whole blocks, at least one per attempt that moved bytes', () => {
  const b = 256 * 256 * 8;
  assert.equal(blockRequests(0, b), 0);
  assert.equal(blockRequests(3 * b, b), 3);
  assert.equal(blockRequests(100, b), 1); // a small edge block is still a request
  assert.equal(blockRequests(5 * b, 0), 1); // no block size known
});

function attempt(p: Partial<TaskAttemptTrace> & { t: TaskAttemptTrace['t'] }): TaskAttemptTrace {
  return { type: 'attempt', job: 'j', task: 't', kernel: 'gemm', executor: 'w0', attempt: 1, bytesRead: 0, bytesWritten: 0, flops: 0, outcome: 'ok', ...p };
}

test('usageOf: executor-seconds from samples, S3 requests from bytes ÷ block, per-attempt SQS/DynamoDB', () => {
  const block = 100;
  const bb = block * block * 8;
  const trace: TraceFile = {
    header: { type: 'header', version: 1, job: 'j', algorithm: 'x', backend: 'aws', kernels: 'js', workers: 2, startedAt: 0, block, memoryMb: 1024 },
    attempts: [
      attempt({ task: 'a', t: { lease: 100, ack: 600 }, bytesRead: 3 * bb, bytesWritten: bb }),
      attempt({ task: 'b', executor: 'w1', t: { lease: 200, read: 300 }, bytesRead: 2 * bb, outcome: 'crashed' }),
      attempt({ task: 'b', executor: 'w0', attempt: 2, t: { lease: 700, ack: 900 }, bytesRead: 2 * bb, bytesWritten: bb }),
    ],
    // 2 executors for 1 s, then 1 executor for 0.5 s: 2.5 executor-seconds.
    samples: [0, 1000, 1500].map((time, i) => ({ type: 'sample' as const, time, queueVisible: 0, queueInFlight: 0, executors: [2, 1, 0][i]!, tasksDone: i })),
    warnings: [],
  };
  const run = analyzeTrace(trace);
  const u = usageOf(run, DEFAULT_PRICES);
  assert.deepEqual(u, {
    executorSeconds: 2.5, memoryMb: 1024, invocations: 2, s3Gets: 7, s3Puts: 2,
    sqsRequests: 9, dynamoReads: 3, dynamoWrites: 6,
  });
  assert.equal(usageOf(run, DEFAULT_PRICES, { memoryMb: 4096 }).memoryMb, 4096);
  const c = estimateCost(run, DEFAULT_PRICES);
  close(c.lines[0]!.quantity, 2.5); // 2.5 executor-s × 1 GB
  // Without samples: each executor's first-lease → last-step span (w0: 100→900, w1: 200→300).
  assert.equal(usageOf(analyzeTrace({ ...trace, samples: [] }), DEFAULT_PRICES).executorSeconds, 0.9);
});

test('prices: overrides merge over the defaults; mistakes are one-line errors', async () => {
  const p = mergePrices({ lambdaGbSecond: 0.0000133334, date: '2026-01' });
  assert.equal(p.lambdaGbSecond, 0.0000133334);
  assert.equal(p.s3Get, DEFAULT_PRICES.s3Get);
  assert.equal(p.date, '2026-01');
  assert.throws(() => mergePrices({ lambdaGBSecond: 1 }), (e: unknown) => e instanceof PricesError && /unknown key "lambdaGBSecond" \(known: /.test(e.message));
  assert.throws(() => mergePrices({ s3Get: -1 }), /"s3Get" must be a non-negative number/);
  assert.throws(() => mergePrices([1]), /expected a JSON object/);

  const dir = await mkdtemp(join(tmpdir(), 'lapwing-prices-'));
  try {
    const file = join(dir, 'prices.json');
    await writeFile(file, '{"sqsRequest": 0.0000005}');
    assert.equal((await loadPrices(file)).sqsRequest, 0.0000005);
    await writeFile(file, '{"sqsRequest": ');
    await assert.rejects(loadPrices(file), (e: unknown) => e instanceof PricesError && e.code === 'PRICES_INVALID' && e.message.startsWith(`${file}: not valid JSON`));
    await assert.rejects(loadPrices(join(dir, 'missing.json')), /cannot read prices file/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
