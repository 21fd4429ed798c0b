/**
 * Two task slots per executor overlap: the report counts kernel-thread time (recorded by the
 * local kernel threads), not attempt spans; the queue is sampled often enough for a short run;
 * the executor count has its own axis.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeTrace } from '../../runtime/report/analysis.ts';
import { renderReport } from '../../runtime/report/render.ts';
import { lapwing } from '../../runtime/index.ts';
import { sampleIntervalMs } from '../../runtime/tracing/sampling.ts';
import type { TraceFile } from '../../runtime/tracing/trace-file.ts';
import type { SampleTrace, TaskAttemptTrace } from '../../runtime/core/interfaces.ts';

const KERNELS = process.env.LAPWING_KERNELS ?? 'auto';
const T0 = 1_700_000_000_000;

function trace(attempts: TaskAttemptTrace[], samples: SampleTrace[] = []): TraceFile {
  return {
    header: { type: 'header', version: 1, job: 'j', algorithm: 'cholesky', backend: 'local', kernels: 'js', workers: 1, startedAt: T0 },
    attempts, samples, warnings: [],
  };
}

const attempt = (task: string, t: TaskAttemptTrace['t']): TaskAttemptTrace =>
  ({ type: 'attempt', job: 'j', task, kernel: 'gemm', executor: 'w0', attempt: 1, bytesRead: 0, bytesWritten: 0, flops: 1e9, outcome: 'ok', t });

test('overlapping slots: compute is the kernel thread time, the wait for the thread is apart', () => {
  // Both attempts read by t=10; the thread runs one kernel 10–60, then the other 60–110.
  const run = analyzeTrace(trace([
    attempt('a', { lease: T0, read: T0 + 10, kernelStart: T0 + 10, kernelEnd: T0 + 60, compute: T0 + 60, write: T0 + 61, mark: T0 + 61, ack: T0 + 61 }),
    attempt('b', { lease: T0, read: T0 + 10, kernelStart: T0 + 60, kernelEnd: T0 + 110, compute: T0 + 110, write: T0 + 111, mark: T0 + 111, ack: T0 + 111 }),
  ]));
  const [k] = run.kernels;
  assert.equal(k!.computeMs, 100, 'kernel-thread time, not 150 ms of compute phases');
  assert.equal(k!.waitMs, 50);
  assert.ok(k!.computeMs <= run.busyMs, 'no more kernel time than the executor was busy');
  const b = run.attempts.find((a) => a.rec.task === 'b')!;
  assert.equal(b.computeStart, 60);
  // GFLOP/s in compute: 2 GFLOP in 0.1 s.
  assert.equal(k!.flops / (k!.computeMs / 1000) / 1e9, 20);
});

test('a real local run records kernel times; per executor, kernel time fits in its life', async () => {
  const attempts: TaskAttemptTrace[] = [];
  const lw = await lapwing({ workers: 2, kernels: KERNELS, onTrace: (r) => { if (r.type === 'attempt') attempts.push(r); } });
  try {
    const A = await lw.randomSpd(768, { block: 96 });
    await lw.cholesky(A);
  } finally {
    await lw.close();
  }
  const threaded = attempts.filter((a) => a.t.kernelStart !== undefined);
  assert.ok(threaded.length > 0, 'kernels that ran on a kernel thread carry their times');
  for (const a of threaded) assert.ok(a.t.kernelStart! >= a.t.read! - 1 && a.t.kernelEnd! <= a.t.compute! + 1);
  const run = analyzeTrace(trace(attempts));
  const kernelMs = run.kernels.reduce((s, k) => s + k.computeMs, 0);
  assert.ok(kernelMs <= run.busyMs + 1, `kernel time ${kernelMs} ms within the executors' busy time ${run.busyMs} ms`);
});

test('queue sampling: ~50 samples over a run, within bounds', () => {
  // A 1.7 s run on a remote queue: every 100 ms (17 samples), not every second.
  assert.equal(sampleIntervalMs(1700, 1000), 100);
  assert.equal(sampleIntervalMs(600_000, 1000), 1000);
  assert.equal(sampleIntervalMs(500, 250), 25);
  assert.equal(sampleIntervalMs(10_000, 250), 200);
});

test('executors have their own axis: a deep queue does not flatten them', () => {
  const samples: SampleTrace[] = Array.from({ length: 20 }, (_, i) =>
    ({ type: 'sample', time: T0 + i * 10, queueVisible: 150 - i, queueInFlight: 2, executors: 2, tasksDone: i }));
  const html = renderReport(trace([attempt('a', { lease: T0, read: T0 + 10, compute: T0 + 60, ack: T0 + 190 })], samples));
  const svg = /<svg class="chart executors"[\s\S]*?<\/svg>/.exec(html)![0];
  const ticks = [...svg.matchAll(/text-anchor="end">([\d.]+)<\/text>/g)].map((m) => Number(m[1]));
  assert.ok(Math.max(...ticks) <= 5, `executor axis up to ${Math.max(...ticks)}`);
  assert.match(html, /<svg class="chart queue"/);
});
