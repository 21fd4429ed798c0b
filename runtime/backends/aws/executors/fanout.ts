/**
 * Hierarchical fan-out of executor launches (executors launch executors, as in FSD-Inference):
 * launching n Lambda executors one invocation at a time from the driver takes n sequential-ish
 * calls; instead the driver invokes at most `branching` roots, and every executor, before it
 * starts leasing, invokes at most `branching` more, so n executors are running after
 * O(log_b n) rounds of invocations.
 *
 * The plan is a forest over executor indices 0..n-1. A node owns a contiguous range
 * [first, first + count): it IS executor `first` and launches the rest of its range, split as
 * evenly as possible into at most `branching` child ranges. The driver splits 0..n-1 the same way
 * into the roots. The payload of an invocation carries the range (see lambda-launcher.ts
 * `ExecutorEvent.fanout`), so an executor needs nothing else to do its share: the handler calls
 * {@link fanoutChildren} — the same function the planner uses — on its own range.
 *
 * Depth: level k of the forest holds at most b^k nodes, so the plan needs the least d with
 * b + b² + … + b^d ≥ n levels ({@link fanoutDepth}); even splitting reaches it, and it is at most
 * ceil(log_b n) (equal when n is a power of b).
 *
 * @example
 * planFanout(10, 3) // roots [0..3], [4..6], [7..9]; node 0 launches 1, 2, 3; node 4 launches 5, 6 …
 */

/** A node's range of executor indices: itself (`first`) and the `count - 1` it launches. */
export interface FanoutRange {
  readonly first: number;
  readonly count: number;
}

/** A node of the plan: its range, its level (1 = invoked by the driver) and its children. */
export interface FanoutNode extends FanoutRange {
  readonly depth: number;
  readonly children: readonly FanoutNode[];
}

function checkBranching(branching: number): void {
  if (!Number.isInteger(branching) || branching < 2) throw new RangeError(`fan-out branching must be an integer ≥ 2, got ${branching}`);
}

/** Splits [first, first + count) into at most `parts` contiguous, non-empty ranges whose sizes differ by at most one. */
export function splitRange(first: number, count: number, parts: number): FanoutRange[] {
  if (!Number.isInteger(count) || count < 0) throw new RangeError(`count must be a non-negative integer, got ${count}`);
  const k = Math.min(parts, count);
  const out: FanoutRange[] = [];
  let at = first;
  for (let i = 0; i < k; i++) {
    // The first (count mod k) ranges take one more.
    const size = Math.floor(count / k) + (i < count % k ? 1 : 0);
    out.push({ first: at, count: size });
    at += size;
  }
  return out;
}

/** The ranges the executor owning `r` invokes (its range less itself, split). */
export function fanoutChildren(r: FanoutRange, branching: number): FanoutRange[] {
  checkBranching(branching);
  return splitRange(r.first + 1, r.count - 1, branching);
}

/** The ranges the driver invokes to start executors 0..n-1. */
export function fanoutRoots(n: number, branching: number): FanoutRange[] {
  checkBranching(branching);
  return splitRange(0, n, branching);
}

/** The whole plan for n executors (pure; for tests, tools and the docs — launchers only need roots and children). */
export function planFanout(n: number, branching: number): FanoutNode[] {
  const expand = (r: FanoutRange, depth: number): FanoutNode => ({
    ...r,
    depth,
    children: fanoutChildren(r, branching).map((c) => expand(c, depth + 1)),
  });
  return fanoutRoots(n, branching).map((r) => expand(r, 1));
}

/** Rounds of invocations the plan takes: the least d with b + b² + … + b^d ≥ n (0 for n = 0). */
export function fanoutDepth(n: number, branching: number): number {
  checkBranching(branching);
  let d = 0;
  for (let reach = 0, level = 1; reach < n; d++) {
    level *= branching;
    reach += level;
  }
  return d;
}
