import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { createProgress, formatEta } from '../../runtime/tracing/progress.ts';
import type { ProgressStream } from '../../runtime/tracing/progress.ts';

function capture(tty: boolean): { stream: ProgressStream; text: () => string } {
  const s = new PassThrough();
  const chunks: Buffer[] = [];
  s.on('data', (c: Buffer) => chunks.push(c));
  const stream = Object.assign(s, tty ? { isTTY: true, columns: 120 } : {});
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

test('non-TTY: a plain line at the first update, then at most one per interval, and a final line', async () => {
  const out = capture(false);
  let now = 0;
  const p = createProgress({ total: 816, label: 'cholesky', stream: out.stream, intervalMs: 3000, now: () => now });
  now = 1000;
  p.update({ done: 100, running: 2, gflops: 50 });
  now = 2000;
  p.update({ done: 200, running: 2, gflops: 60 }); // within the interval: not printed
  now = 4100;
  p.update({ done: 512, running: 2, gflops: 95.1 });
  now = 5000;
  p.update({ done: 816, running: 1, gflops: 99 });
  p.stop();
  p.stop(); // idempotent
  p.update({ done: 900 }); // after stop: ignored
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(out.text().split('\n'), [
    'cholesky: 100/816 tasks, 2 executors, 50.0 GFLOP/s, eta 7.2s',
    'cholesky: 512/816 tasks, 2 executors, 95.1 GFLOP/s, eta 2.4s',
    'cholesky: 816/816 tasks, 1 executor, 99.0 GFLOP/s, took 5.0s',
    '',
  ]);
});

test('non-TTY: optional figures are left out; nothing printed without updates', async () => {
  const out = capture(false);
  let now = 0;
  const p = createProgress({ total: 10, label: 'tsqr', stream: out.stream, now: () => now });
  p.update({ done: 0 });
  now = 500;
  p.stop();
  const q = createProgress({ total: 10, label: 'silent', stream: out.stream });
  q.stop();
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(out.text().split('\n'), ['tsqr: 0/10 tasks, eta ?', '']);
});

test('non-TTY: the total can change with an update and never shows below done', async () => {
  const out = capture(false);
  let now = 0;
  const p = createProgress({ total: 78, label: 'cholesky', stream: out.stream, intervalMs: 0, now: () => now });
  now = 1000;
  p.update({ done: 10 });
  p.update({ done: 100 }); // more done than the (wrong) total
  p.update({ done: 182, total: 364 });
  p.stop();
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(out.text().split('\n'), [
    'cholesky: 10/78 tasks, eta 6.8s',
    'cholesky: 100/100 tasks, took 1.0s',
    'cholesky: 182/364 tasks, eta 1.0s', // stop() adds nothing: the last update was printed
    '',
  ]);
});

test('quiet: writes nothing', async () => {
  const out = capture(true);
  const p = createProgress({ total: 10, label: 'x', quiet: true, stream: out.stream });
  p.update({ done: 5, running: 1, gflops: 1 });
  p.stop();
  await new Promise((r) => setImmediate(r));
  assert.equal(out.text(), '');
});

test('TTY: the cli-progress bar renders tasks, executors and GFLOP/s without throwing', async () => {
  const out = capture(true);
  const p = createProgress({ total: 816, label: 'cholesky', stream: out.stream });
  p.update({ done: 0, running: 0 });
  p.update({ done: 408, running: 2, gflops: 95.1 });
  p.update({ done: 900, total: 1000, running: 2, gflops: 97.3 });
  p.update({ done: 1000, running: 2, gflops: 97.3 });
  p.stop();
  await new Promise((r) => setImmediate(r));
  const text = out.text();
  assert.match(text, /cholesky .*1000\/1000 tasks, 2 executors, 97\.3 GFLOP\/s \| ETA 0s/);
  assert.doesNotMatch(text, /NF|NaN|undefined/);
});

test('formatEta', () => {
  assert.equal(formatEta(1.23), '1.2s');
  assert.equal(formatEta(125), '2m05s');
  assert.equal(formatEta(3725), '1h02m');
  assert.equal(formatEta(Infinity), '?');
});
