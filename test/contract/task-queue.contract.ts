/**
 * TaskQueue contract (runtime/core/interfaces.ts: SQS semantics), written once and run per backend.
 * Visibility timeouts are 1 s (SQS's granularity) so expiry tests take about two seconds each.
 *
 * Priorities used: 10, 0 and -10 — far enough apart that a backend bucketing priorities into a
 * few queues (the AWS one: positive / zero / negative) still orders them.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Lease, TaskQueue } from '../../runtime/core/interfaces.ts';
import { sleep } from '../../runtime/core/util.ts';

export interface TaskQueueFixture {
  readonly store: TaskQueue;
  cleanup(): Promise<void>;
}

const VIS = 1000;
/** Past one visibility timeout, with slack for second-granular backends. */
const AFTER_VIS = 1500;

async function using(make: () => Promise<TaskQueueFixture>, body: (q: TaskQueue) => Promise<void>): Promise<void> {
  const f = await make();
  try {
    await body(f.store);
  } finally {
    await f.cleanup();
  }
}

/** Leases until `n` messages were received or `ms` passed. */
async function leaseAll(q: TaskQueue, n: number, visibilityMs: number, ms = 5000): Promise<Lease[]> {
  const out: Lease[] = [];
  const deadline = Date.now() + ms;
  while (out.length < n && Date.now() < deadline) out.push(...(await q.lease(n - out.length, visibilityMs, 500)));
  return out;
}

const bodies = (ls: readonly Lease[]): string[] => ls.map((l) => l.body).sort();

/** Registers the TaskQueue contract tests for one backend. */
export function taskQueueContract(name: string, make: () => Promise<TaskQueueFixture>): void {
  describe(`TaskQueue contract: ${name}`, () => {
    it('delivers each message once while leased; first delivery has receiveCount 1', () =>
      using(make, async (q) => {
        await q.send([{ body: 'a', priority: 0 }, { body: 'b', priority: 0 }, { body: 'c', priority: 0 }]);
        const got = await leaseAll(q, 3, 30_000);
        assert.deepEqual(bodies(got), ['a', 'b', 'c']);
        for (const l of got) assert.equal(l.receiveCount, 1);
        assert.equal(new Set(got.map((l) => l.handle)).size, 3);
        assert.deepEqual(await q.lease(10, 30_000, 0), [], 'leased messages are invisible');
        await q.ack(got);
      }));

    it('lease returns at most max messages, and all of them over several calls', () =>
      using(make, async (q) => {
        const sent = Array.from({ length: 23 }, (_, i) => `m${i}`);
        await q.send(sent.map((body) => ({ body, priority: 0 })));
        const first = await q.lease(4, 30_000, 1000);
        assert.ok(first.length >= 1 && first.length <= 4, `got ${first.length}`);
        const rest = await leaseAll(q, sent.length - first.length, 30_000);
        assert.deepEqual(bodies([...first, ...rest]), [...sent].sort());
        await q.ack([...first, ...rest]);
      }));

    it('an expired lease makes the message visible again with receiveCount + 1; the old lease cannot renew', () =>
      using(make, async (q) => {
        await q.send([{ body: 'x', priority: 0 }]);
        const [first] = await leaseAll(q, 1, VIS);
        assert.ok(first);
        await sleep(AFTER_VIS);
        const [second] = await leaseAll(q, 1, 30_000);
        assert.ok(second, 'redelivered after the visibility timeout');
        assert.equal(second.body, 'x');
        assert.equal(second.receiveCount, 2);
        assert.equal(await q.renew(first, 30_000), false, 'the expired lease is lost');
        assert.equal(await q.renew(second, 30_000), true);
        await q.ack([second]);
      }));

    it('renew keeps a message invisible past its first timeout', () =>
      using(make, async (q) => {
        await q.send([{ body: 'r', priority: 0 }]);
        const [l] = await leaseAll(q, 1, VIS);
        assert.ok(l);
        assert.equal(await q.renew(l, 5000), true);
        await sleep(AFTER_VIS);
        assert.deepEqual(await q.lease(1, 30_000, 0), [], 'still leased');
        assert.deepEqual(await q.depth(), { visible: 0, inFlight: 1 });
        await q.ack([l]);
      }));

    it('ack deletes: nothing comes back, depth is zero, and renew after ack is false', () =>
      using(make, async (q) => {
        await q.send([{ body: 'k', priority: 0 }]);
        const [l] = await leaseAll(q, 1, VIS);
        assert.ok(l);
        await q.ack([l]);
        await q.ack([l]); // twice is harmless
        assert.equal(await q.renew(l, 30_000), false);
        await sleep(AFTER_VIS);
        assert.deepEqual(await q.lease(1, 30_000, 0), []);
        assert.deepEqual(await q.depth(), { visible: 0, inFlight: 0 });
      }));

    it('release(0) makes a message visible at once, counting the delivery', () =>
      using(make, async (q) => {
        await q.send([{ body: 'z', priority: 0 }]);
        const [l] = await leaseAll(q, 1, 30_000);
        assert.ok(l);
        await q.release([l], 0);
        const [again] = await leaseAll(q, 1, 30_000);
        assert.ok(again);
        assert.equal(again.body, 'z');
        assert.equal(again.receiveCount, 2);
        await q.ack([again]);
      }));

    it('release with a delay hides the message until the delay passes', () =>
      using(make, async (q) => {
        await q.send([{ body: 'd', priority: 0 }]);
        const [l] = await leaseAll(q, 1, 30_000);
        assert.ok(l);
        await q.release([l], VIS);
        assert.deepEqual(await q.lease(1, 30_000, 0), [], 'not yet');
        await sleep(AFTER_VIS);
        const [again] = await leaseAll(q, 1, 30_000);
        assert.equal(again?.body, 'd');
        await q.ack(again ? [again] : []);
      }));

    it('serves higher priorities first', () =>
      using(make, async (q) => {
        await q.send([
          { body: 'low-1', priority: -10 },
          { body: 'mid-1', priority: 0 },
          { body: 'high-1', priority: 10 },
          { body: 'low-2', priority: -10 },
          { body: 'high-2', priority: 10 },
          { body: 'mid-2', priority: 0 },
        ]);
        const order: string[] = [];
        for (let i = 0; i < 6; i++) {
          const [l] = await leaseAll(q, 1, 30_000);
          assert.ok(l, `message ${i}`);
          order.push(l.body.split('-')[0]!);
          await q.ack([l]);
        }
        assert.deepEqual(order, ['high', 'high', 'mid', 'mid', 'low', 'low']);
      }));

    it('depth counts visible and in-flight messages', () =>
      using(make, async (q) => {
        assert.deepEqual(await q.depth(), { visible: 0, inFlight: 0 });
        await q.send([{ body: '1', priority: 10 }, { body: '2', priority: 0 }, { body: '3', priority: -10 }, { body: '4', priority: 0 }]);
        assert.deepEqual(await q.depth(), { visible: 4, inFlight: 0 });
        const got = await leaseAll(q, 1, 30_000);
        assert.deepEqual(await q.depth(), { visible: 3, inFlight: 1 });
        await q.ack(got);
        assert.deepEqual(await q.depth(), { visible: 3, inFlight: 0 });
      }));

    it('deadLetter removes the message from the queue', () =>
      using(make, async (q) => {
        await q.send([{ body: 'not json', priority: 0 }, { body: 'fine', priority: -10 }]);
        const [bad] = await leaseAll(q, 1, VIS);
        assert.equal(bad?.body, 'not json');
        await q.deadLetter(bad!, 'cannot parse');
        await sleep(AFTER_VIS);
        const rest = await leaseAll(q, 1, 30_000);
        assert.deepEqual(bodies(rest), ['fine']);
        await q.ack(rest);
        assert.deepEqual(await q.lease(1, 30_000, 0), []);
      }));

    it('a waiting lease receives a message sent during the wait', () =>
      using(make, async (q) => {
        const pending = q.lease(1, 30_000, 4000);
        await sleep(300);
        await q.send([{ body: 'late', priority: 10 }]);
        const got = await pending;
        assert.deepEqual(bodies(got), ['late']);
        await q.ack(got);
      }));
  });
}
