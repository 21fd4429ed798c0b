import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeTrace } from '../../runtime/report/analysis.ts';
import { renderReport } from '../../runtime/report/render.ts';
import { MAX_MARKS } from '../../runtime/report/timeline.ts';
import type { TraceFile } from '../../runtime/tracing/trace-file.ts';
import type { TaskAttemptTrace } from '../../runtime/core/interfaces.ts';
import { T0, dagTrace, syntheticTrace } from './synthetic.ts';
import { compile, programSource } from '../../lang/index.ts';

const count = (html: string, re: RegExp): number => (html.match(re) ?? []).length;

function attempt(p: Partial<TaskAttemptTrace> & { t: TaskAttemptTrace['t'] }): TaskAttemptTrace {
  return { type: 'attempt', job: 'j', task: 'chol(0)', kernel: 'chol', executor: 'w0', attempt: 1, bytesRead: 0, bytesWritten: 0, flops: 0, outcome: 'ok', ...p };
}

function trace(attempts: TaskAttemptTrace[], extra: Partial<TraceFile> = {}): TraceFile {
  return {
    header: { type: 'header', version: 1, job: 'j', algorithm: 'cholesky', backend: 'local', kernels: 'js', workers: 2, startedAt: T0 },
    attempts, samples: [], warnings: [], ...extra,
  };
}

test('analysis: phases follow the "t.x = when step x finished" convention', () => {
  const run = analyzeTrace(trace([
    attempt({ t: { lease: T0 + 100, read: T0 + 110, compute: T0 + 150, write: T0 + 160, mark: T0 + 162, ack: T0 + 163 }, flops: 4e9 }),
    attempt({ task: 'trsm(1)', kernel: 'trsm', executor: 'w1', t: { lease: T0 + 100, read: T0 + 104 }, outcome: 'crashed' }),
  ]));
  const a = run.attempts.find((x) => x.rec.task === 'chol(0)')!;
  assert.deepEqual([a.start, a.end, a.readMs, a.computeMs, a.writeMs, a.otherMs], [100, 163, 10, 40, 10, 3]);
  const crashed = run.attempts.find((x) => x.rec.task === 'trsm(1)')!;
  assert.deepEqual([crashed.end, crashed.readMs, crashed.computeMs, crashed.reexecuted], [104, 4, 0, true]);
  assert.equal(run.reexecuted, 1);
  assert.equal(run.okAttempts, 1);
  assert.deepEqual(run.executors, ['w0', 'w1']);
  assert.equal(run.totalFlops, 4e9);
  // Flops spread over the compute phase: the GFLOP/s series integrates back to the total.
  const width = run.spanMs / run.gflopsSeries.t.length / 1000;
  const integral = run.gflopsSeries.v.reduce((s, v) => s + v * width * 1e9, 0);
  assert.ok(Math.abs(integral - 4e9) < 1, `integral ${integral}`);
  // Without samples, executor-seconds are each executor's first-lease → last-step span.
  assert.equal(run.executorSeconds, (63 + 4) / 1000);
});

test('analysis: executors are in natural order and the critical path comes from the header', () => {
  const spans = ['w10', 'w2', 'w1'].map((executor, i) => attempt({ executor, task: `t${i}`, t: { lease: T0 + i, ack: T0 + 10 + i } }));
  const base = trace(spans);
  assert.deepEqual(analyzeTrace(base).executors, ['w1', 'w2', 'w10']);
  assert.equal(analyzeTrace(base).criticalPath.seconds, null);
  const h = base.header;
  const withSeconds = analyzeTrace({ ...base, header: { ...h, criticalPath: { tasks: 3, seconds: 0.005 } } });
  assert.equal(withSeconds.criticalPath.seconds, 0.005);
  const byKernels = analyzeTrace({ ...base, header: { ...h, criticalPath: { tasks: 3, kernels: { chol: 3 } } } });
  assert.equal(byKernels.criticalPath.seconds, 0.03); // 3 × median 10 ms
  const byLength = analyzeTrace({ ...base, header: { ...h, criticalPath: { tasks: 2 } } });
  assert.equal(byLength.criticalPath.seconds, 0.02);
});

test('analysis: with the program in the header, the critical path is traced through the DAG', () => {
  // Cholesky on 4×4 blocks: chol → trsm → syrk → chol … (4 chol, 3 trsm, 3 syrk on the path).
  const t = dagTrace(compile(programSource('cholesky')), { N: 4 }, 3, { chol: 10, trsm: 5, syrk: 3 });
  const run = analyzeTrace(t);
  assert.equal(run.attempts.length, 20);
  assert.ok(Math.abs(run.criticalPath.seconds! - 0.064) < 1e-12, String(run.criticalPath.seconds));
  assert.equal(run.criticalPath.tasks, 10);
  assert.match(run.criticalPath.source, /longest path through the DAG \(4 chol, 3 (trsm|syrk), 3 (trsm|syrk)\)/);
  assert.equal(run.describe('0:'), 'chol L[0,0] ← A[0,0]');
  assert.deepEqual(run.warnings, []);
  // The page shows tasks in words.
  assert.match(renderReport(t), /<title>0: · chol · attempt 1 · ok\nchol L\[0,0\] ← A\[0,0\]\n/);
  // A program that does not bind is a warning, not a failure.
  const bad = analyzeTrace({ ...t, header: { ...t.header, args: { M: 4 } } });
  assert.equal(bad.criticalPath.seconds, null);
  assert.match(bad.warnings.join('\n'), /cannot use the program in the trace header: missing argument N/);
});

test('report: one row per executor, one mark per attempt, re-executed attempts highlighted', () => {
  const t = syntheticTrace({ executors: 4, attempts: 200, retries: 3, samples: true });
  const html = renderReport(t, { source: 'run.jsonl' });
  assert.equal(count(html, /<g class="row" /g), 4);
  for (const e of ['w0', 'w1', 'w2', 'w3']) assert.match(html, new RegExp(`<g class="row" data-executor="${e}" data-attempts="\\d+"`));
  assert.equal(count(html, /<rect class="attempt[ "]/g), 200);
  assert.equal(count(html, /<rect class="attempt retry"/g), 6); // 3 crashed + their 3 retries
  assert.match(html, /data-mode="exact"/);
  // Every attempt has a hover title with task, kernel, attempt and phase durations.
  assert.equal(count(html, /<title>[^<]* · attempt \d+ · /g), 200);
  assert.match(html, /read [\d.]+ ms · compute [\d.]+ ms · write [\d.]+ ms/);
  assert.match(html, /error: executor exited \(simulated crash\)/);
  // Every section is there.
  for (const id of ['timeline', 'executors', 'gflops', 'kernels', 'critical', 'cost']) assert.match(html, new RegExp(`<section id="${id}">`));
  for (const k of ['gemm', 'syrk', 'trsm', 'chol']) assert.match(html, new RegExp(`<g class="kernel" data-kernel="${k}"`));
  assert.match(html, /data-bar="critical-path"/);
  assert.match(html, /data-series="queue: visible"/);
});

test('report: self-contained — no URLs, scripts or styles from outside', () => {
  const html = renderReport(syntheticTrace({ executors: 2, attempts: 20 }));
  assert.doesNotMatch(html, /<script[^>]+src=/);
  assert.doesNotMatch(html, /<link[^>]+stylesheet/);
  assert.doesNotMatch(html, /https?:\/\//);
  assert.doesNotMatch(html, /@import|url\(/);
  assert.match(html, /Content-Security-Policy" content="default-src 'none'/);
});

test('report: trace strings are escaped', () => {
  const evil = '<img src=x onerror=alert(1)>"\'&';
  const html = renderReport(trace([attempt({ task: evil, executor: evil, kernel: evil, error: evil, t: { lease: T0, ack: T0 + 5 } })],
    { summary: { type: 'summary', wall_s: 0.01, ok: false, error: evil } }));
  assert.doesNotMatch(html, /<img/);
  assert.match(html, /&lt;img src=x onerror=alert\(1\)&gt;&quot;&#39;&amp;/);
});

test('report: an empty trace (no attempts yet) still renders', () => {
  const html = renderReport(trace([]));
  assert.equal(count(html, /<g class="row" /g), 0);
  assert.match(html, /<section id="cost">/);
});

test(`report: 100k attempts are binned into a usable file with exact counts (limit ${MAX_MARKS})`, () => {
  const t = syntheticTrace({ executors: 64, attempts: 100_000, retries: 20, samples: true });
  const html = renderReport(t);
  assert.match(html, /data-mode="binned"/);
  assert.match(html, /<svg class="timeline"[^>]* data-attempts="100000"/);
  const perRow = [...html.matchAll(/<g class="row" data-executor="[^"]+" data-attempts="(\d+)"/g)].map((m) => Number(m[1]));
  assert.equal(perRow.length, 64);
  assert.equal(perRow.reduce((a, b) => a + b, 0), 100_000);
  const binCounts = [...html.matchAll(/<rect class="bin" data-count="(\d+)"/g)].map((m) => Number(m[1]));
  assert.equal(binCounts.reduce((a, b) => a + b, 0), 100_000, 'every attempt counted in exactly one bin');
  assert.equal(count(html, /<rect class="attempt retry"/g), 40, 're-executed attempts stay visible');
  const mb = Buffer.byteLength(html) / 1e6;
  assert.ok(mb < 12, `report is ${mb.toFixed(1)} MB`);
});
