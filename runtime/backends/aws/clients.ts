/**
 * SDK v3 clients of one backend, built from an AwsConfig, each wrapped with a middleware that
 * counts the HTTP requests it sends (the `api_calls` figure of the bench JSON).
 *
 * The SDK's own retries are off (maxAttempts 1): aws-errors.ts retries with its own backoff, so
 * every request is counted once and throttling ends in one StoreError('THROTTLED').
 */
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { AwsConfig } from './config.ts';
import { meterCapacity, type Capacity } from './stores/dynamo-capacity.ts';

/** Services whose calls are counted. */
export type AwsService = 's3' | 'sqs' | 'dynamodb' | 'lambda';

/** Request counts per service. */
export type CallCounts = Record<AwsService, number>;

export interface AwsClients {
  readonly s3: S3Client;
  readonly sqs: SQSClient;
  readonly dynamodb: DynamoDBClient;
  /**
   * The Lambda client, built on first use: its module is a fifth of what an executor process
   * would otherwise load at start, and only the driver of Lambda executors, the Lambda handler's
   * fan-out and deployment call Lambda.
   */
  lambda(): Promise<LambdaClient>;
  /** Requests sent so far, per service (a fresh copy). */
  counts(): CallCounts;
  /** Requests sent so far, per SDK command, e.g. `{ GetObjectCommand: 12 }` (a fresh copy). */
  commands(): Record<string, number>;
  /**
   * Requests sent so far per `service:Operation`, e.g. `{ 's3:GetObject': 12 }` (a fresh copy);
   * SQS receives that brought no message (an empty long poll, or one cut short) count as
   * `sqs:ReceiveMessage(empty)`, so the entries of a service sum to its count.
   */
  operations(): Record<string, number>;
  /**
   * Milliseconds of every request so far per `service:Operation`, sent to answered (receives
   * that long-polled are left out: their time is the wait); copies.
   */
  latencies(): Record<string, number[]>;
  /** DynamoDB capacity units consumed so far, as DynamoDB reports them (a fresh copy). */
  capacity(): Capacity;
  destroy(): void;
}

// The SDK warns once per process that Node 20 support ends in 2027; the CLI's output is for
// results, and package.json states the supported engines.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

interface Countable {
  middlewareStack: {
    add(
      mw: (next: (args: unknown) => Promise<unknown>, context: { readonly commandName?: string }) => (args: unknown) => Promise<unknown>,
      options: { step: 'finalizeRequest'; name: string; priority: 'low' },
    ): void;
  };
}

/** The key of an SQS receive that brought no message in `operations()`. */
export const EMPTY_RECEIVE = 'sqs:ReceiveMessage(empty)';

interface Tally {
  readonly counts: CallCounts;
  readonly commands: Record<string, number>;
  readonly operations: Record<string, number>;
  readonly latencies: Record<string, number[]>;
}

const bump = (m: Record<string, number>, k: string): void => {
  m[k] = (m[k] ?? 0) + 1;
};

/** Adds a per-request counter to `client` (after signing, so one count per HTTP request). */
function countCalls(client: Countable, tally: Tally, service: AwsService): void {
  client.middlewareStack.add(
    (next, context) => (args) => {
      tally.counts[service] += 1;
      const name = context.commandName ?? 'unknown';
      bump(tally.commands, name);
      const op = `${service}:${name.replace(/Command$/, '')}`;
      bump(tally.operations, op);
      const t0 = performance.now();
      const waits = op === 'sqs:ReceiveMessage' && Number((args as { input?: { WaitTimeSeconds?: number } }).input?.WaitTimeSeconds ?? 0) > 0;
      const timed = (): void => {
        if (!waits) (tally.latencies[op] ??= []).push(Math.round((performance.now() - t0) * 100) / 100);
      };
      if (op !== 'sqs:ReceiveMessage') return next(args).finally(timed);
      // Whether a receive brought messages is known from its answer only (the deserialised
      // output comes back through this step); one aborted or failed brought none. Counted as
      // sent until then, so that the entries of a service always sum to its count.
      const empty = (): void => {
        tally.operations[op]! -= 1;
        bump(tally.operations, EMPTY_RECEIVE);
      };
      return next(args).then(
        (out) => {
          if (((out as { output?: { Messages?: readonly unknown[] } }).output?.Messages?.length ?? 0) === 0) empty();
          return out;
        },
        (e: unknown) => {
          empty();
          throw e;
        },
      ).finally(timed);
    },
    { step: 'finalizeRequest', name: `lapwingCount_${service}`, priority: 'low' },
  );
}

/** Builds the clients for `config` (Lambda's on first use). */
export function createClients(config: AwsConfig): AwsClients {
  const base = {
    region: config.region,
    maxAttempts: 1,
    ...(config.credentials ? { credentials: config.credentials } : {}),
    ...(config.profile ? { profile: config.profile } : {}),
  };
  const counts: CallCounts = { s3: 0, sqs: 0, dynamodb: 0, lambda: 0 };
  const s3 = new S3Client({
    ...base,
    ...(config.endpoints.s3 ? { endpoint: config.endpoints.s3 } : {}),
    // Emulators resolve buckets from the path, not from a virtual host name.
    forcePathStyle: config.endpoints.s3 !== undefined,
  });
  const sqs = new SQSClient({ ...base, ...(config.endpoints.sqs ? { endpoint: config.endpoints.sqs } : {}) });
  const dynamodb = new DynamoDBClient({ ...base, ...(config.endpoints.dynamodb ? { endpoint: config.endpoints.dynamodb } : {}) });
  const tally: Tally = { counts, commands: {}, operations: {}, latencies: {} };
  countCalls(s3 as unknown as Countable, tally, 's3');
  countCalls(sqs as unknown as Countable, tally, 'sqs');
  countCalls(dynamodb as unknown as Countable, tally, 'dynamodb');
  let lambda: LambdaClient | undefined;
  let lambdaLoading: Promise<LambdaClient> | undefined;
  let destroyed = false;
  const meter = meterCapacity(dynamodb, { transactionsReportedAtHalf: config.emulated });
  return {
    s3,
    sqs,
    dynamodb,
    lambda: () =>
      (lambdaLoading ??= import('@aws-sdk/client-lambda').then(({ LambdaClient }) => {
        const c = new LambdaClient({ ...base, ...(config.endpoints.lambda ? { endpoint: config.endpoints.lambda } : {}) });
        countCalls(c as unknown as Countable, tally, 'lambda');
        // A client asked for during destroy() would otherwise keep its sockets.
        if (destroyed) c.destroy();
        lambda = c;
        return c;
      })),
    counts: () => ({ ...counts }),
    commands: () => ({ ...tally.commands }),
    operations: () => ({ ...tally.operations }),
    latencies: () => Object.fromEntries(Object.entries(tally.latencies).map(([k, v]) => [k, [...v]])),
    capacity: () => meter.total(),
    destroy: () => {
      s3.destroy();
      sqs.destroy();
      dynamodb.destroy();
      destroyed = true;
      lambda?.destroy();
    },
  };
}
