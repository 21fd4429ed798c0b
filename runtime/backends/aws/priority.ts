/**
 * Priorities → SQS queues. SQS has no priorities, so the backend keeps three queues and polls
 * them highest first. The rule (documented in the README):
 *
 *   priority ≥ cuts[0]            → queue 0 (high)
 *   cuts[1] ≤ priority < cuts[0]  → queue 1 (normal)
 *   priority < cuts[1]            → queue 2 (low)
 *
 * With the default cuts [1, 0]: positive priorities are high, zero is normal, negative is low.
 * Within a queue, order is SQS's (roughly FIFO, not guaranteed).
 */

/** Number of priority queues. */
export const PRIORITY_QUEUES = 3;

/** Queue index (0 = polled first) of a message priority. */
export function priorityBucket(priority: number, cuts: readonly [number, number]): 0 | 1 | 2 {
  if (priority >= cuts[0]) return 0;
  if (priority >= cuts[1]) return 1;
  return 2; // also NaN: the least urgent
}
