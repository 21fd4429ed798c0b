/**
 * Speculative backups for stragglers (as Cubed does for map tasks): when a task has been running
 * for at least `factor` × the median run time of its kernel, a second copy is enqueued; the
 * first to finish wins and the other is dropped as a duplicate (the protocol is idempotent).
 * The policy ({@link stragglers}) is a pure function of samples and the in-flight list;
 * {@link speculate} feeds it through injected I/O. It needs a queue that can see its leases
 * (`TaskQueue.leases`): the in-process queue sees its own; on AWS, where SQS cannot list what
 * is in flight, the executors' heartbeats give that view (aws/executors/heartbeats.ts).
 */
import type { LeaseWatch } from '../core/interfaces.ts';
import { median } from '../core/util.ts';

export interface SpeculationPolicy {
  /** Back up a task running ≥ factor × its kernel's median (e.g. 3). */
  readonly factor: number;
  /** Completed runs of a kernel needed before its median is trusted. */
  readonly minSamples: number;
  /** Never back up a task that has run less than this (ms). */
  readonly minMs: number;
}

export const DEFAULT_SPECULATION: SpeculationPolicy = { factor: 3, minSamples: 5, minMs: 50 };

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

/** What a running speculation reads and does, injected (the simulator brings its own clock). */
export interface SpeculationIo {
  /** The queue's view of its leases. */
  readonly leases: LeaseWatch;
  /** The task of a message body when it belongs to the job being watched, else null. */
  taskOf(body: string): string | null;
  /** The kernel a task runs (tasks are compared with others of the same kernel). */
  kernelOf(task: string): string;
  /** Enqueues a backup copy of each task (flagged so that the later finisher is dropped). */
  backup(tasks: readonly string[]): Promise<void>;
  /** Calls `tick` every `ms` until the returned stop function is called. */
  every(ms: number, tick: () => void): () => void;
}

/** A running speculation. */
export interface Speculation {
  stop(): void;
  /** Tasks backed up so far. */
  count(): number;
}

/** How often the in-flight list is looked at. */
const SPECULATION_TICK_MS = 50;
/** Run times kept per kernel (the most recent ones). */
const SAMPLES_PER_KERNEL = 64;

/**
 * Watches one job's in-flight tasks and backs up stragglers: samples each kernel's run times
 * from the acks, asks {@link stragglers} every tick, and enqueues what it picks.
 */
export function speculate(io: SpeculationIo, policy: SpeculationPolicy): Speculation {
  const samples = new Map<string, number[]>();
  const backedUp = new Set<string>();
  const unsubscribe = io.leases.onAck((body, ms) => {
    const task = io.taskOf(body);
    if (task === null) return;
    const k = io.kernelOf(task);
    const list = samples.get(k) ?? [];
    list.push(ms);
    if (list.length > SAMPLES_PER_KERNEL) list.shift();
    samples.set(k, list);
  });
  const stopTimer = io.every(SPECULATION_TICK_MS, () => {
    const mine = io.leases.inFlight().flatMap((f) => {
      const task = io.taskOf(f.body);
      return task === null ? [] : [{ task, kernel: io.kernelOf(task), runningMs: f.leasedMs }];
    });
    const picks = stragglers(policy, mine, samples, backedUp);
    if (picks.length === 0) return;
    for (const t of picks) backedUp.add(t);
    void io.backup(picks).catch(() => undefined);
  });
  return {
    stop: () => {
      stopTimer();
      unsubscribe();
    },
    count: () => backedUp.size,
  };
}
