/**
 * The requests `lapwing deploy` sends for settings that only matter on real AWS (nothing here
 * can reach AWS): the function's runtime and architecture, its reserved concurrency, the
 * asynchronous-invocation settings, the redrive backstop and the bucket's lifecycle rule.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  concurrencyRequest,
  DEFAULT_MAX_EVENT_AGE_S,
  eventInvokeConfig,
  functionConfiguration,
  lifecycleRequest,
  redriveCount,
} from '../../runtime/backends/aws/deploy/provision.ts';
import { objectKey, TEMP_OBJECT_PREFIX } from '../../runtime/backends/aws/stores/object-keys.ts';
import { loadAwsConfig } from '../../runtime/backends/aws/config.ts';

const config = loadAwsConfig({ AWS_REGION: 'eu-west-1', AWS_ACCESS_KEY_ID: 'a', AWS_SECRET_ACCESS_KEY: 'b', LAPWING_AWS_PREFIX: 'prod' });
const fn = { zip: new Uint8Array(1), memoryMb: 3008, timeoutS: 900 };

describe('deploy requests', () => {
  it('runs the executor on nodejs24.x, x86_64 by default or arm64 when asked', () => {
    const c = functionConfiguration(config, 'arn:aws:iam::123456789012:role/prod-executor-role', fn);
    assert.equal(c.Runtime, 'nodejs24.x');
    assert.deepEqual(c.Architectures, ['x86_64']);
    assert.equal(c.FunctionName, 'prod-executor');
    assert.equal(c.MemorySize, 3008);
    assert.equal(c.Timeout, 900);
    assert.deepEqual(functionConfiguration(config, 'r', { ...fn, arch: 'arm64' }).Architectures, ['arm64']);
  });

  it('turns off Lambda retries of launch events and bounds their age', () => {
    assert.deepEqual(eventInvokeConfig(config, {}), { FunctionName: 'prod-executor', MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: DEFAULT_MAX_EVENT_AGE_S });
    assert.equal(eventInvokeConfig(config, { maxEventAgeS: 120 }).MaximumEventAgeInSeconds, 120);
    assert.throws(() => eventInvokeConfig(config, { maxEventAgeS: 30 }), /60…21600/);
  });

  it('reserves concurrency only when asked', () => {
    assert.equal(concurrencyRequest(config, {}), undefined);
    assert.deepEqual(concurrencyRequest(config, { reservedConcurrency: 1000 }), { FunctionName: 'prod-executor', ReservedConcurrentExecutions: 1000 });
    assert.throws(() => concurrencyRequest(config, { reservedConcurrency: 0 }), /positive integer/);
  });

  it('redrives one delivery after the executor gives up', () => {
    assert.equal(redriveCount(config.maxReceiveCount), config.maxReceiveCount + 1);
    assert.ok(redriveCount(config.maxReceiveCount, true) > config.maxReceiveCount + 10, 'headroom for the emulator, which counts renewals');
  });

  it('expires leaked temporaries, and only temporaries', () => {
    const req = lifecycleRequest('prod-blocks', 'blocks', 7);
    const [rule] = req.LifecycleConfiguration?.Rules ?? [];
    assert.equal(rule?.Status, 'Enabled');
    assert.equal(rule?.Expiration?.Days, 7);
    const prefix = rule?.Filter?.Prefix ?? '';
    assert.equal(prefix, `blocks/${TEMP_OBJECT_PREFIX}/`);
    assert.ok(objectKey('blocks', 'jobs/j-1/tmp/S/1_1_1').startsWith(prefix), 'a temporary falls under the rule');
    assert.ok(!objectKey('blocks', 'jobs/j-1/out/L/1_1').startsWith(prefix), 'an output does not');
    assert.ok(!objectKey('blocks', 'inputs/m-1/0_0').startsWith(prefix), 'an input does not');
    assert.equal(lifecycleRequest('b', 'blocks', 0).LifecycleConfiguration?.Rules?.[0]?.Expiration?.Days, 1, 'at least a day');
  });
});
