/**
 * ExecutorLauncher that invokes the deployed executor function asynchronously
 * (InvocationType 'Event', payload `{ job?, executorId }`): Lambda queues the invocation and
 * returns 202 at once, so launching n executors costs n cheap calls (8 in flight at a time).
 *
 * Lambda cannot report when an async invocation ends, so running() is an estimate: invocations
 * younger than `lifetimeMs` (the executor's idle timeout plus a margin, capped by its maximum
 * runtime) count as running. close() has nothing to stop: executors exit when idle.
 */
import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { randomBytes } from 'node:crypto';
import type { ExecutorLauncher } from '../../interfaces.ts';
import { StoreError } from '../../interfaces.ts';
import { withRetry } from './aws-errors.ts';
import type { RetryPolicy } from './config.ts';

/** The event the executor function receives. */
export interface ExecutorEvent {
  readonly job?: string;
  readonly executorId: string;
}

export interface LambdaLauncherOptions {
  readonly functionName: string;
  readonly retry: RetryPolicy;
  /** How long an executor is assumed to live after its invocation (for running()). */
  readonly lifetimeMs: number;
  /** Job id passed in the event (informational: executors serve every job in the queue). */
  readonly job?: string;
  /** False when no Lambda endpoint exists (emulators): launch() fails with a clear CONFIG error. */
  readonly available?: boolean;
}

const IN_FLIGHT = 8;

export class LambdaLauncher implements ExecutorLauncher {
  private launched: number[] = [];

  constructor(private readonly lambda: LambdaClient, private readonly o: LambdaLauncherOptions) {}

  /** The payload of one invocation (pure; exported for tests). */
  static event(executorId: string, job?: string): ExecutorEvent {
    return { ...(job !== undefined ? { job } : {}), executorId };
  }

  async launch(count: number): Promise<void> {
    if (this.o.available === false) {
      throw new StoreError('CONFIG', 'Lambda executors need AWS (or AWS_ENDPOINT_URL_LAMBDA): with the emulators use --executors process');
    }
    const ids = Array.from({ length: count }, () => `lambda-${randomBytes(4).toString('hex')}`);
    for (let i = 0; i < ids.length; i += IN_FLIGHT) {
      await Promise.all(
        ids.slice(i, i + IN_FLIGHT).map(async (executorId) => {
          const Payload = new TextEncoder().encode(JSON.stringify(LambdaLauncher.event(executorId, this.o.job)));
          await withRetry(this.o.retry, `Lambda Invoke ${this.o.functionName}`, () =>
            this.lambda.send(new InvokeCommand({ FunctionName: this.o.functionName, InvocationType: 'Event', Payload })),
          );
          this.launched.push(Date.now());
        }),
      );
    }
  }

  running(): number {
    const since = Date.now() - this.o.lifetimeMs;
    this.launched = this.launched.filter((t) => t >= since);
    return this.launched.length;
  }

  async close(): Promise<void> {
    this.launched = [];
  }
}
