/**
 * How often the driver samples the queue (and reports progress): often enough that a short run
 * still has a chart, rarely enough that a long one costs few queue calls. About 50 samples over
 * the run so far, between a tenth of the backend's reporting interval and that interval.
 *
 * @example sampleIntervalMs(1700, 1000) // 100: a 1.7 s run on AWS gets ~17 samples, not 2
 */
export function sampleIntervalMs(elapsedMs: number, everyMs: number): number {
  return Math.min(everyMs, Math.max(everyMs / 10, elapsedMs / 50));
}
