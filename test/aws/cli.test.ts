/**
 * `lapwing emulate`, `lapwing deploy` and `lapwing destroy` as a user runs them (child
 * processes of the real CLI), against emulators on loopback.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { HeadBucketCommand } from '@aws-sdk/client-s3';
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { GetQueueUrlCommand } from '@aws-sdk/client-sqs';
import type { Emulators } from '../../runtime/backends/aws/dev/emulators.ts';
import { createClients, type AwsClients } from '../../runtime/backends/aws/clients.ts';
import { loadAwsConfig, type AwsConfig } from '../../runtime/backends/aws/config.ts';
import { createAwsBackend } from '../../runtime/backends/aws/index.ts';
import { emulatorEnv, emulators, releaseEmulators, uniqueStack } from './emulated.ts';
import { CLI, ROOT, runCli, type CliResult } from '../cli.ts';


let emu: Emulators;
before(async () => {
  emu = await emulators();
});
after(async () => {
  await releaseEmulators();
});

/** Runs the CLI with exactly `env` (plus PATH): no AWS variables leak in from the test runner. */
function lapwing(args: string[], env: Record<string, string>): Promise<CliResult> {
  return runCli(args, { env: { PATH: process.env.PATH ?? '', ...env }, timeoutMs: 60_000 });
}

async function exists(clients: AwsClients, c: AwsConfig): Promise<{ bucket: boolean; queues: boolean[]; table: boolean }> {
  const ok = (p: Promise<unknown>): Promise<boolean> => p.then(() => true, () => false);
  return {
    bucket: await ok(clients.s3.send(new HeadBucketCommand({ Bucket: c.names.bucket }))),
    queues: await Promise.all([...c.names.queues, c.names.deadLetterQueue].map((QueueName) => ok(clients.sqs.send(new GetQueueUrlCommand({ QueueName }))))),
    table: await ok(clients.dynamodb.send(new DescribeTableCommand({ TableName: c.names.table }))),
  };
}

describe('lapwing deploy / destroy', () => {
  it('create and delete the bucket, queues and table on the emulators', async () => {
    const stack = uniqueStack('cli');
    const env = emulatorEnv(emu, stack);
    const c = loadAwsConfig(env);
    const clients = createClients(c);
    try {
      const dep = await lapwing(['deploy'], env);
      assert.equal(dep.code, 0, dep.stderr);
      assert.match(dep.stdout, new RegExp(`bucket ${stack}-blocks`));
      assert.match(dep.stdout, new RegExp(`queue +${stack}-tasks-dlq`));
      assert.match(dep.stdout, new RegExp(`table +${stack}-state`));
      assert.match(dep.stderr, /Lambda function skipped/);
      assert.deepEqual(await exists(clients, c), { bucket: true, queues: [true, true, true, true], table: true });

      // Deploying again is harmless; blocks survive until destroy.
      const backend = await createAwsBackend(c, { create: false });
      await backend.blocks.put('jobs/j/A/0_0', { rows: 1, cols: 1, data: new Float64Array([1]) });
      await backend.close();
      assert.equal((await lapwing(['deploy', '--no-lambda'], env)).code, 0);

      const des = await lapwing(['destroy'], env);
      assert.equal(des.code, 0, des.stderr);
      assert.match(des.stdout, /deleted bucket/);
      assert.deepEqual(await exists(clients, c), { bucket: false, queues: [false, false, false, false], table: false });
      assert.equal((await lapwing(['destroy'], env)).code, 0, 'destroying a missing stack is fine');
    } finally {
      clients.destroy();
    }
  });

  it('missing credentials or endpoints: one clear line, non-zero exit', async () => {
    const { AWS_ACCESS_KEY_ID: _a, AWS_SECRET_ACCESS_KEY: _b, ...noCreds } = emulatorEnv(emu, 'x-y');
    const r = await lapwing(['deploy'], noCreds);
    assert.notEqual(r.code, 0);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /^lapwing: AWS credentials missing/);
    const { AWS_ENDPOINT_URL_SQS: _s, ...partial } = emulatorEnv(emu, 'x-y');
    const p = await lapwing(['destroy'], partial);
    assert.notEqual(p.code, 0);
    assert.match(p.stderr.trim(), /^lapwing: AWS_ENDPOINT_URL_SQS not set while/);
    assert.equal(p.stderr.trim().split('\n').length, 1);
  });
});

describe('lapwing emulate', () => {
  it('prints the environment, serves the backend, and stops on Ctrl-C', async () => {
    const stack = uniqueStack('emu');
    const child = spawn(process.execPath, [CLI, 'emulate', '--s3-port', '0', '--sqs-port', '0', '--dynamodb-port', '0', '--stack', stack], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      await new Promise<void>((resolve, reject) => {
        // DynamoDB Local is a JVM: slow to start on a loaded machine.
        const timer = setTimeout(() => reject(new Error(`no environment printed; stderr: ${stderr}`)), 180_000);
        child.stdout.on('data', (d: Buffer) => {
          stdout += d.toString();
          if (stdout.split('\n').filter((l) => l.startsWith('export ')).length >= 7) {
            clearTimeout(timer);
            resolve();
          }
        });
      });
      const env = Object.fromEntries(
        stdout.trim().split('\n').map((l) => {
          const m = /^export ([A-Z0-9_]+)=(.*)$/.exec(l);
          assert.ok(m, `not an export line: ${l}`);
          return [m[1]!, m[2]!];
        }),
      );
      for (const k of ['AWS_ENDPOINT_URL_S3', 'AWS_ENDPOINT_URL_SQS', 'AWS_ENDPOINT_URL_DYNAMODB']) assert.match(env[k] ?? '', /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.equal(env.LAPWING_AWS_PREFIX, stack);
      assert.match(stderr, /created bucket/);
      const backend = await createAwsBackend(loadAwsConfig(env), { create: false });
      try {
        await backend.blocks.put('jobs/j/A/0_0', { rows: 2, cols: 1, data: new Float64Array([1, 2]) });
        assert.deepEqual([...(await backend.blocks.get('jobs/j/A/0_0')).data], [1, 2]);
        await backend.queue.send([{ body: 'hello', priority: 0 }]);
        assert.equal((await backend.queue.lease(1, 5000, 2000))[0]?.body, 'hello');
        await backend.state.putJob({ id: 'j', program: {}, args: {}, matrices: {}, terminalTasks: 1, createdAt: 0, kernels: 'js' });
        assert.equal(await backend.state.markEdge('j', 'c:x', 'p'), 1);
      } finally {
        await backend.close();
      }
    } finally {
      child.kill('SIGINT');
    }
    assert.equal(await exited, 0, stderr);
    assert.match(stderr, /emulators stopped/);
  });

  for (const service of ['s3', 'sqs', 'dynamodb'] as const) {
    it(`a taken --${service}-port is one line naming the port, exit code 2`, async () => {
      const taken = createServer();
      await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
      const port = (taken.address() as AddressInfo).port;
      try {
        const ports = { s3: '0', sqs: '0', dynamodb: '0', [service]: String(port) };
        const { code, stderr } = await runCli(['emulate', '--s3-port', ports.s3, '--sqs-port', ports.sqs, '--dynamodb-port', ports.dynamodb, '--no-provision'], {
          env: { PATH: process.env.PATH ?? '' },
          timeoutMs: 120_000,
        });
        assert.equal(code, 2, stderr);
        const lines = stderr.trim().split('\n').filter((l) => !l.startsWith('lapwing: sources changed'));
        assert.equal(lines.length, 1, stderr);
        assert.match(lines[0]!, new RegExp(`port ${port} .* already in use; choose another with --${service}-port, or 0 for a free one`));
      } finally {
        taken.close();
      }
    });
  }
});
