/**
 * The stores as an executor sees them when a fault plan is active: the same stores, with the
 * plan's transient errors injected into the calls (as a flaky network or a throttling service
 * would), so the executor's retry and redelivery paths are exercised on the real stores. While
 * `stalled()` holds, the executor's lease renewals do not reach the queue, as with a frozen
 * process: its leases expire and another executor takes its tasks over.
 *
 * This is the local backend's store edge: like the AWS stores, it retries its retryable errors
 * here, once, with the one retry loop of core/retry.ts; the executor above does not retry again.
 */
import type { BlockStore, StateStore, TaskQueue } from '../../core/interfaces.ts';
import { retrying, type RetryPolicy } from '../../core/retry.ts';
import type { Faults } from '../../executor/faults.ts';

/** Retries of an injected fault: quick, since nothing is really overloaded. */
export const LOCAL_FAULT_RETRY: RetryPolicy = { attempts: 6, baseMs: 5, maxMs: 1000 };

/** `s` with `faults` injected into the calls of one executor (see the module comment). */
export function faultyStores(
  s: { blocks: BlockStore; queue: TaskQueue; state: StateStore },
  faults: Faults,
  stalled: () => boolean = () => false,
  retry: RetryPolicy = LOCAL_FAULT_RETRY,
): { blocks: BlockStore; queue: TaskQueue; state: StateStore } {
  const b = s.blocks, q = s.queue, st = s.state;
  const blocks: BlockStore = {
    ...(b.alloc ? { alloc: b.alloc } : {}),
    get: (key) => b.get(key),
    put: (key, block) =>
      retrying(retry, async () => {
        faults.blockWrite(key);
        return b.put(key, block);
      }),
    delete: (keys) => b.delete(keys),
    list: (prefix) => b.list(prefix),
  };
  const state: StateStore = {
    putJob: (job) => st.putJob(job),
    getJob: (id) => st.getJob(id),
    getJobState: (id) => st.getJobState(id),
    finishJob: (id, status, error) => st.finishJob(id, status, error),
    isTaskDone: (id, task) => st.isTaskDone(id, task),
    completeTask: (id, task, terminal, stats) =>
      retrying(retry, async () => {
        faults.stateWrite('completeTask');
        return st.completeTask(id, task, terminal, stats);
      }),
    markEdge: (id, node, member) =>
      retrying(retry, async () => {
        faults.stateWrite('markEdge');
        return st.markEdge(id, node, member);
      }),
    incr: (id, counter, by) => st.incr(id, counter, by),
    deleteJob: (id) => st.deleteJob(id),
  };
  const queue: TaskQueue = {
    send: (messages) => q.send(messages),
    lease: (max, visibilityMs, waitMs) => q.lease(max, visibilityMs, waitMs),
    renew: async (lease, visibilityMs) => {
      if (!stalled()) return q.renew(lease, visibilityMs);
      faults.count('lostRenewal');
      return true; // the executor believes it renewed: a frozen process learns nothing either
    },
    ack: (leases) => q.ack(leases),
    release: (leases, delayMs) => q.release(leases, delayMs),
    deadLetter: (lease, reason) => q.deadLetter(lease, reason),
    depth: () => q.depth(),
    ...(q.purgeJob ? { purgeJob: (jobId: string) => q.purgeJob!(jobId) } : {}),
    ...(q.leases ? { leases: q.leases } : {}),
  };
  return { blocks, queue, state };
}
