/**
 * ExecutorLauncher that runs executors as local child processes
 * (`node executor-entry.mjs`: executor-main.ts, compiled or through tsx) against the same AWS endpoints —
 * how the tests and fault experiments run the AWS backend without Lambda.
 *
 * Children talk back over Node's IPC channel: `ready` once they can lease, their API call
 * counts (so the driver's `api_calls` covers every executor), one record per task attempt when
 * `onTrace` is set, and why they stopped. A child's stdout goes to our stderr, so executors never
 * mix into the CLI's JSON output.
 *
 * Fault injection: `launch(n, { crashAt })` (or the `crashAt` option, for the first launch)
 * gives LAPWING_CRASH_AT to ONE executor only — its replacement, launched by the driver, must be
 * able to finish — unless the spec is `every` (the `crashAt` option only): then every executor
 * launched dies at every hit, as with a task that always runs out of memory; `crashOne(spec)` arms the executors already running over IPC and disarms the
 * others once one has died; `kill(executor)` SIGKILLs one from outside (chaos experiments).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ExecutorLauncher, TaskAttemptTrace } from '../../../core/interfaces.ts';
import type { CallCounts } from '../clients.ts';
import type { Capacity } from '../stores/dynamo-capacity.ts';
import { executorEnv, formatCrashSpec, type CrashSpec, type ExecutorSettings } from './executor-env.ts';

/** Why an executor process stopped by itself ('stopped': SIGTERM/SIGINT or the launcher left). */
export type ExecutorExitReason = 'idle' | 'max-runtime' | 'stopped';

/** Messages an executor process sends to its launcher. */
export type ExecutorIpcMessage =
  | { readonly type: 'ready' }
  | { readonly type: 'api_calls'; readonly counts: CallCounts; readonly commands?: Readonly<Record<string, number>>; readonly operations?: Readonly<Record<string, number>>; readonly latencies?: Readonly<Record<string, readonly number[]>>; readonly capacity?: Capacity }
  | { readonly type: 'trace'; readonly trace: TaskAttemptTrace }
  | { readonly type: 'exit'; readonly reason: ExecutorExitReason; readonly tasks: number; readonly runtimeMs: number };

/** Messages the launcher sends to an executor process. */
export type LauncherIpcMessage = { readonly type: 'crash-at'; readonly spec: string | null };

/** How one executor process ended. */
export interface ExecutorExit {
  readonly executorId: string;
  readonly pid: number | undefined;
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** Its own account of why it stopped (absent when it was killed). */
  readonly reason?: ExecutorExitReason;
  /** Tasks it completed (absent when it was killed). */
  readonly tasks?: number;
  /** The injected crash it died of (armed, SIGKILLed, and not by `kill()`). */
  readonly crash?: CrashSpec;
  /** Killed from outside with `kill()`. */
  readonly killed: boolean;
}

/** A live executor process. */
export interface ExecutorProcess {
  readonly id: string;
  readonly pid: number | undefined;
  /** Epoch ms of the spawn. */
  readonly startedAt: number;
}

export interface ProcessLauncherOptions {
  /** Environment of the backend (configToEnv with credentials). */
  readonly env: Readonly<Record<string, string>>;
  readonly executor?: ExecutorSettings;
  /** Called when a child says it is ready (it can lease). */
  readonly onReady?: (executorId: string) => void;
  /** Called when a child exits (code or signal). */
  readonly onExit?: (executorId: string, code: number | null, signal: NodeJS.Signals | null) => void;
  /** Receives the children's task-attempt traces (enables LAPWING_TRACE in them). */
  readonly onTrace?: (trace: TaskAttemptTrace) => void;
  /** Grace period between SIGTERM and SIGKILL in close(). */
  readonly killGraceMs?: number;
  /** Fault injection for the first executor launched (one executor only; every one if `every`). */
  readonly crashAt?: CrashSpec;
}

export interface LaunchOptions {
  /** Fault injection for the first executor of this launch only. */
  readonly crashAt?: CrashSpec;
}

// Next to this module both in the source tree (a tsx bootstrap) and in the compiled dist/.
const MAIN = fileURLToPath(new URL('./executor-entry.mjs', import.meta.url));

interface Child {
  readonly id: string;
  readonly proc: ChildProcess;
  readonly startedAt: number;
  readonly exited: Promise<void>;
  readonly ready: Promise<void>;
  alive: boolean;
  counts: CallCounts;
  commands: Readonly<Record<string, number>>;
  operations: Readonly<Record<string, number>>;
  latencies: Readonly<Record<string, readonly number[]>>;
  /** Milliseconds from spawn to its `ready` message. */
  readyMs?: number;
  capacity: Capacity;
  /** The crash it is armed with (by environment or IPC), if any. */
  armed: CrashSpec | null;
  killed: boolean;
  last?: Extract<ExecutorIpcMessage, { type: 'exit' }>;
}

let launcherSeq = 0;

export class ProcessLauncher implements ExecutorLauncher {
  private readonly children: Child[] = [];
  private readonly tag = `${process.pid}-${++launcherSeq}`;
  private seq = 0;
  private pendingCrash: CrashSpec | undefined;
  /** Every executor that ended, in order. */
  readonly exits: ExecutorExit[] = [];

  constructor(private readonly o: ProcessLauncherOptions) {
    this.pendingCrash = o.crashAt;
  }

  /** Spawns `count` executors (returns at once; `ready()` waits until they lease). */
  async launch(count: number, options: LaunchOptions = {}): Promise<void> {
    for (let i = 0; i < count; i++) {
      // A crash at every hit goes to every executor launched (replacements included).
      const always = this.pendingCrash?.every ? this.pendingCrash : undefined;
      const crash = always ?? (i === 0 ? options.crashAt ?? this.pendingCrash : undefined);
      if (crash && !options.crashAt && !always) this.pendingCrash = undefined;
      this.spawnOne(crash ?? null);
    }
  }

  private spawnOne(crash: CrashSpec | null): void {
    const id = `proc-${this.tag}-${++this.seq}`;
    const proc = spawn(process.execPath, [MAIN], {
      env: {
        ...process.env,
        ...this.o.env,
        ...executorEnv(this.o.executor ?? {}),
        LAPWING_EXECUTOR_ID: id,
        LAPWING_CRASH_AT: crash ? formatCrashSpec(crash) : '',
        ...(this.o.onTrace ? { LAPWING_TRACE: '1' } : {}),
      },
      stdio: ['ignore', 2, 'inherit', 'ipc'],
    });
    let isReady: () => void = () => undefined;
    const ready = new Promise<void>((r) => (isReady = r));
    const child: Child = {
      id,
      proc,
      startedAt: Date.now(),
      alive: true,
      counts: { s3: 0, sqs: 0, dynamodb: 0, lambda: 0 },
      commands: {},
      operations: {},
      latencies: {},
      capacity: { rcu: 0, wcu: 0 },
      armed: crash,
      killed: false,
      ready,
      exited: new Promise<void>((resolve) => {
        const ended = (code: number | null, signal: NodeJS.Signals | null): void => {
          if (!child.alive) return;
          child.alive = false;
          isReady();
          const crashed = child.armed !== null && signal === 'SIGKILL' && !child.killed;
          this.exits.push({
            executorId: id,
            pid: proc.pid,
            code,
            signal,
            ...(child.last ? { reason: child.last.reason, tasks: child.last.tasks } : {}),
            ...(crashed && child.armed ? { crash: child.armed } : {}),
            killed: child.killed,
          });
          // crashOne(): one injected crash per arming; the others go back to normal.
          if (crashed && !child.armed?.every) for (const c of this.children) if (c.alive && c.armed) this.arm(c, null);
          this.o.onExit?.(id, code, signal);
          resolve();
        };
        // 'close', not 'exit': it comes after the IPC channel closed, so the child's last
        // messages (its exit reason) are in.
        proc.once('close', ended);
        proc.once('error', () => ended(null, null));
      }),
    };
    proc.on('message', (m: ExecutorIpcMessage) => {
      if (m.type === 'api_calls') {
        child.counts = m.counts;
        child.commands = m.commands ?? {};
        child.operations = m.operations ?? {};
        child.latencies = m.latencies ?? {};
        if (m.capacity) child.capacity = m.capacity;
      }
      else if (m.type === 'trace') this.o.onTrace?.(m.trace);
      else if (m.type === 'ready') {
        child.readyMs ??= Date.now() - child.startedAt;
        isReady();
        this.o.onReady?.(id);
      }
      else if (m.type === 'exit') child.last = m;
    });
    // A broken IPC pipe (the child just died) is not our error.
    proc.on('error', () => undefined);
    this.children.push(child);
  }

  running(): number {
    return this.children.filter((c) => c.alive).length;
  }

  /** Ids of the live executors. */
  ids(): string[] {
    return this.children.filter((c) => c.alive).map((c) => c.id);
  }

  /** The live executors. */
  executors(): ExecutorProcess[] {
    return this.children.filter((c) => c.alive).map((c) => ({ id: c.id, pid: c.proc.pid, startedAt: c.startedAt }));
  }

  /** Process ids of the live executors (fault experiments kill them). */
  pids(): number[] {
    return this.children.filter((c) => c.alive && c.proc.pid !== undefined).map((c) => c.proc.pid!);
  }

  /** Resolves when every executor launched so far can lease tasks (or has exited). */
  async ready(): Promise<void> {
    await Promise.all(this.children.map((c) => c.ready));
  }

  /**
   * Kills one live executor (by id or pid) with `signal` (SIGKILL: no cleanup, its lease
   * expires and the task runs again). False if no such executor is alive.
   */
  async kill(executor: string | number, signal: NodeJS.Signals = 'SIGKILL'): Promise<boolean> {
    const c = this.children.find((x) => x.alive && (x.id === executor || x.proc.pid === executor));
    if (!c) return false;
    c.killed = true;
    return c.proc.kill(signal);
  }

  /**
   * Arms every live executor with `spec` over IPC; the first of them to reach it dies and the
   * others are disarmed then (two may die in a close race: the protocol tolerates it). With every
   * executor armed, the first one to reach the point is sure to be hit — unlike arming one
   * executor among several, which may never be given a task that reaches it.
   */
  async crashOne(spec: CrashSpec): Promise<void> {
    // A child that is not listening yet would drop the message.
    await this.ready();
    await Promise.all(this.children.filter((c) => c.alive).map((c) => this.arm(c, spec)));
  }

  /** Disarms every live executor (the environment's crash included). */
  async disarm(): Promise<void> {
    await this.ready();
    await Promise.all(this.children.filter((c) => c.alive && c.armed).map((c) => this.arm(c, null)));
  }

  private arm(c: Child, spec: CrashSpec | null): Promise<void> {
    c.armed = spec;
    const m: LauncherIpcMessage = { type: 'crash-at', spec: spec ? formatCrashSpec(spec) : null };
    return new Promise((resolve) => {
      if (!c.alive || !c.proc.connected) return resolve();
      c.proc.send(m, undefined, {}, () => resolve());
    });
  }

  /** API calls reported by every executor this launcher started (live ones: as of their last report). */
  apiCalls(): CallCounts {
    const sum: CallCounts = { s3: 0, sqs: 0, dynamodb: 0, lambda: 0 };
    for (const c of this.children) for (const k of Object.keys(sum) as (keyof CallCounts)[]) sum[k] += c.counts[k];
    return sum;
  }

  /** API calls per SDK command of every executor this launcher started (as of their last report). */
  apiCommands(): Record<string, number> {
    const sum: Record<string, number> = {};
    for (const c of this.children) for (const [k, v] of Object.entries(c.commands)) sum[k] = (sum[k] ?? 0) + v;
    return sum;
  }

  /** API calls per `service:Operation` of every executor this launcher started (clients.ts `operations()`). */
  apiOperations(): Record<string, number> {
    const sum: Record<string, number> = {};
    for (const c of this.children) for (const [k, v] of Object.entries(c.operations)) sum[k] = (sum[k] ?? 0) + v;
    return sum;
  }

  /** Request latencies per `service:Operation` of every executor this launcher started (clients.ts `latencies()`). */
  apiLatencies(): Record<string, number[]> {
    const sum: Record<string, number[]> = {};
    for (const c of this.children) for (const [k, v] of Object.entries(c.latencies)) (sum[k] ??= []).push(...v);
    return sum;
  }

  /** Milliseconds from spawn to ready of every executor that became ready. */
  startTimes(): number[] {
    return this.children.flatMap((c) => (c.readyMs === undefined ? [] : [c.readyMs]));
  }

  /** DynamoDB capacity reported by every executor this launcher started (as apiCalls). */
  dynamodbCapacity(): Capacity {
    const sum: Capacity = { rcu: 0, wcu: 0 };
    for (const c of this.children) {
      sum.rcu += c.capacity.rcu;
      sum.wcu += c.capacity.wcu;
    }
    return sum;
  }

  /** Stops every live executor: SIGTERM (they finish the current task), then SIGKILL. */
  async close(): Promise<void> {
    const live = this.children.filter((c) => c.alive);
    for (const c of live) c.proc.kill('SIGTERM');
    const grace = this.o.killGraceMs ?? 5000;
    const timer = setTimeout(() => {
      for (const c of live) if (c.alive) c.proc.kill('SIGKILL');
    }, grace);
    await Promise.all(live.map((c) => c.exited));
    clearTimeout(timer);
  }
}
