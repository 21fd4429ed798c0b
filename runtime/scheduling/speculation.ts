/**
 * Speculative backups for stragglers (as Cubed does for map tasks): when a task has been running
 * for at least `factor` × the median run time of its kernel, a second copy is enqueued; the
 * first to finish wins and the other is dropped as a duplicate (the protocol is idempotent).
 * The policy is a pure function of samples and the in-flight list; the driver feeds it.
 */
export interface SpeculationPolicy {
  /** Back up a task running ≥ factor × its kernel's median (e.g. 3). */
  readonly factor: number;
  /** Completed runs of a kernel needed before its median is trusted. */
  readonly minSamples: number;
  /** Never back up a task that has run less than this (ms). */
  readonly minMs: number;
}

export const DEFAULT_SPECULATION: SpeculationPolicy = { factor: 3, minSamples: 5, minMs: 50 };

/** Median of a non-empty list. */
function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/**
 * Which in-flight tasks to back up now: running long against their kernel's median, and not
 * backed up before.
 */
export function stragglers(
  p: SpeculationPolicy,
  inFlight: readonly { readonly task: string; readonly kernel: string; readonly runningMs: number }[],
  samples: ReadonlyMap<string, readonly number[]>,
  backedUp: ReadonlySet<string>,
): string[] {
  const out: string[] = [];
  for (const t of inFlight) {
    if (backedUp.has(t.task) || t.runningMs < p.minMs) continue;
    const s = samples.get(t.kernel);
    if (!s || s.length < p.minSamples) continue;
    if (t.runningMs >= p.factor * median(s)) out.push(t.task);
  }
  return out;
}
