/**
 * StateStore contract (runtime/core/interfaces.ts), written once and run per backend: job records,
 * first-wins finishJob, completeTask as a compare-and-set that counts atomically, set-based
 * markEdge with exact counts under concurrency, counters, deleteJob (and a deleted job staying
 * deleted), getJobStatus where a backend offers it.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { JobRecord, StateStore } from '../../runtime/core/interfaces.ts';

export interface StateStoreFixture {
  readonly store: StateStore;
  cleanup(): Promise<void>;
}

async function using(make: () => Promise<StateStoreFixture>, body: (s: StateStore) => Promise<void>): Promise<void> {
  const f = await make();
  try {
    await body(f.store);
  } finally {
    await f.cleanup();
  }
}

function job(id: string, extra: Partial<JobRecord> = {}): JobRecord {
  return {
    id,
    program: { name: 'cholesky', body: [{ op: 'for', var: 'k', range: [0, 'N'] }], nested: { a: [1, 2.5, null, 'x'] } },
    args: { N: 4 },
    matrices: { A: { role: 'in', prefix: 'in/A' }, L: { role: 'out', prefix: `jobs/${id}/L` }, S: { role: 'temp', prefix: `jobs/${id}/tmp/S` } },
    terminalTasks: 3,
    createdAt: 1_700_000_000_000,
    kernels: 'auto',
    ...extra,
  };
}

/** Registers the StateStore contract tests for one backend. */
export function stateStoreContract(name: string, make: () => Promise<StateStoreFixture>): void {
  describe(`StateStore contract: ${name}`, () => {
    it('stores a job record and starts it running', () =>
      using(make, async (s) => {
        assert.equal(await s.getJob('j-1'), null);
        assert.equal(await s.getJobState('j-1'), null);
        await s.putJob(job('j-1'));
        const got = await s.getJob('j-1');
        assert.ok(got);
        const { status, error, ...rest } = got;
        assert.deepEqual(rest, job('j-1'));
        assert.equal(status, 'running');
        assert.equal(error, undefined);
        const st = await s.getJobState('j-1');
        assert.equal(st?.status, 'running');
        assert.equal(st?.terminalDone, 0);
        assert.equal(st?.error, undefined);
        assert.equal(st?.counters.tasks ?? 0, 0);
      }));

    it('putJob is idempotent: the first record stays', () =>
      using(make, async (s) => {
        await s.putJob(job('j-1'));
        await s.completeTask('j-1', 't0', true);
        await s.putJob(job('j-1', { terminalTasks: 99 }));
        assert.equal((await s.getJob('j-1'))?.terminalTasks, 3);
        assert.equal((await s.getJobState('j-1'))?.terminalDone, 1);
      }));

    it('completeTask succeeds once and counts tasks, terminal tasks and flops in the same step', () =>
      using(make, async (s) => {
        await s.putJob(job('j-1'));
        assert.equal(await s.isTaskDone('j-1', 'chol(0)'), false);
        assert.equal(await s.completeTask('j-1', 'chol(0)', false, { flops: 100 }), true);
        assert.equal(await s.isTaskDone('j-1', 'chol(0)'), true);
        assert.equal(await s.completeTask('j-1', 'chol(0)', false, { flops: 100 }), false);
        assert.equal(await s.completeTask('j-1', 'trsm(1,0)', true, { flops: 50 }), true);
        assert.equal(await s.completeTask('j-1', 'trsm(1,0)', true, { flops: 50 }), false);
        assert.equal(await s.completeTask('j-1', 'gemm(2,1,0)', true), true);
        const st = await s.getJobState('j-1');
        assert.equal(st?.terminalDone, 2);
        assert.equal(st?.counters.tasks, 3);
        assert.equal(st?.counters.flops, 150);
        assert.equal(await s.isTaskDone('j-1', 'chol(1)'), false);
      }));

    it('concurrent completeTask of one task: exactly one wins', () =>
      using(make, async (s) => {
        await s.putJob(job('j-1'));
        const results = await Promise.all(Array.from({ length: 12 }, () => s.completeTask('j-1', 'chol(3)', true, { flops: 7 })));
        assert.equal(results.filter(Boolean).length, 1);
        const st = await s.getJobState('j-1');
        assert.equal(st?.terminalDone, 1);
        assert.equal(st?.counters.tasks, 1);
        assert.equal(st?.counters.flops, 7);
      }));

    it('concurrent completeTask of many tasks counts each once', () =>
      using(make, async (s) => {
        await s.putJob(job('j-1'));
        const tasks = Array.from({ length: 30 }, (_, i) => `t(${i})`);
        const results = await Promise.all([...tasks, ...tasks].map((t, i) => s.completeTask('j-1', t, i % 3 === 0, { flops: 1 })));
        assert.equal(results.filter(Boolean).length, 30);
        const st = await s.getJobState('j-1');
        assert.equal(st?.counters.tasks, 30);
        assert.equal(st?.counters.flops, 30);
        for (const t of tasks) assert.equal(await s.isTaskDone('j-1', t), true);
      }));

    it('markEdge is set-based: re-adding a member returns the same size', () =>
      using(make, async (s) => {
        await s.putJob(job('j-1'));
        assert.equal(await s.markEdge('j-1', 'c:gemm(2,1,0)', 'trsm(1,0)'), 1);
        assert.equal(await s.markEdge('j-1', 'c:gemm(2,1,0)', 'trsm(1,0)'), 1);
        assert.equal(await s.markEdge('j-1', 'c:gemm(2,1,0)', 'trsm(2,0)'), 2);
        assert.equal(await s.markEdge('j-1', 'c:gemm(2,1,0)', 'trsm(1,0)'), 2);
        assert.equal(await s.markEdge('j-1', 'r:jobs/j-1/tmp/S/1_1_0', 'trsm(1,0)'), 1, 'sets are independent');
        assert.equal(await s.markEdge('j-1', 'c:gemm(2,1,0)', 'trsm(2,0)'), 2);
      }));

    it('concurrent markEdge gives exact counts: each new member sees a distinct size', () =>
      using(make, async (s) => {
        await s.putJob(job('j-1'));
        const members = Array.from({ length: 25 }, (_, i) => `p(${i})`);
        const sizes = await Promise.all(members.map((m) => s.markEdge('j-1', 'c:big', m)));
        assert.deepEqual([...sizes].sort((a, b) => a - b), members.map((_, i) => i + 1));
        // Duplicates (redelivered parents) racing with one new member.
        const again = await Promise.all([...members.slice(0, 10), 'p(new)', ...members.slice(10)].map((m) => s.markEdge('j-1', 'c:big', m)));
        for (const n of again) assert.ok(n === 25 || n === 26, `size ${n}`);
        assert.equal(await s.markEdge('j-1', 'c:big', 'p(0)'), 26);
      }));

    it('finishJob: the first call wins and its error is kept', () =>
      using(make, async (s) => {
        await s.putJob(job('j-1'));
        assert.equal(await s.finishJob('j-1', 'failed', 'task chol(2) failed: not positive definite'), true);
        assert.equal(await s.finishJob('j-1', 'done'), false);
        assert.equal(await s.finishJob('j-1', 'failed', 'second error'), false);
        const st = await s.getJobState('j-1');
        assert.equal(st?.status, 'failed');
        assert.equal(st?.error, 'task chol(2) failed: not positive definite');
        const rec = await s.getJob('j-1');
        assert.equal(rec?.status, 'failed');
        assert.equal(rec?.error, 'task chol(2) failed: not positive definite');
      }));

    it('concurrent finishJob: exactly one wins', () =>
      using(make, async (s) => {
        await s.putJob(job('j-1'));
        const calls: [Parameters<StateStore['finishJob']>[1], string | undefined][] = [
          ['failed', 'e1'], ['done', undefined], ['cancelled', undefined], ['failed', 'e2'], ['done', undefined],
        ];
        const results = await Promise.all(calls.map(([st, err]) => s.finishJob('j-1', st, err)));
        assert.equal(results.filter(Boolean).length, 1);
        const winner = calls[results.indexOf(true)]!;
        const st = await s.getJobState('j-1');
        assert.equal(st?.status, winner[0]);
        assert.equal(st?.error, winner[1]);
      }));

    it('incr accumulates named counters next to the task counters', () =>
      using(make, async (s) => {
        await s.putJob(job('j-1'));
        await s.incr('j-1', 'retries', 2);
        await s.incr('j-1', 'retries', 3);
        await Promise.all(Array.from({ length: 10 }, () => s.incr('j-1', 'bytes', 1.5)));
        await s.completeTask('j-1', 'a', false, { flops: 4 });
        const c = (await s.getJobState('j-1'))?.counters;
        assert.equal(c?.retries, 5);
        assert.equal(c?.bytes, 15);
        assert.equal(c?.tasks, 1);
        assert.equal(c?.flops, 4);
      }));

    it('jobs are independent', () =>
      using(make, async (s) => {
        await s.putJob(job('j-1'));
        await s.putJob(job('j-2'));
        await s.completeTask('j-1', 'chol(0)', true);
        await s.markEdge('j-1', 'c:x', 'a');
        await s.finishJob('j-1', 'done');
        assert.equal(await s.isTaskDone('j-2', 'chol(0)'), false);
        assert.equal(await s.completeTask('j-2', 'chol(0)', true), true);
        assert.equal(await s.markEdge('j-2', 'c:x', 'b'), 1);
        assert.equal((await s.getJobState('j-2'))?.status, 'running');
        assert.equal((await s.getJobState('j-2'))?.terminalDone, 1);
      }));

    it('deleteJob removes every item of the job and nothing else', () =>
      using(make, async (s) => {
        await s.putJob(job('j-1'));
        await s.putJob(job('j-2'));
        for (let i = 0; i < 40; i++) {
          await s.completeTask('j-1', `t(${i})`, i % 2 === 0, { flops: 1 });
          await s.markEdge('j-1', `c:t(${i + 1})`, `t(${i})`);
        }
        await s.incr('j-1', 'x', 1);
        await s.finishJob('j-1', 'done');
        await s.completeTask('j-2', 't(0)', true);
        await s.deleteJob('j-1');
        assert.equal(await s.getJob('j-1'), null);
        assert.equal(await s.getJobState('j-1'), null);
        assert.equal(await s.isTaskDone('j-1', 't(0)'), false);
        assert.equal(await s.isTaskDone('j-2', 't(0)'), true);
        assert.ok(await s.getJob('j-2'));
        await s.deleteJob('j-1'); // again: nothing to do
        await s.deleteJob('j-unknown');
      }));

    it('a deleted job stays deleted: late completions, finishes and counters change nothing', () =>
      using(make, async (s) => {
        await s.putJob(job('j-1'));
        await s.completeTask('j-1', 't(0)', true);
        await s.deleteJob('j-1');
        assert.equal(await s.completeTask('j-1', 't(1)', true), false);
        assert.equal(await s.completeTask('j-1', 't(0)', true), false);
        assert.equal(await s.finishJob('j-1', 'failed', 'late'), false);
        await s.incr('j-1', 'retries', 1);
        assert.equal(await s.getJobState('j-1'), null);
        assert.equal(await s.getJob('j-1'), null);
        assert.equal((await s.getJobStatus?.('j-1')) ?? null, null);
      }));

    it('getJobStatus, where offered, agrees with getJobState', () =>
      using(make, async (s) => {
        if (!s.getJobStatus) return;
        assert.equal(await s.getJobStatus('j-1'), null);
        await s.putJob(job('j-1'));
        assert.equal((await s.getJobStatus('j-1'))?.status, 'running');
        await s.finishJob('j-1', 'failed', 'task chol(1) failed');
        // It may lag a moment behind finishJob: wait for it, as an executor would poll.
        let st = await s.getJobStatus('j-1');
        for (let i = 0; i < 50 && st?.status === 'running'; i++) {
          await new Promise((r) => setTimeout(r, 20));
          st = await s.getJobStatus('j-1');
        }
        assert.deepEqual(st, { status: 'failed', error: 'task chol(1) failed' });
      }));
  });
}
