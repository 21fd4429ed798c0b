/**
 * SQS task queue specifics on the emulator: the dead-letter queue (explicit and by redrive),
 * priority buckets, batching of calls, and receive counts that only count deliveries.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { GetQueueAttributesCommand, GetQueueUrlCommand } from '@aws-sdk/client-sqs';
import type { Emulators } from '../../runtime/backends/aws/dev/emulators.ts';
import { SqsTaskQueue } from '../../runtime/backends/aws/stores/sqs-task-queue.ts';
import { priorityBucket } from '../../runtime/backends/aws/priority.ts';
import { DEFAULT_PRIORITY_CUTS } from '../../runtime/backends/aws/config.ts';
import { redriveCount } from '../../runtime/backends/aws/deploy/provision.ts';
import { emulators, freshStack, releaseEmulators, type Stack } from './emulated.ts';
import { sleep } from '../../runtime/core/util.ts';

let emu: Emulators;
before(async () => {
  emu = await emulators();
});
after(async () => {
  await releaseEmulators();
});


async function withQueue(body: (q: SqsTaskQueue, s: Stack) => Promise<void>, overrides: Parameters<typeof freshStack>[1] = {}): Promise<void> {
  const s = await freshStack(emu, overrides);
  try {
    const q = await SqsTaskQueue.open(s.clients.sqs, s.config.names, { priorityCuts: s.config.priorityCuts, retry: s.config.retry });
    await body(q, s);
  } finally {
    await s.destroy();
  }
}

async function attributes(s: Stack, name: string, attrs: string[]): Promise<Record<string, string>> {
  const { QueueUrl } = await s.clients.sqs.send(new GetQueueUrlCommand({ QueueName: name }));
  const res = await s.clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: attrs as never }));
  return res.Attributes ?? {};
}

describe('priority buckets', () => {
  it('positive → high, zero → normal, negative → low with the default cuts', () => {
    assert.deepEqual([5, 1, 0.5, 0, -0.5, -3].map((p) => priorityBucket(p, DEFAULT_PRIORITY_CUTS)), [0, 0, 1, 1, 2, 2]);
    assert.equal(priorityBucket(Number.NaN, DEFAULT_PRIORITY_CUTS), 2);
    assert.deepEqual([100, 50, 10, 9].map((p) => priorityBucket(p, [50, 10])), [0, 0, 1, 2]);
  });
});

describe('SqsTaskQueue', () => {
  it('sends each message to the queue of its priority bucket', () =>
    withQueue(async (q, s) => {
      await q.send([{ body: 'a', priority: 3 }, { body: 'b', priority: 0 }, { body: 'c', priority: -1 }, { body: 'd', priority: -9 }]);
      const counts = await Promise.all(s.config.names.queues.map((n) => attributes(s, n, ['ApproximateNumberOfMessages'])));
      assert.deepEqual(counts.map((c) => Number(c.ApproximateNumberOfMessages)), [1, 1, 2]);
    }));

  it('batches: 10 messages are one send, one or few receives, one ack', () =>
    withQueue(async (q, s) => {
      const c0 = s.clients.counts().sqs;
      await q.send(Array.from({ length: 10 }, (_, i) => ({ body: `m${i}`, priority: 0 })));
      const c1 = s.clients.counts().sqs;
      assert.equal(c1 - c0, 1, 'one SendMessageBatch');
      const leases = await q.lease(10, 30_000, 1000);
      assert.equal(leases.length, 10);
      const c2 = s.clients.counts().sqs;
      assert.ok(c2 - c1 <= 3, `${c2 - c1} receives (every queue at once)`);
      await q.ack(leases);
      assert.equal(s.clients.counts().sqs - c2, 1, 'one DeleteMessageBatch');
    }));

  it('deadLetter moves the body and the reason to the dead-letter queue', () =>
    withQueue(async (q) => {
      await q.send([{ body: '{"garbage"', priority: 0 }]);
      const [l] = await q.lease(1, 30_000, 1000);
      assert.ok(l);
      await q.deadLetter(l, 'not a lapwing task message');
      assert.deepEqual(await q.peekDeadLetters(), [{ body: '{"garbage"', reason: 'not a lapwing task message' }]);
      assert.deepEqual(await q.peekDeadLetters(), [{ body: '{"garbage"', reason: 'not a lapwing task message' }], 'peek does not consume');
      assert.deepEqual(await q.depth(), { visible: 0, inFlight: 0 });
    }));

  it('task queues carry a RedrivePolicy to the dead-letter queue', () =>
    withQueue(async (_q, s) => {
      const dlq = await attributes(s, s.config.names.deadLetterQueue, ['QueueArn']);
      for (const name of s.config.names.queues) {
        const a = await attributes(s, name, ['RedrivePolicy']);
        // One delivery past the executor's limit: the executor fails the job naming the task.
        assert.deepEqual(JSON.parse(a.RedrivePolicy ?? '{}'), { maxReceiveCount: redriveCount(s.config.maxReceiveCount, true), deadLetterTargetArn: dlq.QueueArn });
      }
    }));

  it('counts every expired lease as a delivery', () =>
    withQueue(async (q) => {
      await q.send([{ body: 'crashy', priority: 0 }]);
      for (let i = 1; i <= 3; i++) {
        const [a] = await q.lease(1, 1000, 3000);
        assert.equal(a?.receiveCount, i);
        await sleep(1500);
      }
    }));

  it('renewals and releases do not count as deliveries', () =>
    withQueue(async (q) => {
      await q.send([{ body: 'long', priority: 0 }]);
      const [l] = await q.lease(1, 30_000, 1000);
      assert.ok(l);
      for (let i = 0; i < 3; i++) assert.equal(await q.renew(l, 30_000), true);
      await q.release([l], 0);
      const [again] = await q.lease(1, 30_000, 2000);
      assert.equal(again?.receiveCount, 2);
      await q.ack(again ? [again] : []);
    }));

  it('a message a busy executor\'s open poll caught and gave back unused keeps its delivery count', () =>
    withQueue(async (busy, s) => {
      const other = await SqsTaskQueue.open(s.clients.sqs, s.config.names, { priorityCuts: s.config.priorityCuts, retry: s.config.retry });
      // All queues empty: busy's lease long-polls the three of them (3 s visibility); a
      // low-priority message ends it and leaves the two other polls open.
      const leased = busy.lease(1, 3000, 10_000);
      await sleep(500);
      await busy.send([{ body: 'first', priority: -5 }]);
      const [first] = await leased;
      assert.equal(first?.body, 'first');
      // While busy runs `first`, its open poll of the high queue catches `next`.
      await busy.send([{ body: 'next', priority: 5 }]);
      const none = await other.lease(1, 30_000, 1000);
      assert.deepEqual(none, [], 'busy\'s open poll should have caught the message (the fault this test is about)');
      // busy's next lease finds `next` held with too little visibility left and gives it back
      // before it expires; whoever receives it next sees its first delivery, not its second.
      await busy.ack([first]);
      const [next] = [...(await busy.lease(1, 30_000, 0)), ...(await other.lease(1, 30_000, 5000))];
      assert.equal(next?.body, 'next');
      assert.equal(next.receiveCount, 1, 'the unused receive counted as a delivery');
      // A real delivery still counts.
      const owner = busy.inProgress().length > 0 ? busy : other;
      await owner.release([next], 0);
      const [third] = await other.lease(1, 30_000, 5000);
      assert.equal(third?.body, 'next');
      assert.equal(third.receiveCount, 2);
      await other.ack([third]);
      await Promise.all([busy.close(), other.close()]);
    }));
});
