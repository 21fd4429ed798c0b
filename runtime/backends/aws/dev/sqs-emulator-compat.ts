/**
 * A thin HTTP layer in front of local-aws-sqs's request handler that corrects where it departs
 * from SQS in ways the backend relies on (JSON protocol only; the query protocol passes through):
 *
 * 1. ChangeMessageVisibility increments ApproximateReceiveCount in local-aws-sqs, so every lease
 *    renewal and release would count as a delivery. The layer remembers how many visibility
 *    changes each message had and subtracts them from ReceiveMessage's receive counts.
 *    (The emulator's own RedrivePolicy check still sees the inflated count.)
 * 2. ApproximateNumberOfMessages counts in-flight messages too; the layer reports visible ones
 *    only (minus ApproximateNumberOfMessagesNotVisible), as SQS does.
 * 3. A long poll waits for its full WaitTimeSeconds unless MaxNumberOfMessages arrived, and can
 *    return a message twice when its visibility expires during the wait. SQS returns as soon as
 *    any message is available; the layer turns a long poll into short polls until one returns
 *    messages or the wait is over.
 */
import { PassThrough } from 'node:stream';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sleep } from '../../../core/util.ts';

/** local-aws-sqs's request handler. */
export type SqsRequestHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

/** The emulator's queue object: only its public attribute reader is used. */
export interface EmulatedQueue {
  readonly QueueName: string;
  getAttributes(names: string[]): Record<string, string> | undefined;
}

interface Reply {
  status: number;
  headers: Record<string, string | number | readonly string[]>;
  body: string;
}

type Json = Record<string, unknown>;

const JSON_TYPE = 'application/x-amz-json-1.0';

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** MessageId inside one of local-aws-sqs's receipt handles (base64 of uuid + JSON). */
function messageIdOf(receipt: unknown): string | undefined {
  if (typeof receipt !== 'string') return undefined;
  try {
    const text = Buffer.from(receipt, 'base64').toString('utf8');
    const parsed: unknown = JSON.parse(text.slice(text.indexOf('{')));
    return typeof parsed === 'object' && parsed !== null && 'MessageId' in parsed && typeof parsed.MessageId === 'string' ? parsed.MessageId : undefined;
  } catch {
    return undefined;
  }
}

function parse(body: string): Json {
  try {
    const v: unknown = JSON.parse(body);
    return typeof v === 'object' && v !== null ? (v as Json) : {};
  } catch {
    return {};
  }
}

/** Wraps `handler`; `queues()` gives the emulator's live queue list (for attribute reads). */
export function sqsCompatHandler(handler: SqsRequestHandler, queues: () => readonly EmulatedQueue[]): (req: IncomingMessage, res: ServerResponse) => void {
  /** MessageId → visibility changes so far. */
  const changes = new Map<string, number>();

  /** Runs the emulator on a synthetic request; collects its reply. */
  async function invoke(req: IncomingMessage, body: string): Promise<Reply> {
    const fakeReq = Object.assign(new PassThrough(), { headers: req.headers, method: req.method, url: req.url }) as unknown as IncomingMessage;
    const reply: Reply = { status: 200, headers: {}, body: '' };
    const fakeRes = {
      get statusCode() {
        return reply.status;
      },
      set statusCode(v: number) {
        reply.status = v;
      },
      setHeader(name: string, value: string | number | readonly string[]) {
        reply.headers[name.toLowerCase()] = value;
      },
      end(data?: string | Buffer) {
        reply.body = data === undefined ? '' : String(data);
        done();
      },
    } as unknown as ServerResponse;
    let done!: () => void;
    const ended = new Promise<void>((r) => (done = r));
    const run = handler(fakeReq, fakeRes);
    (fakeReq as unknown as PassThrough).end(body);
    await Promise.all([run, ended]);
    return reply;
  }

  function send(res: ServerResponse, r: Reply): void {
    res.statusCode = r.status;
    for (const [k, v] of Object.entries(r.headers)) if (k !== 'content-length') res.setHeader(k, v);
    res.end(r.body);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const target = req.headers['x-amz-target'];
    if (req.headers['content-type'] !== JSON_TYPE || typeof target !== 'string') {
      await handler(req, res);
      return;
    }
    const action = target.split('.')[1] ?? '';
    const raw = await readBody(req);
    const input = parse(raw);

    if (action === 'ReceiveMessage') {
      const wait = Math.max(0, Number(input.WaitTimeSeconds ?? 0)) * 1000;
      const deadline = Date.now() + wait;
      const short = JSON.stringify({ ...input, WaitTimeSeconds: 0 });
      for (;;) {
        const r = await invoke(req, short);
        const out = parse(r.body);
        const msgs = Array.isArray(out.Messages) ? (out.Messages as Json[]) : [];
        if (r.status !== 200 || msgs.length > 0 || Date.now() >= deadline) {
          if (msgs.length > 0) {
            const byId = new Map<string, Json>();
            for (const m of msgs) byId.set(String(m.MessageId), m);
            for (const m of byId.values()) {
              const attrs = m.Attributes as Record<string, string> | undefined;
              const fix = changes.get(String(m.MessageId)) ?? 0;
              if (attrs?.ApproximateReceiveCount !== undefined && fix > 0) {
                attrs.ApproximateReceiveCount = String(Math.max(1, Number(attrs.ApproximateReceiveCount) - fix));
              }
            }
            r.body = JSON.stringify({ ...out, Messages: [...byId.values()] });
          }
          send(res, r);
          return;
        }
        await sleep(Math.min(50, Math.max(0, deadline - Date.now())));
      }
    }

    const r = await invoke(req, raw);
    if (r.status === 200 && action === 'ChangeMessageVisibility') {
      const id = messageIdOf(input.ReceiptHandle);
      if (id) changes.set(id, (changes.get(id) ?? 0) + 1);
    } else if (r.status === 200 && action === 'ChangeMessageVisibilityBatch') {
      const ok = new Set(((parse(r.body).Successful as Json[] | undefined) ?? []).map((e) => String(e.Id)));
      for (const e of (input.Entries as Json[] | undefined) ?? []) {
        const id = ok.has(String(e.Id)) ? messageIdOf(e.ReceiptHandle) : undefined;
        if (id) changes.set(id, (changes.get(id) ?? 0) + 1);
      }
    } else if (r.status === 200 && action === 'GetQueueAttributes') {
      const out = parse(r.body);
      const attrs = out.Attributes as Record<string, string> | undefined;
      if (attrs?.ApproximateNumberOfMessages !== undefined) {
        const url = typeof input.QueueUrl === 'string' ? input.QueueUrl : '';
        const name = url.split('/').filter(Boolean).at(-1);
        const q = queues().find((x) => x.QueueName === name);
        const hidden = Number(q?.getAttributes(['ApproximateNumberOfMessagesNotVisible'])?.ApproximateNumberOfMessagesNotVisible ?? 0);
        attrs.ApproximateNumberOfMessages = String(Math.max(0, Number(attrs.ApproximateNumberOfMessages) - hidden));
        r.body = JSON.stringify(out);
      }
    }
    send(res, r);
  }

  return (req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) res.statusCode = 500;
      res.end(JSON.stringify({ __type: 'InternalFailure', message: String(e) }));
    });
  };
}
