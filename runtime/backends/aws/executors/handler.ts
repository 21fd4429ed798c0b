/**
 * The Lambda entry point (bundled by bundle.ts into `handler.mjs`, export `handler`). One
 * invocation:
 *
 *   parse the event → claim its executor id (launch-token.ts): a repeated event ends here, so
 *     that it relaunches neither its executor nor its sub-tree
 *     → start its heartbeat (heartbeats.ts: the launcher's liveness)
 *     → invoke its share of the launch fan-out (fanout.ts), if any
 *     → run the executor loop until it is idle or the function is about to time out (its
 *       remaining time less a margin for the last task's writes); a retryable error out of the
 *       loop (a lease during an outage that outlasted the store's retries) pauses and runs the
 *       loop again, a few times at most → return.
 *
 * The share is invoked first so that the tree of launches is not held up by this executor's
 * work; a failed invocation is a warning, not a failure: that branch's executors are missing, and
 * the driver's autoscaler launches more while the queue stays deep.
 *
 * Kernels run on kernel threads, one per vCPU (kernel-pool.ts), with as many task slots, so the
 * lease keeper and the store calls of other tasks go on during a long kernel.
 *
 * The backend is built once per container and reused by warm invocations, and so are the jobs
 * the container's executors have read (record and bound program: a warm invocation does not read
 * the job's record again or generate its program's code again); the configuration
 * comes from the function's environment (set by `lapwing deploy`) and its execution role. The
 * function invokes itself (AWS_LAMBDA_FUNCTION_NAME, which Lambda sets; the policy allows it).
 */
import { JobCache, runExecutor, type ExecutorJobCache, type KernelTimes } from '../../../executor/executor.ts';
import { isRetryable } from '../../../core/errors.ts';
import type { Attrs, Block } from '../../../../kernels/index.ts';
import { createKernelPool, kernelThreadsFromEnv, type KernelPool } from './kernel-pool.ts';
import { loadAwsConfig } from '../config.ts';
import { executorOptionsFromEnv, heartbeatMsFromEnv } from './executor-env.ts';
import { HeartbeatWriter } from './heartbeats.ts';
import { createAwsBackend, type AwsBackend } from '../index.ts';
import { invokeAll, lambdaInvoker, parseExecutorEvent, shareOf, type ExecutorEvent, type Invoke } from './lambda-launcher.ts';
import { errorMessage } from '../../../core/util.ts';
import { claimOnce, dynamoClaim } from './launch-token.ts';

/** The part of Lambda's context object used here. */
export interface LambdaContext {
  getRemainingTimeInMillis(): number;
  readonly awsRequestId?: string;
}

export interface HandlerResult {
  readonly executorId: string;
  readonly tasks: number;
  /** Executors this invocation launched (its share of the fan-out). */
  readonly launched: number;
  /** True when the event was a repeat: its executor (and share) had been launched already; nothing ran. */
  readonly repeated: boolean;
  readonly apiCalls: Record<string, number>;
}

export interface HandlerDeps {
  /** Environment (default: process.env). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** How to invoke other executors (default: this function through the Lambda API). */
  readonly invoke?: (backend: AwsBackend) => Invoke;
  /** Where warnings go (default: process.emitWarning). */
  readonly warn?: (message: string) => void;
}

/** Time kept back from the function's timeout for the task in progress to finish. */
const MARGIN_MS = 60_000;
/** Jobs a container keeps read and bound (a container works for one job, or a few in a row). */
export const JOBS_PER_CONTAINER = 8;
/** Outages (retryable errors out of the executor loop) one invocation rides out. */
const MAX_OUTAGES = 5;
/** Pause after an outage before leasing again. */
const OUTAGE_PAUSE_MS = 5000;

/**
 * The fan-out step: invokes the executors `event` makes this one responsible for. Never throws;
 * resolves to how many invocations succeeded.
 */
export async function launchShare(event: Partial<ExecutorEvent>, invoke: Invoke, warn: (message: string) => void = (m) => process.emitWarning(m)): Promise<number> {
  if (!event.fanout || event.executorId === undefined) return 0;
  let ok = 0;
  await invokeAll(shareOf(event as ExecutorEvent), async (e) => {
    try {
      await invoke(e);
      ok++;
    } catch (err) {
      const n = e.fanout?.count ?? 1;
      warn(`lapwing executor ${event.executorId}: launching ${e.executorId} (${n} executor${n === 1 ? '' : 's'}) failed: ${errorMessage(err)}`);
    }
  });
  return ok;
}

/** Builds a handler (tests inject the environment and the invoke function). */
export function createHandler(deps: HandlerDeps = {}): (raw: unknown, context?: LambdaContext) => Promise<HandlerResult> {
  const env = deps.env ?? process.env;
  const warn = deps.warn ?? ((m: string) => process.emitWarning(m));
  let backend: Promise<AwsBackend> | undefined;
  const threads = kernelThreadsFromEnv(env);
  let pool: KernelPool | null | undefined;
  const jobs: ExecutorJobCache = new JobCache(JOBS_PER_CONTAINER);
  return async (raw, context) => {
    let event: Partial<ExecutorEvent> = {};
    try {
      event = parseExecutorEvent(raw);
    } catch (e) {
      // A bad payload still gets an executor (it may be a manual test invocation), but no fan-out.
      warn(`lapwing executor: ignoring a malformed event: ${errorMessage(e)}`);
    }
    backend ??= createAwsBackend(loadAwsConfig(env), { executors: 'lambda', create: false }).catch((e: unknown) => {
      backend = undefined;
      throw e;
    });
    const b = await backend;
    // Kernel threads live as long as the container, like the backend.
    pool ??= threads > 0 ? createKernelPool(env.LAPWING_KERNELS || 'auto', threads) : null;
    const options = executorOptionsFromEnv(env, event.executorId ?? context?.awsRequestId ?? `lambda-${process.pid}`);
    const before = b.apiCalls();
    const invoke = deps.invoke?.(b) ?? lambdaInvoker(await b.clients.lambda(), env.AWS_LAMBDA_FUNCTION_NAME ?? b.config.names.functionName, b.config.retry);
    const executorId = event.executorId ?? options.executorId;
    // A repeated event (Lambda's async delivery is at least once) is an executor that runs
    // already, with its sub-tree: nothing to launch, nothing to run.
    if (event.executorId !== undefined && !(await claimOnce(dynamoClaim(b.clients.dynamodb, b.config.names.table, b.config.retry), event.executorId, warn))) {
      return { executorId, tasks: 0, launched: 0, repeated: true, apiCalls: {} };
    }
    const heartbeat = new HeartbeatWriter(b.clients.dynamodb, b.queue, { table: b.config.names.table, executorId, retry: b.config.retry, intervalMs: heartbeatMsFromEnv(env), warn });
    // The first beat and the share's invocations go out together: the fan-out is not held up.
    const [, launched] = await Promise.all([heartbeat.start(), launchShare(event, invoke, warn)]);
    const remaining = context ? context.getRemainingTimeInMillis() - MARGIN_MS : undefined;
    const maxRuntimeMs = [options.maxRuntimeMs, remaining].filter((v): v is number => v !== undefined).reduce((a, v) => Math.min(a, v), Infinity);
    const started = Date.now();
    let tasks = 0;
    try {
      for (let outage = 0; ; outage++) {
        const left = maxRuntimeMs - (Date.now() - started);
        if (left < 1000) break;
        try {
          const stats = await runExecutor(b, {
            ...options,
            maxAttempts: b.config.maxReceiveCount,
            executorId,
            jobCache: jobs,
            ...(pool ? { runKernel: (name: string, inputs: readonly Block[], attrs: Attrs, ran?: KernelTimes) => pool!.run(name, inputs, attrs, ran), concurrency: Math.max(options.concurrency ?? 1, pool.threads) } : {}),
            ...(Number.isFinite(left) ? { maxRuntimeMs: left } : {}),
          });
          tasks += stats.tasks;
          break;
        } catch (e) {
          // A service outage that outlasted the store's own retries (a lease, an ack): the
          // invocation is paid for, so wait and go on rather than end the executor.
          if (!isRetryable(e) || outage >= MAX_OUTAGES) throw e;
          warn(`lapwing executor ${executorId}: ${e instanceof Error ? e.message : String(e)}; going on in ${OUTAGE_PAUSE_MS / 1000} s`);
          await new Promise((r) => setTimeout(r, OUTAGE_PAUSE_MS));
        }
      }
    } finally {
      await heartbeat.stop();
      // Messages an outstanding long poll brings now go back to the queue at once.
      await b.queue.close().catch(() => undefined);
    }
    const after = b.apiCalls();
    const apiCalls = Object.fromEntries(Object.entries(after).map(([k, v]) => [k, v - (before[k] ?? 0)]));
    return { executorId, tasks, launched, repeated: false, apiCalls };
  };
}

/** Lambda handler: `{ job?, executorId, fanout? }` in, task and launch counts out. */
export const handler = createHandler();
