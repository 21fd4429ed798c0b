/**
 * What the simulated services count: API requests per service and operation, billed units
 * (as AWS bills them), throttling per resource, and Lambda usage. The simulation's report and
 * its cost are computed from this and nothing else.
 */

/** Services the simulator models. */
export type SimService = 's3' | 'sqs' | 'dynamodb' | 'lambda';

/** Throttling of one resource (a DynamoDB partition, an S3 prefix, the Lambda account …). */
export interface ThrottleStat {
  /** Requests refused. */
  count: number;
  /** Virtual time of the first and last refusal (ms). */
  first: number;
  last: number;
}

export class Meter {
  readonly calls: Record<SimService, number> = { s3: 0, sqs: 0, dynamodb: 0, lambda: 0 };
  /** Requests per operation, per service (nested: no key string is built per request). */
  private readonly byOp: Record<SimService, Map<string, number>> = { s3: new Map(), sqs: new Map(), dynamodb: new Map(), lambda: new Map() };
  /** SQS billed requests (64 KiB chunks; empty receives included). */
  sqsBilled = 0;
  sqsEmptyReceives = 0;
  dynamoWru = 0;
  dynamoRru = 0;
  s3Get = 0;
  s3Put = 0;
  /** S3 byte-seconds stored (for the storage charge). */
  s3ByteMs = 0;
  s3Bytes = 0;
  s3PeakBytes = 0;
  private s3Since = 0;
  lambdaInvocations = 0;
  /** Lambda billed milliseconds × MB, summed over executions. */
  lambdaMbMs = 0;
  lambdaColdStarts = 0;
  lambdaPeakConcurrency = 0;
  /** Throttled requests per resource name. */
  readonly throttles = new Map<string, ThrottleStat>();

  constructor(private readonly now: () => number) {}

  /** Forgets everything counted so far (the set-up before a job). */
  reset(): void {
    for (const k of Object.keys(this.calls) as SimService[]) {
      this.calls[k] = 0;
      this.byOp[k].clear();
    }
    this.sqsBilled = this.sqsEmptyReceives = this.dynamoWru = this.dynamoRru = this.s3Get = this.s3Put = 0;
    this.lambdaInvocations = this.lambdaMbMs = this.lambdaColdStarts = 0;
    this.throttles.clear();
  }

  call(service: SimService, op: string): void {
    this.calls[service]++;
    const m = this.byOp[service];
    m.set(op, (m.get(op) ?? 0) + 1);
  }

  /**
   * Requests per `service:operation`, sorted by name, as the aws backend's clients count them
   * (clients.ts `operations()`): receives that brought no message are `sqs:ReceiveMessage(empty)`.
   */
  operations(): Record<string, number> {
    const out: [string, number][] = [];
    for (const [service, m] of Object.entries(this.byOp)) {
      for (const [op, n] of m) {
        if (service === 'sqs' && op === 'ReceiveMessage') {
          if (n > this.sqsEmptyReceives) out.push(['sqs:ReceiveMessage', n - this.sqsEmptyReceives]);
          if (this.sqsEmptyReceives > 0) out.push(['sqs:ReceiveMessage(empty)', this.sqsEmptyReceives]);
        } else out.push([`${service}:${op}`, n]);
      }
    }
    return Object.fromEntries(out.sort((a, b) => (a[0] < b[0] ? -1 : 1)));
  }

  throttled(resource: string): void {
    const t = this.now();
    const s = this.throttles.get(resource);
    if (s) {
      s.count++;
      s.last = t;
    } else this.throttles.set(resource, { count: 1, first: t, last: t });
  }

  /** S3 bytes stored changed by `delta` (for byte-seconds). */
  storage(delta: number): void {
    const t = this.now();
    this.s3ByteMs += this.s3Bytes * (t - this.s3Since);
    this.s3Since = t;
    this.s3Bytes += delta;
    if (this.s3Bytes > this.s3PeakBytes) this.s3PeakBytes = this.s3Bytes;
  }
}
