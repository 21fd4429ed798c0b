/**
 * The AWS backend: blocks in S3 (small ones inline in DynamoDB), tasks in SQS, state in
 * DynamoDB, executors as Lambda functions or local child processes — the same executor code as
 * the local backend, behind the interfaces of runtime/core/interfaces.ts.
 *
 * @example
 * const backend = await createAwsBackend(loadAwsConfig(), { executors: 'process' });
 * await backend.launcher.launch(2);
 * …
 * console.log(backend.apiCalls()); // { s3: 120, sqs: 64, dynamodb: 210, lambda: 0 }
 * await backend.close();
 */
import { REMOTE_TIMINGS, type Backend, type BackendTimings, type BlockStore, type ExecutorLauncher, type TaskAttemptTrace } from '../../core/interfaces.ts';
import { createClients, type AwsClients, type CallCounts } from './clients.ts';
import { configToEnv, type AwsConfig } from './config.ts';
import { DynamoBlockStore } from './stores/dynamo-block-store.ts';
import { DynamoStateStore } from './stores/dynamo-state-store.ts';
import type { CrashSpec, ExecutorSettings } from './executors/executor-env.ts';
import { HybridBlockStore } from './stores/hybrid-block-store.ts';
import { HeartbeatMonitor } from './executors/heartbeats.ts';
import { ProcessLauncher } from './executors/process-launcher.ts';
import { S3BlockStore } from './stores/s3-block-store.ts';
import { SqsTaskQueue } from './stores/sqs-task-queue.ts';

export { loadAwsConfig, configToEnv, resourceNames, type AwsConfig } from './config.ts';

export interface AwsBackendOptions {
  /** Where executors run: local child processes (default with emulators) or Lambda. */
  readonly executors?: 'process' | 'lambda';
  /** Create the bucket, queues and table when missing (default: with emulators). */
  readonly create?: boolean;
  /** Settings passed to every executor the launcher starts. */
  readonly executor?: ExecutorSettings;
  /** Receives task-attempt traces of process executors. */
  readonly onTrace?: (trace: TaskAttemptTrace) => void;
  /** Fault injection for process executors (see ProcessLauncherOptions.crashAt). */
  readonly crashAt?: CrashSpec;
  /** Interval between two reads of the executors' heartbeats (default 5 s). */
  readonly heartbeatRefreshMs?: number;
}

/**
 * How often the driver looks at AWS: the job-state poll (one BatchGetItem of 17 items, 17 RRU) every
 * 500 ms rather than 100 ms — a job's end is noticed ≤ 0.5 s later, and the poll no longer
 * outweighs the tasks' own state calls on small jobs (it was 4 DynamoDB calls per task of a
 * 20-task Cholesky on the emulators).
 */
export const AWS_TIMINGS: BackendTimings = { ...REMOTE_TIMINGS, pollMs: 500 };

/** The AWS backend, plus its request counts. */
export interface AwsBackend extends Backend {
  readonly config: AwsConfig;
  readonly clients: AwsClients;
  readonly queue: SqsTaskQueue;
  /**
   * The executors' heartbeats as this process reads them (started on first use): live
   * executors and their attempts in flight. The queue's `leases` view comes from it.
   */
  readonly heartbeats: HeartbeatMonitor;
  /** Requests sent per service by this process and by the process executors it started. */
  apiCalls(): Record<string, number>;
  /** Requests per `service:Operation` (clients.ts `operations()`), by this process and its process executors. */
  apiOperations(): Record<string, number>;
  /** Request latencies per `service:Operation` (clients.ts `latencies()`): this process's first, then its process executors'. */
  apiLatencies(): Record<string, number[]>;
  /** Spawn → ready milliseconds of the process executors started (empty for Lambda). */
  executorStarts(): number[];
  /** DynamoDB capacity units consumed by this process and by the process executors it started. */
  dynamodbCapacity(): { wcu: number; rcu: number };
}

/** Builds the AWS backend for `config` (resolves the queue URLs; creates resources if asked). */
export async function createAwsBackend(config: AwsConfig, options: AwsBackendOptions = {}): Promise<AwsBackend> {
  const clients = createClients(config);
  try {
    if (options.create ?? config.emulated) {
      // Loaded only here: provisioning pulls in the IAM client, which executors never need.
      const { createDataResources } = await import('./deploy/provision.ts');
      await createDataResources(clients, config);
    }
    const { names, retry, ttlSeconds } = config;
    const objects = new S3BlockStore(clients.s3, { bucket: names.bucket, keyPrefix: names.keyPrefix, retry });
    const blocks: BlockStore =
      config.inlineThresholdBytes > 0
        ? new HybridBlockStore(new DynamoBlockStore(clients.dynamodb, { table: names.table, ttlSeconds, retry }), objects, config.inlineThresholdBytes)
        : objects;
    const queue = await SqsTaskQueue.open(clients.sqs, names, { priorityCuts: config.priorityCuts, retry }, config.queueUrls);
    const state = new DynamoStateStore(clients.dynamodb, { table: names.table, ttlSeconds, retry });
    const heartbeats = new HeartbeatMonitor(clients.dynamodb, {
      table: names.table,
      retry,
      ...(options.heartbeatRefreshMs !== undefined ? { refreshMs: options.heartbeatRefreshMs } : {}),
    });
    // SQS cannot list what is in flight; the executors' heartbeats can (speculation reads it).
    queue.leases = heartbeats.leases;
    const executors = options.executors ?? (config.emulated ? 'process' : 'lambda');
    let launcher: ExecutorLauncher & { apiCalls?(): CallCounts; apiOperations?(): Record<string, number>; apiLatencies?(): Record<string, number[]>; startTimes?(): number[]; dynamodbCapacity?(): { wcu: number; rcu: number } };
    if (executors === 'process') {
      launcher = new ProcessLauncher({
        // The queue URLs go along: each executor is spared four GetQueueUrl calls.
        env: configToEnv({ ...config, queueUrls: queue.urls() }, true),
        ...(options.executor ? { executor: options.executor } : {}),
        ...(options.onTrace ? { onTrace: options.onTrace } : {}),
        ...(options.crashAt ? { crashAt: options.crashAt } : {}),
      });
    } else {
      const idle = options.executor?.idleTimeoutMs ?? 10_000;
      // Loaded only here: process executors (which build this backend too) never call Lambda.
      const { LambdaLauncher, lambdaConcurrencyLimit } = await import('./executors/lambda-launcher.ts');
      const lambda = await clients.lambda();
      launcher = new LambdaLauncher(lambda, {
        functionName: names.functionName,
        retry,
        concurrencyLimit: () => lambdaConcurrencyLimit(lambda, names.functionName),
        lifetimeMs: Math.min(options.executor?.maxRuntimeMs ?? 15 * 60_000, idle + 30_000),
        available: !config.emulated || config.endpoints.lambda !== undefined,
        heartbeats,
      });
    }
    return {
      name: 'aws',
      config,
      clients,
      blocks,
      queue,
      heartbeats,
      state,
      launcher,
      // Executors cost money here: one unless the caller asks for more.
      defaultWorkers: 1,
      timings: AWS_TIMINGS,
      dynamodbCapacity(): { wcu: number; rcu: number } {
        const own = clients.capacity();
        const children = launcher.dynamodbCapacity?.() ?? { wcu: 0, rcu: 0 };
        return { wcu: own.wcu + children.wcu, rcu: own.rcu + children.rcu };
      },
      apiCalls(): Record<string, number> {
        const own = clients.counts();
        const children = launcher.apiCalls?.();
        if (!children) return { ...own };
        return { s3: own.s3 + children.s3, sqs: own.sqs + children.sqs, dynamodb: own.dynamodb + children.dynamodb, lambda: own.lambda + children.lambda };
      },
      apiOperations(): Record<string, number> {
        const sum = clients.operations();
        for (const [k, v] of Object.entries(launcher.apiOperations?.() ?? {})) sum[k] = (sum[k] ?? 0) + v;
        return sum;
      },
      apiLatencies(): Record<string, number[]> {
        const all = clients.latencies();
        for (const [k, v] of Object.entries(launcher.apiLatencies?.() ?? {})) (all[k] ??= []).push(...v);
        return all;
      },
      executorStarts: () => launcher.startTimes?.() ?? [],
      async close(): Promise<void> {
        try {
          heartbeats.stop();
          await launcher.close();
          // Messages an outstanding long poll brings after the last lease go back at once.
          await queue.close().catch(() => undefined);
        } finally {
          clients.destroy();
        }
      },
    };
  } catch (e) {
    clients.destroy();
    throw e;
  }
}
