/**
 * ExecutorLauncher that invokes the deployed executor function asynchronously
 * (InvocationType 'Event'): Lambda queues the invocation and returns 202 at once.
 *
 * Launching uses a hierarchical fan-out (fanout.ts): the launcher invokes at most `branching`
 * roots, each with a payload naming the range of executors it must launch in turn
 * (`ExecutorEvent.fanout`); every executor invokes its share (handler.ts, with
 * {@link invokeAll} and {@link shareOf}, the code used here) before it starts leasing. So n
 * executors start after O(log n) rounds of invocations, and the driver makes at most
 * `branching` calls however large n is. Launching `branching` executors or fewer invokes them all
 * directly.
 *
 * Lambda cannot report when an async invocation ends. With a {@link HeartbeatMonitor}
 * (heartbeats.ts; the backend always gives one) running() counts the executors whose heartbeat
 * is live, plus those launched less than `startGraceMs` ago that have not beaten yet (a cold
 * start, a deep fan-out); an executor that crashed, was killed or froze stops beating and stops
 * counting, one that exited deleted its heartbeat. Without a monitor it is an estimate: executors
 * launched less than `lifetimeMs` ago count as running. close() has nothing to stop: executors
 * exit when idle.
 *
 * Launches stop at the function's concurrency limit (`concurrencyLimit`; the backend reads the
 * function's reserved concurrency, else the account's unreserved one): an invocation beyond it
 * is not refused but waits in Lambda's queue, starts an executor whenever a slot frees — often
 * after the work it was launched for is done — and, once past the start grace, no longer counts
 * as starting, so the driver launches again. Simulated at 524288/4096 with 3,000 workers on a
 * 1,000 account, that churn cost 309k invocations where 1,000 workers took 107k.
 */
import { GetAccountSettingsCommand, GetFunctionConcurrencyCommand, InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { randomBytes } from 'node:crypto';
import type { ExecutorLauncher } from '../../../core/interfaces.ts';
import { StoreError } from '../../../core/interfaces.ts';
import { withRetry } from '../aws-errors.ts';
import type { RetryPolicy } from '../config.ts';
import { fanoutChildren, fanoutRoots, type FanoutRange } from './fanout.ts';
import type { HeartbeatMonitor } from './heartbeats.ts';

/** The executor's share of a fan-out: it is `${base}-${first}` and launches the rest of its range. */
export interface FanoutPayload {
  readonly base: string;
  readonly first: number;
  readonly count: number;
  readonly branching: number;
}

/** The event the executor function receives. */
export interface ExecutorEvent {
  readonly job?: string;
  readonly executorId: string;
  /** Present when this executor must launch others first (count > 1). */
  readonly fanout?: FanoutPayload;
}

/** Invokes the executor function with one event. */
export type Invoke = (event: ExecutorEvent) => Promise<void>;

export interface LambdaLauncherOptions {
  readonly functionName: string;
  readonly retry: RetryPolicy;
  /** How long an executor is assumed to live after its invocation (for running()). */
  readonly lifetimeMs: number;
  /** Job id passed in the event (informational: executors serve every job in the queue). */
  readonly job?: string;
  /** False when no Lambda endpoint exists (emulators): launch() fails with a clear CONFIG error. */
  readonly available?: boolean;
  /** Invocations per executor (and by the launcher) in the fan-out; default 8. */
  readonly branching?: number;
  /** Liveness from the executors' heartbeats (else running() is the `lifetimeMs` estimate). */
  readonly heartbeats?: HeartbeatMonitor;
  /** How long a launched executor counts as starting before its first heartbeat; default 60 s. */
  readonly startGraceMs?: number;
  /** How to invoke the function (default: Lambda's Invoke API through the client). */
  readonly invoke?: Invoke;
  /**
   * Executors that can run at once (see the header), or how to find out (once, at the first
   * launch; undefined: no limit known). Default: no limit.
   */
  readonly concurrencyLimit?: number | (() => Promise<number | undefined>);
}

/**
 * The most executors of `functionName` Lambda runs at once: its reserved concurrency if it has
 * one, else the account's unreserved concurrency; undefined if neither can be read (the caller
 * may not read them, the endpoint does not answer). One try each, no retries: a launch must not
 * wait for a figure it can do without.
 */
export async function lambdaConcurrencyLimit(lambda: LambdaClient, functionName: string): Promise<number | undefined> {
  try {
    const fn = await lambda.send(new GetFunctionConcurrencyCommand({ FunctionName: functionName }));
    if (fn.ReservedConcurrentExecutions !== undefined) return fn.ReservedConcurrentExecutions;
    const account = await lambda.send(new GetAccountSettingsCommand({}));
    return account.AccountLimit?.UnreservedConcurrentExecutions;
  } catch {
    return undefined;
  }
}

/** Default time a launched executor may take to write its first heartbeat. */
export const DEFAULT_START_GRACE_MS = 60_000;

/** Invocations in flight at once from one caller. */
const IN_FLIGHT = 8;
/** Default fan-out per executor. */
export const DEFAULT_BRANCHING = 8;
/** Upper bound on one fan-out: a corrupt payload must not start an unbounded number of functions. */
export const MAX_FANOUT = 10_000;

/** Invokes `events`, `inFlight` at a time; rejects with the first failure. */
export async function invokeAll(events: readonly ExecutorEvent[], invoke: Invoke, inFlight = IN_FLIGHT): Promise<void> {
  for (let i = 0; i < events.length; i += inFlight) await Promise.all(events.slice(i, i + inFlight).map((e) => invoke(e)));
}

/** An {@link Invoke} calling `functionName` asynchronously, with retries on throttling. */
export function lambdaInvoker(lambda: LambdaClient, functionName: string, retry: RetryPolicy): Invoke {
  return async (event) => {
    const Payload = new TextEncoder().encode(JSON.stringify(event));
    await withRetry(retry, `Lambda Invoke ${functionName}`, () => lambda.send(new InvokeCommand({ FunctionName: functionName, InvocationType: 'Event', Payload })));
  };
}

function eventsFor(base: string, ranges: readonly FanoutRange[], branching: number, job: string | undefined): ExecutorEvent[] {
  return ranges.map((r) => LambdaLauncher.event(`${base}-${r.first}`, job, r.count > 1 ? { base, first: r.first, count: r.count, branching } : undefined));
}

/** The events of the roots that start executors 0..n-1 under `base` (pure). */
export function rootEvents(base: string, n: number, branching: number, job?: string): ExecutorEvent[] {
  if (n > MAX_FANOUT) throw new RangeError(`cannot launch ${n} executors at once (at most ${MAX_FANOUT})`);
  return eventsFor(base, fanoutRoots(n, branching), branching, job);
}

/** What the executor that received `event` must invoke before it runs: its share (pure). */
export function shareOf(event: ExecutorEvent): ExecutorEvent[] {
  const f = event.fanout;
  if (!f) return [];
  return eventsFor(f.base, fanoutChildren(f, f.branching), f.branching, event.job);
}

/**
 * Validates an invocation payload (untrusted JSON); throws a TypeError naming the bad field.
 * Every field is optional (a test invocation may send `{}`); a fan-out must be well-formed and
 * bounded by {@link MAX_FANOUT}.
 */
export function parseExecutorEvent(raw: unknown): Partial<ExecutorEvent> {
  if (raw === null || raw === undefined) return {};
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new TypeError('executor event must be an object');
  const o = raw as Record<string, unknown>;
  const str = (k: string): string | undefined => {
    const v = o[k];
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || v === '' || v.length > 200) throw new TypeError(`executor event: '${k}' must be a non-empty string`);
    return v;
  };
  const executorId = str('executorId');
  const job = str('job');
  let fanout: FanoutPayload | undefined;
  if (o.fanout !== undefined) {
    const f = o.fanout as Record<string, unknown>;
    if (typeof f !== 'object' || f === null) throw new TypeError("executor event: 'fanout' must be an object");
    const int = (k: string, min: number, max: number): number => {
      const v = f[k];
      if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw new TypeError(`executor event: 'fanout.${k}' must be an integer in [${min}, ${max}]`);
      return v;
    };
    if (typeof f.base !== 'string' || !/^[A-Za-z0-9_-]{1,100}$/.test(f.base)) throw new TypeError("executor event: 'fanout.base' must be an id");
    fanout = { base: f.base, first: int('first', 0, MAX_FANOUT - 1), count: int('count', 1, MAX_FANOUT), branching: int('branching', 2, 1000) };
  }
  return { ...(job !== undefined ? { job } : {}), ...(executorId !== undefined ? { executorId } : {}), ...(fanout ? { fanout } : {}) };
}

export class LambdaLauncher implements ExecutorLauncher {
  private launched: number[] = [];
  /** Executors launched and not seen beating yet → launch time (with heartbeats). */
  private readonly starting = new Map<string, number>();
  private readonly invoke: Invoke;
  private limit: Promise<number | undefined> | undefined;

  constructor(lambda: LambdaClient, private readonly o: LambdaLauncherOptions) {
    this.invoke = o.invoke ?? lambdaInvoker(lambda, o.functionName, o.retry);
  }

  /** The payload of one invocation (pure; exported for tests). */
  static event(executorId: string, job?: string, fanout?: FanoutPayload): ExecutorEvent {
    return { ...(job !== undefined ? { job } : {}), executorId, ...(fanout ? { fanout } : {}) };
  }

  /** Invokes the roots of the fan-out for `count` executors; the rest launch each other. */
  async launch(count: number): Promise<void> {
    if (this.o.available === false) {
      throw new StoreError('CONFIG', 'Lambda executors need AWS (or AWS_ENDPOINT_URL_LAMBDA): with the emulators use --executors process');
    }
    const known = this.o.concurrencyLimit;
    this.limit ??= typeof known === 'function' ? known() : Promise.resolve(known);
    const limit = await this.limit;
    if (limit !== undefined) count = Math.min(count, limit - this.running());
    if (count <= 0) return;
    const base = `lambda-${randomBytes(4).toString('hex')}`;
    this.o.heartbeats?.start();
    await invokeAll(rootEvents(base, count, this.o.branching ?? DEFAULT_BRANCHING, this.o.job), this.invoke);
    const now = Date.now();
    for (let i = 0; i < count; i++) {
      this.launched.push(now);
      if (this.o.heartbeats) this.starting.set(`${base}-${i}`, now);
    }
  }

  running(): number {
    const hb = this.o.heartbeats;
    if (!hb) {
      const since = Date.now() - this.o.lifetimeMs;
      this.launched = this.launched.filter((t) => t >= since);
      return this.launched.length;
    }
    hb.start();
    this.pruneStarting(hb);
    // Every live executor of the stack counts: executors serve whichever job is in the queue.
    return hb.live().length + this.starting.size;
  }

  /** Executors with a live heartbeat, and those launched that have not beaten yet (`{base}-{index}`). */
  ids(): string[] {
    if (!this.o.heartbeats) return [];
    this.pruneStarting(this.o.heartbeats);
    return [...this.o.heartbeats.live(), ...this.starting.keys()];
  }

  /** Forgets launches that beat (they count as live now), died, or never started in time. */
  private pruneStarting(hb: HeartbeatMonitor): void {
    const since = Date.now() - (this.o.startGraceMs ?? DEFAULT_START_GRACE_MS);
    for (const [id, t] of this.starting) if (t < since || hb.isLive(id) || hb.isDead(id)) this.starting.delete(id);
  }

  async close(): Promise<void> {
    this.launched = [];
    this.starting.clear();
    this.o.heartbeats?.stop();
  }
}
