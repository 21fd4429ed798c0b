import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TraceFileError, TraceWriter, parseTrace, readTrace } from '../../runtime/tracing/trace-file.ts';
import type { TraceRecord } from '../../runtime/core/interfaces.ts';
import { syntheticTrace, toJsonl } from './synthetic.ts';

async function withDir<T>(f: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'lapwing-trace-'));
  try {
    return await f(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const HEADER = { job: 'job-1', algorithm: 'cholesky', n: 2048, block: 256, backend: 'local', kernels: 'openblas', workers: 3, startedAt: 1_700_000_000_000 };

test('TraceWriter → readTrace round trip keeps every record in order', async () => {
  await withDir(async (dir) => {
    const path = join(dir, 'run.jsonl');
    const synthetic = syntheticTrace({ executors: 3, attempts: 300, retries: 2, samples: true });
    const records: TraceRecord[] = [...synthetic.attempts, ...synthetic.samples];
    // A tiny flush threshold forces many appends, which must stay in order.
    const w = new TraceWriter({ flushBytes: 512, onError: (e) => assert.fail(e) });
    await w.open(path, HEADER);
    for (const r of records) w.write(r);
    await w.close({ wall_s: 1.5, gflops: 12.5, tasks: 298, residual: 1e-15, ok: true });

    const back = await readTrace(path);
    assert.equal(back.header.type, 'header');
    assert.equal(back.header.version, 1);
    assert.equal(back.header.job, 'job-1');
    assert.equal(back.header.n, 2048);
    assert.deepEqual(back.attempts, synthetic.attempts);
    assert.deepEqual(back.samples, synthetic.samples);
    assert.deepEqual(back.summary, { type: 'summary', wall_s: 1.5, gflops: 12.5, tasks: 298, residual: 1e-15, ok: true });
    assert.deepEqual(back.warnings, []);
    const lines = (await readFile(path, 'utf8')).trimEnd().split('\n');
    assert.equal(lines.length, 1 + records.length + 1);
  });
});

test('TraceWriter: close is idempotent and writes without a summary', async () => {
  await withDir(async (dir) => {
    const path = join(dir, 'run.jsonl');
    const w = new TraceWriter();
    await w.open(path, HEADER);
    await w.close();
    await w.close({ wall_s: 1, gflops: 1, tasks: 1, ok: true }); // after close: ignored
    w.write(syntheticTrace({ executors: 1, attempts: 1 }).attempts[0]!); // after close: dropped
    const back = await readTrace(path);
    assert.equal(back.attempts.length, 0);
    assert.equal(back.summary, undefined);
  });
});

test('TraceWriter: open of an impossible path rejects with a clear error', async () => {
  const w = new TraceWriter();
  await assert.rejects(w.open('/nonexistent-dir/x/run.jsonl', HEADER), (e: unknown) => {
    assert.ok(e instanceof TraceFileError);
    assert.equal(e.code, 'TRACE_IO');
    assert.match(e.message, /cannot create trace file \/nonexistent-dir\/x\/run\.jsonl/);
    return true;
  });
});

test('TraceWriter: a write error is reported once, never thrown into write()', { skip: !existsSync('/dev/full') && 'no /dev/full' }, async () => {
  const errors: Error[] = [];
  const w = new TraceWriter({ flushBytes: 100, onError: (e) => errors.push(e) });
  await w.open('/dev/full', HEADER); // opens fine; every write fails with ENOSPC
  const rec = syntheticTrace({ executors: 1, attempts: 1 }).attempts[0]!;
  for (let i = 0; i < 50; i++) w.write(rec);
  await w.close({ wall_s: 1, gflops: 1, tasks: 1, ok: true });
  assert.equal(errors.length, 1);
  assert.match(errors[0]!.message, /ENOSPC|no space/i);
});

test('readTrace: a missing file is TRACE_NOT_FOUND', async () => {
  await assert.rejects(readTrace('/nonexistent/run.jsonl'), (e: unknown) => {
    assert.ok(e instanceof TraceFileError);
    assert.equal(e.code, 'TRACE_NOT_FOUND');
    assert.equal(e.message, 'trace file not found: /nonexistent/run.jsonl');
    return true;
  });
});

function invalid(text: string, line: number, pattern: RegExp): void {
  assert.throws(() => parseTrace(text, 'run.jsonl'), (e: unknown) => {
    assert.ok(e instanceof TraceFileError, String(e));
    assert.equal(e.code, 'TRACE_INVALID');
    assert.equal(e.line, line);
    assert.ok(e.message.startsWith(`run.jsonl:${line}: `), e.message);
    assert.match(e.message, pattern);
    assert.ok(!e.message.includes('\n'), 'one line');
    return true;
  });
}

test('parseTrace: malformed lines are errors with the line number', () => {
  const good = toJsonl(syntheticTrace({ executors: 2, attempts: 4 })).split('\n');
  const h = good[0]!;
  const a = good[1]!;
  invalid(`${h}\n${a}\n{not json\n${a}\n`, 3, /not valid JSON/);
  invalid(`${a}\n`, 1, /first record must be the header/);
  invalid(`${h}\n${a.replace('"task":', '"tusk":')}\n`, 2, /missing field "task" \(a string\)/);
  invalid(`${h}\n${a.replace('"task":"', '"task":7,"x":"')}\n`, 2, /field "task" must be a string, found 7/);
  invalid(`${h}\n${a.replace('"outcome":"ok"', '"outcome":"great"')}\n`, 2, /unknown outcome "great"/);
  invalid(`${h}\n${a.replace(/"lease":[0-9.]+/, '"lease":"soon"')}\n`, 2, /t: field "lease" must be a number/);
  invalid(`${h}\n\n${a}\n{"type":"bogus"}\n`, 4, /unknown record type "bogus"/);
  invalid(`${h}\n${h}\n`, 2, /second header/);
  invalid(`${h}\n[1,2]\n`, 2, /expected a JSON object/);
  invalid(`${h}\n{"type":"summary","wall_s":1,"ok":true}\n${a}\n`, 3, /after the summary/);
  invalid(`${h.replace('"version":1', '"version":7')}\n`, 1, /version 7 is newer/);
  invalid('', 1, /empty trace file/);
});

test('parseTrace: a cut-off last line (crashed writer) is a warning, not an error', () => {
  const text = toJsonl({ ...syntheticTrace({ executors: 2, attempts: 4 }), summary: undefined });
  const cut = text.slice(0, text.length - 40); // the last attempt loses its end and the newline
  const t = parseTrace(cut, 'run.jsonl');
  assert.equal(t.attempts.length, 3);
  assert.equal(t.summary, undefined);
  assert.equal(t.warnings.length, 1);
  assert.match(t.warnings[0]!, /^run\.jsonl:5: last line is cut off/);
});

test('parseTrace: a summary without ok/gflops (older drivers) is accepted', () => {
  const text = `{"type":"header","job":"j","startedAt":1}\n{"type":"summary","wall_s":2,"tasks":5,"program":"x"}\n`;
  const t = parseTrace(text);
  assert.equal(t.summary?.ok, true);
  assert.equal(t.summary?.wall_s, 2);
  assert.equal(t.header.algorithm, 'program');
  const failed = parseTrace(`{"type":"header","job":"j","startedAt":1}\n{"type":"summary","wall_s":2,"error":"boom"}\n`);
  assert.equal(failed.summary?.ok, false);
});

test('readTrace reads what is on disk (file written by hand)', async () => {
  await withDir(async (dir) => {
    const path = join(dir, 't.jsonl');
    await writeFile(path, toJsonl(syntheticTrace({ executors: 2, attempts: 10, samples: true })));
    const t = await readTrace(path);
    assert.equal(t.attempts.length, 10);
    assert.ok(t.samples.length > 0);
    assert.equal(t.summary?.ok, true);
  });
});

test('parseTrace: job id, n and block missing from the header are taken from attempts and summary', () => {
  const a = JSON.stringify(syntheticTrace({ executors: 1, attempts: 1 }).attempts[0]);
  const t = parseTrace(`{"type":"header","job":"","startedAt":1}\n${a}\n{"type":"summary","wall_s":1,"n":2048,"block":256,"ok":true}\n`);
  assert.equal(t.header.job, 'job-1');
  assert.equal(t.header.n, 2048);
  assert.equal(t.header.block, 256);
});
