/**
 * Executor heartbeats: how the driver knows, on AWS, which executors are alive and what they are
 * running. Lambda cannot report when an asynchronous invocation ends and SQS cannot list what is
 * in flight, so each executor publishes both itself.
 *
 * Every executor (Lambda invocation or process) writes one small item to the stack's table every
 * `intervalMs` — its id, a sequence number, its clock, and its attempts: in progress (the
 * message body and when it was leased) and acked since the last beat (how long they ran) — and
 * deletes it when it exits. The driver's {@link HeartbeatMonitor} reads them all every few
 * seconds: an executor whose beat has not changed for {@link staleAfterMs} (by the reader's
 * own clock, so clock skew between machines does not matter) is dead — a crash, a kill, a frozen
 * process — and its item is removed. The same items give the driver its view of in-flight
 * attempts ({@link HeartbeatMonitor.leases}), which speculation uses to back up stragglers (a
 * straggler is seen at the first beat after it has run long enough: at most one interval late).
 *
 *   pk             sk            attributes
 *   X#{0…7}        {executorId}  seq, at (writer's epoch ms), iv (interval ms), att, fin, expiresAt
 *
 * The shard is a hash of the executor id: eight partition keys, read by eight Queries at once.
 *
 * Why DynamoDB and not one S3 object per executor, at 1,000 executors beating every 15 s
 * (66.7 beats/s, 240,000 an hour) and a monitor reading every 5 s (720 reads an hour), with the
 * prices of aws-figures.md:
 *   DynamoDB  write ≤ 1 KB = 1 WRU ($0.625/M) → $0.15/h; a read of all 1,000 items (~300 B
 *             each, eventually consistent: ½ RRU per 4 KB) ≈ 45 RRU ($0.125/M) → $0.004/h;
 *             the delete at exit is 1 WRU; a dead executor's item also carries a TTL.
 *   S3        PUT $0.005/1,000 → $1.20/h; a read is a LIST (1,000 keys per call) plus 1,000
 *             GETs ($0.0004/1,000) → $0.29/h; a leaked object waits for a lifecycle rule (days).
 * So DynamoDB costs ≈ $0.16/h against ≈ $1.49/h — both small next to 1,000 Lambdas (at 10 GB,
 * ≈ $600/h) — and it is one round trip per shard instead of a listing plus a GET per executor.
 * Throughput: 67 writes/s over 8 partition keys is far below 1,000 WCU/s per partition.
 */
import { PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createHash } from 'node:crypto';
import type { InFlightMessage, LeaseWatch } from '../../../core/interfaces.ts';
import { errorMessage } from '../../../core/util.ts';
import { withRetry } from '../aws-errors.ts';
import { DEFAULT_HEARTBEAT_MS, type RetryPolicy } from '../config.ts';

export { DEFAULT_HEARTBEAT_MS };
import { batchDelete, queryAll, type Item } from '../stores/dynamo-batch.ts';
import type { AttemptSource } from '../stores/sqs-task-queue.ts';

/** Partition keys the heartbeats are spread over. */
export const HEARTBEAT_SHARDS = 8;
/** Default interval between two reads of the monitor. */
export const DEFAULT_REFRESH_MS = 5000;
/** Longest a beat item lives without being rewritten (TTL, as a backstop to the monitor). */
const TTL_S = 3600;
/** TTL attribute of the table (the state store's). */
const TTL_ATTRIBUTE = 'expiresAt';

/** How long a beat may stay unchanged before its executor counts as dead: 3 intervals and 5 s of slack. */
export function staleAfterMs(intervalMs: number): number {
  return 3 * intervalMs + 5000;
}

/** Partition key of executor `id`'s heartbeat. */
export function heartbeatPk(id: string): string {
  const h = createHash('sha256').update(id).digest().readUInt32BE(0);
  return `X#${h % HEARTBEAT_SHARDS}`;
}

/** One executor's heartbeat as the monitor last read it. */
export interface Heartbeat {
  readonly executorId: string;
  readonly seq: number;
  /** The writer's clock when it wrote the beat (epoch ms). */
  readonly at: number;
  readonly intervalMs: number;
  /** Attempts in progress: message body and lease time (writer's clock). */
  readonly attempts: readonly { readonly body: string; readonly startedAt: number }[];
  /** Attempts acked since the previous beat, and how long each ran. */
  readonly finished: readonly { readonly body: string; readonly ms: number }[];
}

export interface HeartbeatWriterOptions {
  readonly table: string;
  readonly executorId: string;
  readonly retry: RetryPolicy;
  readonly intervalMs?: number;
  /** Where a failed beat is reported (default: process.emitWarning). */
  readonly warn?: (message: string) => void;
}

/**
 * Writes one executor's heartbeat every interval until stopped; stop() deletes it. A failed
 * beat is a warning (the next one tries again); the monitor tolerates a few missed beats.
 */
export class HeartbeatWriter {
  private seq = 0;
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  private stopped = false;
  private readonly intervalMs: number;

  constructor(private readonly ddb: DynamoDBClient, private readonly source: AttemptSource, private readonly o: HeartbeatWriterOptions) {
    this.intervalMs = o.intervalMs ?? DEFAULT_HEARTBEAT_MS;
  }

  /** Writes the first beat (so the launcher sees the executor at once), then one per interval. */
  async start(): Promise<void> {
    await this.beat();
    if (this.stopped) return;
    this.timer = setInterval(() => {
      // A beat still under way (a slow or throttled write) is not doubled.
      this.inFlight ??= this.beat().finally(() => (this.inFlight = undefined));
    }, this.intervalMs);
    // The beat must not keep a finished process alive.
    this.timer.unref();
  }

  /** Stops beating and deletes the heartbeat: the executor has exited. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.inFlight;
    // BatchWriteItem: the executor role may not DeleteItem.
    await batchDelete(this.ddb, this.o.table, [{ pk: heartbeatPk(this.o.executorId), sk: this.o.executorId }], this.o.retry).catch((e: unknown) =>
      this.warn(`lapwing executor ${this.o.executorId}: removing its heartbeat failed (it goes stale instead): ${errorMessage(e)}`),
    );
  }

  private warn(m: string): void {
    (this.o.warn ?? ((x: string) => process.emitWarning(x)))(m);
  }

  private async beat(): Promise<void> {
    const now = Date.now();
    const Item: Item = {
      pk: { S: heartbeatPk(this.o.executorId) },
      sk: { S: this.o.executorId },
      seq: { N: String(++this.seq) },
      at: { N: String(now) },
      iv: { N: String(this.intervalMs) },
      att: { S: JSON.stringify(this.source.inProgress().map((a) => [a.body, a.startedAt])) },
      fin: { S: JSON.stringify(this.source.takeFinished().map((f) => [f.body, f.ms])) },
      [TTL_ATTRIBUTE]: { N: String(Math.floor(now / 1000) + TTL_S) },
    };
    try {
      await withRetry(this.o.retry, `DynamoDB PutItem ${this.o.table} (heartbeat)`, () => this.ddb.send(new PutItemCommand({ TableName: this.o.table, Item })));
    } catch (e) {
      this.warn(`lapwing executor ${this.o.executorId}: heartbeat failed: ${errorMessage(e)}`);
    }
  }
}

/** Parses one heartbeat item (null if malformed: the table is shared with other items). */
export function parseHeartbeat(item: Item): Heartbeat | null {
  const id = item.sk?.S;
  const seq = Number(item.seq?.N);
  const at = Number(item.at?.N);
  const iv = Number(item.iv?.N);
  if (id === undefined || !Number.isFinite(seq) || !Number.isFinite(at) || !(iv > 0)) return null;
  const pairs = (raw: string | undefined): unknown[][] => {
    try {
      const v: unknown = JSON.parse(raw ?? '[]');
      return Array.isArray(v) ? v.filter((p): p is unknown[] => Array.isArray(p) && typeof p[0] === 'string' && typeof p[1] === 'number') : [];
    } catch {
      return [];
    }
  };
  return {
    executorId: id,
    seq,
    at,
    intervalMs: iv,
    attempts: pairs(item.att?.S).map((p) => ({ body: p[0] as string, startedAt: p[1] as number })),
    finished: pairs(item.fin?.S).map((p) => ({ body: p[0] as string, ms: p[1] as number })),
  };
}

export interface HeartbeatMonitorOptions {
  readonly table: string;
  readonly retry: RetryPolicy;
  /** Interval between reads (default {@link DEFAULT_REFRESH_MS}). */
  readonly refreshMs?: number;
  /** Where a failed read is reported (default: nowhere; the last view is kept). */
  readonly warn?: (message: string) => void;
}

/** What the monitor knows of one executor. */
interface Seen {
  beat: Heartbeat;
  /** Reader's clock when this seq was first read. */
  seenAt: number;
}

/**
 * Reads every heartbeat of the stack periodically (from the first use on) and keeps a view:
 * live executors, dead ones (beat unchanged for {@link staleAfterMs} of its interval), and the
 * attempts in flight. Reads are eventually consistent Queries, one per shard, in parallel.
 */
export class HeartbeatMonitor {
  private readonly seen = new Map<string, Seen>();
  private readonly dead = new Set<string>();
  private readonly listeners = new Set<(body: string, ms: number) => void>();
  private timer: NodeJS.Timeout | undefined;
  private refreshing: Promise<void> | undefined;
  private reads = 0;

  constructor(private readonly ddb: DynamoDBClient, private readonly o: HeartbeatMonitorOptions) {}

  /** Starts the periodic reads (idempotent); the first read starts at once. */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.refresh(), this.o.refreshMs ?? DEFAULT_REFRESH_MS);
    this.timer.unref();
    void this.refresh();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Completed reads so far (a caller can wait for a read that started after some event). */
  get generation(): number {
    return this.reads;
  }

  /** Reads all heartbeats now (concurrent callers share one read). */
  refresh(): Promise<void> {
    this.refreshing ??= this.read().finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  private async read(): Promise<void> {
    let items: Item[];
    try {
      const shards = await Promise.all(
        Array.from({ length: HEARTBEAT_SHARDS }, (_, s) =>
          queryAll(this.ddb, { TableName: this.o.table, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': { S: `X#${s}` } } }, this.o.retry),
        ),
      );
      items = shards.flatMap((r) => r.items);
    } catch (e) {
      this.o.warn?.(`lapwing: reading the executors' heartbeats failed: ${errorMessage(e)}`);
      return;
    }
    const now = Date.now();
    const present = new Set<string>();
    const expired: { pk: string; sk: string }[] = [];
    for (const item of items) {
      const beat = parseHeartbeat(item);
      if (!beat) continue;
      present.add(beat.executorId);
      const prev = this.seen.get(beat.executorId);
      if (prev && prev.beat.seq === beat.seq) {
        if (now - prev.seenAt >= staleAfterMs(beat.intervalMs)) {
          this.dead.add(beat.executorId);
          this.seen.delete(beat.executorId);
          expired.push({ pk: heartbeatPk(beat.executorId), sk: beat.executorId });
        }
        continue;
      }
      // First sight of a beat written long ago (by the writer's clock): a leftover of a dead executor.
      if (!prev && now - beat.at >= staleAfterMs(beat.intervalMs)) {
        this.dead.add(beat.executorId);
        expired.push({ pk: heartbeatPk(beat.executorId), sk: beat.executorId });
        continue;
      }
      this.dead.delete(beat.executorId);
      this.seen.set(beat.executorId, { beat, seenAt: now });
      for (const f of beat.finished) for (const l of this.listeners) l(f.body, f.ms);
    }
    // Deleted heartbeats: the executor exited.
    for (const id of [...this.seen.keys()]) if (!present.has(id)) this.seen.delete(id);
    this.reads++;
    // Dead executors' items go (the writer of a frozen process that wakes up writes a new one).
    if (expired.length > 0) await batchDelete(this.ddb, this.o.table, expired, this.o.retry).catch(() => undefined);
  }

  /** Ids of the executors alive at the last read. */
  live(): string[] {
    return [...this.seen.keys()];
  }

  /** True once the executor was seen dead (its beat went stale) and has not beaten since. */
  isDead(executorId: string): boolean {
    return this.dead.has(executorId);
  }

  /** True if the executor's heartbeat was read since it last changed, alive. */
  isLive(executorId: string): boolean {
    return this.seen.has(executorId);
  }

  /**
   * The attempts in progress on live executors at their last beat, with how long each had run
   * then (by the writer's clock alone: no skew). Not extrapolated past the beat: an attempt may
   * have ended since, and a run time that kept growing until the next beat would make every
   * task shorter than the beat interval look like a straggler. A real straggler shows at the
   * first beat after it crosses the line.
   */
  inFlight(): InFlightMessage[] {
    const out: InFlightMessage[] = [];
    for (const { beat } of this.seen.values()) for (const a of beat.attempts) out.push({ body: a.body, leasedMs: Math.max(0, beat.at - a.startedAt) });
    return out;
  }

  /** The executors' view of their leases, as speculation reads a queue's (starts the reads). */
  readonly leases: LeaseWatch = {
    inFlight: () => {
      this.start();
      return this.inFlight();
    },
    onAck: (listener) => {
      this.start();
      this.listeners.add(listener);
      return () => void this.listeners.delete(listener);
    },
  };
}
