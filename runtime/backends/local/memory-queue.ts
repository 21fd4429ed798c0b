/**
 * In-process task queue with SQS semantics: at-least-once delivery, leases as visibility
 * timeouts (an expired lease makes the message visible again with receiveCount + 1), ack
 * deletes, release makes visible after a delay, a dead-letter list. Visible messages are
 * served highest priority first, FIFO among equals (a binary heap on (priority, seq)).
 *
 * Time is injected (`now`) so tests can drive expiry; waiting leases are woken by sends and
 * by a timer at the next expiry or delayed release.
 */
import type { InFlightMessage, Lease, LeaseWatch, QueueDepth, QueueMessage, TaskQueue } from '../../core/interfaces.ts';
import { decodeMessage } from '../../core/keys.ts';
import { Heap } from '../../core/heap.ts';
import { Faults } from '../../executor/faults.ts';

interface Entry {
  readonly id: number;
  readonly body: string;
  readonly priority: number;
  seq: number;
  receiveCount: number;
  /** Receipt of the current lease; a renew/ack with an older receipt is stale. */
  receipt: string;
  /** When the current lease was taken (0: not leased). */
  leasedAt: number;
  /** While leased or delayed: when it becomes visible again. */
  visibleAt: number;
}

export class MemoryQueue implements TaskQueue {
  private nextId = 1;
  private seq = 0;
  private readonly visible = new Heap<Entry>((a, b) => a.priority > b.priority || (a.priority === b.priority && a.seq < b.seq));
  /** Leased or delayed messages, by id; expiry checked against a heap of (visibleAt). */
  private readonly hidden = new Map<number, Entry>();
  private readonly hiddenByTime = new Heap<{ at: number; id: number; receipt: string }>((a, b) => a.at < b.at);
  private readonly waiters: (() => void)[] = [];
  private timer: NodeJS.Timeout | null = null;
  readonly deadLetters: { body: string; reason: string }[] = [];
  /** Called whenever messages become visible (sent, released, or their lease ran out). */
  onWork?: () => void;

  constructor(
    private readonly now: () => number = Date.now,
    private readonly faults: Faults = new Faults(),
  ) {}

  async send(messages: readonly QueueMessage[]): Promise<void> {
    for (const m of messages) for (let c = 0, copies = this.faults.copies(); c < copies; c++) {
      this.visible.push({ id: this.nextId++, body: m.body, priority: m.priority, seq: this.seq++, receiveCount: 0, receipt: '', visibleAt: 0, leasedAt: 0 });
    }
    this.wake();
  }

  async lease(max: number, visibilityMs: number, waitMs: number): Promise<Lease[]> {
    const deadline = this.now() + waitMs;
    for (;;) {
      const got = this.leaseNow(max, visibilityMs);
      if (got.length > 0 || this.now() >= deadline) return got;
      await new Promise<void>((resolve) => {
        const t = setTimeout(done, Math.max(1, deadline - this.now()));
        // An idle executor waiting for work does not keep a finished process alive (its
        // driver, while a job runs, does).
        t.unref();
        const waiters = this.waiters;
        function done(): void {
          clearTimeout(t);
          const i = waiters.indexOf(done);
          if (i >= 0) waiters.splice(i, 1);
          resolve();
        }
        waiters.push(done);
      });
    }
  }

  /** Synchronous lease (used by the worker RPC server to avoid an extra hop). */
  leaseNow(max: number, visibilityMs: number): Lease[] {
    this.expire();
    const out: Lease[] = [];
    while (out.length < max) {
      const e = this.visible.pop();
      if (!e) break;
      e.receiveCount += 1;
      e.receipt = `${e.id}.${e.receiveCount}`;
      e.leasedAt = this.now();
      this.hide(e, this.now() + visibilityMs);
      out.push({ handle: e.receipt, body: e.body, receiveCount: e.receiveCount });
    }
    return out;
  }

  async renew(lease: Lease, visibilityMs: number): Promise<boolean> {
    const e = this.byReceipt(lease.handle);
    if (!e) return false;
    this.hide(e, this.now() + visibilityMs);
    return true;
  }

  async ack(leases: readonly Lease[]): Promise<void> {
    this.ackSync(leases.map((l) => l.handle));
  }

  ackSync(handles: readonly string[]): void {
    // Like SQS, acking with a stale receipt of a message that was re-leased still deletes it
    // only if the receipt is current; a stale ack is ignored (the newer lease owns it).
    for (const h of handles) {
      if (this.faults.loseAck()) continue;
      const e = this.byReceipt(h);
      if (!e) continue;
      this.hidden.delete(e.id);
      if (e.leasedAt > 0) for (const f of this.ackListeners) f(e.body, this.now() - e.leasedAt);
    }
  }

  private readonly ackListeners = new Set<(body: string, leaseMs: number) => void>();

  /** This queue sees its leases: speculative backups use it. */
  readonly leases: LeaseWatch = {
    inFlight: (): InFlightMessage[] => {
      const now = this.now();
      const out: InFlightMessage[] = [];
      for (const e of this.hidden.values()) if (e.leasedAt > 0 && e.visibleAt > now) out.push({ body: e.body, leasedMs: now - e.leasedAt });
      return out;
    },
    onAck: (listener) => {
      this.ackListeners.add(listener);
      return () => this.ackListeners.delete(listener);
    },
  };

  async release(leases: readonly Lease[], delayMs: number): Promise<void> {
    for (const l of leases) {
      const e = this.byReceipt(l.handle);
      if (e) e.leasedAt = 0;
      if (e) this.hide(e, this.now() + Math.max(0, delayMs));
    }
    this.expire();
    this.wake();
  }

  async deadLetter(lease: Lease, reason: string): Promise<void> {
    const e = this.byReceipt(lease.handle);
    if (!e) return;
    this.hidden.delete(e.id);
    this.deadLetters.push({ body: e.body, reason });
  }

  async depth(): Promise<QueueDepth> {
    return this.depthSync();
  }

  depthSync(): QueueDepth {
    this.expire();
    return { visible: this.visible.size, inFlight: this.hidden.size };
  }

  /** Drops every message of a job (job cleanup). */
  async purgeJob(jobId: string): Promise<number> {
    return this.purge((body) => decodeMessage(body)?.job === jobId);
  }

  /** Drops every message for which `filter` holds (all by default). */
  purge(filter: (body: string) => boolean = () => true): number {
    let n = 0;
    const keep: Entry[] = [];
    for (let e = this.visible.pop(); e; e = this.visible.pop()) {
      if (filter(e.body)) n++;
      else keep.push(e);
    }
    for (const e of keep) this.visible.push(e);
    for (const [id, e] of this.hidden) if (filter(e.body)) { this.hidden.delete(id); n++; }
    return n;
  }

  private byReceipt(handle: string): Entry | undefined {
    const id = Number(handle.slice(0, handle.indexOf('.')));
    const e = this.hidden.get(id);
    return e && e.receipt === handle ? e : undefined;
  }

  private hide(e: Entry, at: number): void {
    e.visibleAt = at;
    this.hidden.set(e.id, e);
    this.hiddenByTime.push({ at, id: e.id, receipt: e.receipt });
    this.schedule();
  }

  /** Moves messages whose lease or delay ran out back to the visible heap. */
  private expire(): void {
    const now = this.now();
    let moved = false;
    for (let top = this.hiddenByTime.peek(); top && top.at <= now; top = this.hiddenByTime.peek()) {
      this.hiddenByTime.pop();
      const e = this.hidden.get(top.id);
      // Skip stale heap entries (the message was renewed, acked or re-leased since).
      if (!e || e.receipt !== top.receipt || e.visibleAt !== top.at) continue;
      this.hidden.delete(e.id);
      e.seq = this.seq++;
      this.visible.push(e);
      moved = true;
    }
    if (moved) this.wake();
  }

  private schedule(): void {
    const top = this.hiddenByTime.peek();
    if (!top || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.expire();
      if (this.hiddenByTime.size > 0) this.schedule();
    }, Math.max(1, top.at - this.now()));
    this.timer.unref();
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
    this.onWork?.();
  }
}
