/**
 * The Lambda entry point (bundled by bundle.ts into `handler.mjs`, export `handler`). One
 * invocation runs the executor loop until it is idle or the function is about to time out
 * (its remaining time less a margin for the last task's writes), then returns.
 *
 * The backend is built once per container and reused by warm invocations; the configuration
 * comes from the function's environment (set by `lapwing deploy`) and its execution role.
 */
import { runExecutor } from '../../executor.ts';
import { loadAwsConfig } from './config.ts';
import { executorOptionsFromEnv } from './executor-env.ts';
import { createAwsBackend, type AwsBackend } from './index.ts';
import type { ExecutorEvent } from './lambda-launcher.ts';

/** The part of Lambda's context object used here. */
export interface LambdaContext {
  getRemainingTimeInMillis(): number;
  readonly awsRequestId?: string;
}

export interface HandlerResult {
  readonly executorId: string;
  readonly tasks: number;
  readonly apiCalls: Record<string, number>;
}

/** Time kept back from the function's timeout for the task in progress to finish. */
const MARGIN_MS = 60_000;

let backend: Promise<AwsBackend> | undefined;

/** Lambda handler: `{ job?, executorId }` in, task count out. */
export async function handler(event: Partial<ExecutorEvent> | null, context?: LambdaContext): Promise<HandlerResult> {
  backend ??= createAwsBackend(loadAwsConfig(process.env), { executors: 'lambda', create: false }).catch((e: unknown) => {
    backend = undefined;
    throw e;
  });
  const b = await backend;
  const options = executorOptionsFromEnv(process.env, event?.executorId ?? context?.awsRequestId ?? `lambda-${process.pid}`);
  const remaining = context ? context.getRemainingTimeInMillis() - MARGIN_MS : undefined;
  const maxRuntimeMs = [options.maxRuntimeMs, remaining].filter((v): v is number => v !== undefined).reduce((a, v) => Math.min(a, v), Infinity);
  const before = b.apiCalls();
  const stats = await runExecutor(b, {
    ...options,
    executorId: event?.executorId ?? options.executorId,
    ...(Number.isFinite(maxRuntimeMs) ? { maxRuntimeMs: Math.max(1000, maxRuntimeMs) } : {}),
  });
  const after = b.apiCalls();
  const apiCalls = Object.fromEntries(Object.entries(after).map(([k, v]) => [k, v - (before[k] ?? 0)]));
  return { executorId: event?.executorId ?? options.executorId, tasks: stats.tasks, apiCalls };
}
