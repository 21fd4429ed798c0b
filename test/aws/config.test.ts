/**
 * Configuration from the environment: resource names, one clear CONFIG line for every mistake,
 * and the round trip to a child process's environment.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { StoreError } from '../../runtime/core/interfaces.ts';
import { configToEnv, isLoopback, loadAwsConfig, resourceNames, DEFAULT_INLINE_BYTES } from '../../runtime/backends/aws/config.ts';
import { executorEnv, executorOptionsFromEnv } from '../../runtime/backends/aws/executors/executor-env.ts';

const EMU = {
  AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:4001',
  AWS_ENDPOINT_URL_SQS: 'http://127.0.0.1:4002',
  AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:4003/',
  AWS_ACCESS_KEY_ID: 'S3RVER',
  AWS_SECRET_ACCESS_KEY: 'S3RVER',
};

function configError(env: Record<string, string>, pattern: RegExp): void {
  assert.throws(
    () => loadAwsConfig(env),
    (e: unknown) => e instanceof StoreError && e.code === 'CONFIG' && !e.message.includes('\n') && pattern.test(e.message),
  );
}

describe('loadAwsConfig', () => {
  it('reads the emulator endpoints and derives every resource name from the stack', () => {
    const c = loadAwsConfig({ ...EMU, LAPWING_AWS_PREFIX: 'demo' });
    assert.equal(c.emulated, true);
    assert.equal(c.region, 'us-east-1');
    assert.deepEqual(c.endpoints, { s3: 'http://127.0.0.1:4001', sqs: 'http://127.0.0.1:4002', dynamodb: 'http://127.0.0.1:4003', lambda: undefined });
    assert.deepEqual(c.names, resourceNames('demo'));
    assert.deepEqual(c.names.queues, ['demo-tasks-high', 'demo-tasks-normal', 'demo-tasks-low']);
    assert.equal(c.names.deadLetterQueue, 'demo-tasks-dlq');
    assert.equal(c.names.table, 'demo-state');
    assert.equal(c.names.bucket, 'demo-blocks');
    assert.equal(c.inlineThresholdBytes, DEFAULT_INLINE_BYTES);
    assert.equal(c.queueUrls, undefined, 'looked up by name unless given');
  });

  it('queue URLs handed to an executor come back from its environment', () => {
    const urls = ['http://q/h', 'http://q/n', 'http://q/l', 'http://q/d'] as const;
    const c = loadAwsConfig({ ...EMU, LAPWING_AWS_PREFIX: 'demo', LAPWING_AWS_QUEUE_URLS: urls.join(',') });
    assert.deepEqual(c.queueUrls, urls);
    assert.deepEqual(loadAwsConfig({ ...EMU, ...configToEnv(c, true) }).queueUrls, urls);
  });

  it('real AWS: region and credentials, no endpoints, bucket override', () => {
    const c = loadAwsConfig({ AWS_REGION: 'eu-west-1', AWS_ACCESS_KEY_ID: 'AKIA', AWS_SECRET_ACCESS_KEY: 's', AWS_SESSION_TOKEN: 't', LAPWING_AWS_BUCKET: 'my-unique-bucket' });
    assert.equal(c.emulated, false);
    assert.equal(c.region, 'eu-west-1');
    assert.deepEqual(c.credentials, { accessKeyId: 'AKIA', secretAccessKey: 's', sessionToken: 't' });
    assert.equal(c.names.bucket, 'my-unique-bucket');
    const p = loadAwsConfig({ AWS_REGION: 'eu-west-1', AWS_PROFILE: 'dev' });
    assert.equal(p.profile, 'dev');
    assert.equal(p.credentials, undefined);
  });

  it('missing credentials or endpoints are one clear CONFIG line', () => {
    configError({ AWS_REGION: 'eu-west-1' }, /AWS credentials missing.*AWS_ACCESS_KEY_ID/);
    configError({ ...EMU, AWS_SECRET_ACCESS_KEY: '' }, /AWS_SECRET_ACCESS_KEY missing/);
    configError({ AWS_ACCESS_KEY_ID: 'a', AWS_SECRET_ACCESS_KEY: 'b' }, /region missing/);
    const { AWS_ENDPOINT_URL_DYNAMODB: _d, ...partial } = EMU;
    configError(partial, /AWS_ENDPOINT_URL_DYNAMODB not set while AWS_ENDPOINT_URL_S3 and AWS_ENDPOINT_URL_SQS is/);
    configError({ ...EMU, AWS_ENDPOINT_URL_SQS: 'not a url' }, /AWS_ENDPOINT_URL_SQS=not a url is not a URL/);
    configError({ ...EMU, LAPWING_AWS_PREFIX: 'Bad_Name' }, /stack name 'Bad_Name'/);
    configError({ ...EMU, LAPWING_AWS_INLINE_BYTES: '500000' }, /LAPWING_AWS_INLINE_BYTES=500000 is invalid/);
    configError({ ...EMU, LAPWING_AWS_PRIORITY_CUTS: '0,5' }, /PRIORITY_CUTS/);
    configError({ ...EMU, LAPWING_AWS_QUEUE_URLS: 'http://a/1,http://a/2' }, /LAPWING_AWS_QUEUE_URLS=.* four comma-separated queue URLs/);
    configError({ ...EMU, LAPWING_AWS_BUCKET: 'UPPER' }, /not a valid bucket name/);
  });

  it('AWS_ENDPOINT_URL applies to every service', () => {
    const c = loadAwsConfig({ AWS_ENDPOINT_URL: 'http://localhost:4566', AWS_ACCESS_KEY_ID: 'a', AWS_SECRET_ACCESS_KEY: 'b' });
    assert.equal(c.endpoints.s3, 'http://localhost:4566');
    assert.equal(c.endpoints.lambda, 'http://localhost:4566');
    assert.equal(c.emulated, true);
  });

  it('round-trips through a child environment', () => {
    const c = loadAwsConfig({ ...EMU, LAPWING_AWS_PREFIX: 'demo', LAPWING_AWS_INLINE_BYTES: '1024', LAPWING_AWS_PRIORITY_CUTS: '10,-10' });
    const again = loadAwsConfig(configToEnv(c, true));
    assert.deepEqual({ ...again, retry: c.retry }, c);
    assert.equal(configToEnv(c, false).AWS_ACCESS_KEY_ID, undefined, 'no credentials for Lambda');
  });

  it('recognises loopback endpoints only', () => {
    assert.ok(isLoopback('http://127.0.0.1:1') && isLoopback('http://localhost:2') && isLoopback('http://[::1]:3'));
    assert.ok(!isLoopback('https://s3.eu-west-1.amazonaws.com') && !isLoopback('http://10.0.0.1:4566'));
  });
});

describe('executor environment', () => {
  it('round-trips the executor settings', () => {
    const env = executorEnv({ idleTimeoutMs: 1500, maxRuntimeMs: 60_000, kernels: 'js', visibilityMs: 2000, pollMs: 250, concurrency: 3 });
    assert.deepEqual(executorOptionsFromEnv({ ...env, LAPWING_EXECUTOR_ID: 'e1' }, 'fallback'), {
      executorId: 'e1', idleTimeoutMs: 1500, maxRuntimeMs: 60_000, kernels: 'js', visibilityMs: 2000, pollMs: 250, concurrency: 3,
    });
    assert.throws(() => executorOptionsFromEnv({ LAPWING_EXECUTOR_CONCURRENCY: '1.5' }, 'x'), /CONCURRENCY=1.5/);
    assert.deepEqual(executorOptionsFromEnv({}, 'fb'), { executorId: 'fb', idleTimeoutMs: 10_000, pollMs: 20_000 });
    assert.throws(() => executorOptionsFromEnv({ LAPWING_IDLE_TIMEOUT_MS: 'soon' }, 'x'), /LAPWING_IDLE_TIMEOUT_MS=soon/);
  });
});
