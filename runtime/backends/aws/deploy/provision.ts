/**
 * Creating and deleting a stack's resources through the SDK (`lapwing deploy` / `destroy`).
 *
 * Data resources (work against the emulators too):
 *   bucket            private, for blocks
 *   4 queues          high/normal/low task queues with a RedrivePolicy to the dead-letter queue
 *   table             pk/sk strings, PAY_PER_REQUEST, TTL on `expiresAt`
 * Compute resources (real AWS only):
 *   IAM role          trusted by Lambda, inline policy from policy.ts (this stack only)
 *   Lambda function   nodejs20.x, the esbuild bundle of handler.ts (bundle.ts)
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
  type BucketLocationConstraint,
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
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
} from '@aws-sdk/client-lambda';
import {
  CreateRoleCommand,
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  GetRoleCommand,
  IAMClient,
  PutRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { StoreError } from '../../../core/interfaces.ts';
import { errorName, toStoreError, withRetry } from '../aws-errors.ts';
import type { AwsClients } from '../clients.ts';
import { configToEnv, type AwsConfig } from '../config.ts';
import { TTL_ATTRIBUTE } from '../stores/dynamo-state-store.ts';
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
    RedrivePolicy: JSON.stringify({ maxReceiveCount: config.maxReceiveCount, deadLetterTargetArn: dlqArn }),
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
    log(`queue  ${QueueName} (redrive after ${config.maxReceiveCount} receives)`);
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
  log(`bucket ${Bucket}`);
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

async function emptyBucket(clients: AwsClients, config: AwsConfig): Promise<void> {
  const Bucket = config.names.bucket;
  const passMissing = (e: unknown): boolean => errorName(e) === 'NoSuchBucket';
  for (;;) {
    // Deleting what the first page lists until nothing is left needs no pagination token.
    const page = await withRetry(config.retry, `S3 ListObjects ${Bucket}`, () => clients.s3.send(new ListObjectsCommand({ Bucket, MaxKeys: 1000 })), passMissing).catch(
      (e: unknown) => {
        throw toStoreError(e, `S3 ListObjects ${Bucket}`);
      },
    );
    const keys = (page.Contents ?? []).flatMap((o) => (o.Key ? [{ Key: o.Key }] : []));
    if (keys.length === 0) return;
    await withRetry(config.retry, `S3 DeleteObjects ${Bucket}`, () => clients.s3.send(new DeleteObjectsCommand({ Bucket, Delete: { Objects: keys, Quiet: true } })));
  }
}

// ---------------------------------------------------------------------------------------------
// Compute: IAM role + Lambda function (real AWS).

export interface FunctionSettings {
  /** The deployment package (zip of the handler bundle). */
  readonly zip: Uint8Array;
  readonly memoryMb: number;
  /** Function timeout in seconds (Lambda's maximum is 900). */
  readonly timeoutS: number;
  /** Extra environment of the executors (executor-env.ts variables). */
  readonly env?: Readonly<Record<string, string>>;
}

/**
 * The function's environment: the stack's settings without the variables Lambda reserves
 * (AWS_REGION, credentials) and without endpoints (a deployed function talks to AWS).
 */
export function lambdaEnvironment(config: AwsConfig, extra: Readonly<Record<string, string>> = {}): Record<string, string> {
  const env = Object.fromEntries(Object.entries(configToEnv(config, false)).filter(([k]) => !k.startsWith('AWS_')));
  return { ...env, ...extra };
}

/** Creates (or updates) the executor role and function; returns the function ARN. */
export async function deployFunction(clients: AwsClients, iam: IAMClient, config: AwsConfig, fn: FunctionSettings, log: Log = () => undefined): Promise<string> {
  const { names, retry } = config;
  const RoleName = names.roleName;
  let roleArn: string | undefined;
  try {
    const created = await iam.send(
      new CreateRoleCommand({ RoleName, AssumeRolePolicyDocument: JSON.stringify(lambdaTrustPolicy()), Description: `lapwing executors of stack ${config.stack}` }),
    );
    roleArn = created.Role?.Arn;
  } catch (e) {
    if (errorName(e) !== 'EntityAlreadyExists') throw toStoreError(e, `IAM CreateRole ${RoleName}`);
    roleArn = (await iam.send(new GetRoleCommand({ RoleName }))).Role?.Arn;
  }
  if (!roleArn) throw new StoreError('CONFIG', `IAM role ${RoleName} has no ARN`);
  const policy = executorPolicy({
    region: config.region,
    accountId: accountOfArn(roleArn),
    partition: roleArn.split(':')[1],
    bucket: names.bucket,
    keyPrefix: names.keyPrefix,
    queues: [...names.queues, names.deadLetterQueue],
    table: names.table,
    functionName: names.functionName,
  });
  await iam.send(new PutRolePolicyCommand({ RoleName, PolicyName: `${config.stack}-executor`, PolicyDocument: JSON.stringify(policy) }));
  log(`role   ${RoleName} (policy limited to this stack)`);

  const FunctionName = names.functionName;
  const Environment = { Variables: lambdaEnvironment(config, fn.env) };
  const settings = { Role: roleArn, Handler: 'handler.handler', Runtime: 'nodejs20.x' as const, MemorySize: fn.memoryMb, Timeout: fn.timeoutS, Environment };
  let arn: string | undefined;
  // A new role takes a few seconds to become assumable by Lambda: retry that one error.
  for (let attempt = 0; ; attempt++) {
    try {
      const res = await clients.lambda.send(new CreateFunctionCommand({ FunctionName, Code: { ZipFile: fn.zip }, ...settings }));
      arn = res.FunctionArn;
      break;
    } catch (e) {
      const name = errorName(e);
      if (name === 'ResourceConflictException') {
        await withRetry(retry, `Lambda UpdateFunctionCode ${FunctionName}`, () => clients.lambda.send(new UpdateFunctionCodeCommand({ FunctionName, ZipFile: fn.zip })));
        await waitForFunction(clients, config);
        const res = await withRetry(retry, `Lambda UpdateFunctionConfiguration ${FunctionName}`, () =>
          clients.lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName, ...settings })),
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
  log(`function ${FunctionName} (${fn.memoryMb} MB, ${fn.timeoutS} s)`);
  return arn ?? FunctionName;
}

async function waitForFunction(clients: AwsClients, config: AwsConfig): Promise<void> {
  const FunctionName = config.names.functionName;
  for (let i = 0; i < 120; i++) {
    const c = await withRetry(config.retry, `Lambda GetFunctionConfiguration ${FunctionName}`, () =>
      clients.lambda.send(new GetFunctionConfigurationCommand({ FunctionName })),
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
  await ignoring(['ResourceNotFoundException'], clients.lambda.send(new DeleteFunctionCommand({ FunctionName: names.functionName }))).catch((e: unknown) => {
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
