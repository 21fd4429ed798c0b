/**
 * IAM documents of the executor role (pure functions; unit-tested against the calls the
 * executor really makes, see {@link IAM_ACTION_OF_COMMAND}). Least privilege: the executor may
 * touch only this stack's block objects, queues, table, its own log group, and invoke its own
 * function (hierarchical fan-out) — nothing account-wide.
 *
 * - S3: get/put/delete of objects under the block prefix. s3:ListBucket only for keys under that
 *   prefix (executors never list; with it S3 may answer a GET of a missing key with 404 rather
 *   than 403, and the block store treats a 403 on GET as "missing" either way).
 * - SQS: the task queues are leased, renewed, acked and sent to; the dead-letter queue is only
 *   sent to (reading it is the driver's and `lapwing status`'s business, with the user's
 *   credentials). GetQueueAttributes is the driver's (queue depth), not the executors'.
 * - DynamoDB: item reads and writes on the stack's table; no Scan, no DeleteItem (state is
 *   removed by the driver and by TTL).
 * - Trust: only Lambda, and only on behalf of this account (aws:SourceAccount).
 */

export interface PolicyStatement {
  readonly Sid: string;
  readonly Effect: 'Allow';
  readonly Action: readonly string[];
  readonly Resource: readonly string[];
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, string | readonly string[]>>>>;
}

export interface PolicyDocument {
  readonly Version: '2012-10-17';
  readonly Statement: readonly PolicyStatement[];
}

export interface TrustPolicyDocument {
  readonly Version: '2012-10-17';
  readonly Statement: readonly [
    {
      readonly Effect: 'Allow';
      readonly Principal: { readonly Service: 'lambda.amazonaws.com' };
      readonly Action: 'sts:AssumeRole';
      readonly Condition: { readonly StringEquals: { readonly 'aws:SourceAccount': string } };
    },
  ];
}

/** The stack resources the executor needs, with the account they live in. */
export interface PolicyResources {
  /** 'aws', or 'aws-cn' / 'aws-us-gov'. */
  readonly partition?: string;
  readonly region: string;
  readonly accountId: string;
  readonly bucket: string;
  /** Object-key prefix of blocks inside the bucket. */
  readonly keyPrefix: string;
  /** Task queues (leased by executors). */
  readonly queues: readonly string[];
  /** The dead-letter queue (executors only send to it). */
  readonly deadLetterQueue: string;
  readonly table: string;
  readonly functionName: string;
}

/**
 * The IAM action each SDK command of the executor needs (batch commands are authorised by the
 * action of their single form). The policy test records the commands an executor sends on the
 * emulators and checks each against the policy through this table.
 */
export const IAM_ACTION_OF_COMMAND: Readonly<Record<string, string>> = {
  GetObjectCommand: 's3:GetObject',
  PutObjectCommand: 's3:PutObject',
  DeleteObjectsCommand: 's3:DeleteObject',
  DeleteObjectCommand: 's3:DeleteObject',
  ListObjectsCommand: 's3:ListBucket',
  ListObjectsV2Command: 's3:ListBucket',
  SendMessageCommand: 'sqs:SendMessage',
  SendMessageBatchCommand: 'sqs:SendMessage',
  ReceiveMessageCommand: 'sqs:ReceiveMessage',
  DeleteMessageCommand: 'sqs:DeleteMessage',
  DeleteMessageBatchCommand: 'sqs:DeleteMessage',
  ChangeMessageVisibilityCommand: 'sqs:ChangeMessageVisibility',
  ChangeMessageVisibilityBatchCommand: 'sqs:ChangeMessageVisibility',
  GetQueueUrlCommand: 'sqs:GetQueueUrl',
  GetQueueAttributesCommand: 'sqs:GetQueueAttributes',
  GetItemCommand: 'dynamodb:GetItem',
  PutItemCommand: 'dynamodb:PutItem',
  UpdateItemCommand: 'dynamodb:UpdateItem',
  DeleteItemCommand: 'dynamodb:DeleteItem',
  QueryCommand: 'dynamodb:Query',
  ScanCommand: 'dynamodb:Scan',
  BatchGetItemCommand: 'dynamodb:BatchGetItem',
  BatchWriteItemCommand: 'dynamodb:BatchWriteItem',
  TransactWriteItemsCommand: 'dynamodb:UpdateItem',
  TransactGetItemsCommand: 'dynamodb:GetItem',
  InvokeCommand: 'lambda:InvokeFunction',
};

/** Account id of an IAM ARN, e.g. of the role CreateRole returned. */
export function accountOfArn(arn: string): string {
  const account = arn.split(':')[4];
  if (!account || !/^\d{12}$/.test(account)) throw new Error(`cannot read the account id from ARN ${arn}`);
  return account;
}

/**
 * The executor role's inline policy.
 * @example
 * executorPolicy({ region: 'eu-west-1', accountId: '123456789012', bucket: 'lapwing-blocks', keyPrefix: 'blocks',
 *   queues: ['lapwing-tasks-high'], deadLetterQueue: 'lapwing-tasks-dlq', table: 'lapwing-state', functionName: 'lapwing-executor' })
 */
export function executorPolicy(r: PolicyResources): PolicyDocument {
  const p = r.partition ?? 'aws';
  const at = `${r.region}:${r.accountId}`;
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'Blocks',
        Effect: 'Allow',
        Action: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
        Resource: [`arn:${p}:s3:::${r.bucket}/${r.keyPrefix}/*`],
      },
      {
        Sid: 'BlockBucket',
        Effect: 'Allow',
        Action: ['s3:ListBucket'],
        Resource: [`arn:${p}:s3:::${r.bucket}`],
        Condition: { StringLike: { 's3:prefix': [`${r.keyPrefix}/*`] } },
      },
      {
        Sid: 'Queues',
        Effect: 'Allow',
        Action: ['sqs:SendMessage', 'sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueUrl'],
        Resource: r.queues.map((q) => `arn:${p}:sqs:${at}:${q}`),
      },
      {
        Sid: 'DeadLetters',
        Effect: 'Allow',
        Action: ['sqs:SendMessage', 'sqs:GetQueueUrl'],
        Resource: [`arn:${p}:sqs:${at}:${r.deadLetterQueue}`],
      },
      {
        Sid: 'State',
        Effect: 'Allow',
        Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:BatchGetItem', 'dynamodb:BatchWriteItem'],
        Resource: [`arn:${p}:dynamodb:${at}:table/${r.table}`],
      },
      { Sid: 'FanOut', Effect: 'Allow', Action: ['lambda:InvokeFunction'], Resource: [`arn:${p}:lambda:${at}:function:${r.functionName}`] },
      {
        Sid: 'Logs',
        Effect: 'Allow',
        Action: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: [`arn:${p}:logs:${at}:log-group:/aws/lambda/${r.functionName}`, `arn:${p}:logs:${at}:log-group:/aws/lambda/${r.functionName}:*`],
      },
    ],
  };
}

/** The actions `policy` allows on `resource` (an ARN), conditions aside. */
export function allowedActions(policy: PolicyDocument, resource: string): Set<string> {
  const out = new Set<string>();
  for (const s of policy.Statement) {
    const hit = s.Resource.some((r) => (r.endsWith('*') ? resource.startsWith(r.slice(0, -1)) : resource === r));
    if (hit) for (const a of s.Action) out.add(a);
  }
  return out;
}

/** The trust policy letting Lambda, acting for `accountId` only, assume the executor role. */
export function lambdaTrustPolicy(accountId: string): TrustPolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { Service: 'lambda.amazonaws.com' },
        Action: 'sts:AssumeRole',
        Condition: { StringEquals: { 'aws:SourceAccount': accountId } },
      },
    ],
  };
}
