/**
 * Creating and deleting a stack's resources through the SDK (`lapwing deploy` / `destroy`).
 *
 * Data resources (work against the emulators too):
 *   bucket            private, for blocks; a lifecycle rule expires temporaries a crashed job
 *                     leaked (they live under their own prefix, object-keys.ts)
 *   4 queues          high/normal/low task queues with a RedrivePolicy to the dead-letter queue
 *                     one delivery after the executor's own limit (a backstop: the executor
 *                     fails the job naming the task first)
 *   table             pk/sk strings, PAY_PER_REQUEST, TTL on `expiresAt`
 * Compute resources (real AWS only):
 *   IAM role          trusted by Lambda for this account only, inline policy from policy.ts
 *   Lambda function   nodejs24.x on x86_64 or arm64, the esbuild bundle of handler.ts
 *                     (bundle.ts); reserved concurrency (a runaway launch cannot take the
 *                     account's whole concurrency); asynchronous invocations are not retried by
 *                     Lambda and expire when old (the driver relaunches what is missing)
 *
 * Every step is idempotent: deploy over an existing stack updates it, destroy of a partly
 * missing stack deletes what is there.
 */
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  HeadBucketCommand,
  ListObjectsCommand,
  DeleteObjectsCommand,
  PutBucketLifecycleConfigurationCommand,
  type BucketLocationConstraint,
  type PutBucketLifecycleConfigurationCommandInput,
} from '@aws-sdk/client-s3';
import {
  CreateQueueCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  SetQueueAttributesCommand,
} from '@aws-sdk/client-sqs';
import {
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import {
  CreateFunctionCommand,
  DeleteFunctionCommand,
  GetFunctionConfigurationCommand,
  PutFunctionConcurrencyCommand,
  PutFunctionEventInvokeConfigCommand,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
  type CreateFunctionCommandInput,
  type PutFunctionConcurrencyCommandInput,
  type PutFunctionEventInvokeConfigCommandInput,
} from '@aws-sdk/client-lambda';
import {
  CreateRoleCommand,
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  GetRoleCommand,
  IAMClient,
  PutRolePolicyCommand,
  UpdateAssumeRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { StoreError } from '../../../core/interfaces.ts';
import { errorName, toStoreError, withRetry } from '../aws-errors.ts';
import type { AwsClients } from '../clients.ts';
import { configToEnv, type AwsConfig } from '../config.ts';
import { TTL_ATTRIBUTE } from '../stores/dynamo-state-store.ts';
import { SqsTaskQueue } from '../stores/sqs-task-queue.ts';
import { TEMP_OBJECT_PREFIX } from '../stores/object-keys.ts';
import { accountOfArn, executorPolicy, lambdaTrustPolicy } from './policy.ts';
import { sleep } from '../../../core/util.ts';

/** Progress lines (one per resource). */
export type Log = (line: string) => void;

/** Visibility timeout of the task queues when a receive does not set one. */
const QUEUE_VISIBILITY_S = 60;
/** Task messages live as long as SQS allows (14 days): a paused job must not lose tasks. */
const RETENTION_S = 14 * 24 * 3600;


async function ignoring<T>(names: readonly string[], p: Promise<T>): Promise<T | undefined> {
  try {
    return await p;
  } catch (e) {
    if (names.includes(errorName(e))) return undefined;
    throw e;
  }
}

/**
 * Extra redrive headroom on the emulators: local-aws-sqs counts every visibility change (lease
 * renewals, releases) as a receive in its own redrive check (the compat layer corrects only the
 * counts it reports), so a healthy task renewed a few times would be moved to the DLQ.
 */
const EMULATOR_REDRIVE_HEADROOM = 50;

/**
 * The RedrivePolicy's maxReceiveCount for executors that give up after `maxDeliveries`: one more,
 * so that the executor sees the delivery past its limit and fails the job naming the task; SQS
 * moves the message only if even that delivery's executor dies.
 */
export function redriveCount(maxDeliveries: number, emulated = false): number {
  return Math.min(1000, maxDeliveries + 1 + (emulated ? EMULATOR_REDRIVE_HEADROOM : 0));
}

/**
 * The bucket's lifecycle rule: temporaries (which executors delete as soon as their readers
 * finished, and the driver at the end of a job) expire after `days` in case a job was abandoned;
 * incomplete multipart uploads after a day.
 */
export function lifecycleRequest(bucket: string, keyPrefix: string, days: number): PutBucketLifecycleConfigurationCommandInput {
  return {
    Bucket: bucket,
    LifecycleConfiguration: {
      Rules: [
        {
          ID: 'lapwing-leaked-temporaries',
          Status: 'Enabled',
          Filter: { Prefix: `${keyPrefix}/${TEMP_OBJECT_PREFIX}/` },
          Expiration: { Days: Math.max(1, days) },
          AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
        },
      ],
    },
  };
}

/** Creates (or updates) the bucket, queues and table of `config`'s stack. */
export async function createDataResources(clients: AwsClients, config: AwsConfig, log: Log = () => undefined): Promise<void> {
  const { names, retry } = config;
  await createBucket(clients, config, log);

  const sqs = clients.sqs;
  const dlq = await withRetry(retry, `SQS CreateQueue ${names.deadLetterQueue}`, () =>
    sqs.send(new CreateQueueCommand({ QueueName: names.deadLetterQueue, Attributes: { MessageRetentionPeriod: String(RETENTION_S) } })),
  );
  const dlqAttrs = await withRetry(retry, `SQS GetQueueAttributes ${names.deadLetterQueue}`, () =>
    sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl, AttributeNames: ['QueueArn'] })),
  );
  const dlqArn = dlqAttrs.Attributes?.QueueArn;
  if (!dlqArn) throw new StoreError('CONFIG', `SQS queue ${names.deadLetterQueue} has no ARN`);
  log(`queue  ${names.deadLetterQueue} (dead letters)`);
  const Attributes = {
    VisibilityTimeout: String(QUEUE_VISIBILITY_S),
    MessageRetentionPeriod: String(RETENTION_S),
    RedrivePolicy: JSON.stringify({ maxReceiveCount: redriveCount(config.maxReceiveCount, config.emulated), deadLetterTargetArn: dlqArn }),
  };
  for (const QueueName of names.queues) {
    try {
      await withRetry(retry, `SQS CreateQueue ${QueueName}`, () => sqs.send(new CreateQueueCommand({ QueueName, Attributes })), (e) =>
        ['QueueAlreadyExists', 'QueueNameExists'].includes(errorName(e)),
      );
    } catch (e) {
      if (!['QueueAlreadyExists', 'QueueNameExists'].includes(errorName(e))) throw toStoreError(e, `SQS CreateQueue ${QueueName}`);
      // Exists with other attributes (e.g. a new maxReceiveCount): update them.
      const url = await withRetry(retry, `SQS GetQueueUrl ${QueueName}`, () => sqs.send(new GetQueueUrlCommand({ QueueName })));
      await withRetry(retry, `SQS SetQueueAttributes ${QueueName}`, () => sqs.send(new SetQueueAttributesCommand({ QueueUrl: url.QueueUrl, Attributes })));
    }
    log(`queue  ${QueueName} (a task fails after ${config.maxReceiveCount} deliveries)`);
  }

  await createTable(clients, config, log);
}

async function createBucket(clients: AwsClients, config: AwsConfig, log: Log): Promise<void> {
  const Bucket = config.names.bucket;
  const location = config.region === 'us-east-1' || config.emulated ? undefined : (config.region as BucketLocationConstraint);
  try {
    await withRetry(
      config.retry,
      `S3 CreateBucket ${Bucket}`,
      () => clients.s3.send(new CreateBucketCommand({ Bucket, ...(location ? { CreateBucketConfiguration: { LocationConstraint: location } } : {}) })),
      (e) => ['BucketAlreadyOwnedByYou', 'BucketAlreadyExists'].includes(errorName(e)),
    );
  } catch (e) {
    if (errorName(e) === 'BucketAlreadyOwnedByYou') {
      // ours already
    } else if (errorName(e) === 'BucketAlreadyExists') {
      // s3rver says this for its own buckets too; on AWS it means someone else has the name.
      const ours = await clients.s3.send(new HeadBucketCommand({ Bucket })).then(() => true, () => false);
      if (!ours) throw new StoreError('CONFIG', `bucket name ${Bucket} is taken (S3 names are global): set LAPWING_AWS_BUCKET to a unique name`);
    } else {
      throw toStoreError(e, `S3 CreateBucket ${Bucket}`);
    }
  }
  const days = Math.ceil(config.ttlSeconds / 86_400);
  const lifecycle = (): Promise<unknown> => clients.s3.send(new PutBucketLifecycleConfigurationCommand(lifecycleRequest(Bucket, config.names.keyPrefix, days)));
  if (config.emulated) {
    // s3rver has no lifecycle rules (it answers 501, which must not be retried as a server
    // error); the driver's cleanup still removes a job's temporaries.
    const ok = await lifecycle().then(() => true, () => false);
    log(`bucket ${Bucket} (${ok ? `temporaries expire after ${days} days` : 'this endpoint has no lifecycle rules'})`);
  } else {
    await withRetry(config.retry, `S3 PutBucketLifecycleConfiguration ${Bucket}`, lifecycle);
    log(`bucket ${Bucket} (temporaries expire after ${days} days)`);
  }
}

async function createTable(clients: AwsClients, config: AwsConfig, log: Log): Promise<void> {
  const TableName = config.names.table;
  const ddb = clients.dynamodb;
  await ignoring(
    ['ResourceInUseException'],
    ddb.send(
      new CreateTableCommand({
        TableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
      }),
    ),
  ).catch((e: unknown) => {
    throw toStoreError(e, `DynamoDB CreateTable ${TableName}`);
  });
  for (let i = 0; ; i++) {
    const d = await withRetry(config.retry, `DynamoDB DescribeTable ${TableName}`, () => ddb.send(new DescribeTableCommand({ TableName })));
    if (d.Table?.TableStatus === 'ACTIVE') break;
    if (i > 600) throw new StoreError('UNAVAILABLE', `DynamoDB table ${TableName} did not become ACTIVE`);
    await sleep(Math.min(1000, 20 * 2 ** i));
  }
  try {
    await ddb.send(new UpdateTimeToLiveCommand({ TableName, TimeToLiveSpecification: { Enabled: true, AttributeName: TTL_ATTRIBUTE } }));
    log(`table  ${TableName} (on demand, TTL on ${TTL_ATTRIBUTE})`);
  } catch (e) {
    const name = errorName(e);
    if (name === 'ValidationException' && /already enabled/i.test(String((e as Error).message))) {
      log(`table  ${TableName} (on demand, TTL on ${TTL_ATTRIBUTE})`);
    } else if (config.emulated) {
      // dynalite does not implement UpdateTimeToLive; items still carry the attribute.
      log(`table  ${TableName} (on demand; this endpoint does not support TTL: ${name})`);
    } else {
      throw toStoreError(e, `DynamoDB UpdateTimeToLive ${TableName}`);
    }
  }
}

/** Deletes the bucket (with every object), the queues and the table. Missing ones are skipped. */
export async function destroyDataResources(clients: AwsClients, config: AwsConfig, log: Log = () => undefined): Promise<void> {
  const { names, retry } = config;
  const Bucket = names.bucket;
  const gone = await emptyBucket(clients, config).then(() => false, (e: unknown) => {
    if (e instanceof StoreError && e.cause !== undefined && errorName(e.cause) === 'NoSuchBucket') return true;
    throw e;
  });
  if (!gone) {
    await ignoring(['NoSuchBucket'], withRetry(retry, `S3 DeleteBucket ${Bucket}`, () => clients.s3.send(new DeleteBucketCommand({ Bucket })), (e) => errorName(e) === 'NoSuchBucket'));
  }
  log(`deleted bucket ${Bucket}`);
  const missingQueue = ['AWS.SimpleQueueService.NonExistentQueue', 'QueueDoesNotExist'];
  for (const QueueName of [...names.queues, names.deadLetterQueue]) {
    const url = await ignoring(missingQueue, clients.sqs.send(new GetQueueUrlCommand({ QueueName })));
    if (url?.QueueUrl) {
      const QueueUrl = url.QueueUrl;
      await ignoring(missingQueue, withRetry(retry, `SQS DeleteQueue ${QueueName}`, () => clients.sqs.send(new DeleteQueueCommand({ QueueUrl })), (e) => missingQueue.includes(errorName(e))));
    }
    log(`deleted queue ${QueueName}`);
  }
  await ignoring(['ResourceNotFoundException'], clients.dynamodb.send(new DeleteTableCommand({ TableName: names.table }))).catch((e: unknown) => {
    throw toStoreError(e, `DynamoDB DeleteTable ${names.table}`);
  });
  log(`deleted table ${names.table}`);
}

/**
 * Deletes every object of the bucket: pages through the listing once (marker after the last key
 * seen), deleting each page, then checks it is empty; a bounded number of such passes (objects
 * written meanwhile), after which what is left is an error rather than an endless loop.
 */
async function emptyBucket(clients: AwsClients, config: AwsConfig, passes = 3): Promise<void> {
  const Bucket = config.names.bucket;
  const passMissing = (e: unknown): boolean => errorName(e) === 'NoSuchBucket';
  const list = (marker: string | undefined) =>
    withRetry(config.retry, `S3 ListObjects ${Bucket}`, () => clients.s3.send(new ListObjectsCommand({ Bucket, MaxKeys: 1000, ...(marker ? { Marker: marker } : {}) })), passMissing).catch(
      (e: unknown) => {
        throw toStoreError(e, `S3 ListObjects ${Bucket}`);
      },
    );
  for (let pass = 0; pass < passes; pass++) {
    let marker: string | undefined;
    let seen = 0;
    do {
      const page = await list(marker);
      const keys = (page.Contents ?? []).flatMap((o) => (o.Key ? [{ Key: o.Key }] : []));
      seen += keys.length;
      if (keys.length > 0) {
        const res = await withRetry(config.retry, `S3 DeleteObjects ${Bucket}`, () => clients.s3.send(new DeleteObjectsCommand({ Bucket, Delete: { Objects: keys, Quiet: true } })));
        const failed = (res.Errors ?? []).filter((err) => err.Code !== 'NoSuchKey');
        if (failed.length > 0) throw new StoreError('CONFIG', `S3 DeleteObjects ${Bucket}: ${failed.length} objects not deleted, e.g. ${failed[0]?.Key}: ${failed[0]?.Code}`);
      }
      marker = page.IsTruncated ? (page.NextMarker ?? keys.at(-1)?.Key) : undefined;
    } while (marker);
    if (seen === 0) return;
  }
  const left = (await list(undefined)).Contents?.length ?? 0;
  if (left > 0) throw new StoreError('UNAVAILABLE', `S3 bucket ${Bucket} still has objects after ${passes} passes (is something still writing to it?)`);
}

// ---------------------------------------------------------------------------------------------
// Compute: IAM role + Lambda function (real AWS).

/** Processor architecture of the function (arm64 is about 20% cheaper per GB-s). */
export type LambdaArch = 'x86_64' | 'arm64';

/** The Lambda runtime of the executor function. */
export const LAMBDA_RUNTIME = 'nodejs24.x';

export interface FunctionSettings {
  /** The deployment package (zip of the handler bundle). */
  readonly zip: Uint8Array;
  readonly memoryMb: number;
  /** Function timeout in seconds (Lambda's maximum is 900). */
  readonly timeoutS: number;
  /** Default x86_64. The bundle is plain JavaScript with WASM kernels: it runs on either. */
  readonly arch?: LambdaArch;
  /** Reserved concurrency: the most executors that can run at once (undefined: unreserved). */
  readonly reservedConcurrency?: number;
  /** Asynchronous invocations older than this are dropped, not run (60…21600 s). */
  readonly maxEventAgeS?: number;
  /** Extra environment of the executors (executor-env.ts variables). */
  readonly env?: Readonly<Record<string, string>>;
}

/** Default age after which a queued launch is dropped: a launch that late is no longer wanted. */
export const DEFAULT_MAX_EVENT_AGE_S = 300;

/** The function's configuration (CreateFunction's input less the code; pure). */
export function functionConfiguration(config: AwsConfig, roleArn: string, fn: FunctionSettings): Omit<CreateFunctionCommandInput, 'Code'> {
  return {
    FunctionName: config.names.functionName,
    Role: roleArn,
    Handler: 'handler.handler',
    Runtime: LAMBDA_RUNTIME,
    Architectures: [fn.arch ?? 'x86_64'],
    MemorySize: fn.memoryMb,
    Timeout: fn.timeoutS,
    Environment: { Variables: lambdaEnvironment(config, fn.env) },
  };
}

/**
 * Asynchronous-invocation settings (pure): Lambda must not retry a failed launch event (the
 * executor already did its share; the driver relaunches what is missing), and must drop events
 * that waited too long in Lambda's internal queue.
 */
export function eventInvokeConfig(config: AwsConfig, fn: Pick<FunctionSettings, 'maxEventAgeS'>): PutFunctionEventInvokeConfigCommandInput {
  const age = fn.maxEventAgeS ?? DEFAULT_MAX_EVENT_AGE_S;
  if (!Number.isInteger(age) || age < 60 || age > 21_600) throw new StoreError('CONFIG', `maximum event age ${age} s is invalid: expected 60…21600`);
  return { FunctionName: config.names.functionName, MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: age };
}

/** The reserved-concurrency request (pure); undefined when none is asked for. */
export function concurrencyRequest(config: AwsConfig, fn: Pick<FunctionSettings, 'reservedConcurrency'>): PutFunctionConcurrencyCommandInput | undefined {
  const n = fn.reservedConcurrency;
  if (n === undefined) return undefined;
  if (!Number.isInteger(n) || n < 1) throw new StoreError('CONFIG', `reserved concurrency ${n} is invalid: expected a positive integer`);
  return { FunctionName: config.names.functionName, ReservedConcurrentExecutions: n };
}

/**
 * The function's environment: the stack's settings without the variables Lambda reserves
 * (AWS_REGION, credentials) and without endpoints (a deployed function talks to AWS).
 */
export function lambdaEnvironment(config: AwsConfig, extra: Readonly<Record<string, string>> = {}): Record<string, string> {
  const env = Object.fromEntries(Object.entries(configToEnv(config, false)).filter(([k]) => !k.startsWith('AWS_')));
  return { ...env, ...extra };
}

/** The configuration without its architecture (which only UpdateFunctionCode can change). */
function withoutArch<T extends { Architectures?: unknown }>(settings: T): Omit<T, 'Architectures'> {
  const { Architectures: _arch, ...rest } = settings;
  return rest;
}

/** Trust policy of a role just created, before its account is known (narrowed right after). */
const LAMBDA_ONLY = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }] };

/** Creates (or updates) the executor role and function; returns the function ARN. */
export async function deployFunction(clients: AwsClients, iam: IAMClient, config: AwsConfig, fn: FunctionSettings, log: Log = () => undefined): Promise<string> {
  const { names, retry } = config;
  const RoleName = names.roleName;
  let roleArn: string | undefined;
  try {
    const created = await iam.send(
      new CreateRoleCommand({ RoleName, AssumeRolePolicyDocument: JSON.stringify(LAMBDA_ONLY), Description: `lapwing executors of stack ${config.stack}` }),
    );
    roleArn = created.Role?.Arn;
  } catch (e) {
    if (errorName(e) !== 'EntityAlreadyExists') throw toStoreError(e, `IAM CreateRole ${RoleName}`);
    roleArn = (await iam.send(new GetRoleCommand({ RoleName }))).Role?.Arn;
  }
  if (!roleArn) throw new StoreError('CONFIG', `IAM role ${RoleName} has no ARN`);
  // The account is known from the role's ARN only now: narrow the trust to it (also on roles
  // of older deploys).
  await iam.send(new UpdateAssumeRolePolicyCommand({ RoleName, PolicyDocument: JSON.stringify(lambdaTrustPolicy(accountOfArn(roleArn))) }));
  const policy = executorPolicy({
    region: config.region,
    accountId: accountOfArn(roleArn),
    partition: roleArn.split(':')[1],
    bucket: names.bucket,
    keyPrefix: names.keyPrefix,
    queues: [...names.queues],
    deadLetterQueue: names.deadLetterQueue,
    table: names.table,
    functionName: names.functionName,
  });
  await iam.send(new PutRolePolicyCommand({ RoleName, PolicyName: `${config.stack}-executor`, PolicyDocument: JSON.stringify(policy) }));
  log(`role   ${RoleName} (policy limited to this stack)`);

  const FunctionName = names.functionName;
  // The queue URLs go into the function's environment: a cold container is spared four
  // GetQueueUrl calls. Without them (queues not there yet) executors look them up.
  const queueUrls = config.queueUrls ?? (await SqsTaskQueue.open(clients.sqs, names, { priorityCuts: config.priorityCuts, retry }).then((q) => q.urls(), () => undefined));
  const lambda = await clients.lambda();
  const settings = functionConfiguration(queueUrls ? { ...config, queueUrls } : config, roleArn, fn);
  const invokeConfig = eventInvokeConfig(config, fn);
  const concurrency = concurrencyRequest(config, fn);
  let arn: string | undefined;
  // A new role takes a few seconds to become assumable by Lambda: retry that one error.
  for (let attempt = 0; ; attempt++) {
    try {
      const res = await lambda.send(new CreateFunctionCommand({ ...settings, Code: { ZipFile: fn.zip } }));
      arn = res.FunctionArn;
      break;
    } catch (e) {
      const name = errorName(e);
      if (name === 'ResourceConflictException') {
        await withRetry(retry, `Lambda UpdateFunctionCode ${FunctionName}`, () =>
          lambda.send(new UpdateFunctionCodeCommand({ FunctionName, ZipFile: fn.zip, Architectures: settings.Architectures })),
        );
        await waitForFunction(clients, config);
        const res = await withRetry(retry, `Lambda UpdateFunctionConfiguration ${FunctionName}`, () =>
          lambda.send(new UpdateFunctionConfigurationCommand({ ...withoutArch(settings), FunctionName })),
        );
        arn = res.FunctionArn;
        break;
      }
      if (name === 'InvalidParameterValueException' && attempt < 10) {
        await sleep(3000);
        continue;
      }
      throw toStoreError(e, `Lambda CreateFunction ${FunctionName}`);
    }
  }
  await waitForFunction(clients, config);
  await withRetry(retry, `Lambda PutFunctionEventInvokeConfig ${FunctionName}`, () => lambda.send(new PutFunctionEventInvokeConfigCommand(invokeConfig)));
  if (concurrency) await withRetry(retry, `Lambda PutFunctionConcurrency ${FunctionName}`, () => lambda.send(new PutFunctionConcurrencyCommand(concurrency)));
  log(
    `function ${FunctionName} (${LAMBDA_RUNTIME} ${settings.Architectures?.[0]}, ${fn.memoryMb} MB, ${fn.timeoutS} s, ` +
      `${concurrency ? `at most ${concurrency.ReservedConcurrentExecutions} at once` : 'unreserved concurrency'}, no async retries, events expire after ${invokeConfig.MaximumEventAgeInSeconds} s)`,
  );
  return arn ?? FunctionName;
}

async function waitForFunction(clients: AwsClients, config: AwsConfig): Promise<void> {
  const FunctionName = config.names.functionName;
  const lambda = await clients.lambda();
  for (let i = 0; i < 120; i++) {
    const c = await withRetry(config.retry, `Lambda GetFunctionConfiguration ${FunctionName}`, () =>
      lambda.send(new GetFunctionConfigurationCommand({ FunctionName })),
    );
    if (c.State === 'Failed') throw new StoreError('CONFIG', `Lambda function ${FunctionName} failed: ${c.StateReason ?? ''}`);
    if (c.State !== 'Pending' && c.LastUpdateStatus !== 'InProgress') return;
    await sleep(1000);
  }
  throw new StoreError('UNAVAILABLE', `Lambda function ${FunctionName} is still updating`);
}

/** Deletes the function and the role (missing ones are skipped). */
export async function destroyFunction(clients: AwsClients, iam: IAMClient, config: AwsConfig, log: Log = () => undefined): Promise<void> {
  const { names } = config;
  const lambda = await clients.lambda();
  await ignoring(['ResourceNotFoundException'], lambda.send(new DeleteFunctionCommand({ FunctionName: names.functionName }))).catch((e: unknown) => {
    throw toStoreError(e, `Lambda DeleteFunction ${names.functionName}`);
  });
  log(`deleted function ${names.functionName}`);
  await ignoring(['NoSuchEntity'], iam.send(new DeleteRolePolicyCommand({ RoleName: names.roleName, PolicyName: `${config.stack}-executor` }))).catch((e: unknown) => {
    throw toStoreError(e, `IAM DeleteRolePolicy ${names.roleName}`);
  });
  await ignoring(['NoSuchEntity'], iam.send(new DeleteRoleCommand({ RoleName: names.roleName }))).catch((e: unknown) => {
    throw toStoreError(e, `IAM DeleteRole ${names.roleName}`);
  });
  log(`deleted role ${names.roleName}`);
}

/** An IAM client for `config` (IAM is global: no endpoint override, region only for signing). */
export function createIamClient(config: AwsConfig): IAMClient {
  return new IAMClient({
    region: config.region,
    ...(config.credentials ? { credentials: config.credentials } : {}),
    ...(config.profile ? { profile: config.profile } : {}),
  });
}
