/**
 * Simulated SQS standard queues behind a real `SQSClient` whose `send` is replaced: the real
 * SqsTaskQueue sends its commands and this model answers them with SQS's semantics — visibility
 * timeouts, ApproximateReceiveCount, long polls woken by sends, batch entries failing one by
 * one — after a sampled latency.
 *
 * Billing as SQS bills: every request is one request per started 64 KiB of payload, empty
 * receives included. Limit: about 120,000 in-flight messages per standard queue, beyond which
 * ReceiveMessage fails with OverLimit (SQS quotas, aws-figures.md).
 */
import {
  ChangeMessageVisibilityBatchCommand,
  ChangeMessageVisibilityCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  OverLimit,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
  SQSServiceException,
  type MessageAttributeValue,
} from '@aws-sdk/client-sqs';
import { sampler, type Latency, type Serve } from './latency.ts';
import type { Meter } from './meter.ts';
import type { VirtualTime } from './virtual-time.ts';

export interface SqsProfile {
  readonly send: Latency;
  readonly receive: Latency;
  readonly delete: Latency;
  readonly changeVisibility: Latency;
  readonly attributes: Latency;
  readonly inFlightLimit: number;
}

interface Message {
  readonly id: number;
  readonly body: string;
  /** Message attributes, as sent (the task queue's carried delivery count, a dead letter's reason). */
  readonly attributes?: Record<string, MessageAttributeValue>;
  receiveCount: number;
  /** Valid receipt of the current lease ('' when visible). */
  receipt: string;
  /** Virtual ms at which an in-flight or delayed message becomes visible. */
  visibleAt: number;
  deleted: boolean;
}

interface Waiter {
  readonly max: number;
  readonly vis: number;
  /** Virtual ms when the long poll ends empty (its answer arrives a latency later). */
  readonly deadline: number;
  readonly resolve: (msgs: Message[] | null) => void;
  /** Position in its queue's waiter list (-1: not waiting). */
  idx: number;
}

/** Waiting long polls: O(1) add, delete and pick by index (hundreds wait on an idle queue). */
class Waiters {
  private readonly list: Waiter[] = [];
  get size(): number {
    return this.list.length;
  }
  at(i: number): Waiter {
    return this.list[i]!;
  }
  add(w: Waiter): void {
    w.idx = this.list.length;
    this.list.push(w);
  }
  /** Removes `w`; false if it was not waiting. */
  delete(w: Waiter): boolean {
    const i = w.idx;
    if (i < 0 || this.list[i] !== w) return false;
    const last = this.list.pop()!;
    if (last !== w) {
      this.list[i] = last;
      last.idx = i;
    }
    w.idx = -1;
    return true;
  }
  filter(f: (w: Waiter) => boolean): Waiter[] {
    return this.list.filter(f);
  }
}

const CHUNK = 64 * 1024;
const meta = { httpStatusCode: 200 };

class Queue {
  /** Visible messages, oldest first (a ring would do; arrays with a head index are enough). */
  private visible: Message[] = [];
  private head = 0;
  /** In-flight or delayed messages by id. */
  readonly hidden = new Map<number, Message>();
  readonly waiters = new Waiters();
  private timer = false;

  constructor(readonly name: string, private readonly clock: VirtualTime) {}

  visibleCount(): number {
    this.expire();
    return this.visible.length - this.head;
  }

  inFlightCount(): number {
    this.expire();
    return this.hidden.size;
  }

  push(m: Message): void {
    this.visible.push(m);
  }

  /** Lower bound of the visibleAt of hidden messages (a scan happens only once it passed). */
  private minVisibleAt = Number.POSITIVE_INFINITY;

  hide(m: Message): void {
    this.hidden.set(m.id, m);
    if (m.visibleAt < this.minVisibleAt) this.minVisibleAt = m.visibleAt;
  }

  /** Moves messages whose visibility timeout passed back to the visible list. */
  expire(): void {
    const now = this.clock.now();
    if (this.hidden.size === 0 || now < this.minVisibleAt) return;
    let min = Number.POSITIVE_INFINITY;
    for (const m of this.hidden.values()) {
      if (m.visibleAt <= now) {
        this.hidden.delete(m.id);
        m.receipt = '';
        this.visible.push(m);
      } else if (m.visibleAt < min) min = m.visibleAt;
    }
    this.minVisibleAt = min;
  }

  take(max: number, vis: number, now: number, nextReceipt: () => string): Message[] {
    this.expire();
    const out: Message[] = [];
    while (out.length < max && this.head < this.visible.length) {
      const m = this.visible[this.head++]!;
      if (m.deleted) continue;
      m.receiveCount++;
      m.receipt = nextReceipt();
      m.visibleAt = now + vis * 1000;
      this.hide(m);
      out.push(m);
    }
    if (this.head > 4096 && this.head * 2 > this.visible.length) {
      this.visible = this.visible.slice(this.head);
      this.head = 0;
    }
    return out;
  }

  /** Earliest time a hidden message becomes visible. */
  nextVisibleAt(): number {
    this.expire();
    return this.minVisibleAt;
  }

  /** Ensures one timer wakes the waiters when the next hidden message becomes visible. */
  armExpiryTimer(wake: () => void): void {
    if (this.timer || this.waiters.size === 0 || this.hidden.size === 0) return;
    const at = this.nextVisibleAt();
    if (!Number.isFinite(at)) return;
    this.timer = true;
    this.clock.schedule(at - this.clock.now(), () => {
      this.timer = false;
      wake();
    });
  }
}

/** What the SDK throws for a request whose abort signal fired. */
const abortError = (): Error => Object.assign(new Error('Request aborted'), { name: 'AbortError' });

const error = (name: string, message: string, status = 400): SQSServiceException =>
  new SQSServiceException({ name, $fault: 'client', message, $metadata: { httpStatusCode: status } });

/** The simulated SQS service. */
export class SqsModel {
  private readonly queues = new Map<string, Queue>();
  private readonly byId = new Map<number, { q: Queue; m: Message }>();
  private nextId = 1;
  private receiptSeq = 1;
  private readonly lat: Record<'send' | 'receive' | 'delete' | 'changeVisibility' | 'attributes', () => number>;

  private readonly serve: Serve;

  constructor(private readonly clock: VirtualTime, private readonly p: SqsProfile, private readonly meter: Meter, serve?: Serve) {
    this.serve = serve ?? ((ms) => clock.sleep(ms));
    this.lat = {
      send: sampler(p.send, clock.random),
      receive: sampler(p.receive, clock.random),
      delete: sampler(p.delete, clock.random),
      changeVisibility: sampler(p.changeVisibility, clock.random),
      attributes: sampler(p.attributes, clock.random),
    };
  }

  /** A client whose requests this model answers. */
  private shared: SQSClient | undefined;

  client(): SQSClient {
    // One client serves every caller: building an SDK client resolves its whole configuration
    // (tens of µs), and the model keeps no per-caller state in it.
    if (this.shared) return this.shared;
    const c = new SQSClient({ region: 'us-east-1', credentials: { accessKeyId: 'sim', secretAccessKey: 'sim' } });
    Object.defineProperty(c, 'send', { value: (cmd: unknown, options?: { abortSignal?: AbortSignal }) => this.send(cmd, options?.abortSignal) });
    this.shared = c;
    return c;
  }

  /** Messages in every queue: visible and in flight. */
  depth(): { visible: number; inFlight: number } {
    let visible = 0;
    let inFlight = 0;
    for (const q of this.queues.values()) {
      visible += q.visibleCount();
      inFlight += q.inFlightCount();
    }
    return { visible, inFlight };
  }

  private queue(url: string | undefined): Queue {
    const q = url === undefined ? undefined : this.queues.get(url);
    if (!q) throw error('AWS.SimpleQueueService.NonExistentQueue', `The specified queue does not exist: ${url}`);
    return q;
  }

  private bill(op: string, payloadBytes = 0): void {
    this.meter.call('sqs', op);
    this.meter.sqsBilled += Math.max(1, Math.ceil(payloadBytes / CHUNK));
  }

  private async send(cmd: unknown, signal?: AbortSignal): Promise<unknown> {
    if (cmd instanceof ReceiveMessageCommand) return this.receive(cmd.input, signal);
    let op: string;
    let kind: keyof SqsModel['lat'];
    let run: () => unknown;
    let payload = 0;
    if (cmd instanceof SendMessageBatchCommand) {
      op = 'SendMessageBatch';
      kind = 'send';
      for (const e of cmd.input.Entries ?? []) payload += Buffer.byteLength(e.MessageBody ?? '');
      run = () => this.sendBatch(cmd.input);
    } else if (cmd instanceof SendMessageCommand) {
      op = 'SendMessage';
      kind = 'send';
      payload = Buffer.byteLength(cmd.input.MessageBody ?? '');
      run = () => {
        const q = this.queue(cmd.input.QueueUrl);
        this.enqueue(q, cmd.input.MessageBody ?? '', cmd.input.DelaySeconds ?? 0, cmd.input.MessageAttributes);
        return { $metadata: meta, MessageId: String(this.nextId - 1) };
      };
    } else if (cmd instanceof DeleteMessageBatchCommand) {
      op = 'DeleteMessageBatch';
      kind = 'delete';
      run = () => this.batchEntries(cmd.input.QueueUrl, cmd.input.Entries ?? [], (q, h) => this.deleteOne(q, h));
    } else if (cmd instanceof DeleteMessageCommand) {
      op = 'DeleteMessage';
      kind = 'delete';
      run = () => {
        const q = this.queue(cmd.input.QueueUrl);
        const code = this.deleteOne(q, cmd.input.ReceiptHandle ?? '');
        if (code === 'ReceiptHandleIsInvalid') throw error(code, 'The receipt handle provided is not valid');
        return { $metadata: meta };
      };
    } else if (cmd instanceof ChangeMessageVisibilityBatchCommand) {
      op = 'ChangeMessageVisibilityBatch';
      kind = 'changeVisibility';
      run = () => this.batchEntries(cmd.input.QueueUrl, cmd.input.Entries ?? [], (q, h, e) => this.changeOne(q, h, e.VisibilityTimeout ?? 0));
    } else if (cmd instanceof ChangeMessageVisibilityCommand) {
      op = 'ChangeMessageVisibility';
      kind = 'changeVisibility';
      run = () => {
        const q = this.queue(cmd.input.QueueUrl);
        const code = this.changeOne(q, cmd.input.ReceiptHandle ?? '', cmd.input.VisibilityTimeout ?? 0);
        if (code) throw error(code, code === 'MessageNotInflight' ? 'Message does not exist or is not available for visibility timeout change' : 'The receipt handle provided is not valid');
        return { $metadata: meta };
      };
    } else if (cmd instanceof GetQueueAttributesCommand) {
      op = 'GetQueueAttributes';
      kind = 'attributes';
      run = () => {
        const q = this.queue(cmd.input.QueueUrl);
        return {
          $metadata: meta,
          Attributes: { ApproximateNumberOfMessages: String(q.visibleCount()), ApproximateNumberOfMessagesNotVisible: String(q.inFlightCount()) },
        };
      };
    } else if (cmd instanceof GetQueueUrlCommand) {
      op = 'GetQueueUrl';
      kind = 'attributes';
      run = () => {
        const name = cmd.input.QueueName ?? '';
        const url = `https://sqs.us-east-1.amazonaws.com/000000000000/${name}`;
        if (!this.queues.has(url)) this.queues.set(url, new Queue(name, this.clock));
        return { $metadata: meta, QueueUrl: url };
      };
    } else {
      const name = typeof cmd === 'object' && cmd !== null ? cmd.constructor.name : typeof cmd;
      throw error('InvalidAction', `the simulated SQS does not implement ${name}`);
    }
    this.bill(op, payload);
    // Takes effect on arrival; the answer comes a latency later (one event per request).
    const lat = this.lat[kind]();
    let out: unknown;
    let err: unknown;
    try {
      out = run();
    } catch (e) {
      err = e;
    }
    await this.serve(lat);
    if (err !== undefined) throw err;
    return out;
  }

  private enqueue(q: Queue, body: string, delaySeconds: number, attributes?: Record<string, MessageAttributeValue>): void {
    const m: Message = { id: this.nextId++, body, ...(attributes ? { attributes } : {}), receiveCount: 0, receipt: '', visibleAt: 0, deleted: false };
    this.byId.set(m.id, { q, m });
    if (delaySeconds > 0) {
      m.visibleAt = this.clock.now() + delaySeconds * 1000;
      q.hide(m);
    } else q.push(m);
    this.wake(q);
  }

  private sendBatch(input: SendMessageBatchCommand['input']): unknown {
    const q = this.queue(input.QueueUrl);
    const entries = input.Entries ?? [];
    if (entries.length > 10) throw error('AWS.SimpleQueueService.TooManyEntriesInBatchRequest', 'Maximum number of entries per request are 10');
    const Successful = entries.map((e) => {
      this.enqueue(q, e.MessageBody ?? '', e.DelaySeconds ?? 0, e.MessageAttributes);
      return { Id: e.Id, MessageId: String(this.nextId - 1), MD5OfMessageBody: '' };
    });
    return { $metadata: meta, Successful, Failed: [] };
  }

  /** Gives waiting long polls what became visible. */
  private wake(q: Queue): void {
    if (q.waiters.size === 0) return;
    const now = this.clock.now();
    // SQS answers waiting long polls in no documented order: a seeded random one first (the
    // oldest first would always favour the polls that executors busy with a task left open).
    for (let w = this.pickLive(q, now); w !== undefined; w = this.pickLive(q, now)) {
      const got = q.take(w.max, w.vis, now, () => this.receipt());
      if (got.length === 0) break;
      q.waiters.delete(w);
      w.resolve(got);
    }
    q.armExpiryTimer(() => this.wake(q));
  }

  /** A random waiter whose poll has not ended (those that ended wait for their answer's timer). */
  private pickLive(q: Queue, now: number): Waiter | undefined {
    const n = q.waiters.size;
    if (n === 0) return undefined;
    for (let k = 0; k < 8; k++) {
      const w = q.waiters.at(Math.floor(this.clock.random() * n));
      if (w.deadline > now) return w;
    }
    const live = q.waiters.filter((w) => w.deadline > now);
    return live.length === 0 ? undefined : live[Math.floor(this.clock.random() * live.length)];
  }

  private receipt(): string {
    return `r${this.receiptSeq++}`;
  }

  private async receive(input: ReceiveMessageCommand['input'], signal?: AbortSignal): Promise<unknown> {
    // An aborted request never leaves (the SDK rejects it at once): not billed.
    if (signal?.aborted) throw abortError();
    this.bill('ReceiveMessage');
    const q = this.queue(input.QueueUrl);
    const lat = this.lat.receive();
    const max = Math.max(1, Math.min(10, input.MaxNumberOfMessages ?? 1));
    const vis = input.VisibilityTimeout ?? 30;
    if (q.inFlightCount() >= this.p.inFlightLimit) {
      this.meter.throttled(`sqs in-flight limit (${q.name})`);
      await this.serve(lat);
      throw new OverLimit({ message: 'Too many messages in flight', $metadata: { httpStatusCode: 403 } });
    }
    let got = q.take(max, vis, this.clock.now(), () => this.receipt());
    const wait = Math.max(0, Math.min(20, input.WaitTimeSeconds ?? 0));
    if (got.length === 0 && wait > 0) {
      // One timer for an empty long poll: it ends at the deadline and its answer arrives a
      // latency later (most receives of idle executors end so: one event each, not two).
      const woken = await new Promise<Message[] | null>((resolve, reject) => {
        // The caller gives up on its long poll (SqsTaskQueue.close): it ends empty-handed.
        const onAbort = (): void => {
          if (!q.waiters.delete(w)) return;
          // A poll cut short was sent and brought nothing: an empty receive.
          this.meter.sqsEmptyReceives++;
          reject(abortError());
        };
        const done = (got: Message[] | null): void => {
          signal?.removeEventListener('abort', onAbort);
          resolve(got);
        };
        const w: Waiter = { max, vis, deadline: this.clock.now() + wait * 1000, resolve: done, idx: -1 };
        q.waiters.add(w);
        q.armExpiryTimer(() => this.wake(q));
        this.clock.schedule(wait * 1000 + lat, () => {
          if (q.waiters.delete(w)) done(null);
        });
        signal?.addEventListener('abort', onAbort, { once: true });
      });
      if (woken === null) {
        this.meter.sqsEmptyReceives++;
        return { $metadata: meta, Messages: [] };
      }
      got = woken;
    }
    if (got.length === 0) this.meter.sqsEmptyReceives++;
    await this.serve(lat);
    return {
      $metadata: meta,
      Messages: got.map((m) => ({
        MessageId: String(m.id),
        ReceiptHandle: `${m.id}:${m.receipt}`,
        Body: m.body,
        Attributes: { ApproximateReceiveCount: String(m.receiveCount) },
        ...(m.attributes ? { MessageAttributes: pickAttributes(m.attributes, input.MessageAttributeNames) } : {}),
      })),
    };
  }

  private lookup(q: Queue, handle: string): Message | null {
    const colon = handle.indexOf(':');
    const id = Number(handle.slice(0, colon));
    const e = this.byId.get(id);
    if (!e || e.q !== q) return null;
    return e.m;
  }

  private deleteOne(q: Queue, handle: string): string | null {
    const m = this.lookup(q, handle);
    if (!m) return null; // already deleted: SQS accepts a delete of a deleted message
    // SQS deletes with any receipt the message was given, even a stale one.
    m.deleted = true;
    q.hidden.delete(m.id);
    this.byId.delete(m.id);
    return null;
  }

  private changeOne(q: Queue, handle: string, seconds: number): string | null {
    const m = this.lookup(q, handle);
    if (!m) return 'ReceiptHandleIsInvalid';
    const receipt = handle.slice(handle.indexOf(':') + 1);
    if (!q.hidden.has(m.id) || m.receipt !== receipt) return 'MessageNotInflight';
    m.visibleAt = this.clock.now() + seconds * 1000;
    if (seconds === 0) {
      q.hidden.delete(m.id);
      m.receipt = '';
      q.push(m);
      this.wake(q);
    } else {
      q.hide(m);
      if (q.waiters.size > 0) q.armExpiryTimer(() => this.wake(q));
    }
    return null;
  }

  private batchEntries<E extends { Id?: string; ReceiptHandle?: string }>(url: string | undefined, entries: readonly E[], one: (q: Queue, handle: string, e: E) => string | null): unknown {
    const q = this.queue(url);
    if (entries.length > 10) throw error('AWS.SimpleQueueService.TooManyEntriesInBatchRequest', 'Maximum number of entries per request are 10');
    const Successful: { Id: string }[] = [];
    const Failed: { Id: string; Code: string; SenderFault: boolean; Message: string }[] = [];
    for (const e of entries) {
      const code = one(q, e.ReceiptHandle ?? '', e);
      if (code) Failed.push({ Id: e.Id ?? '', Code: code, SenderFault: true, Message: code });
      else Successful.push({ Id: e.Id ?? '' });
    }
    return { $metadata: meta, Successful, Failed };
  }
}

/** The attributes a receive asked for by name ('All' or '.*' for every one), as SQS returns them. */
function pickAttributes(attributes: Record<string, MessageAttributeValue>, names: readonly string[] | undefined): Record<string, MessageAttributeValue> {
  if (!names || names.length === 0) return {};
  if (names.includes('All') || names.includes('.*')) return attributes;
  return Object.fromEntries(Object.entries(attributes).filter(([k]) => names.includes(k)));
}
