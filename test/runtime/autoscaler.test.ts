import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decide, type ScalePolicy } from '../../runtime/scheduling/autoscaler.ts';

const p: ScalePolicy = { min: 0, max: 10, pipelineWidth: 2, cooldownMs: 1000 };

test('scales with queue depth, clamped to max', () => {
  assert.equal(decide(p, { visible: 7, inFlight: 0, running: 0, now: 0, lastLaunchAt: -Infinity }), 4);
  assert.equal(decide(p, { visible: 100, inFlight: 3, running: 2, now: 0, lastLaunchAt: -Infinity }), 8);
  assert.equal(decide(p, { visible: 0, inFlight: 0, running: 0, now: 0, lastLaunchAt: -Infinity }), 0);
});

test('respects the cooldown but never lets the pool fall below min', () => {
  const q = { ...p, min: 3 };
  assert.equal(decide(q, { visible: 20, inFlight: 0, running: 5, now: 500, lastLaunchAt: 0 }), 0);
  assert.equal(decide(q, { visible: 20, inFlight: 0, running: 5, now: 1000, lastLaunchAt: 0 }), 5);
  assert.equal(decide(q, { visible: 0, inFlight: 0, running: 1, now: 10, lastLaunchAt: 0 }), 2);
});

test('a trace: up with the queue, nothing while work drains', () => {
  let running = 0, last = -Infinity;
  const launched: number[] = [];
  const depths = [0, 10, 30, 30, 12, 4, 0, 0];
  depths.forEach((visible, i) => {
    const now = i * 600;
    const n = decide(p, { visible, inFlight: running, running, now, lastLaunchAt: last });
    if (n > 0) { running += n; last = now; }
    launched.push(n);
  });
  assert.deepEqual(launched, [0, 5, 0, 5, 0, 0, 0, 0]);
  assert.ok(running <= p.max);
});
