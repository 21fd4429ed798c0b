/**
 * Small helpers every layer of the runtime (and the benchmarks and tests) would otherwise write
 * again: waiting, the median of samples, the message of anything thrown.
 */

/** Resolves after `ms` milliseconds (a simulated clock injects its own sleep instead). */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Median of `xs` (the mean of the two middle values for an even count; 0 for an empty list).
 * Sorts a copy.
 * @example median([3, 1, 2, 10]) // → 2.5
 */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/**
 * Latencies summarised: count, median (the lower middle value) and 90th percentile (by rank),
 * rounded to 0.01 ms.
 * @example latencySummary([4, 1, 3, 2]) // → { n: 4, median_ms: 2, p90_ms: 4 }
 */
export function latencySummary(xs: readonly number[]): { n: number; median_ms: number; p90_ms: number } {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number): number => s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))] ?? 0;
  const r = (x: number): number => Math.round(x * 100) / 100;
  return { n: s.length, median_ms: r(q(0.5)), p90_ms: r(q(0.9)) };
}

/** The message of a thrown value: an Error's message, anything else as a string. */
export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * One request per key in flight: a caller asking for a key that is already being fetched gets
 * the same promise (and so the same object); the entry is dropped once the fetch settles.
 */
export function singleFlight<T>(inFlight: Map<string, Promise<T>>, key: string, fetch: () => Promise<T>): Promise<T> {
  let p = inFlight.get(key);
  if (!p) {
    p = fetch().finally(() => inFlight.delete(key));
    inFlight.set(key, p);
  }
  return p;
}
