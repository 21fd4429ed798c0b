/**
 * The IAM documents of deploy: least privilege, limited to the stack's own resources.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { accountOfArn, executorPolicy, lambdaTrustPolicy } from '../../runtime/backends/aws/deploy/policy.ts';
import { lambdaEnvironment } from '../../runtime/backends/aws/deploy/provision.ts';
import { LambdaLauncher } from '../../runtime/backends/aws/executors/lambda-launcher.ts';
import { loadAwsConfig } from '../../runtime/backends/aws/config.ts';

const config = loadAwsConfig({ AWS_REGION: 'eu-west-1', AWS_ACCESS_KEY_ID: 'a', AWS_SECRET_ACCESS_KEY: 'b', LAPWING_AWS_PREFIX: 'prod', LAPWING_AWS_BUCKET: 'prod-blocks-123' });
const policy = executorPolicy({
  region: 'eu-west-1',
  accountId: '123456789012',
  bucket: config.names.bucket,
  keyPrefix: config.names.keyPrefix,
  queues: [...config.names.queues, config.names.deadLetterQueue],
  table: config.names.table,
  functionName: config.names.functionName,
});

describe('executor policy', () => {
  it('grants exactly the actions the executor uses, on named resources only', () => {
    assert.equal(policy.Version, '2012-10-17');
    const bySid = Object.fromEntries(policy.Statement.map((s) => [s.Sid, s]));
    assert.deepEqual(bySid.Blocks?.Resource, ['arn:aws:s3:::prod-blocks-123/blocks/*']);
    assert.deepEqual(bySid.BlockBucket?.Resource, ['arn:aws:s3:::prod-blocks-123']);
    assert.deepEqual(bySid.Queues?.Resource, [
      'arn:aws:sqs:eu-west-1:123456789012:prod-tasks-high',
      'arn:aws:sqs:eu-west-1:123456789012:prod-tasks-normal',
      'arn:aws:sqs:eu-west-1:123456789012:prod-tasks-low',
      'arn:aws:sqs:eu-west-1:123456789012:prod-tasks-dlq',
    ]);
    assert.deepEqual(bySid.State?.Resource, ['arn:aws:dynamodb:eu-west-1:123456789012:table/prod-state']);
    assert.deepEqual(bySid.FanOut?.Resource, ['arn:aws:lambda:eu-west-1:123456789012:function:prod-executor']);
    assert.deepEqual(bySid.FanOut?.Action, ['lambda:InvokeFunction']);
    for (const s of policy.Statement) {
      assert.equal(s.Effect, 'Allow');
      for (const a of s.Action) assert.ok(!a.includes('*'), `no wildcard action: ${a}`);
      for (const r of s.Resource) assert.ok(r !== '*' && !/:\*$/.test(r.split('/')[0]!), `no account-wide resource: ${r}`);
    }
    const actions = policy.Statement.flatMap((s) => s.Action);
    for (const forbidden of ['dynamodb:Scan', 'dynamodb:DeleteTable', 's3:DeleteBucket', 'sqs:DeleteQueue', 'sqs:PurgeQueue', 'iam:PassRole']) {
      assert.ok(!actions.includes(forbidden), forbidden);
    }
    assert.doesNotThrow(() => JSON.parse(JSON.stringify(policy)));
  });

  it('lets only Lambda assume the role', () => {
    assert.deepEqual(lambdaTrustPolicy().Statement, [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }]);
  });

  it('reads the account from an ARN', () => {
    assert.equal(accountOfArn('arn:aws:iam::123456789012:role/prod-executor-role'), '123456789012');
    assert.throws(() => accountOfArn('arn:aws:iam:::role/x'), /account id/);
  });

  it('gives the function its stack settings without reserved or credential variables', () => {
    const env = lambdaEnvironment(config, { LAPWING_IDLE_TIMEOUT_MS: '20000' });
    assert.equal(env.LAPWING_AWS_PREFIX, 'prod');
    assert.equal(env.LAPWING_AWS_BUCKET, 'prod-blocks-123');
    assert.equal(env.LAPWING_IDLE_TIMEOUT_MS, '20000');
    assert.ok(Object.keys(env).every((k) => !k.startsWith('AWS_')), Object.keys(env).join());
  });

  it('invokes executors with { job?, executorId }', () => {
    assert.deepEqual(LambdaLauncher.event('lambda-1', 'j-1'), { job: 'j-1', executorId: 'lambda-1' });
    assert.deepEqual(LambdaLauncher.event('lambda-2'), { executorId: 'lambda-2' });
  });
});
