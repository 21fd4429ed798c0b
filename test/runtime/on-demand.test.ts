/**
 * The local backend's event-driven pieces: the driver sleeps on the state store's `jobChanged`
 * (woken by the job's end, not by a timer), and executors started as work arrives report a
 * launch that fails by failing the job — a job never waits for an executor that cannot start.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLocalBackend, MemoryStateStore } from '../../runtime/backends/local/index.ts';
import { runJob } from '../../runtime/scheduling/driver.ts';
import { compile, programSource } from '../../lang/index.ts';
import type { JobRecord } from '../../runtime/core/interfaces.ts';
import { blockKey } from '../../runtime/core/keys.ts';

// Longer than any test here may take: a wait that ends early was woken by the event.
const NEVER_MS = 10 * 60_000;

const record = (id: string, terminalTasks: number): JobRecord => ({
  id, program: compile('def p(in A: matrix, out B: matrix) {\n  B[0, 0] = copy(A[0, 0])\n}'), args: {}, matrices: {}, terminalTasks, createdAt: 0, kernels: 'js',
});

test('jobChanged wakes on the last terminal task, on a status change, on delete, and at once for an ended job', async () => {
  const s = new MemoryStateStore();
  await s.putJob(record('a', 2));
  let woken = false;
  const wait = s.jobChanged('a', NEVER_MS).then(() => (woken = true));
  await s.completeTask('a', 't1', true);
  await s.completeTask('a', 't2', false);
  await new Promise((r) => setImmediate(r));
  assert.equal(woken, false, 'one of two terminal tasks and a non-terminal one do not end the job');
  await s.completeTask('a', 't3', true);
  await wait;
  await s.jobChanged('a', NEVER_MS); // every terminal task done: no wait

  await s.putJob(record('b', 5));
  const failed = s.jobChanged('b', NEVER_MS);
  await s.finishJob('b', 'failed', 'boom');
  await failed;
  await s.jobChanged('b', NEVER_MS); // not running: no wait

  await s.putJob(record('c', 5));
  const deleted = s.jobChanged('c', NEVER_MS);
  await s.deleteJob('c');
  await deleted;
});

test('an executor that cannot start fails the job with the reason instead of leaving it waiting', async () => {
  // An unknown kernel backend: the kernel thread fails while loading.
  const backend = createLocalBackend({ workers: 2, kernels: 'no-such-kernels' });
  try {
    const A = 'in/A';
    await backend.blocks.put(blockKey(A, [0, 0]), { rows: 1, cols: 1, data: new Float64Array([4]) });
    const res = await runJob(backend, { program: compile(programSource('cholesky')), args: { N: 1 }, inputs: { A } }, { pollMs: 5 });
    assert.equal(res.status, 'failed');
    assert.match(res.error ?? '', /an executor could not start: .*kernel thread did not start/);
    assert.ok(backend.launcher.exits.length === 0 && backend.launcher.running() === 0);
  } finally {
    await backend.close();
  }
});
