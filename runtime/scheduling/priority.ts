/**
 * Queue priorities (higher runs first), a pure policy on top of the program's own task
 * priority (lang's `priority(t)`, which favours the critical path among ready tasks):
 *
 * - starter tasks are all enqueued at STARTER_PRIORITY, so they run in the program's
 *   enumeration order (FIFO): for a GEMM, every k of C[0,0] before any of C[0,1];
 * - a task that becomes ready when its last parent finishes jumps ahead of every starter.
 *
 * Together this is "finish what was started": partial results are consumed as soon as they can
 * be, which bounds memory (GEMM 8192/512 with a reduction tree kept ~8 GB of partial sums
 * alive when leaves were ordered by the critical-path rule alone, since every leaf is a starter).
 */
export const STARTER_PRIORITY = 0;

/** Added to the program's priority (which lies in (−steps − 1, 0]) for tasks made ready by a parent. */
export const READY_BASE = 1_000_000;

/** Queue priority of a task that just became ready. */
export function readyPriority(programPriority: number): number {
  return READY_BASE + programPriority;
}
