import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryQueue } from '../../runtime/backends/local/memory-queue.ts';

test('higher priority first, FIFO among equals', async () => {
  const q = new MemoryQueue();
  await q.send([{ body: 'a', priority: 1 }, { body: 'b', priority: 5 }, { body: 'c', priority: 1 }, { body: 'd', priority: 5 }]);
  const got = await q.lease(4, 1000, 0);
  assert.deepEqual(got.map((l) => l.body), ['b', 'd', 'a', 'c']);
});

test('an expired lease makes the message visible again with receiveCount + 1', async () => {
  let now = 0;
  const q = new MemoryQueue(() => now);
  await q.send([{ body: 'x', priority: 0 }]);
  const [l1] = await q.lease(1, 100, 0);
  assert.equal(l1!.receiveCount, 1);
  assert.deepEqual(await q.depth(), { visible: 0, inFlight: 1 });
  now = 99;
  assert.equal((await q.lease(1, 100, 0)).length, 0);
  now = 100;
  const [l2] = await q.lease(1, 100, 0);
  assert.equal(l2!.receiveCount, 2);
  // The first lease is stale: renewing or acking it does nothing.
  assert.equal(await q.renew(l1!, 100), false);
  await q.ack([l1!]);
  assert.deepEqual(await q.depth(), { visible: 0, inFlight: 1 });
  await q.ack([l2!]);
  assert.deepEqual(await q.depth(), { visible: 0, inFlight: 0 });
});

test('renew extends, release delays, deadLetter removes', async () => {
  let now = 0;
  const q = new MemoryQueue(() => now);
  await q.send([{ body: 'x', priority: 0 }]);
  const [l] = await q.lease(1, 100, 0);
  now = 90;
  assert.equal(await q.renew(l!, 100), true);
  now = 150;
  assert.equal((await q.lease(1, 100, 0)).length, 0);
  await q.release([l!], 50);
  now = 199;
  assert.equal((await q.lease(1, 100, 0)).length, 0);
  now = 200;
  const [l3] = await q.lease(1, 100, 0);
  await q.deadLetter(l3!, 'bad');
  assert.deepEqual(q.deadLetters, [{ body: 'x', reason: 'bad' }]);
  assert.deepEqual(await q.depth(), { visible: 0, inFlight: 0 });
});

test('a waiting lease wakes up on send', async () => {
  const q = new MemoryQueue();
  const p = q.lease(1, 1000, 5000);
  setTimeout(() => void q.send([{ body: 'late', priority: 0 }]), 20);
  const got = await p;
  assert.equal(got[0]?.body, 'late');
});
