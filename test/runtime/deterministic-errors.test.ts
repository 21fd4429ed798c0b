/**
 * Deterministic errors are not retried: an evaluation error in a task's accesses and an input
 * block that does not exist (and is not explained by the task being a late duplicate) fail
 * the job on their first attempt, naming the task, its kernel and the cause. Throttling, on
 * the other hand, never fails a job: a task throttled past its store's retries on every one
 * of more deliveries than `maxAttempts` still completes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compile, programSource } from '../../lang/index.ts';
import { createLocalBackend, type LocalBackendOptions } from '../../runtime/backends/local/index.ts';
import { runJob, type JobSpec } from '../../runtime/scheduling/driver.ts';
import type { Block, TaskAttemptTrace } from '../../runtime/core/interfaces.ts';

const block = (n: number, diag: number): Block => {
  const data = new Float64Array(n * n);
  for (let i = 0; i < n; i++) data[i * n + i] = diag;
  return { rows: n, cols: n, data };
};

async function run(spec: JobSpec, blocks: Record<string, Block>, options: LocalBackendOptions = {}) {
  const traces: TaskAttemptTrace[] = [];
  const backend = createLocalBackend({ workers: 1, kernels: 'js', onTrace: (t) => { if (t.type === 'attempt') traces.push(t); }, ...options });
  try {
    for (const [k, b] of Object.entries(blocks)) await backend.blocks.put(k, b);
    const res = await runJob(backend, spec);
    return { res, traces, backend };
  } finally {
    await backend.close();
  }
}

test('an input block that does not exist fails the job at once, naming the task, its kernel and the block', async () => {
  // N = 3 block rows, but A has only 2×2 blocks: trsm of row 2 reads A[2, 0], which is not there.
  const blocks = { 'in/A/0_0': block(4, 4), 'in/A/1_0': block(4, 0), 'in/A/1_1': block(4, 4) };
  const { res, traces } = await run({ program: compile(programSource('cholesky')), args: { N: 3 }, inputs: { A: 'in/A' }, kernels: 'js' }, blocks);
  assert.equal(res.status, 'failed');
  assert.match(res.error ?? '', /^task trsm L\[2, ?0\]/, res.error);
  assert.match(res.error ?? '', /input block A\[2, ?0\] \(in\/A\/2_0\) of job \S+ does not exist/);
  const failing = traces.filter((t) => t.outcome === 'error');
  assert.deepEqual(failing.map((t) => [t.kernel, t.attempt]), [['trsm', 1]], 'failed on its first attempt');
  assert.deepEqual(traces.filter((t) => t.outcome === 'retry'), [], 'never retried');
});

test('an evaluation error in a task fails the job at once, naming that task and its kernel', async () => {
  // 2 ** (i - 1) is a negative exponent for i = 0 only: the task of i = 0 fails, no other.
  const program = compile(`def f(in A: matrix, out B: matrix, N: int) {
  for i in 0..N {
    B[i, 0] = copy(A[2 ** (i - 1), 0])
  }
}`);
  const blocks = { 'in/A/0_0': block(1, 1), 'in/A/1_0': block(1, 2), 'in/A/2_0': block(1, 3) };
  const { res, traces } = await run({ program, args: { N: 3 }, inputs: { A: 'in/A' }, kernels: 'js' }, blocks);
  assert.equal(res.status, 'failed');
  assert.match(res.error ?? '', /^task copy \[0:0\] failed: negative exponent in 2\*\*-1/, res.error);
  const failing = traces.filter((t) => t.outcome === 'error');
  assert.deepEqual(failing.map((t) => [t.task, t.kernel, t.attempt]), [['0:0', 'copy', 1]]);
  assert.deepEqual(traces.filter((t) => t.outcome === 'retry'), []);
});

test('throttling slows a job but never fails it, even past maxAttempts deliveries', async () => {
  // Every state write is throttled with probability 0.75: many calls give up after the store's
  // retries and their tasks are released again and again (more often than maxAttempts).
  const A = 'in/A';
  const blocks: Record<string, Block> = {};
  for (let i = 0; i < 3; i++) for (let j = 0; j <= i; j++) blocks[`${A}/${i}_${j}`] = i === j ? block(4, 4) : block(4, 0);
  const { res, traces, backend } = await run(
    { program: compile(programSource('cholesky')), args: { N: 3 }, inputs: { A }, kernels: 'js' },
    blocks,
    { maxAttempts: 1, faults: { stateThrottle: 0.75, seed: 7 } },
  );
  assert.equal(res.status, 'done', res.error);
  const retried = traces.filter((t) => t.outcome === 'retry');
  assert.ok(retried.length > 0, 'some attempts gave up on throttling and were released');
  assert.ok(retried.every((t) => /injected throttling/.test(t.error ?? '')), 'released for throttling only');
  // A throttled attempt is replaced by a fresh copy of its message (it does not add to the
  // delivery count), so "past maxAttempts" shows as more throttled attempts of one task than
  // maxAttempts, and still its completion.
  const retriesOf = new Map<string, number>();
  for (const t of retried) retriesOf.set(t.task, (retriesOf.get(t.task) ?? 0) + 1);
  assert.ok(
    traces.some((t) => t.outcome === 'ok' && (retriesOf.get(t.task) ?? 0) > 1),
    `a task completed after more than maxAttempts throttled attempts (${JSON.stringify([...retriesOf])})`,
  );
  assert.equal(backend.queue.deadLetters.length, 0);
});
