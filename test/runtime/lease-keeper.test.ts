/**
 * The lease keeper on the real in-process queue, its clock and timer driven by the test: one
 * tick renews every held lease; a lease the queue gave to someone else is reported lost once;
 * renewals that keep failing report the lease lost only when it has expired; released leases
 * are left alone and the timer stops when nothing is held.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryQueue } from '../../runtime/backends/local/memory-queue.ts';
import { LeaseKeeper } from '../../runtime/executor/lease-keeper.ts';
import { StoreError } from '../../runtime/core/errors.ts';
import type { Lease, TaskQueue } from '../../runtime/core/interfaces.ts';

/** A keeper whose timer ticks when the test says so. */
function rig(queue: Pick<TaskQueue, 'renew'>, now: () => number) {
  const lost: string[] = [];
  let tick: (() => void) | null = null;
  let timers = 0;
  const keeper = new LeaseKeeper({
    queue,
    visibilityMs: 100,
    now,
    onLost: (l, reason) => lost.push(`${l.body}: ${reason}`),
    every: (ms, f) => {
      assert.equal(ms, 50, 'renews at half the visibility timeout');
      timers++;
      tick = f;
      return () => {
        tick = null;
      };
    },
  });
  return {
    keeper,
    lost,
    timers: () => timers,
    running: () => tick !== null,
    /** One tick, and the renewals it started settled. */
    tick: async () => {
      tick?.();
      await new Promise((r) => setImmediate(r));
    },
  };
}

test('one timer renews every held lease; a lease taken over is reported lost, once', async () => {
  let now = 0;
  const q = new MemoryQueue(() => now);
  await q.send([{ body: 'a', priority: 0 }, { body: 'b', priority: 0 }]);
  const [a, b] = await q.lease(2, 100, 0);
  const r = rig(q, () => now);
  r.keeper.hold(a!);
  r.keeper.hold(b!);
  assert.equal(r.timers(), 1, 'one timer for all leases');
  now = 60;
  await r.tick();
  now = 120;
  // Both renewed at 60 for 100 ms: neither is visible again at 120.
  assert.equal((await q.lease(2, 100, 0)).length, 0);
  assert.deepEqual(r.lost, []);

  // b's holder stops renewing it (released by the keeper), it expires and another executor takes it.
  r.keeper.release(b!);
  now = 200;
  await r.tick(); // renews a only
  now = 261;
  const [b2] = await q.lease(1, 100, 0);
  assert.equal(b2?.body, 'b');
  assert.equal(r.keeper.isLost(a!), false);

  // a's lease is left to expire (no tick), taken by another executor; the next tick finds it lost.
  now = 400;
  const [a2] = await q.lease(1, 100, 0);
  assert.equal(a2?.body, 'a');
  await r.tick();
  await r.tick();
  assert.equal(r.lost.length, 1, 'reported once');
  assert.match(r.lost[0]!, /^a: the queue refused/);
  assert.equal(r.keeper.isLost(a!), true);
  r.keeper.release(a!);
  assert.equal(r.running(), false, 'the timer stops when no lease is held');
});

test('renewals that fail are retried next tick; the lease is lost only once it has expired', async () => {
  let now = 0;
  const q = new MemoryQueue(() => now);
  await q.send([{ body: 'x', priority: 0 }]);
  const [x] = await q.lease(1, 100, 0);
  let failing = true;
  let calls = 0;
  const flaky: Pick<TaskQueue, 'renew'> = {
    renew: async (lease: Lease, ms: number) => {
      calls++;
      if (failing) throw new StoreError('UNAVAILABLE', 'the queue is away');
      return q.renew(lease, ms);
    },
  };
  const r = rig(flaky, () => now);
  r.keeper.hold(x!);
  now = 50;
  await r.tick();
  assert.deepEqual(r.lost, [], 'a failed renewal of a lease that has not expired is not a loss');
  failing = false;
  now = 90;
  await r.tick();
  assert.equal(calls, 2);
  assert.deepEqual(r.lost, []);
  failing = true;
  now = 150;
  await r.tick();
  assert.deepEqual(r.lost, []);
  now = 190; // renewed at 90 for 100 ms
  await r.tick();
  assert.equal(r.lost.length, 1);
  assert.match(r.lost[0]!, /renewals failed until the lease expired: the queue is away/);
  assert.equal(await r.keeper.renewNow(x!), false);
  r.keeper.stop();
});
