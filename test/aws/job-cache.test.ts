/**
 * The jobs a Lambda container has read: executors that run one after another in one container
 * (warm invocations) share them, so only the first reads the job's record from DynamoDB and
 * binds its program; an executor with its own cache (a cold container) reads it again. The
 * cache is bounded, least recently used first out.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Emulators } from '../../runtime/backends/aws/dev/emulators.ts';
import { createAwsBackend, type AwsBackend } from '../../runtime/backends/aws/index.ts';
import { JobCache, runExecutor, type ExecutorJobCache } from '../../runtime/executor/executor.ts';
import { runJob } from '../../runtime/scheduling/driver.ts';
import { lapwing } from '../../runtime/library/session.ts';
import { emulators, freshStack, releaseEmulators, type Stack } from './emulated.ts';

describe('JobCache', () => {
  it('keeps the most recently used jobs, up to its bound', () => {
    const c = new JobCache<string>(2);
    c.set('j-1', 'a');
    c.set('j-2', 'b');
    assert.equal(c.get('j-1'), 'a');
    c.set('j-3', 'c');
    assert.equal(c.get('j-2'), undefined, 'the least recently used went');
    assert.deepEqual([c.get('j-1'), c.get('j-3'), c.size], ['a', 'c', 2]);
    c.delete('j-1');
    assert.equal(c.get('j-1'), undefined);
  });
});

describe('executors sharing a container', () => {
  let emu: Emulators;
  let stack: Stack;
  let driver: AwsBackend;
  let executors: AwsBackend;
  before(async () => {
    emu = await emulators();
    // Blocks in S3 only: the executors' BatchGetItem requests are then job reads alone.
    stack = await freshStack(emu, { inlineThresholdBytes: 0 });
    driver = await createAwsBackend(stack.config, { executors: 'process', create: false });
    // The executors' own clients, so that their requests are counted apart from the driver's.
    executors = await createAwsBackend(stack.config, { executors: 'process', create: false });
  });
  after(async () => {
    await driver?.close();
    await executors?.close();
    await stack?.destroy();
    await releaseEmulators();
  });

  it('read the job once; an executor with a cache of its own reads it again', async () => {
    const lw = await lapwing({ backend: driver, kernels: 'js', block: 16 });
    const a = await lw.randomSpd(4 * 16, { block: 16, seed: 5 }); // 4×4 blocks: 20 tasks
    // No executors of the driver's own: the ones below do the work.
    const job = runJob(driver, { program: lw.program('cholesky'), args: { N: 4 }, inputs: { A: a.prefix }, kernels: 'js' }, { workers: 0 });
    const jobReads = (): number => executors.clients.commands().BatchGetItemCommand ?? 0;
    /** Runs one executor; with `oneTask`, it stops after its first task. */
    const run = async (id: string, cache: ExecutorJobCache, oneTask: boolean): Promise<{ tasks: number; reads: number }> => {
      const stop = new AbortController();
      const before = jobReads();
      const s = await runExecutor(executors, {
        executorId: id, idleTimeoutMs: oneTask ? 60_000 : 1500, pollMs: 200, visibilityMs: 20_000, kernels: 'js', jobCache: cache,
        signal: stop.signal, onTrace: (t) => void (oneTask && t.outcome === 'ok' && stop.abort()),
      });
      return { tasks: s.tasks, reads: jobReads() - before };
    };
    const container: ExecutorJobCache = new JobCache();
    const first = await run('warm-1', container, true);
    const cold = await run('cold-1', new JobCache(), true);
    const warm = await run('warm-2', container, false);
    const res = await job;
    assert.equal(res.status, 'done', res.error);
    assert.equal(first.tasks + cold.tasks + warm.tasks, 20);
    assert.deepEqual([first.tasks, cold.tasks], [1, 1]);
    assert.ok(warm.tasks > 0);
    assert.equal(first.reads, 1, 'the first executor of the container read the job');
    assert.equal(cold.reads, 1, 'an executor of another container reads it too');
    assert.equal(warm.reads, 0, 'the next executor of the container found it read');
    assert.ok((await lw.residual.cholesky(a, lw.output(res, 'L', a.rows, a.cols, a.blockRows, a.blockCols))) < 1e-12);
  });
});
