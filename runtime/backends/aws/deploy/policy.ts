/**
 * IAM documents of the executor role (pure functions; unit-tested). Least privilege: the
 * executor may touch only this stack's block objects, queues, table, its own log group, and
 * invoke its own function (hierarchical fan-out) — nothing account-wide. dynamodb:Scan is not
 * granted (only the driver's cleanup checks scan, with the user's credentials). s3:ListBucket is,
 * on the stack's own bucket: without it S3 answers a GET of a missing key with 403 instead of
 * 404, and executors rely on NOT_FOUND to recognise late duplicates.
 */

export interface PolicyStatement {
  readonly Sid: string;
  readonly Effect: 'Allow';
  readonly Action: readonly string[];
  readonly Resource: readonly string[];
}

export interface PolicyDocument {
  readonly Version: '2012-10-17';
  readonly Statement: readonly PolicyStatement[];
}

export interface TrustPolicyDocument {
  readonly Version: '2012-10-17';
  readonly Statement: readonly [{ readonly Effect: 'Allow'; readonly Principal: { readonly Service: 'lambda.amazonaws.com' }; readonly Action: 'sts:AssumeRole' }];
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
  /** Task queues and the dead-letter queue. */
  readonly queues: readonly string[];
  readonly table: string;
  readonly functionName: string;
}

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
 *   queues: ['lapwing-tasks-high'], table: 'lapwing-state', functionName: 'lapwing-executor' })
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
      { Sid: 'BlockBucket', Effect: 'Allow', Action: ['s3:ListBucket'], Resource: [`arn:${p}:s3:::${r.bucket}`] },
      {
        Sid: 'Queues',
        Effect: 'Allow',
        Action: [
          'sqs:SendMessage',
          'sqs:ReceiveMessage',
          'sqs:DeleteMessage',
          'sqs:ChangeMessageVisibility',
          'sqs:GetQueueAttributes',
          'sqs:GetQueueUrl',
        ],
        Resource: r.queues.map((q) => `arn:${p}:sqs:${at}:${q}`),
      },
      {
        Sid: 'State',
        Effect: 'Allow',
        Action: [
          'dynamodb:GetItem',
          'dynamodb:PutItem',
          'dynamodb:UpdateItem',
          'dynamodb:DeleteItem',
          'dynamodb:Query',
          'dynamodb:BatchGetItem',
          'dynamodb:BatchWriteItem',
        ],
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

/** The trust policy letting Lambda assume the executor role. */
export function lambdaTrustPolicy(): TrustPolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
  };
}
