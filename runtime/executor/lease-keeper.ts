/**
 * The lease keeper: one per executor, it keeps every lease the executor holds alive with one
 * timer — each tick renews all held leases together — and reports a lease that is lost
 * (NumPyWren renewed at most three times, so long tasks ran twice; a timer per lease dropped
 * every failed renewal silently).
 *
 * A lease is lost when the queue says so (`renew` → false: it expired and may be another
 * executor's now) or when renewals kept failing until the lease's own expiry passed. The keeper
 * never throws and never decides anything: it calls `onLost` once per lost lease, and the
 * executor decides what that means for the attempt (it treats the task as a possible duplicate).
 *
 * States of one lease: held → (renewed)* → released | lost.
 */
import type { Lease, TaskQueue } from '../core/interfaces.ts';
import { errorMessage } from '../core/util.ts';

export interface LeaseKeeperOptions {
  readonly queue: Pick<TaskQueue, 'renew'>;
  /** Visibility timeout each renewal asks for. */
  readonly visibilityMs: number;
  /** Called once for each held lease found lost. */
  readonly onLost: (lease: Lease, reason: string) => void;
  /** Epoch milliseconds (injected: a simulated clock brings its own). */
  readonly now?: () => number;
  /** Calls `tick` every `ms` until the returned stop function is called (default: an unref'd setInterval). */
  readonly every?: (ms: number, tick: () => void) => () => void;
}

interface Held {
  readonly lease: Lease;
  /** When the lease expires by our clock unless renewed. */
  expiresAt: number;
  lost: boolean;
}

const intervalTimer = (ms: number, tick: () => void): (() => void) => {
  const t = setInterval(tick, ms);
  t.unref();
  return () => clearInterval(t);
};

/** Renews all leases of one executor in one timer; see the module comment. */
export class LeaseKeeper {
  private readonly held = new Map<string, Held>();
  private stopTimer: (() => void) | null = null;
  private renewing = false;
  private readonly now: () => number;

  constructor(private readonly o: LeaseKeeperOptions) {
    this.now = o.now ?? Date.now;
  }

  /** Keeps `lease` alive until {@link release}. */
  hold(lease: Lease): void {
    this.held.set(lease.handle, { lease, expiresAt: this.now() + this.o.visibilityMs, lost: false });
    if (!this.stopTimer) {
      const every = this.o.every ?? intervalTimer;
      this.stopTimer = every(Math.max(10, this.o.visibilityMs / 2), () => void this.renewAll());
    }
  }

  /** Stops renewing `lease` (acked, released, dead-lettered or given up). */
  release(lease: Lease): void {
    this.held.delete(lease.handle);
    if (this.held.size === 0 && this.stopTimer) {
      this.stopTimer();
      this.stopTimer = null;
    }
  }

  /** True once `lease` was reported lost. */
  isLost(lease: Lease): boolean {
    return this.held.get(lease.handle)?.lost ?? false;
  }

  /**
   * Renews one lease at once (after a kernel that blocked the event loop, so that the timer
   * could not fire). Resolves to false if the lease is lost.
   */
  async renewNow(lease: Lease): Promise<boolean> {
    const h = this.held.get(lease.handle);
    if (!h) return false;
    await this.renew(h);
    return !h.lost;
  }

  /** Stops the timer and forgets every lease. */
  stop(): void {
    this.stopTimer?.();
    this.stopTimer = null;
    this.held.clear();
  }

  private async renewAll(): Promise<void> {
    // A tick that comes while the previous batch is still out waits for the next one.
    if (this.renewing) return;
    this.renewing = true;
    try {
      await Promise.all([...this.held.values()].filter((h) => !h.lost).map((h) => this.renew(h)));
    } finally {
      this.renewing = false;
    }
  }

  private async renew(h: Held): Promise<void> {
    const asked = this.now();
    let reason: string;
    try {
      if (await this.o.queue.renew(h.lease, this.o.visibilityMs)) {
        h.expiresAt = asked + this.o.visibilityMs;
        return;
      }
      reason = 'the queue refused the renewal (the lease expired)';
    } catch (e) {
      // Not lost yet: the lease holds until its expiry, and the next tick tries again.
      if (this.now() < h.expiresAt) return;
      reason = `renewals failed until the lease expired: ${errorMessage(e)}`;
    }
    if (h.lost || !this.held.has(h.lease.handle)) return;
    h.lost = true;
    this.o.onLost(h.lease, reason);
  }
}
