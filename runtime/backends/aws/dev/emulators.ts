/**
 * Local emulators of the three AWS services the backend uses, started in-process on loopback:
 * S3 (`s3rver`), SQS (`local-aws-sqs`, which speaks the JSON protocol of SDK v3, behind the
 * corrections of sqs-emulator-compat.ts) and DynamoDB (AWS's own DynamoDB Local, a Java child
 * process: dynamodb-local.ts). The Node servers bind to 127.0.0.1 only and are only ever reached
 * there; port 0 (the default) picks a free port, so parallel test files never collide. A port that
 * is taken is an {@link EmulatorStartError} naming the service and the port.
 *
 * s3rver checks request signatures against the fixed credentials `S3RVER`/`S3RVER`; the other
 * two accept any credentials, so the whole backend uses those ({@link EMULATOR_CREDENTIALS}).
 */
import { createRequire } from 'node:module';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sqsCompatHandler, type EmulatedQueue } from './sqs-emulator-compat.ts';
import { claimPort, EmulatorStartError, startDynamoDbLocal } from './dynamodb-local.ts';

export { EmulatorStartError } from './dynamodb-local.ts';

/** The credentials every emulator accepts (s3rver insists on these). */
export const EMULATOR_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;
/** Region reported to the SDK for the emulators (cosmetic: they ignore it). */
export const EMULATOR_REGION = 'us-east-1';

/**
 * The environment that points the AWS backend at emulators listening on `endpoints` (and, with
 * `stack`, at that stack's resources): the one place the variables are spelled out.
 */
export function emulatorEnv(endpoints: { readonly s3: string; readonly sqs: string; readonly dynamodb: string }, stack?: string): Record<string, string> {
  return {
    AWS_ENDPOINT_URL_S3: endpoints.s3,
    AWS_ENDPOINT_URL_SQS: endpoints.sqs,
    AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
    AWS_ACCESS_KEY_ID: EMULATOR_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: EMULATOR_CREDENTIALS.secretAccessKey,
    AWS_REGION: EMULATOR_REGION,
    ...(stack !== undefined ? { LAPWING_AWS_PREFIX: stack } : {}),
  };
}
/** The only address the emulators listen on. */
export const EMULATOR_HOST = '127.0.0.1';

/** Endpoint URLs of the running emulators, e.g. `http://127.0.0.1:40123`. */
export interface EmulatorEndpoints {
  readonly s3: string;
  readonly sqs: string;
  readonly dynamodb: string;
}

export interface EmulatorOptions {
  /** Ports to listen on; 0 or absent picks a free port. */
  readonly ports?: { readonly s3?: number; readonly sqs?: number; readonly dynamodb?: number };
  /**
   * A DynamoDB (Local) already running, to use instead of starting one (default: the
   * LAPWING_EMULATOR_DYNAMODB environment variable, which the test runner sets so that every
   * test file shares one JVM; tables are named per stack, so they never meet).
   */
  readonly dynamodbEndpoint?: string;
  /** Directory for s3rver's objects (default: a fresh temp directory, removed on stop). */
  readonly s3Directory?: string;
}

export interface Emulators {
  readonly endpoints: EmulatorEndpoints;
  /** Stops all three servers and removes the temporary S3 directory. */
  stop(): Promise<void>;
}

// The emulator packages ship no types; these are the few members used here.
interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
}
type S3rverCtor = new (options: Record<string, unknown>) => S3rverInstance;
interface LocalSqsModule {
  createRequestHandler(options: Record<string, unknown>): {
    service: { PORT: number; Queues: EmulatedQueue[] };
    requestHandler: (req: IncomingMessage, res: ServerResponse) => Promise<void>;
  };
}

const require = createRequire(import.meta.url);

/**
 * Starts S3, SQS and DynamoDB emulators on 127.0.0.1.
 * @example
 * const emu = await startEmulators();
 * process.env.AWS_ENDPOINT_URL_S3 = emu.endpoints.s3; // …
 * await emu.stop();
 */
export async function startEmulators(options: EmulatorOptions = {}): Promise<Emulators> {
  const ownDir = options.s3Directory === undefined;
  const directory = options.s3Directory ?? (await mkdtemp(join(tmpdir(), 'lapwing-s3rver-')));
  const stops: (() => Promise<void>)[] = [];
  const stop = async (): Promise<void> => {
    for (const s of stops.reverse()) await s().catch(() => undefined);
    if (ownDir) await rm(directory, { recursive: true, force: true });
  };
  try {
    // Taken ports are found before anything starts (s3rver would otherwise throw from an
    // unhandled 'error' event), and DynamoDB Local, the slowest to start, starts first.
    const ports = options.ports ?? {};
    await claimPort(ports.s3 ?? 0, 'S3');
    await claimPort(ports.sqs ?? 0, 'SQS');
    const shared = options.dynamodbEndpoint ?? process.env.LAPWING_EMULATOR_DYNAMODB;
    let dynamodb: string;
    if (shared) {
      dynamodb = shared;
    } else {
      const ddb = await startDynamoDbLocal(ports.dynamodb ?? 0);
      stops.push(() => ddb.stop());
      dynamodb = `http://${EMULATOR_HOST}:${ddb.port}`;
    }

    const S3rver = require('s3rver') as S3rverCtor;
    const s3 = new S3rver({
      address: EMULATOR_HOST,
      port: options.ports?.s3 ?? 0,
      silent: true,
      directory,
      resetOnClose: ownDir,
      // Path-style access only: vhost resolution would need DNS names for buckets.
      vhostBuckets: false,
    });
    const s3Addr = await s3.run();
    stops.push(() => s3.close());

    const sqsMod = require('local-aws-sqs') as LocalSqsModule;
    const { service, requestHandler } = sqsMod.createRequestHandler({
      port: options.ports?.sqs ?? 0,
      hostname: EMULATOR_HOST,
      region: EMULATOR_REGION,
      // Tests delete and recreate queues of the same name at once; real SQS makes you wait 60 s.
      emulateQueueCreationLifecycle: false,
    });
    // Served through a layer that fixes the emulator's departures from SQS (see that module).
    const sqs = createServer(sqsCompatHandler(requestHandler, () => service.Queues));
    await listen(sqs, options.ports?.sqs ?? 0);
    service.PORT = portOf(sqs); // queue URLs carry the port
    stops.push(() => closeServer(sqs));


    return {
      endpoints: {
        s3: `http://${EMULATOR_HOST}:${s3Addr.port}`,
        sqs: `http://${EMULATOR_HOST}:${portOf(sqs)}`,
        dynamodb,
      },
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(e.code === 'EADDRINUSE' ? new EmulatorStartError('PORT_IN_USE', 'SQS', `port ${port} (SQS) is already in use`, port) : e));
    server.listen(port, EMULATOR_HOST, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function portOf(server: Server): number {
  const addr = server.address();
  if (addr === null || typeof addr === 'string') throw new Error('emulator server has no TCP address');
  return addr.port;
}

function closeServer(server: Server): Promise<void> {
  // Keep-alive sockets of SDK clients would hold close() open; drop them.
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}
