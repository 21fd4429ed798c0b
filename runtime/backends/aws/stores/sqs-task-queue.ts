/**
 * TaskQueue on SQS standard queues: three task queues (priority.ts), plus a dead-letter queue.
 *
 *   send     SendMessageBatch, 10 per call, to the queue of each message's priority
 *   lease    ReceiveMessage on every queue at once, each a long poll of up to 20 s (bounded by
 *            the caller's wait): the first that returns messages ends the lease; the others stay
 *            outstanding, and whatever they bring is kept for the next lease (handed out while
 *            enough of its visibility remains, else sent again as a new message that carries
 *            its delivery count, so that a receive which ran nothing does not count). At most one receive per queue
 *            is outstanding, so while one queue carries the traffic a lease is one call, and an
 *            idle executor sends three requests per long poll (not three a second). Every lease
 *            first goes through the queues in priority order (held messages, else a short poll
 *            of a queue with no long poll outstanding and not found empty in the last second)
 *            and stops at the first with messages; only then does it long-poll. The lease *is* the visibility timeout; receiveCount is the
 *            ApproximateReceiveCount attribute. Leases handed out are highest queue first.
 *   renew    ChangeMessageVisibility — but only while the lease has not expired by our own
 *            clock (measured from before the receive, so conservatively): an expired lease may
 *            already belong to another executor, and SQS does not always reject its handle
 *   ack      DeleteMessageBatch; an unknown or stale handle is ignored (already deleted)
 *   release  ChangeMessageVisibilityBatch(delay)
 *   deadLetter  SendMessage(body, reason) to the DLQ, then DeleteMessage. The queues also carry
 *            a RedrivePolicy one delivery past the executor's own limit, as a backstop.
 *   depth    GetQueueAttributes on the three task queues, summed: SQS's figures are
 *            approximate and lag; they drive scaling, never a decision that needs them exact
 *   close    ends the outstanding receives and releases what they and the buffer hold
 *
 * The queue also remembers the attempts this process holds (what lease() handed out, until it is
 * acked, released or dead-lettered) and how long acked ones ran: {@link AttemptSource}, which the
 * executor's heartbeat (executors/heartbeats.ts) publishes — SQS itself cannot list what is in
 * flight, so that the driver sees stragglers and live executors through the heartbeats.
 *
 * Visibility and delays have a granularity of one second (SQS); sub-second values round up.
 * Handles are `{queue index}|{receipt handle}`.
 */
import {
  ChangeMessageVisibilityBatchCommand,
  ChangeMessageVisibilityCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { Lease, LeaseWatch, QueueDepth, QueueMessage, TaskQueue } from '../../../core/interfaces.ts';
import { StoreError } from '../../../core/interfaces.ts';
import { errorName, withRetry } from '../aws-errors.ts';
import type { RetryPolicy } from '../config.ts';
import { PRIORITY_QUEUES, priorityBucket } from '../priority.ts';

/** An attempt in progress in this process: the message it runs and when it was leased (epoch ms). */
export interface AttemptInProgress {
  readonly body: string;
  readonly startedAt: number;
}

/** An attempt that ended with its ack, and how long its lease ran. */
export interface FinishedAttempt {
  readonly body: string;
  readonly ms: number;
}

/** The attempts of one executor process, as its heartbeat reports them. */
export interface AttemptSource {
  /** Attempts leased and not yet acked, released or dead-lettered. */
  inProgress(): AttemptInProgress[];
  /** Attempts acked since the last call (at most the most recent {@link MAX_FINISHED}). */
  takeFinished(): FinishedAttempt[];
}

/** Finished attempts kept between two heartbeats (older ones are dropped: they are samples). */
export const MAX_FINISHED = 32;

export interface SqsTaskQueueOptions {
  /** Task queue URLs, highest priority first. */
  readonly queueUrls: readonly [string, string, string];
  readonly deadLetterUrl: string;
  readonly priorityCuts: readonly [number, number];
  readonly retry: RetryPolicy;
}

/** A message in the dead-letter queue. */
export interface DeadLetter {
  readonly body: string;
  readonly reason: string;
}

/** Message-attribute name of the dead-letter reason. */
const REASON_ATTR = 'reason';
/** Message attribute: deliveries of this task's earlier copies, which a requeue carries over. */
const PRIOR_ATTR = 'priorDeliveries';
/** Handles that are no longer valid: the message was deleted or re-leased. */
const STALE = new Set(['ReceiptHandleIsInvalid', 'MessageNotInflight', 'InvalidParameterValue', 'AWS.SimpleQueueService.MessageNotInflight']);
const isStale = (e: unknown): boolean => STALE.has(errorName(e));

const secondsUp = (ms: number): number => Math.max(0, Math.ceil(ms / 1000));

/** SQS's longest long poll. */
const MAX_WAIT_S = 20;

/** A received message not handed out yet. */
interface Held {
  readonly lease: Lease;
  /** Epoch ms when its visibility ends (by our clock, conservatively). */
  readonly until: number;
}

export class SqsTaskQueue implements TaskQueue, AttemptSource {
  /** Lease handle → local expiry time (epoch ms). */
  private readonly expiry = new Map<string, number>();
  /** Lease handle → the attempt it carries (handed out by lease(), not yet ended). */
  private readonly attempts = new Map<string, AttemptInProgress>();
  /** Acked attempts not yet taken by takeFinished(). */
  private finished: FinishedAttempt[] = [];
  /**
   * The executors' view of their leases, when the backend attaches one (the heartbeats): with
   * it the driver can back up stragglers on SQS.
   */
  leases?: LeaseWatch;
  /** Per queue: the outstanding receive, if any. */
  private readonly pending: (Promise<void> | undefined)[] = Array.from({ length: PRIORITY_QUEUES }, () => undefined);
  /** Per queue: messages received by a receive that finished after its lease ended. */
  private readonly held: Held[][] = Array.from({ length: PRIORITY_QUEUES }, () => []);
  /** Per queue: until when it is assumed empty (after an empty short poll). */
  private readonly quietUntil: number[] = Array.from({ length: PRIORITY_QUEUES }, () => 0);
  /** Errors of receives nobody waited for: the next lease reports the first. */
  private failure: unknown;
  /** Aborts the outstanding receives (close). */
  private abort = new AbortController();
  /** Wakes a waiting lease (interrupt). */
  private wake: (() => void) | undefined;

  constructor(private readonly sqs: SQSClient, private readonly o: SqsTaskQueueOptions) {}

  /** The URLs of the high, normal, low and dead-letter queues (for other processes: no look-ups). */
  urls(): [string, string, string, string] {
    const [h, n, l] = this.o.queueUrls;
    return [h, n, l, this.o.deadLetterUrl];
  }

  /** Resolves the queue URLs of `names` (GetQueueUrl ×4, unless `known` gives them) and opens the queue. */
  static async open(
    sqs: SQSClient,
    names: { readonly queues: readonly [string, string, string]; readonly deadLetterQueue: string },
    options: Omit<SqsTaskQueueOptions, 'queueUrls' | 'deadLetterUrl'>,
    known?: readonly [string, string, string, string],
  ): Promise<SqsTaskQueue> {
    if (known) return new SqsTaskQueue(sqs, { ...options, queueUrls: [known[0], known[1], known[2]], deadLetterUrl: known[3] });
    const url = async (QueueName: string): Promise<string> => {
      const res = await withRetry(options.retry, `SQS GetQueueUrl ${QueueName}`, () => sqs.send(new GetQueueUrlCommand({ QueueName })));
      if (!res.QueueUrl) throw new StoreError('CONFIG', `SQS queue ${QueueName} has no URL`);
      return res.QueueUrl;
    };
    const [high, normal, low, dlq] = await Promise.all([...names.queues, names.deadLetterQueue].map(url));
    return new SqsTaskQueue(sqs, { ...options, queueUrls: [high!, normal!, low!], deadLetterUrl: dlq! });
  }

  async send(messages: readonly QueueMessage[]): Promise<void> {
    const byQueue: string[][] = Array.from({ length: PRIORITY_QUEUES }, () => []);
    for (const m of messages) byQueue[priorityBucket(m.priority, this.o.priorityCuts)]!.push(m.body);
    byQueue.forEach((bodies, q) => {
      if (bodies.length > 0) this.quietUntil[q] = 0;
    });
    await Promise.all(byQueue.map((bodies, q) => this.sendTo(this.o.queueUrls[q]!, bodies)));
  }

  private async sendTo(QueueUrl: string, bodies: readonly string[], prior?: readonly number[]): Promise<void> {
    for (let i = 0; i < bodies.length; i += 10) {
      let pending = bodies.slice(i, i + 10).map((MessageBody, k) => {
        const n = prior?.[i + k] ?? 0;
        return { Id: String(k), MessageBody, ...(n > 0 ? { MessageAttributes: { [PRIOR_ATTR]: { DataType: 'Number', StringValue: String(n) } } } : {}) };
      });
      // Entries can fail one by one (throttling inside a 200): resend just those.
      await withRetry(this.o.retry, `SQS SendMessageBatch ${QueueUrl}`, async () => {
        const res = await this.sqs.send(new SendMessageBatchCommand({ QueueUrl, Entries: pending }));
        const failed = res.Failed ?? [];
        if (failed.length === 0) return;
        const permanent = failed.find((f) => f.SenderFault);
        if (permanent) throw new StoreError('CONFIG', `SQS SendMessageBatch ${QueueUrl}: ${permanent.Code}: ${permanent.Message}`);
        const ids = new Set(failed.map((f) => f.Id));
        pending = pending.filter((p) => ids.has(p.Id));
        throw Object.assign(new Error(`${failed.length} messages not sent: ${failed[0]?.Code}`), { name: 'InternalError' });
      });
    }
  }

  async lease(max: number, visibilityMs: number, waitMs: number): Promise<Lease[]> {
    const got = await this.leaseMessages(max, visibilityMs, waitMs);
    const now = Date.now();
    for (const l of got) this.attempts.set(l.handle, { body: l.body, startedAt: now });
    return got;
  }

  inProgress(): AttemptInProgress[] {
    return [...this.attempts.values()];
  }

  takeFinished(): FinishedAttempt[] {
    const out = this.finished;
    this.finished = [];
    return out;
  }

  /** Forgets the attempts of `leases`; with `acked`, records how long they ran. */
  private endAttempts(leases: readonly Lease[], acked: boolean): void {
    const now = Date.now();
    for (const l of leases) {
      const a = this.attempts.get(l.handle);
      if (!a) continue;
      this.attempts.delete(l.handle);
      if (acked) this.finished.push({ body: a.body, ms: now - a.startedAt });
    }
    if (this.finished.length > MAX_FINISHED) this.finished.splice(0, this.finished.length - MAX_FINISHED);
  }

  private async leaseMessages(max: number, visibilityMs: number, waitMs: number): Promise<Lease[]> {
    const n = Math.max(1, Math.min(10, Math.floor(max)));
    const vis = secondsUp(visibilityMs);
    const deadline = Date.now() + Math.max(0, waitMs);
    this.prune();
    if (this.failure !== undefined) {
      const e = this.failure;
      this.failure = undefined;
      throw e;
    }
    // First, in priority order: what an earlier long poll brought, or a short poll of each queue
    // that has no long poll outstanding — so a lower queue never goes before a higher one that
    // has messages, and a lease takes only what it returns.
    const first = await this.shortPolls(n, vis);
    if (first.length > 0 || waitMs <= 0) return first;
    for (;;) {
      const wait = Math.min(MAX_WAIT_S, secondsUp(deadline - Date.now()));
      for (let q = 0; q < PRIORITY_QUEUES; q++) if (!this.pending[q]) this.startReceive(q, n, vis, wait);
      const remaining = deadline - Date.now();
      let timer: NodeJS.Timeout | undefined;
      let woken = false;
      const timeout = new Promise<void>((r) => {
        timer = setTimeout(r, Math.max(0, remaining));
        this.wake = () => {
          woken = true;
          r();
        };
      });
      await Promise.race([...this.pending.filter((p): p is Promise<void> => p !== undefined), timeout]);
      clearTimeout(timer);
      this.wake = undefined;
      if (this.failure !== undefined) {
        const e = this.failure;
        this.failure = undefined;
        throw e;
      }
      const got = await this.takeHeld(n, vis * 1000);
      if (got.length > 0 || woken || Date.now() >= deadline) return got;
    }
  }

  /** Makes a lease that is waiting return what it has (nothing) at once: the executor is stopping. */
  interrupt(): void {
    this.wake?.();
  }

  /**
   * Goes through the queues in priority order without waiting: a queue's held messages, else a
   * short poll unless a long poll of it is outstanding or it was found empty lately.
   */
  private async shortPolls(n: number, vis: number): Promise<Lease[]> {
    for (let q = 0; q < PRIORITY_QUEUES; q++) {
      const held = await this.takeHeld(n, vis * 1000, q);
      if (held.length > 0) return held;
      // A queue with a long poll outstanding is covered by it.
      if (this.pending[q] || Date.now() < this.quietUntil[q]!) continue;
      const got = await this.receive(q, n, vis, 0);
      if (got.length > 0) return got.map((h) => h.lease);
      this.quietUntil[q] = Date.now() + 1000;
    }
    return [];
  }

  /** Starts the receive of queue `q`; its messages land in `held[q]`, its error in `failure`. */
  private startReceive(q: number, n: number, vis: number, wait: number): void {
    const p = this.receive(q, n, vis, wait)
      .then((got) => {
        this.held[q]!.push(...got);
        // Empty after its wait: the next lease need not short-poll it first.
        if (got.length === 0) this.quietUntil[q] = Date.now() + 1000;
      })
      .catch((e: unknown) => {
        this.failure ??= e;
      })
      .finally(() => {
        if (this.pending[q] === p) this.pending[q] = undefined;
      });
    this.pending[q] = p;
  }

  /**
   * Up to `n` held messages, highest queue first, that have at least half their visibility (and
   * a second) left, so that the lease keeper's first renewal comes in time; older ones are
   * released (another executor takes them at once).
   */
  private async takeHeld(n: number, visMs: number, only?: number): Promise<Lease[]> {
    const now = Date.now();
    const need = Math.max(0, Math.min(visMs / 2 + 1000, visMs - 1000));
    const out: Lease[] = [];
    const stale: Lease[] = [];
    for (const list of only === undefined ? this.held : [this.held[only]!]) {
      while (list.length > 0) {
        const h = list[0]!;
        if (h.until - now < need) stale.push(list.shift()!.lease);
        else if (out.length < n) out.push(list.shift()!.lease);
        else break;
      }
    }
    if (stale.length > 0) await this.requeueUnused(stale).catch(() => undefined);
    return out;
  }

  private async receive(q: number, max: number, vis: number, wait: number): Promise<Held[]> {
    const QueueUrl = this.o.queueUrls[q]!;
    let started = Date.now();
    const abortSignal = this.abort.signal;
    const res = await withRetry(this.o.retry, `SQS ReceiveMessage ${QueueUrl}`, () => {
      started = Date.now();
      return this.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl,
          MaxNumberOfMessages: max,
          VisibilityTimeout: vis,
          WaitTimeSeconds: wait,
          MessageSystemAttributeNames: ['ApproximateReceiveCount'],
          MessageAttributeNames: [PRIOR_ATTR],
          // The deprecated parameter as well: local-aws-sqs only understands this one (whose
          // type does not list message attributes, hence 'All').
          AttributeNames: ['All'],
        }),
        { abortSignal },
      );
    });
    // A message's visibility starts when SQS hands it out: at the start of a short poll at the
    // earliest, and during a long poll as late as the response (less its trip, taken to be
    // under a second).
    const now = Date.now();
    const until = now - Math.min(now - started, 1000) + vis * 1000;
    const out: Held[] = [];
    for (const m of res.Messages ?? []) {
      if (m.ReceiptHandle === undefined) continue;
      const handle = `${q}|${m.ReceiptHandle}`;
      this.expiry.set(handle, until);
      // Deliveries of this task's earlier copies (see requeueUnused).
      const prior = Number(m.MessageAttributes?.[PRIOR_ATTR]?.StringValue ?? '0') || 0;
      const received = Number(m.Attributes?.ApproximateReceiveCount ?? '1') || 1;
      out.push({ until, lease: { handle, body: m.Body ?? '', receiveCount: received + prior } });
    }
    return out;
  }

  /**
   * Ends the outstanding receives and makes every message they and earlier ones brought, but no
   * lease returned, visible again. Call before the process stops. (A long poll cut short may
   * have taken a message SQS had not sent yet: it comes back after its visibility timeout.)
   */
  async close(): Promise<void> {
    this.abort.abort();
    await Promise.all(this.pending);
    this.abort = new AbortController();
    const left = this.held.flatMap((list) => list.splice(0).map((h) => h.lease));
    if (left.length > 0) await this.requeueUnused(left).catch(() => undefined);
    this.failure = undefined;
  }

  async renew(lease: Lease, visibilityMs: number): Promise<boolean> {
    const until = this.expiry.get(lease.handle);
    const now = Date.now();
    if (until === undefined || now >= until) {
      // Lost: the message may be another executor's attempt by now.
      this.expiry.delete(lease.handle);
      this.attempts.delete(lease.handle);
      return false;
    }
    const { url, receipt } = this.parse(lease.handle);
    const vis = secondsUp(visibilityMs);
    try {
      await withRetry(
        this.o.retry,
        `SQS ChangeMessageVisibility ${url}`,
        () => this.sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: receipt, VisibilityTimeout: vis })),
        isStale,
      );
    } catch (e) {
      if (isStale(e)) {
        this.expiry.delete(lease.handle);
        this.attempts.delete(lease.handle);
        return false;
      }
      throw e;
    }
    this.expiry.set(lease.handle, now + vis * 1000);
    return true;
  }

  async ack(leases: readonly Lease[]): Promise<void> {
    for (const l of leases) this.expiry.delete(l.handle);
    this.endAttempts(leases, true);
    await this.batchByQueue(leases, 'DeleteMessageBatch', (QueueUrl, Entries) =>
      this.sqs.send(new DeleteMessageBatchCommand({ QueueUrl, Entries: Entries.map(({ Id, ReceiptHandle }) => ({ Id, ReceiptHandle })) })),
    );
  }

  /**
   * Gives back messages a receive brought but no lease handed out (a long poll that returned
   * while its executor was busy, or open at close) without spending a delivery: each is sent
   * again as a new message that carries the deliveries before this receive, and the received copy is
   * deleted. A plain release would add one to ApproximateReceiveCount each time, and under load
   * the polls busy executors leave open can catch the same message again and again until it
   * reaches the delivery limit — a healthy task failing the job as a poison one. Sent before
   * deleting: a failure in between leaves a duplicate (tasks are idempotent), never a loss.
   */
  private async requeueUnused(leases: readonly Lease[]): Promise<void> {
    const byUrl = new Map<string, Lease[]>();
    for (const l of leases) {
      const { url } = this.parse(l.handle);
      byUrl.set(url, [...(byUrl.get(url) ?? []), l]);
    }
    await Promise.all(
      [...byUrl].map(([url, ls]) => {
        this.quietUntil[this.o.queueUrls.indexOf(url)] = 0;
        // This receive ran nothing: it does not count.
        return this.sendTo(url, ls.map((l) => l.body), ls.map((l) => l.receiveCount - 1));
      }),
    );
    await this.ack(leases);
  }

  async release(leases: readonly Lease[], delayMs: number): Promise<void> {
    for (const l of leases) this.expiry.delete(l.handle);
    this.endAttempts(leases, false);
    const VisibilityTimeout = secondsUp(delayMs);
    await this.batchByQueue(leases, 'ChangeMessageVisibilityBatch', (QueueUrl, Entries) =>
      this.sqs.send(
        new ChangeMessageVisibilityBatchCommand({ QueueUrl, Entries: Entries.map(({ Id, ReceiptHandle }) => ({ Id, ReceiptHandle, VisibilityTimeout })) }),
      ),
    );
  }

  /** Runs a batch command per queue, 10 entries per call; entries with stale handles are ignored. */
  private async batchByQueue(
    leases: readonly Lease[],
    op: string,
    call: (url: string, entries: { Id: string; ReceiptHandle: string }[]) => Promise<{ Failed?: { Id?: string; Code?: string; SenderFault?: boolean; Message?: string }[] }>,
  ): Promise<void> {
    const byUrl = new Map<string, { Id: string; ReceiptHandle: string }[]>();
    for (const l of leases) {
      const { url, receipt } = this.parse(l.handle);
      const list = byUrl.get(url) ?? [];
      list.push({ Id: String(list.length), ReceiptHandle: receipt });
      byUrl.set(url, list);
    }
    for (const [url, entries] of byUrl) {
      for (let i = 0; i < entries.length; i += 10) {
        let pending = entries.slice(i, i + 10);
        await withRetry(this.o.retry, `SQS ${op} ${url}`, async () => {
          const res = await call(url, pending);
          // Sender faults are stale handles (message already deleted or re-leased): nothing to do.
          const retry = (res.Failed ?? []).filter((f) => !f.SenderFault && !STALE.has(f.Code ?? ''));
          if (retry.length === 0) return;
          const ids = new Set(retry.map((f) => f.Id));
          pending = pending.filter((p) => ids.has(p.Id));
          throw Object.assign(new Error(`${retry.length} entries failed: ${retry[0]?.Code} ${retry[0]?.Message ?? ''}`), { name: 'InternalError' });
        });
      }
    }
  }

  async deadLetter(lease: Lease, reason: string): Promise<void> {
    this.expiry.delete(lease.handle);
    this.endAttempts([lease], false);
    const { url, receipt } = this.parse(lease.handle);
    const StringValue = reason.trim().slice(0, 1000) || 'unspecified';
    await withRetry(this.o.retry, `SQS SendMessage ${this.o.deadLetterUrl}`, () =>
      this.sqs.send(
        new SendMessageCommand({
          QueueUrl: this.o.deadLetterUrl,
          MessageBody: lease.body === '' ? ' ' : lease.body,
          MessageAttributes: {
            [REASON_ATTR]: { DataType: 'String', StringValue },
            receiveCount: { DataType: 'Number', StringValue: String(lease.receiveCount) },
          },
        }),
      ),
    );
    // Sent before deleting: a crash in between leaves a duplicate in the DLQ, never a loss.
    await withRetry(
      this.o.retry,
      `SQS DeleteMessage ${url}`,
      () => this.sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: receipt })),
      isStale,
    ).catch((e: unknown) => {
      if (!isStale(e)) throw e;
    });
  }

  async depth(): Promise<QueueDepth> {
    const attrs = await Promise.all(
      this.o.queueUrls.map((QueueUrl) =>
        withRetry(this.o.retry, `SQS GetQueueAttributes ${QueueUrl}`, () =>
          this.sqs.send(
            new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
          ),
        ),
      ),
    );
    let visible = 0;
    let inFlight = 0;
    for (const a of attrs) {
      visible += Number(a.Attributes?.ApproximateNumberOfMessages ?? 0);
      inFlight += Number(a.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0);
    }
    return { visible, inFlight };
  }

  /**
   * Reads up to `max` dead letters without consuming them (they become visible again at once).
   * For tests and `lapwing status`; the DLQ is not part of the TaskQueue contract.
   */
  async peekDeadLetters(max = 10): Promise<DeadLetter[]> {
    const out: DeadLetter[] = [];
    const handles: string[] = [];
    while (out.length < max) {
      const res = await withRetry(this.o.retry, `SQS ReceiveMessage ${this.o.deadLetterUrl}`, () =>
        this.sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: this.o.deadLetterUrl,
            MaxNumberOfMessages: Math.min(10, max - out.length),
            VisibilityTimeout: 30,
            WaitTimeSeconds: 0,
            MessageAttributeNames: ['All'],
          }),
        ),
      );
      const msgs = res.Messages ?? [];
      if (msgs.length === 0) break;
      for (const m of msgs) {
        out.push({ body: m.Body ?? '', reason: m.MessageAttributes?.[REASON_ATTR]?.StringValue ?? '' });
        if (m.ReceiptHandle) handles.push(m.ReceiptHandle);
      }
    }
    for (let i = 0; i < handles.length; i += 10) {
      const Entries = handles.slice(i, i + 10).map((ReceiptHandle, k) => ({ Id: String(k), ReceiptHandle, VisibilityTimeout: 0 }));
      await withRetry(this.o.retry, `SQS ChangeMessageVisibilityBatch ${this.o.deadLetterUrl}`, () =>
        this.sqs.send(new ChangeMessageVisibilityBatchCommand({ QueueUrl: this.o.deadLetterUrl, Entries })),
      );
    }
    return out;
  }

  private parse(handle: string): { url: string; receipt: string } {
    const bar = handle.indexOf('|');
    const url = this.o.queueUrls[Number(handle.slice(0, bar))];
    if (bar < 0 || url === undefined) throw new StoreError('CONFIG', `not an SQS lease handle of this queue: ${handle.slice(0, 40)}`);
    return { url, receipt: handle.slice(bar + 1) };
  }

  /** Forgets leases that expired long ago (an executor that never acked or renewed them). */
  private prune(): void {
    if (this.expiry.size < 1024) return;
    const now = Date.now();
    for (const [h, until] of this.expiry) if (until < now) this.expiry.delete(h);
  }
}
