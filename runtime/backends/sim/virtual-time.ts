/**
 * Virtual time for the simulator: while installed, `Date.now`, `performance.now`,
 * `setTimeout`/`setInterval` (and their clears) and `Math.random` answer from a virtual clock
 * and a seeded generator, so the real driver and executor code runs unchanged, in virtual time.
 *
 * Why not @sinonjs/fake-timers: it finds the next timer by scanning every pending timer and
 * yields to the real event loop with a real `setTimeout` per timer fired; with 1,000 executors
 * and ~10⁶ timers that is hours. Here timers live in a binary heap (O(log n) per timer) and the
 * loop yields with one real `setImmediate` per instant, which drains every microtask (promise
 * continuations) before virtual time moves on.
 *
 * The loop (`run`): drain microtasks → pop every timer due at the earliest instant → advance the
 * clock → fire them → repeat, until the awaited promise settles. Nothing else may do real I/O
 * meanwhile (the simulated services are in memory), or virtual time would run ahead of it.
 */
import { seededRandom } from '../../../kernels/random.ts';
import { Heap } from '../../core/heap.ts';

interface Timer {
  at: number;
  seq: number;
  fn: () => void;
  /** Repeat period for intervals (0: one-shot). */
  every: number;
  cancelled: boolean;
}

/** The handle `setTimeout` returns: enough of Node's Timeout for the code that uses it. */
class VirtualTimeout {
  constructor(readonly timer: Timer, private readonly clock: VirtualTime) {}
  unref(): this { return this; }
  ref(): this { return this; }
  hasRef(): boolean { return true; }
  refresh(): this {
    this.clock.reschedule(this.timer);
    return this;
  }
  close(): this {
    this.timer.cancelled = true;
    return this;
  }
  [Symbol.toPrimitive](): number {
    return this.timer.seq;
  }
}

/** Simulation ran into a state where nothing can happen any more. */
export class SimDeadlockError extends Error {
  readonly code = 'SIM_DEADLOCK';
  constructor(message: string) {
    super(message);
    this.name = 'SimDeadlockError';
  }
}

type AnyFn = (...args: unknown[]) => unknown;

/** `performance.now()` at virtual time 0 (ms). */
const PERF_START = 1_000_000;

/** A virtual clock with a timer heap; `install()` swaps it in for the process's globals. */
export class VirtualTime {
  /** Virtual milliseconds since the simulation started. */
  private t = 0;
  private seq = 0;
  private readonly heap = new Heap<Timer>((a, b) => a.at < b.at || (a.at === b.at && a.seq < b.seq));
  /** Epoch milliseconds at virtual time 0. */
  readonly epoch: number;
  readonly random: () => number;
  private saved: Record<string, unknown> | null = null;
  /** Timers fired so far (a measure of simulation work). */
  fired = 0;

  /**
   * Virtual time 0 is `performance.now() === PERF_START`, i.e. epoch = timeOrigin + PERF_START:
   * a fixed offset, so that durations computed from performance.now() do not depend on when the
   * process started (the same seed gives the same figures to the last bit).
   */
  constructor(options: { seed?: number } = {}) {
    this.epoch = performance.timeOrigin + PERF_START;
    this.random = seededRandom(options.seed ?? 1);
  }

  /** Virtual milliseconds since the start. */
  now(): number {
    return this.t;
  }

  /** Schedules `fn` after `ms` virtual milliseconds. */
  schedule(ms: number, fn: () => void, every = 0): Timer {
    const d = Number.isFinite(ms) && ms > 0 ? ms : 0;
    const timer: Timer = { at: this.t + d, seq: ++this.seq, fn, every, cancelled: false };
    this.heap.push(timer);
    return timer;
  }

  /** A promise resolving after `ms` virtual milliseconds. */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.schedule(ms, resolve));
  }

  reschedule(timer: Timer): void {
    timer.cancelled = true;
    const copy: Timer = { ...timer, at: this.t + Math.max(0, timer.every), cancelled: false, seq: ++this.seq };
    this.heap.push(copy);
  }

  /** Replaces the globals; `uninstall` restores them. */
  install(): void {
    if (this.saved) return;
    const g = globalThis as unknown as Record<string, unknown>;
    const perf = performance as unknown as Record<string, unknown>;
    this.saved = {
      setTimeout: g.setTimeout, clearTimeout: g.clearTimeout, setInterval: g.setInterval, clearInterval: g.clearInterval,
      dateNow: Date.now, perfNow: perf.now, random: Math.random,
    };
    // performance.timeOrigin + performance.now() equals Date.now(), as in a real process.
    const timeout = (fn: AnyFn, ms?: number, ...args: unknown[]): VirtualTimeout =>
      new VirtualTimeout(this.schedule(ms ?? 0, () => void fn(...args)), this);
    const interval = (fn: AnyFn, ms?: number, ...args: unknown[]): VirtualTimeout => {
      const every = Math.max(1, ms ?? 0);
      return new VirtualTimeout(this.schedule(every, () => void fn(...args), every), this);
    };
    const clear = (h: unknown): void => {
      if (h instanceof VirtualTimeout) h.timer.cancelled = true;
    };
    g.setTimeout = timeout;
    g.setInterval = interval;
    g.clearTimeout = clear;
    g.clearInterval = clear;
    Date.now = () => this.epoch + this.t;
    Object.defineProperty(performance, 'now', { value: () => PERF_START + this.t, configurable: true, writable: true });
    Math.random = this.random;
  }

  uninstall(): void {
    const s = this.saved;
    if (!s) return;
    const g = globalThis as unknown as Record<string, unknown>;
    g.setTimeout = s.setTimeout;
    g.clearTimeout = s.clearTimeout;
    g.setInterval = s.setInterval;
    g.clearInterval = s.clearInterval;
    Date.now = s.dateNow as () => number;
    Object.defineProperty(performance, 'now', { value: s.perfNow, configurable: true, writable: true });
    Math.random = s.random as () => number;
    this.saved = null;
  }

  /**
   * Runs the simulation until `work` settles; returns its value. Throws SimDeadlockError when
   * no timer is left while `work` is still pending.
   */
  async run<T>(work: Promise<T>, options: { limitMs?: number } = {}): Promise<T> {
    // Errors are part of the simulated protocol (conditional checks, aborted polls, throttling):
    // hundreds of thousands of them, whose stack traces cost more than the rest of their
    // handling, and nobody reads them (results carry messages). Restored when the run ends.
    const stackLimit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      return await this.drive(work, options);
    } finally {
      Error.stackTraceLimit = stackLimit;
    }
  }

  private async drive<T>(work: Promise<T>, options: { limitMs?: number }): Promise<T> {
    let settled = false;
    const watched = work.finally(() => {
      settled = true;
    });
    watched.catch(() => undefined);
    const yieldReal = this.realYield();
    const limit = options.limitMs ?? Number.POSITIVE_INFINITY;
    let idle = 0;
    while (!settled) {
      await yieldReal();
      if (settled) break;
      const next = this.popDue();
      if (next.length === 0) {
        // Real asynchronous work (a module import) may still be under way: give it a moment.
        if (++idle > 200) throw new SimDeadlockError(`simulation stalled at t=${(this.t / 1000).toFixed(3)} s: nothing left to happen`);
        await new Promise((r) => (this.saved?.setTimeout as typeof setTimeout ?? setTimeout)(r, 1));
        continue;
      }
      idle = 0;
      if (next[0]!.at > limit) throw new SimDeadlockError(`simulation passed its limit of ${limit / 1000} virtual seconds`);
      this.t = Math.max(this.t, next[0]!.at);
      for (const timer of next) {
        if (timer.cancelled) continue;
        this.fired++;
        if (timer.every > 0) {
          timer.at = this.t + timer.every;
          timer.seq = ++this.seq;
          this.heap.push(timer);
        }
        timer.fn();
      }
    }
    return watched;
  }

  /** The real setImmediate, as a promise: resolves after every pending microtask ran. */
  private realYield(): () => Promise<void> {
    const immediate = setImmediate;
    return () => new Promise<void>((r) => immediate(r));
  }

  /** Removes and returns every live timer due at the earliest pending instant. */
  private popDue(): Timer[] {
    const out: Timer[] = [];
    let at = Number.NaN;
    for (let top = this.heap.peek(); top !== undefined; top = this.heap.peek()) {
      if (top.cancelled) {
        this.heap.pop();
        continue;
      }
      if (out.length === 0) at = top.at;
      else if (top.at !== at) break;
      out.push(this.heap.pop()!);
    }
    return out;
  }
}
