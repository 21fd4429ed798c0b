/**
 * Hierarchical fan-out of Lambda launches: the planner (every executor launched exactly once,
 * at most `branching` invocations per caller, depth ⌈log_b n⌉ or less), the payloads (built,
 * serialised, parsed back, rejected when malformed), the handler's fan-out step with an injected
 * invoke, a whole launch through the real Lambda SDK against a loopback endpoint that records
 * Invoke calls (the Lambda service itself cannot run here), and the handler running an executor
 * against the emulators after its share.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { fanoutChildren, fanoutDepth, planFanout, splitRange, type FanoutNode } from '../../runtime/backends/aws/executors/fanout.ts';
import {
  LambdaLauncher,
  MAX_FANOUT,
  lambdaConcurrencyLimit,
  lambdaInvoker,
  parseExecutorEvent,
  rootEvents,
  shareOf,
  type ExecutorEvent,
} from '../../runtime/backends/aws/executors/lambda-launcher.ts';
import { createHandler, launchShare } from '../../runtime/backends/aws/executors/handler.ts';
import type { Emulators } from '../../runtime/backends/aws/dev/emulators.ts';
import { configToEnv } from '../../runtime/backends/aws/config.ts';
import { EMULATOR_CREDENTIALS } from '../../runtime/backends/aws/dev/emulators.ts';
import { emulators, freshStack, releaseEmulators, TEST_RETRY, type Stack } from './emulated.ts';

/** A handler on `stack` whose invocations and warnings are recorded, not sent; its executors idle out fast. */
function recordingHandler(stack: Stack): { handler: ReturnType<typeof createHandler>; invoked: ExecutorEvent[]; warnings: string[] } {
  const env = { ...configToEnv(stack.config, true), LAPWING_IDLE_TIMEOUT_MS: '300', LAPWING_POLL_MS: '100' };
  const invoked: ExecutorEvent[] = [];
  const warnings: string[] = [];
  const handler = createHandler({ env, invoke: () => async (e) => void invoked.push(e), warn: (m) => warnings.push(m) });
  return { handler, invoked, warnings };
}

function walk(nodes: readonly FanoutNode[], visit: (n: FanoutNode) => void): void {
  for (const n of nodes) {
    visit(n);
    walk(n.children, visit);
  }
}

describe('planFanout', () => {
  it('splits ranges evenly and contiguously', () => {
    assert.deepEqual(splitRange(0, 10, 3), [{ first: 0, count: 4 }, { first: 4, count: 3 }, { first: 7, count: 3 }]);
    assert.deepEqual(splitRange(5, 2, 8), [{ first: 5, count: 1 }, { first: 6, count: 1 }]);
    assert.deepEqual(splitRange(3, 0, 4), []);
    assert.deepEqual(fanoutChildren({ first: 0, count: 1 }, 4), [], 'a leaf launches nobody');
    assert.throws(() => planFanout(10, 1), /branching/);
  });

  it('launches every executor exactly once, at most b per caller, in ⌈log_b n⌉ rounds or fewer', () => {
    for (const b of [2, 3, 4, 8, 16]) {
      for (const n of [0, 1, 2, 3, b - 1, b, b + 1, 10, 31, 100, 257, 1000, 4096]) {
        const roots = planFanout(n, b);
        assert.ok(roots.length <= b, `b=${b} n=${n}: ${roots.length} roots`);
        const seen = new Array<number>(n).fill(0);
        let depth = 0;
        walk(roots, (node) => {
          seen[node.first]!++;
          depth = Math.max(depth, node.depth);
          assert.ok(node.children.length <= b);
          // A node's children cover exactly the rest of its range.
          assert.equal(node.children.reduce((s, c) => s + c.count, 0), node.count - 1);
          let at = node.first + 1;
          for (const c of node.children) {
            assert.equal(c.first, at);
            at += c.count;
            assert.equal(c.depth, node.depth + 1);
          }
        });
        assert.ok(seen.every((k) => k === 1), `b=${b} n=${n}: each executor launched once`);
        assert.equal(depth, fanoutDepth(n, b), `b=${b} n=${n}`);
        if (n > 1) assert.ok(depth <= Math.ceil(Math.log(n) / Math.log(b) - 1e-9), `b=${b} n=${n}: depth ${depth}`);
        // Optimal for fan-out b: level k holds at most b^k executors, so fewer levels cannot hold n.
        let fewer = 0;
        for (let k = 1; k < depth; k++) fewer += b ** k;
        assert.ok(n === 0 || fewer < n, `b=${b} n=${n}: depth ${depth} is not minimal`);
      }
    }
  });

  it('depth is exactly log_b n for powers of b, and grows by one level per factor b', () => {
    assert.equal(fanoutDepth(8, 2), 3);
    assert.equal(fanoutDepth(64, 4), 3);
    assert.equal(fanoutDepth(4096, 8), 4);
    assert.equal(fanoutDepth(1000, 10), 3);
    assert.equal(fanoutDepth(8, 8), 1, 'up to b executors: all invoked directly');
    assert.equal(fanoutDepth(0, 8), 0);
    assert.equal(fanoutDepth(10_000, 8), 5);
  });
});

describe('fan-out payloads', () => {
  it('root events name the range each root launches; leaves carry no fan-out', () => {
    const events = rootEvents('lambda-ab', 20, 4, 'j-1');
    assert.deepEqual(events, [
      { job: 'j-1', executorId: 'lambda-ab-0', fanout: { base: 'lambda-ab', first: 0, count: 5, branching: 4 } },
      { job: 'j-1', executorId: 'lambda-ab-5', fanout: { base: 'lambda-ab', first: 5, count: 5, branching: 4 } },
      { job: 'j-1', executorId: 'lambda-ab-10', fanout: { base: 'lambda-ab', first: 10, count: 5, branching: 4 } },
      { job: 'j-1', executorId: 'lambda-ab-15', fanout: { base: 'lambda-ab', first: 15, count: 5, branching: 4 } },
    ]);
    assert.deepEqual(shareOf(events[0]!).map((e) => e.executorId), ['lambda-ab-1', 'lambda-ab-2', 'lambda-ab-3', 'lambda-ab-4']);
    assert.equal(shareOf(events[0]!)[0]!.fanout, undefined);
    assert.deepEqual(rootEvents('x', 3, 8), [{ executorId: 'x-0' }, { executorId: 'x-1' }, { executorId: 'x-2' }]);
    assert.throws(() => rootEvents('x', MAX_FANOUT + 1, 8), /at most/);
  });

  it('a payload survives JSON and parses back; malformed ones are rejected naming the field', () => {
    for (const e of rootEvents('lambda-12ef', 100, 8, 'j-9')) assert.deepEqual(parseExecutorEvent(JSON.parse(JSON.stringify(e))), e);
    assert.deepEqual(parseExecutorEvent(null), {});
    assert.deepEqual(parseExecutorEvent({}), {});
    assert.deepEqual(parseExecutorEvent({ executorId: 'e-1', other: 1 }), { executorId: 'e-1' });
    const f = { base: 'b', first: 0, count: 3, branching: 2 };
    assert.throws(() => parseExecutorEvent([]), /object/);
    assert.throws(() => parseExecutorEvent({ executorId: 7 }), /executorId/);
    assert.throws(() => parseExecutorEvent({ fanout: 'all' }), /fanout/);
    assert.throws(() => parseExecutorEvent({ fanout: { ...f, base: '../x' } }), /fanout\.base/);
    assert.throws(() => parseExecutorEvent({ fanout: { ...f, count: 0 } }), /fanout\.count/);
    assert.throws(() => parseExecutorEvent({ fanout: { ...f, count: MAX_FANOUT + 1 } }), /fanout\.count/);
    assert.throws(() => parseExecutorEvent({ fanout: { ...f, branching: 1 } }), /fanout\.branching/);
    assert.throws(() => parseExecutorEvent({ fanout: { ...f, first: 1.5 } }), /fanout\.first/);
  });

  it("the handler's fan-out step invokes its share, and a failed branch is a warning", async () => {
    const [root] = rootEvents('lambda-1', 40, 4);
    const got: ExecutorEvent[] = [];
    assert.equal(await launchShare(root!, async (e) => void got.push(e)), 4);
    assert.deepEqual(got, shareOf(root!));
    assert.equal(got.reduce((s, e) => s + (e.fanout?.count ?? 1), 0), 9, 'the root owns 10: itself and 9 below');

    const warnings: string[] = [];
    const n = await launchShare(root!, async (e) => {
      if (e.executorId === 'lambda-1-1') throw new Error('TooManyRequestsException');
    }, (m) => warnings.push(m));
    assert.equal(n, 3);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /launching lambda-1-1 \(3 executors\) failed: TooManyRequestsException/);
    assert.equal(await launchShare({ executorId: 'leaf' }, async () => assert.fail('a leaf launches nobody')), 0);
  });
});

describe('a fan-out through the Lambda API (loopback endpoint)', () => {
  let server: Server;
  let endpoint: string;
  let received: { fn: string; type: string | undefined; event: ExecutorEvent }[] = [];
  before(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        const m = /^\/2015-03-31\/functions\/([^/]+)\/invocations/.exec(req.url ?? '');
        if (!m || req.method !== 'POST') {
          res.writeHead(404).end();
          return;
        }
        received.push({ fn: decodeURIComponent(m[1]!), type: req.headers['x-amz-invocation-type'] as string | undefined, event: JSON.parse(body) as ExecutorEvent });
        res.writeHead(202, { 'content-type': 'application/json' }).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  it('the launcher invokes only the roots; executors invoking their shares start all n in log rounds', async () => {
    const lambda = new LambdaClient({ endpoint, region: 'us-east-1', credentials: EMULATOR_CREDENTIALS });
    try {
      received = [];
      const n = 100;
      const b = 4;
      const launcher = new LambdaLauncher(lambda, { functionName: 'lw-executor', retry: TEST_RETRY, lifetimeMs: 60_000, branching: b, job: 'j-7' });
      await launcher.launch(n);
      assert.equal(received.length, b, 'the driver made b calls');
      assert.ok(received.every((r) => r.fn === 'lw-executor' && r.type === 'Event'));
      assert.equal(launcher.running(), n, 'the whole tree counts as launched');

      // Play the executors: each wave runs the fan-out step of the previous wave's invocations.
      const invoke = lambdaInvoker(lambda, 'lw-executor', TEST_RETRY);
      const all: ExecutorEvent[] = [];
      let wave = received.map((r) => r.event);
      let rounds = 0;
      while (wave.length > 0) {
        rounds++;
        all.push(...wave);
        received = [];
        for (const e of wave) await launchShare(parseExecutorEvent(JSON.parse(JSON.stringify(e))), invoke);
        wave = received.map((r) => r.event);
      }
      assert.equal(rounds, fanoutDepth(n, b));
      assert.equal(rounds, 4, '100 executors, 4 per caller: 4 rounds (ceil(log4 100) = 4)');
      const ids = all.map((e) => e.executorId);
      assert.equal(new Set(ids).size, n, 'every executor once');
      const base = ids[0]!.replace(/-0$/, '');
      assert.deepEqual(new Set(ids), new Set(Array.from({ length: n }, (_, i) => `${base}-${i}`)));
      assert.ok(all.every((e) => e.job === 'j-7'));
    } finally {
      lambda.destroy();
    }
  });
});

describe('launching within the concurrency Lambda allows', () => {
  let server: Server;
  let endpoint: string;
  before(async () => {
    // The concurrency a launcher reads: 'lw-reserved' has 3 reserved, the account 7 unreserved.
    server = createServer((req, res) => {
      const json = (v: unknown): void => void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(v));
      const c = /^\/2019-09-30\/functions\/([^/]+)\/concurrency$/.exec(req.url ?? '');
      if (c && req.method === 'GET') return json(c[1] === 'lw-reserved' ? { ReservedConcurrentExecutions: 3 } : {});
      if (req.url === '/2016-08-19/account-settings' && req.method === 'GET') return json({ AccountLimit: { ConcurrentExecutions: 10, UnreservedConcurrentExecutions: 7 } });
      res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  it("reads the function's reserved concurrency, else the account's unreserved one; nothing when it cannot", async () => {
    const lambda = new LambdaClient({ endpoint, region: 'us-east-1', credentials: EMULATOR_CREDENTIALS });
    try {
      assert.equal(await lambdaConcurrencyLimit(lambda, 'lw-reserved'), 3);
      assert.equal(await lambdaConcurrencyLimit(lambda, 'lw-executor'), 7);
    } finally {
      lambda.destroy();
    }
    const nowhere = new LambdaClient({ endpoint: 'http://127.0.0.1:9', region: 'us-east-1', credentials: EMULATOR_CREDENTIALS, maxAttempts: 1 });
    try {
      assert.equal(await lambdaConcurrencyLimit(nowhere, 'lw-executor'), undefined);
    } finally {
      nowhere.destroy();
    }
  });

  it('launches no more executors than can run at once, reading the limit once', async () => {
    const invoked: ExecutorEvent[] = [];
    let reads = 0;
    const launcher = new LambdaLauncher(new LambdaClient({ region: 'us-east-1', credentials: EMULATOR_CREDENTIALS }), {
      functionName: 'lw-executor', retry: TEST_RETRY, lifetimeMs: 60_000, branching: 4,
      invoke: async (e) => void invoked.push(e),
      concurrencyLimit: async () => (reads++, 5),
    });
    const executors = (): number => invoked.reduce((n, e) => n + (e.fanout?.count ?? 1), 0);
    await launcher.launch(3);
    assert.deepEqual([executors(), launcher.running()], [3, 3]);
    await launcher.launch(10);
    assert.deepEqual([executors(), launcher.running()], [5, 5], 'two more: the limit is 5');
    await launcher.launch(1);
    assert.equal(executors(), 5, 'none beyond the limit');
    assert.equal(reads, 1);
  });
});

describe('the handler', () => {
  let emu: Emulators;
  before(async () => {
    emu = await emulators();
  });
  after(async () => {
    await releaseEmulators();
  });

  it('invokes its share, then runs its executor until idle', async () => {
    const stack = await freshStack(emu);
    try {
      const { handler, invoked, warnings } = recordingHandler(stack);
      const [root] = rootEvents('lambda-h', 9, 2);
      const r = await handler(JSON.parse(JSON.stringify(root)), { getRemainingTimeInMillis: () => 120_000 });
      assert.equal(r.executorId, 'lambda-h-0');
      assert.equal(r.launched, 2);
      assert.deepEqual(invoked, shareOf(root!));
      assert.equal(r.tasks, 0);
      assert.ok(r.apiCalls.sqs! > 0, 'it polled the queue');
      assert.deepEqual(warnings, []);

      // A malformed event still gets an executor, without a fan-out.
      invoked.length = 0;
      const bad = await handler({ executorId: 'e-2', fanout: { base: 'x', first: 0, count: -4, branching: 2 } });
      assert.equal(bad.launched, 0);
      assert.deepEqual(invoked, []);
      assert.match(warnings[0] ?? '', /malformed event: executor event: 'fanout.count'/);
    } finally {
      await stack.destroy();
    }
  });

  it('a repeated event (Lambda delivers at least once) relaunches neither its sub-tree nor its executor', async () => {
    const stack = await freshStack(emu);
    try {
      const { handler, invoked, warnings } = recordingHandler(stack);
      const [root] = rootEvents('lambda-r', 40, 4);
      const ctx = { getRemainingTimeInMillis: () => 120_000 };
      const first = await handler(JSON.parse(JSON.stringify(root)), ctx);
      const again = await handler(JSON.parse(JSON.stringify(root)), ctx);
      assert.deepEqual(invoked, shareOf(root!), 'the share was invoked once');
      assert.equal(first.launched, shareOf(root!).length);
      assert.equal(first.repeated, false);
      assert.ok(first.apiCalls.sqs! > 0, 'the first delivery ran its executor');
      assert.deepEqual([again.launched, again.repeated, again.tasks, again.apiCalls.sqs ?? 0], [0, true, 0, 0], 'the repeat launched and ran nothing');
      assert.equal(again.executorId, first.executorId);
      // A child node's event and a leaf's, each delivered twice: each once.
      const child = shareOf(root!).find((e) => e.fanout)!;
      const leaf = shareOf(child).find((e) => !e.fanout)!;
      for (const e of [child, leaf]) {
        invoked.length = 0;
        const runs = [await handler(JSON.parse(JSON.stringify(e)), ctx), await handler(JSON.parse(JSON.stringify(e)), ctx)];
        assert.deepEqual(invoked, shareOf(e));
        assert.deepEqual(runs.map((r) => r.repeated), [false, true], e.executorId);
      }
      assert.deepEqual(warnings, []);
    } finally {
      await stack.destroy();
    }
  });
});
