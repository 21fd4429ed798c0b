/**
 * `lapwing emulate [--s3-port N] [--sqs-port N] [--dynamodb-port N] [--stack NAME] [--no-provision]`:
 * runs the S3, SQS and DynamoDB emulators on 127.0.0.1 until Ctrl-C, creates the stack's
 * bucket, queues and table in them, and prints (on stdout, nothing else) the environment that
 * points the AWS backend at them:
 *
 *   lapwing emulate > /tmp/lapwing-aws.env &
 *   source /tmp/lapwing-aws.env
 *   lapwing bench cholesky --backend aws --executors process --workers 2 --n 1024 --block 256
 *
 * Port 0 picks a free port. Progress and notes go to stderr.
 */
import type { Command } from 'commander';
import { loadAwsConfig } from '../../backends/aws/config.ts';
import { EmulatorStartError, emulatorEnv, startEmulators } from '../../backends/aws/dev/emulators.ts';
import { UserError } from '../errors.ts';
import { errorMessage } from '../../core/util.ts';

interface EmulateOptions {
  s3Port: string;
  sqsPort: string;
  dynamodbPort: string;
  stack: string;
  provision: boolean;
  dir?: string;
}

function port(v: string, what: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UserError(`${what} must be a port number (0: any free port), got '${v}'`);
  return n;
}

/** The shell lines that point the backend at the emulators. */
export function exportLines(endpoints: { s3: string; sqs: string; dynamodb: string }, stack: string): string[] {
  return Object.entries(emulatorEnv(endpoints, stack)).map(([k, v]) => `export ${k}=${v}`);
}

export function register(cli: Command): void {
  cli
    .command('emulate')
    .description('run S3, SQS and DynamoDB emulators on 127.0.0.1 and print the environment for --backend aws')
    .option('--s3-port <n>', 'S3 (s3rver) port; 0: any free port', '4568')
    .option('--sqs-port <n>', 'SQS (local-aws-sqs) port; 0: any free port', '9324')
    .option('--dynamodb-port <n>', 'DynamoDB (DynamoDB Local, needs Java 17) port; 0: any free port', '4567')
    .option('--stack <name>', 'stack whose bucket, queues and table to create', process.env.LAPWING_AWS_PREFIX ?? 'lapwing')
    .option('--no-provision', 'do not create the bucket, queues and table')
    .option('--dir <path>', 's3rver data directory (default: a temporary one, removed on exit)')
    .action(async (o: EmulateOptions) => {
      const ports = { s3: port(o.s3Port, '--s3-port'), sqs: port(o.sqsPort, '--sqs-port'), dynamodb: port(o.dynamodbPort, '--dynamodb-port') };
      const emu = await startEmulators({ ports, ...(o.dir ? { s3Directory: o.dir } : {}) }).catch((e: unknown) => {
        if (e instanceof EmulatorStartError && e.code === 'PORT_IN_USE') {
          const flag = { S3: '--s3-port', SQS: '--sqs-port', DynamoDB: '--dynamodb-port' }[e.service] ?? 'the port options';
          throw new UserError(`cannot start the emulators: ${e.message}; choose another with ${flag}, or 0 for a free one`);
        }
        throw new UserError(`cannot start the emulators: ${errorMessage(e)}`);
      });
      try {
        const lines = exportLines(emu.endpoints, o.stack);
        if (o.provision) {
          const env = Object.fromEntries(lines.map((l) => {
            const kv = l.slice('export '.length);
            return [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)];
          }));
          const config = loadAwsConfig(env);
          // The AWS SDK loads here, not with every start of the CLI.
          const { createClients } = await import('../../backends/aws/clients.ts');
          const { createDataResources } = await import('../../backends/aws/deploy/provision.ts');
          const clients = createClients(config);
          try {
            await createDataResources(clients, config, (line) => process.stderr.write(`# created ${line}\n`));
          } finally {
            clients.destroy();
          }
        }
        process.stdout.write(`${lines.join('\n')}\n`);
        process.stderr.write('# emulators running on 127.0.0.1; Ctrl-C to stop\n');
        await new Promise<void>((resolve) => {
          process.once('SIGINT', resolve);
          process.once('SIGTERM', resolve);
        });
      } finally {
        await emu.stop();
        process.stderr.write('# emulators stopped\n');
      }
    });
}
