/**
 * Simulated Lambda behind a real `LambdaClient` whose `send` is replaced: the real
 * LambdaLauncher invokes the executor function asynchronously (with its fan-out), and this
 * model runs the invocations.
 *
 * An Event invocation is accepted (202) unless the caller exceeds the invocation request rate
 * (10 × the concurrency limit per second → 429 TooManyRequestsException, which the real retry
 * code handles). Accepted events wait in Lambda's internal queue until (a) the account has a
 * free unit of concurrency and (b) for a new execution environment, the function's scaling
 * budget allows one more (1,000 new environments per 10 s; aws-figures.md). An idle warm
 * environment is reused (warm start), otherwise a new one starts cold. Billing: duration
 * (cold init included, as Lambda bills since 2025-08) × memory, and one request per invocation.
 */
import { InvokeCommand, LambdaClient, TooManyRequestsException } from '@aws-sdk/client-lambda';
import { sampler, type Latency } from './latency.ts';
import type { Meter } from './meter.ts';
import { TokenBucket } from './token-bucket.ts';
import type { VirtualTime } from './virtual-time.ts';

export interface LambdaProfile {
  readonly invoke: Latency;
  readonly coldStart: Latency;
  readonly warmStart: Latency;
  /** Account concurrency limit. */
  readonly concurrency: number;
  /** New execution environments per 10 s per function. */
  readonly scalePer10s: number;
}

/** One execution environment (a container): what the function caches in it survives warm starts. */
export interface Environment {
  readonly id: number;
}

/** Runs one invocation of the function in `env`; resolves when the invocation ends. */
export type FunctionBody = (payload: unknown, env: Environment, invocation: number) => Promise<void>;

const meta = { httpStatusCode: 202 };

export class LambdaModel {
  private readonly pending: unknown[] = [];
  private readonly idle: Environment[] = [];
  private active = 0;
  private envSeq = 0;
  private invocationSeq = 0;
  private readonly scaling: TokenBucket;
  private readonly requests: TokenBucket;
  private readonly invokeLat: () => number;
  private readonly coldLat: () => number;
  private readonly warmLat: () => number;
  private retryArmed = false;
  /** Invocations started (each an executor). */
  started = 0;

  constructor(
    private readonly clock: VirtualTime,
    private readonly p: LambdaProfile,
    private readonly meter: Meter,
    private readonly memoryMb: number,
    private readonly body: FunctionBody,
  ) {
    const now = (): number => clock.now();
    this.scaling = new TokenBucket(p.scalePer10s / 10, p.scalePer10s, now);
    this.requests = new TokenBucket(10 * p.concurrency, 10 * p.concurrency, now);
    this.invokeLat = sampler(p.invoke, clock.random);
    this.coldLat = sampler(p.coldStart, clock.random);
    this.warmLat = sampler(p.warmStart, clock.random);
  }

  /** A client whose requests this model answers. */
  private shared: LambdaClient | undefined;

  client(): LambdaClient {
    // One client serves every caller: building an SDK client resolves its whole configuration
    // (tens of µs), and the model keeps no per-caller state in it.
    if (this.shared) return this.shared;
    const c = new LambdaClient({ region: 'us-east-1', credentials: { accessKeyId: 'sim', secretAccessKey: 'sim' } });
    Object.defineProperty(c, 'send', { value: (cmd: unknown) => this.send(cmd) });
    this.shared = c;
    return c;
  }

  /** Invocations running now. */
  concurrency(): number {
    return this.active;
  }

  /** Events accepted but not started (waiting for concurrency or scaling). */
  queued(): number {
    return this.pending.length;
  }

  private async send(cmd: unknown): Promise<unknown> {
    if (!(cmd instanceof InvokeCommand)) {
      const name = typeof cmd === 'object' && cmd !== null ? cmd.constructor.name : typeof cmd;
      throw new TooManyRequestsException({ message: `the simulated Lambda does not implement ${name}`, $metadata: { httpStatusCode: 400 } });
    }
    this.meter.call('lambda', 'Invoke');
    const lat = this.invokeLat();
    await this.clock.sleep(lat);
    if (!this.requests.take(1)) {
      this.meter.throttled('lambda invocation rate');
      throw new TooManyRequestsException({ message: 'Rate Exceeded.', $metadata: { httpStatusCode: 429 }, Reason: 'CallerRateLimitExceeded' });
    }
    this.meter.lambdaInvocations++;
    const raw = cmd.input.Payload;
    const payload: unknown = typeof raw === 'string' ? JSON.parse(raw) : raw instanceof Uint8Array ? JSON.parse(new TextDecoder().decode(raw)) : {};
    this.pending.push(payload);
    this.dispatch();
    return { $metadata: meta, StatusCode: 202 };
  }

  /** Starts what the limits allow; re-arms itself while events wait. */
  private dispatch(): void {
    while (this.pending.length > 0) {
      if (this.active >= this.p.concurrency) {
        this.meter.throttled('lambda account concurrency');
        return; // an ending invocation calls dispatch again
      }
      let env = this.idle.pop();
      let cold = false;
      if (!env) {
        if (!this.scaling.take(1)) {
          this.meter.throttled('lambda scaling rate');
          this.armRetry(this.scaling.waitMs(1));
          return;
        }
        env = { id: ++this.envSeq };
        cold = true;
      }
      const payload = this.pending.shift();
      void this.start(payload, env, cold);
    }
  }

  private armRetry(ms: number): void {
    if (this.retryArmed) return;
    this.retryArmed = true;
    this.clock.schedule(Math.max(1, ms), () => {
      this.retryArmed = false;
      this.dispatch();
    });
  }

  private async start(payload: unknown, env: Environment, cold: boolean): Promise<void> {
    this.active++;
    this.started++;
    if (this.active > this.meter.lambdaPeakConcurrency) this.meter.lambdaPeakConcurrency = this.active;
    const t0 = this.clock.now();
    if (cold) this.meter.lambdaColdStarts++;
    await this.clock.sleep(cold ? this.coldLat() : this.warmLat());
    try {
      await this.body(payload, env, ++this.invocationSeq);
    } finally {
      // Billed in 1 ms increments, at the function's memory size.
      this.meter.lambdaMbMs += Math.ceil(this.clock.now() - t0) * this.memoryMb;
      this.active--;
      this.idle.push(env);
      this.dispatch();
    }
  }
}
