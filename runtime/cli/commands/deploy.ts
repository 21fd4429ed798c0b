/**
 * `lapwing deploy` and `lapwing destroy`: create or delete a stack's AWS resources (see
 * runtime/backends/aws/provision.ts and README.md there).
 *
 *   lapwing deploy  [--stack NAME] [--no-lambda] [--memory MB] [--timeout S] [--idle-timeout MS]
 *                   [--arch x86_64|arm64] [--max-executors N] [--max-event-age S]
 *   lapwing destroy [--stack NAME]
 *
 * The bucket, queues and table are created wherever the AWS_ENDPOINT_URL_* variables point
 * (the emulators too); the IAM role and the Lambda function only on real AWS. Each resource is
 * one line on stdout; configuration problems are one line on stderr.
 */
import type { Command } from 'commander';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAwsConfig, type AwsConfig } from '../../backends/aws/config.ts';
import { executorEnv } from '../../backends/aws/executors/executor-env.ts';
import type { LambdaArch } from '../../backends/aws/deploy/provision.ts';
import { UserError } from '../errors.ts';

interface DeployOptions {
  stack?: string;
  lambda: boolean;
  memory: string;
  timeout: string;
  idleTimeout: string;
  arch: string;
  maxExecutors?: string;
  maxEventAge?: string;
}

function config(stack: string | undefined): AwsConfig {
  return loadAwsConfig(process.env, stack ? { stack } : {});
}

function positive(v: string, what: string, max: number): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0 || n > max) throw new UserError(`${what} must be an integer in 1…${max}, got '${v}'`);
  return n;
}

/** The AWS SDK is loaded by the commands that use it, not by every start of the CLI. */
const sdk = async (): Promise<typeof import('../../backends/aws/clients.ts') & typeof import('../../backends/aws/deploy/provision.ts')> => ({
  ...(await import('../../backends/aws/clients.ts')),
  ...(await import('../../backends/aws/deploy/provision.ts')),
});

const out = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

export function register(cli: Command): void {
  cli
    .command('deploy')
    .description('create the AWS resources of a stack: bucket, task queues + DLQ, state table, executor role and Lambda function')
    .option('--stack <name>', 'stack name (default: $LAPWING_AWS_PREFIX or lapwing)')
    .option('--no-lambda', 'only the bucket, queues and table (no IAM role, no function)')
    .option('--memory <mb>', 'Lambda memory (also sets its CPU share)', '3008')
    .option('--timeout <s>', 'Lambda timeout in seconds (max 900)', '900')
    .option('--idle-timeout <ms>', 'executors exit after this long without a task', '10000')
    .option('--arch <arch>', 'x86_64 or arm64 (arm64 costs about 20% less per GB-s)', 'x86_64')
    .option('--max-executors <n>', 'reserved concurrency: the most executors running at once (default: unreserved)')
    .option('--max-event-age <s>', 'drop a launch that waited longer than this in Lambda (60…21600; default 300)')
    .action(async (o: DeployOptions) => {
      const memoryMb = positive(o.memory, '--memory', 10240);
      const timeoutS = positive(o.timeout, '--timeout', 900);
      const idle = positive(o.idleTimeout, '--idle-timeout', 15 * 60_000);
      if (o.arch !== 'x86_64' && o.arch !== 'arm64') throw new UserError(`--arch must be x86_64 or arm64, got '${o.arch}'`);
      const arch: LambdaArch = o.arch;
      const reservedConcurrency = o.maxExecutors === undefined ? undefined : positive(o.maxExecutors, '--max-executors', 100_000);
      const maxEventAgeS = o.maxEventAge === undefined ? undefined : positive(o.maxEventAge, '--max-event-age', 21_600);
      if (maxEventAgeS !== undefined && maxEventAgeS < 60) throw new UserError(`--max-event-age must be at least 60 s, got '${o.maxEventAge}'`);
      const c = config(o.stack);
      const { createClients, createDataResources, createIamClient, deployFunction } = await sdk();
      const clients = createClients(c);
      try {
        await createDataResources(clients, c, out);
        if (!o.lambda) return;
        if (c.emulated) {
          process.stderr.write('lapwing: IAM role and Lambda function skipped: the emulators have no Lambda (run executors with --executors process)\n');
          return;
        }
        const { packageHandler } = await import('../../backends/aws/deploy/bundle.ts');
        const dir = await mkdtemp(join(tmpdir(), 'lapwing-lambda-'));
        try {
          const zip = await packageHandler(dir);
          out(`package ${(zip.byteLength / 1024 / 1024).toFixed(1)} MB`);
          const iam = createIamClient(c);
          try {
            const fn = { zip, memoryMb, timeoutS, arch, ...(maxEventAgeS !== undefined ? { maxEventAgeS } : {}), ...(reservedConcurrency !== undefined ? { reservedConcurrency } : {}), env: executorEnv({ idleTimeoutMs: idle }) };
            await deployFunction(clients, iam, c, fn, out);
          } finally {
            iam.destroy();
          }
        } finally {
          await rm(dir, { recursive: true, force: true });
        }
      } finally {
        clients.destroy();
      }
    });

  cli
    .command('destroy')
    .description('delete the AWS resources of a stack (every block in its bucket, its queues, table, role and function)')
    .option('--stack <name>', 'stack name (default: $LAPWING_AWS_PREFIX or lapwing)')
    .action(async (o: { stack?: string }) => {
      const c = config(o.stack);
      const { createClients, createIamClient, destroyDataResources, destroyFunction } = await sdk();
      const clients = createClients(c);
      try {
        if (!c.emulated) {
          const iam = createIamClient(c);
          try {
            await destroyFunction(clients, iam, c, out);
          } finally {
            iam.destroy();
          }
        }
        await destroyDataResources(clients, c, out);
      } finally {
        clients.destroy();
      }
    });
}
