/**
 * The IAM documents of deploy: least privilege, limited to the stack's own resources, and
 * checked against the calls an executor really makes: an executor runs a job in this process
 * on the emulators (blocks both inline and in S3, temporaries collected, a malformed message
 * dead-lettered), its clients record every SDK command, and each must be allowed by the policy
 * on the resource it went to — while every action the policy grants must be one the executor
 * uses.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { accountOfArn, allowedActions, executorPolicy, IAM_ACTION_OF_COMMAND, lambdaTrustPolicy } from '../../runtime/backends/aws/deploy/policy.ts';
import { destroyDataResources, lambdaEnvironment } from '../../runtime/backends/aws/deploy/provision.ts';
import { LambdaLauncher } from '../../runtime/backends/aws/executors/lambda-launcher.ts';
import { loadAwsConfig } from '../../runtime/backends/aws/config.ts';
import { createAwsBackend } from '../../runtime/backends/aws/index.ts';
import { runExecutor } from '../../runtime/executor/executor.ts';
import { lapwing } from '../../runtime/library/session.ts';
import type { Emulators } from '../../runtime/backends/aws/dev/emulators.ts';
import { emulatorConfig, emulators, releaseEmulators } from './emulated.ts';

const config = loadAwsConfig({ AWS_REGION: 'eu-west-1', AWS_ACCESS_KEY_ID: 'a', AWS_SECRET_ACCESS_KEY: 'b', LAPWING_AWS_PREFIX: 'prod', LAPWING_AWS_BUCKET: 'prod-blocks-123' });
const resources = {
  region: 'eu-west-1',
  accountId: '123456789012',
  bucket: config.names.bucket,
  keyPrefix: config.names.keyPrefix,
  queues: [...config.names.queues],
  deadLetterQueue: config.names.deadLetterQueue,
  table: config.names.table,
  functionName: config.names.functionName,
};
const policy = executorPolicy(resources);
const arn = {
  object: 'arn:aws:s3:::prod-blocks-123/blocks/data/abc/jobs/j-1/A/0_0',
  bucket: 'arn:aws:s3:::prod-blocks-123',
  queue: 'arn:aws:sqs:eu-west-1:123456789012:prod-tasks-high',
  dlq: 'arn:aws:sqs:eu-west-1:123456789012:prod-tasks-dlq',
  table: 'arn:aws:dynamodb:eu-west-1:123456789012:table/prod-state',
  fn: 'arn:aws:lambda:eu-west-1:123456789012:function:prod-executor',
};

/** The resource ARN an executor's request of `action` goes to (dead-letter sends aside). */
function resourceOf(action: string): string {
  const service = action.split(':')[0];
  if (action === 's3:ListBucket') return arn.bucket;
  return { s3: arn.object, sqs: arn.queue, dynamodb: arn.table, lambda: arn.fn }[service!] ?? '';
}

describe('executor policy', () => {
  it('grants on named resources only, nothing account-wide', () => {
    assert.equal(policy.Version, '2012-10-17');
    const bySid = Object.fromEntries(policy.Statement.map((s) => [s.Sid, s]));
    assert.deepEqual(bySid.Blocks?.Resource, ['arn:aws:s3:::prod-blocks-123/blocks/*']);
    assert.deepEqual(bySid.BlockBucket?.Resource, ['arn:aws:s3:::prod-blocks-123']);
    assert.deepEqual(bySid.BlockBucket?.Condition, { StringLike: { 's3:prefix': ['blocks/*'] } }, 'listing only under the block prefix');
    assert.deepEqual(bySid.Queues?.Resource, [
      'arn:aws:sqs:eu-west-1:123456789012:prod-tasks-high',
      'arn:aws:sqs:eu-west-1:123456789012:prod-tasks-normal',
      'arn:aws:sqs:eu-west-1:123456789012:prod-tasks-low',
    ]);
    assert.deepEqual(bySid.DeadLetters?.Resource, [arn.dlq]);
    assert.deepEqual(bySid.State?.Resource, [arn.table]);
    assert.deepEqual(bySid.FanOut?.Resource, [arn.fn]);
    assert.deepEqual(bySid.FanOut?.Action, ['lambda:InvokeFunction']);
    for (const s of policy.Statement) {
      assert.equal(s.Effect, 'Allow');
      for (const a of s.Action) assert.ok(!a.includes('*'), `no wildcard action: ${a}`);
      for (const r of s.Resource) assert.ok(r !== '*' && !/:\*$/.test(r.split('/')[0]!), `no account-wide resource: ${r}`);
    }
    const actions = policy.Statement.flatMap((s) => s.Action);
    for (const forbidden of ['dynamodb:Scan', 'dynamodb:DeleteItem', 'dynamodb:DeleteTable', 's3:DeleteBucket', 'sqs:DeleteQueue', 'sqs:PurgeQueue', 'sqs:GetQueueAttributes', 'iam:PassRole']) {
      assert.ok(!actions.includes(forbidden), forbidden);
    }
    assert.doesNotThrow(() => JSON.parse(JSON.stringify(policy)));
  });

  it('lets the dead-letter queue be sent to, not read or emptied', () => {
    const dlq = allowedActions(policy, arn.dlq);
    assert.ok(dlq.has('sqs:SendMessage'));
    for (const a of ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility']) assert.ok(!dlq.has(a), a);
    assert.ok(allowedActions(policy, arn.queue).has('sqs:ReceiveMessage'));
    assert.ok(!allowedActions(policy, 'arn:aws:s3:::prod-blocks-123/other/x').has('s3:GetObject'), 'objects outside the block prefix');
  });

  it('lets only Lambda acting for this account assume the role', () => {
    assert.deepEqual(lambdaTrustPolicy('123456789012').Statement, [
      {
        Effect: 'Allow',
        Principal: { Service: 'lambda.amazonaws.com' },
        Action: 'sts:AssumeRole',
        Condition: { StringEquals: { 'aws:SourceAccount': '123456789012' } },
      },
    ]);
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
    // Queue URLs known at deploy time travel with it: a cold container looks nothing up.
    const urls = ['https://sqs/h', 'https://sqs/n', 'https://sqs/l', 'https://sqs/d'] as const;
    assert.equal(lambdaEnvironment({ ...config, queueUrls: urls }).LAPWING_AWS_QUEUE_URLS, urls.join(','));
  });

  it('invokes executors with { job?, executorId }', () => {
    assert.deepEqual(LambdaLauncher.event('lambda-1', 'j-1'), { job: 'j-1', executorId: 'lambda-1' });
    assert.deepEqual(LambdaLauncher.event('lambda-2'), { executorId: 'lambda-2' });
  });
});

describe('executor policy against the calls an executor makes', () => {
  let emu: Emulators;
  before(async () => {
    emu = await emulators();
  });
  after(async () => {
    await releaseEmulators();
  });

  it('allows every command the executor sends, and grants nothing it does not use', async () => {
    // Blocks of 64×64 (32 KB) go to S3, 32×32 (8 KB) inline to DynamoDB: both stores are used.
    const cfg = emulatorConfig(emu, { inlineThresholdBytes: 16 * 1024 });
    const driver = await createAwsBackend(cfg, { executors: 'process' });
    const executor = await createAwsBackend(cfg, { executors: 'process', create: false });
    const stop = new AbortController();
    try {
      await driver.queue.send([{ body: 'not a task', priority: 1 }]);
      const running = runExecutor(executor, { executorId: 'policy-probe', idleTimeoutMs: 60_000, pollMs: 1000, kernels: 'js', signal: stop.signal });
      const lw = await lapwing({ backend: driver, workers: 0, kernels: 'js' });
      const a = await lw.randomSpd(160, { block: 64 });
      await lw.cholesky(a);
      assert.equal(lw.last?.status, 'done');
      stop.abort();
      await running;
      await executor.queue.close?.();

      const used = executor.clients.commands();
      const actions = new Set<string>();
      for (const command of Object.keys(used)) {
        const action = IAM_ACTION_OF_COMMAND[command];
        assert.ok(action, `the executor sent ${command}, which the policy test does not know`);
        actions.add(action);
      }
      // The one dead-letter send went to the DLQ, every other request to the task queues.
      assert.ok(actions.has('sqs:SendMessage') && allowedActions(policy, arn.dlq).has('sqs:SendMessage'));
      for (const action of actions) assert.ok(allowedActions(policy, resourceOf(action)).has(action), `${action} (from ${JSON.stringify(used)}) is not granted`);

      // Granted but not exercised by this short, fault-free run: the fan-out and the runtime's
      // logs (Lambda only), listing (which makes S3 answer 404 for a missing block rather than
      // 403), and visibility changes (renewals of long tasks, releases after transient errors:
      // sqs-task-queue.test.ts and faults.test.ts).
      const lambdaOnly = new Set(['lambda:InvokeFunction', 'logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents', 's3:ListBucket', 'sqs:ChangeMessageVisibility']);
      for (const granted of policy.Statement.flatMap((s) => s.Action)) {
        assert.ok(actions.has(granted) || lambdaOnly.has(granted), `${granted} is granted but the executor never used it (${JSON.stringify(used)})`);
      }
    } finally {
      stop.abort();
      await executor.close();
      await driver.close();
      await destroyDataResources(driver.clients, cfg).catch(() => undefined);
    }
  });
});
