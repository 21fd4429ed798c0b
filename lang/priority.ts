/**
 * Task priority: a pure function of the block a task writes first. Higher runs first.
 *
 * Rule: order by (min of the block's indices, then sum of its indices), smaller first:
 *
 *     priority = −(min(idx) + frac(sum(idx)))        frac maps any sum monotonically into (0, 1)
 *
 * Why: in SSA-style blocked algorithms the smallest index of a written block is (a lower bound
 * of) the step that produces it — Cholesky's chol(i) writes L[i,i], trsm(j,i) writes L[j,i] with
 * j > i, and the step-i trailing update writes S[i+1,j,k] with j ≥ k ≥ i+1. So:
 *
 * - every chol/trsm of step i (min i) runs before any trailing update of step i (min i+1), and
 *   every update of step i before any update of step i+1 (min i+2);
 * - among equal minima the block nearer the top-left corner wins (smaller sum). That makes the
 *   step-(i+1) chol and the trsm of its first rows — the critical path — run ahead of the
 *   step-i updates of far-away blocks once they are ready (a look-ahead of one step), while the
 *   step-i updates of blocks (i+1, i+1) and (j, i+1) that feed them come first among step-i updates.
 *
 * For TSQR (Rt[level+1, j]) it favours the j = 0 chain (which ends at the root) and lower
 * levels; for triangular solves (X[k, r], S[k+1, i, r]) lower k. The value lies in
 * (−(m + 1), −m) for m = min(idx), so a bucketing backend can bucket by ⌊−priority⌋ (the
 * step). Sums differ by at least ~1/(2·sum²), ample for block counts in the thousands.
 * A task that writes no block gets 0.
 */

/** Priority of a task whose first written block has index `idx` (higher runs first). */
export function blockPriority(idx: readonly number[]): number {
  if (idx.length === 0) return 0;
  let min = Infinity;
  let sum = 0;
  for (const x of idx) {
    if (x < min) min = x;
    sum += x;
  }
  return -(min + (sum / (Math.abs(sum) + 1) + 1) / 2);
}
