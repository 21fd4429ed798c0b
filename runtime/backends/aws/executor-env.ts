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
 * | LAPWING_POLL_MS           | long-polling wait per lease call                     | 1000    |
 * | LAPWING_EXECUTOR_CONCURRENCY | tasks in progress at once (overlaps store calls)  | 1       |
 * | LAPWING_CRASH_AT          | fault injection: `point` or `point@task` → SIGKILL   | off     |
 */

/** Options of one executor run (a subset of runtime/executor.ts's ExecutorOptions). */
export interface ExecutorEnvOptions {
  readonly executorId: string;
  readonly idleTimeoutMs: number;
  readonly maxRuntimeMs?: number;
  readonly kernels?: string;
  readonly visibilityMs?: number;
  readonly pollMs?: number;
  readonly concurrency?: number;
}

/** Launcher-side settings that become the executor's environment. */
export interface ExecutorSettings {
  readonly idleTimeoutMs?: number;
  readonly maxRuntimeMs?: number;
  readonly kernels?: string;
  readonly visibilityMs?: number;
  readonly pollMs?: number;
  readonly concurrency?: number;
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
    ...(pollMs !== undefined ? { pollMs } : {}),
    ...(concurrency !== undefined ? { concurrency } : {}),
  };
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
  return env;
}

/**
 * The crash hook of LAPWING_CRASH_AT (`point` or `point@task`): kills this process with SIGKILL
 * the first time the executor reaches that point (for that task), as a crashed Lambda would.
 */
export function crashHookFromEnv(env: Env): ((point: string, task: string) => void) | undefined {
  const spec = env.LAPWING_CRASH_AT;
  if (!spec) return undefined;
  const [point, task] = spec.split('@');
  return (p, t) => {
    if (p === point && (task === undefined || t === task)) process.kill(process.pid, 'SIGKILL');
  };
}
