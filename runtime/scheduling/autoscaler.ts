/**
 * Queue-depth autoscaling, NumPyWren's provisioner done as a pure function: the driver's thin
 * loop samples the queue and the launcher and calls `decide`; time is an input, so the policy
 * is unit-tested on traces.
 *
 * Rule: the target is enough executors for the work that exists — ceil((visible + inFlight) /
 * pipelineWidth) — clamped to [min, max]. Below the target we launch the difference, but at
 * most once per cooldown (launches take time to show up as running executors, and launching
 * again before they do would overshoot); below `min` we launch at once. Scaling down is not
 * decided here: executors exit by themselves after an idle timeout.
 */
export interface ScalePolicy {
  /** Executors always kept (0 for serverless; the pool size for the local backend). */
  readonly min: number;
  readonly max: number;
  /** Ready-or-running tasks one executor is expected to work through. */
  readonly pipelineWidth: number;
  readonly cooldownMs: number;
}

export interface ScaleObservation {
  readonly visible: number;
  readonly inFlight: number;
  readonly running: number;
  readonly now: number;
  /** When executors were last launched (-Infinity if never). */
  readonly lastLaunchAt: number;
}

/** Executors to launch now (≥ 0). */
export function decide(p: ScalePolicy, o: ScaleObservation): number {
  const work = Math.max(0, o.visible) + Math.max(0, o.inFlight);
  const width = Math.max(1, p.pipelineWidth);
  const target = Math.min(p.max, Math.max(p.min, Math.ceil(work / width)));
  const missing = target - o.running;
  if (missing <= 0) return 0;
  if (o.running < p.min) return Math.max(missing, p.min - o.running);
  if (o.now - o.lastLaunchAt < p.cooldownMs) return 0;
  return missing;
}
