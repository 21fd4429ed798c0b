/**
 * How an executor process (executor-main.ts) or Lambda invocation (handler.ts) learns its
 * options: environment variables set by the launcher or the deployed function.
 *
 * | variable                  | meaning                                              | default |
 * | ------------------------- | ---------------------------------------------------- | ------- |
 * | LAPWING_EXECUTOR_ID       | executor id in traces and logs                       | pid     |
 * | LAPWING_IDLE_TIMEOUT_MS   | exit after this long without a task                  | 10000   |
 * | LAPWING_MAX_RUNTIME_MS    | exit after this long (Lambda: from the context)      | none    |
 * | LAPWING_KERNELS           | kernel backend when the job does not fix one         | auto    |
 * | LAPWING_VISIBILITY_MS     | lease visibility timeout                             | 60000   |
 * | LAPWING_POLL_MS           | longest wait of one lease call (SQS long poll ≤ 20 s)| 20000   |
 * | LAPWING_EXECUTOR_CONCURRENCY | tasks in progress at once (overlaps store calls)  | 1       |
 * | LAPWING_HEARTBEAT_MS      | interval of the executor's heartbeat (heartbeats.ts) | 15000   |
 * | LAPWING_CRASH_AT          | fault injection: `point[:nth][~stallMs][@task]`      | off     |
 */
import { CRASH_POINTS, type CrashPoint, type ExecutorOptions } from '../../../executor/executor.ts';
import { DEFAULT_HEARTBEAT_MS, DEFAULT_POLL_MS } from '../config.ts';

/** Options of one executor run that the environment sets (a subset of ExecutorOptions). */
export type ExecutorEnvOptions = Pick<
  ExecutorOptions,
  'executorId' | 'idleTimeoutMs' | 'maxRuntimeMs' | 'kernels' | 'visibilityMs' | 'pollMs' | 'concurrency'
>;

/** Launcher-side settings that become the executor's environment. */
export interface ExecutorSettings {
  readonly idleTimeoutMs?: number;
  readonly maxRuntimeMs?: number;
  readonly kernels?: string;
  readonly visibilityMs?: number;
  readonly pollMs?: number;
  readonly concurrency?: number;
  readonly heartbeatMs?: number;
}

type Env = Readonly<Record<string, string | undefined>>;

function positive(env: Env, name: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name}=${raw} is invalid: expected a non-negative number of milliseconds`);
  return n;
}

/** Reads the executor options from `env`. */
export function executorOptionsFromEnv(env: Env, fallbackId: string): ExecutorEnvOptions {
  const maxRuntimeMs = positive(env, 'LAPWING_MAX_RUNTIME_MS');
  const visibilityMs = positive(env, 'LAPWING_VISIBILITY_MS');
  const pollMs = positive(env, 'LAPWING_POLL_MS');
  const concurrency = positive(env, 'LAPWING_EXECUTOR_CONCURRENCY');
  if (concurrency !== undefined && (!Number.isInteger(concurrency) || concurrency < 1)) {
    throw new Error(`LAPWING_EXECUTOR_CONCURRENCY=${env.LAPWING_EXECUTOR_CONCURRENCY} is invalid: expected a positive integer`);
  }
  return {
    executorId: env.LAPWING_EXECUTOR_ID || fallbackId,
    idleTimeoutMs: positive(env, 'LAPWING_IDLE_TIMEOUT_MS') ?? 10_000,
    ...(maxRuntimeMs !== undefined ? { maxRuntimeMs } : {}),
    ...(env.LAPWING_KERNELS ? { kernels: env.LAPWING_KERNELS } : {}),
    ...(visibilityMs !== undefined ? { visibilityMs } : {}),
    // Long polls: an idle executor costs a few requests per 20 s, and a message that arrives is
    // handed out at once all the same.
    pollMs: pollMs ?? DEFAULT_POLL_MS,
    ...(concurrency !== undefined ? { concurrency } : {}),
  };
}

/** The heartbeat interval the environment sets (LAPWING_HEARTBEAT_MS), else the default. */
export function heartbeatMsFromEnv(env: Env): number {
  const ms = positive(env, 'LAPWING_HEARTBEAT_MS');
  if (ms !== undefined && ms < 10) throw new Error(`LAPWING_HEARTBEAT_MS=${env.LAPWING_HEARTBEAT_MS} is invalid: expected at least 10 ms`);
  return ms ?? DEFAULT_HEARTBEAT_MS;
}

/** The environment variables carrying `settings` (inverse of {@link executorOptionsFromEnv}). */
export function executorEnv(settings: ExecutorSettings): Record<string, string> {
  const env: Record<string, string> = {};
  if (settings.idleTimeoutMs !== undefined) env.LAPWING_IDLE_TIMEOUT_MS = String(settings.idleTimeoutMs);
  if (settings.maxRuntimeMs !== undefined) env.LAPWING_MAX_RUNTIME_MS = String(settings.maxRuntimeMs);
  if (settings.kernels !== undefined) env.LAPWING_KERNELS = settings.kernels;
  if (settings.visibilityMs !== undefined) env.LAPWING_VISIBILITY_MS = String(settings.visibilityMs);
  if (settings.pollMs !== undefined) env.LAPWING_POLL_MS = String(settings.pollMs);
  if (settings.concurrency !== undefined) env.LAPWING_EXECUTOR_CONCURRENCY = String(settings.concurrency);
  if (settings.heartbeatMs !== undefined) env.LAPWING_HEARTBEAT_MS = String(settings.heartbeatMs);
  return env;
}

/**
 * Fault injection: the executor kills itself (SIGKILL, no cleanup, as a crashed Lambda or a
 * killed machine stops) the `nth` time (1-based) it reaches crash point `point` — counting only
 * task `task` when given. With `every` (nth written `*`) it dies at every hit, and the launcher
 * arms every executor it starts with it: a task that always kills its executor (out of memory).
 */
export interface CrashSpec {
  readonly point: CrashPoint;
  readonly nth: number;
  readonly task?: string;
  readonly every?: true;
  /** Stall there this long (ms) instead of dying: a straggler, alive and holding its lease. */
  readonly stallMs?: number;
}

/**
 * Parses `point[:nth][~stallMs][@task]` (the LAPWING_CRASH_AT syntax), e.g. `kernel-done`,
 * `acked:3`, `edge-marked@1:0,0`, `kernel-done:5~20000` (stall 20 s at the 5th kernel end). The
 * task comes last because task keys contain colons.
 */
export function parseCrashSpec(spec: string): CrashSpec {
  const at = spec.indexOf('@');
  const front = at < 0 ? spec : spec.slice(0, at);
  const task = at < 0 ? undefined : spec.slice(at + 1);
  const tilde = front.indexOf('~');
  const head = tilde < 0 ? front : front.slice(0, tilde);
  const stallMs = tilde < 0 ? undefined : Number(front.slice(tilde + 1));
  if (stallMs !== undefined && (!Number.isInteger(stallMs) || stallMs < 0 || front.slice(tilde + 1) === '')) {
    throw new Error(`LAPWING_CRASH_AT=${spec} is invalid: the stall after '~' must be a whole number of milliseconds`);
  }
  const [point = '', nthRaw, ...rest] = head.split(':');
  if (!(CRASH_POINTS as readonly string[]).includes(point) || rest.length > 0) {
    throw new Error(`LAPWING_CRASH_AT=${spec} is invalid: expected point[:nth][@task] with point one of ${CRASH_POINTS.join(', ')}`);
  }
  const every = nthRaw === '*';
  const nth = nthRaw === undefined || every ? 1 : Number(nthRaw);
  if (!Number.isInteger(nth) || nth < 1) throw new Error(`LAPWING_CRASH_AT=${spec} is invalid: nth must be a positive integer or '*'`);
  if (task === '') throw new Error(`LAPWING_CRASH_AT=${spec} is invalid: empty task after '@'`);
  return {
    point: point as CrashPoint,
    nth,
    ...(task !== undefined ? { task } : {}),
    ...(every ? { every: true as const } : {}),
    ...(stallMs !== undefined ? { stallMs } : {}),
  };
}

/** The LAPWING_CRASH_AT value of `spec` (inverse of {@link parseCrashSpec}). */
export function formatCrashSpec(spec: CrashSpec): string {
  return `${spec.point}:${spec.every ? '*' : spec.nth}${spec.stallMs !== undefined ? `~${spec.stallMs}` : ''}${spec.task !== undefined ? `@${spec.task}` : ''}`;
}

/**
 * A crash trigger: counts the hits of the armed spec and calls `die` on the nth. Re-arming (or
 * disarming with null) restarts the count; executor-main.ts re-arms it over IPC.
 */
export class CrashTrigger {
  private spec: CrashSpec | null = null;
  private hits = 0;

  constructor(spec: CrashSpec | null, private readonly die: (point: CrashPoint, task: string) => void) {
    this.arm(spec);
  }

  arm(spec: CrashSpec | null): void {
    this.spec = spec;
    this.hits = 0;
  }

  get armed(): CrashSpec | null {
    return this.spec;
  }

  /** The executor's crash hook (ExecutorOptions.crash): dies, or with `stallMs` resolves after the stall. */
  readonly hook = (point: CrashPoint, task: string): void | Promise<void> => {
    const s = this.spec;
    if (!s || point !== s.point || (s.task !== undefined && task !== s.task)) return;
    if (!s.every && ++this.hits !== s.nth) return;
    if (!s.every) this.spec = null;
    if (s.stallMs !== undefined) return new Promise((r) => setTimeout(r, s.stallMs));
    this.die(point, task);
  };
}
