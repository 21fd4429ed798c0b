/**
 * DynamoDB state store specifics on DynamoDB Local: one request per hot-path call (markEdge is ONE
 * conditional UpdateItem, completeTask ONE transaction), items of a size independent of the job's
 * progress on many partition keys, a TTL attribute on every item, a deleted job that late
 * duplicates cannot bring back, throttling retried then THROTTLED, a job record over the item
 * limit is a clear error, and inline blocks respect the limit too.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { StoreError, type JobRecord } from '../../runtime/core/interfaces.ts';
import type { Emulators } from '../../runtime/backends/aws/dev/emulators.ts';
import { COUNTER_SHARDS, DynamoStateStore, TTL_ATTRIBUTE, nameHash, nodePk } from '../../runtime/backends/aws/stores/dynamo-state-store.ts';
import { BLOCK_SHARDS, DynamoBlockStore, blockPk } from '../../runtime/backends/aws/stores/dynamo-block-store.ts';
import { createClients } from '../../runtime/backends/aws/clients.ts';
import { loadAwsConfig } from '../../runtime/backends/aws/config.ts';
import { emulatorEnv, emulators, freshStack, releaseEmulators, type Stack } from './emulated.ts';
import { DYNAMO_THROUGHPUT_EXCEEDED, startFaultProxy } from './fault-proxy.ts';

let emu: Emulators;
let stack: Stack;
let state: DynamoStateStore;
before(async () => {
  emu = await emulators();
  stack = await freshStack(emu);
  state = new DynamoStateStore(stack.clients.dynamodb, { table: stack.config.names.table, ttlSeconds: 3600, retry: stack.config.retry });
});
after(async () => {
  await stack.destroy();
  await releaseEmulators();
});

const job = (id: string, program: unknown = { ops: [] }): JobRecord => ({
  id, program, args: { N: 2 }, matrices: {}, terminalTasks: 1, createdAt: 1, kernels: 'js',
});

/** DynamoDB requests made by `fn`. */
async function requests(fn: () => Promise<unknown>): Promise<number> {
  const before = stack.clients.counts().dynamodb;
  await fn();
  return stack.clients.counts().dynamodb - before;
}

describe('DynamoStateStore', () => {
  it('uses one request per hot-path call', async () => {
    await state.putJob(job('j-calls'));
    assert.equal(await requests(() => state.markEdge('j-calls', 'c:t(1)', 't(0)')), 1, 'markEdge: one conditional UpdateItem');
    assert.equal(await requests(() => state.markEdge('j-calls', 'c:t(1)', 't(9)')), 1);
    assert.equal(await requests(() => state.isTaskDone('j-calls', 't(0)')), 1);
    assert.equal(await requests(() => state.completeTask('j-calls', 't(0)', true, { flops: 3 })), 1, 'completeTask: one transaction');
    assert.equal(await requests(() => state.completeTask('j-calls', 't(0)', true, { flops: 3 })), 1, 'a duplicate: one cancelled transaction');
    assert.equal(await requests(() => state.getJobState('j-calls')), 1);
    assert.equal(await requests(() => state.getJobStatus('j-calls')), 1);
    assert.equal(await requests(() => state.finishJob('j-calls', 'done')), 1);
    assert.equal(await requests(() => state.getJob('j-calls')), 1);
    // A member already in the set: DynamoDB returns the item with the failed condition.
    assert.equal(await requests(() => state.markEdge('j-calls', 'c:t(1)', 't(0)')), 1);
  });

  it('keeps every item small and spread: completions touch no growing item', async () => {
    await state.putJob(job('j-spread'));
    const tasks = Array.from({ length: 300 }, (_, i) => `gemm(${i},${i + 1},0)`);
    for (let i = 0; i < tasks.length; i += 50) {
      await Promise.all(tasks.slice(i, i + 50).map(async (t, k) => {
        await state.markEdge('j-spread', 'c:sink', t);
        await state.markEdge('j-spread', `c:next(${i + k})`, t);
        assert.equal(await state.completeTask('j-spread', t, k % 2 === 0, { flops: 2 }), true);
      }));
    }
    const st = await state.getJobState('j-spread');
    assert.equal(st?.counters.tasks, 300);
    assert.equal(st?.terminalDone, 150);
    assert.equal(st?.counters.flops, 600);
    const { Items = [] } = await stack.clients.dynamodb.send(new ScanCommand({ TableName: stack.config.names.table, ConsistentRead: true }));
    const mine = Items.filter((i) => i.pk?.S?.startsWith('J#j-spread') || i.pk?.S?.startsWith('j-spread#'));
    const pks = new Set(mine.map((i) => i.pk?.S));
    // 300 done-markers, 301 edge sets, the record, the status and the counter shards.
    assert.equal(mine.length, 300 + 301 + 1 + 1 + COUNTER_SHARDS);
    assert.equal(pks.size, 300 + 301 + 1 + COUNTER_SHARDS);
    const marker = mine.find((i) => i.pk?.S === nodePk('j-spread', `d:${tasks[0]}`));
    assert.ok(marker, 'the done-marker of a task is its own item');
    const sink = mine.find((i) => i.pk?.S === nodePk('j-spread', 'c:sink'));
    assert.equal(sink?.n?.N, '300');
    assert.deepEqual(new Set(sink?.members?.SS), new Set(tasks.map(nameHash)), 'members are fixed-size hashes');
  });

  it('deleteJob costs the same for any job, and late duplicates cannot bring the job back', async () => {
    await state.putJob(job('j-del'));
    for (let i = 0; i < 60; i++) {
      await state.markEdge('j-del', `c:t(${i + 1})`, `t(${i})`);
      await state.completeTask('j-del', `t(${i})`, false);
    }
    assert.equal(await requests(() => state.deleteJob('j-del')), 1, 'one batch of deletes');
    assert.equal(await state.getJobState('j-del'), null);
    assert.equal(await state.getJobStatus('j-del'), null);
    assert.equal(await state.getJob('j-del'), null);
    assert.equal(await state.isTaskDone('j-del', 't(0)'), false);
    // Late executors of the deleted job: nothing is counted, nothing reappears.
    assert.equal(await state.completeTask('j-del', 't(99)', true), false);
    assert.equal(await state.completeTask('j-del', 't(0)', true), false);
    assert.equal(await state.finishJob('j-del', 'failed', 'late'), false);
    await state.incr('j-del', 'x', 1);
    assert.equal(await state.getJobState('j-del'), null);
    assert.equal(await state.getJob('j-del'), null);
  });

  it('puts a TTL attribute on every item', async () => {
    await state.putJob(job('j-ttl'));
    await state.completeTask('j-ttl', 'a', false);
    await state.completeTask('j-ttl', 'b', true);
    await state.markEdge('j-ttl', 'c:b', 'a');
    await state.incr('j-ttl', 'x', 1);
    await state.finishJob('j-ttl', 'done');
    const inline = new DynamoBlockStore(stack.clients.dynamodb, { table: stack.config.names.table, ttlSeconds: 3600, retry: stack.config.retry });
    await inline.put('jobs/j-ttl/A/0_0', { rows: 1, cols: 1, data: new Float64Array([1]) });
    const { Items = [] } = await stack.clients.dynamodb.send(new ScanCommand({ TableName: stack.config.names.table, ConsistentRead: true }));
    const mine = Items.filter((i) => i.pk?.S?.startsWith('J#j-ttl') || i.pk?.S?.startsWith('j-ttl#') || i.sk?.S?.startsWith('jobs/j-ttl/'));
    assert.equal(mine.length, 2 + COUNTER_SHARDS + 2 + 1 + 1, `${mine.length} items`);
    const now = Date.now() / 1000;
    for (const item of mine) {
      const ttl = Number(item[TTL_ATTRIBUTE]?.N);
      assert.ok(ttl > now + 3000 && ttl < now + 3700, `${item.sk?.S}: ${TTL_ATTRIBUTE}=${ttl}`);
    }
  });

  it('a job record over the 400 KB item limit is a CONFIG error saying so', async () => {
    const huge = { data: 'x'.repeat(420 * 1024) };
    await assert.rejects(state.putJob(job('j-huge', huge)), (e: unknown) => e instanceof StoreError && e.code === 'CONFIG' && /400 KB/.test(e.message));
    assert.equal(await state.getJob('j-huge'), null);
    await state.putJob(job('j-big', { data: 'y'.repeat(300 * 1024) }));
    assert.equal(((await state.getJob('j-big'))?.program as { data: string }).data.length, 300 * 1024);
  });

  it('inline blocks of a job spread over many partition keys, which no other job shares, and list finds them', async () => {
    const inline = new DynamoBlockStore(stack.clients.dynamodb, { table: stack.config.names.table, ttlSeconds: 3600, retry: stack.config.retry });
    const block = { rows: 1, cols: 1, data: new Float64Array([2]) };
    const mine = Array.from({ length: 200 }, (_, i) => `jobs/j-spread-a/tmp/S/${i}_0`);
    const other = Array.from({ length: 20 }, (_, i) => `jobs/j-spread-b/tmp/S/${i}_0`);
    await Promise.all([...mine, ...other].map((k) => inline.put(k, block)));
    const pks = new Set(mine.map(blockPk));
    assert.ok(pks.size > BLOCK_SHARDS / 2, `${pks.size} partition keys`);
    for (const k of other) assert.ok(!pks.has(blockPk(k)), 'jobs never share a partition key');
    assert.deepEqual(await inline.list('jobs/j-spread-a/'), [...mine].sort());
    assert.deepEqual(await inline.list('jobs/j-spread-a/tmp/S/1'), mine.filter((k) => k.startsWith('jobs/j-spread-a/tmp/S/1')).sort());
    assert.equal((await inline.list('jobs/j-spread')).length, 220, 'a partial group scans');
    await inline.delete(mine);
    assert.deepEqual(await inline.list('jobs/j-spread-a/'), []);
    assert.equal((await inline.list('jobs/j-spread-b/')).length, 20);
  });

  it('an inline block over the item limit is refused clearly', async () => {
    const inline = new DynamoBlockStore(stack.clients.dynamodb, { table: stack.config.names.table, ttlSeconds: 3600, retry: stack.config.retry });
    const big = { rows: 256, cols: 256, data: new Float64Array(256 * 256) };
    await assert.rejects(inline.put('jobs/j/A/0_0', big), (e: unknown) => e instanceof StoreError && e.code === 'CONFIG' && /too large/.test(e.message));
  });

  it('retries ProvisionedThroughputExceeded, then reports THROTTLED', async () => {
    const proxy = await startFaultProxy(emu.endpoints.dynamodb);
    const config = loadAwsConfig(emulatorEnv(emu, stack.config.stack, { AWS_ENDPOINT_URL_DYNAMODB: proxy.url }), {
      retry: { attempts: 5, baseMs: 1, maxMs: 10 },
    });
    const clients = createClients(config);
    try {
      const s = new DynamoStateStore(clients.dynamodb, { table: config.names.table, ttlSeconds: 3600, retry: config.retry });
      await s.putJob(job('j-throttle'));
      proxy.fail(4, DYNAMO_THROUGHPUT_EXCEEDED);
      assert.equal(await s.markEdge('j-throttle', 'c:x', 'p'), 1, 'succeeds on the 5th attempt');
      proxy.fail(2, DYNAMO_THROUGHPUT_EXCEEDED);
      assert.equal(await s.completeTask('j-throttle', 'p', true), true);
      proxy.fail(100, DYNAMO_THROUGHPUT_EXCEEDED);
      await assert.rejects(
        s.markEdge('j-throttle', 'c:x', 'q'),
        (e: unknown) => e instanceof StoreError && e.code === 'THROTTLED' && /ProvisionedThroughputExceeded/.test(e.message),
      );
      proxy.fail(0, DYNAMO_THROUGHPUT_EXCEEDED);
      assert.equal(await s.markEdge('j-throttle', 'c:x', 'p'), 1, 'nothing was double counted');
      assert.equal((await s.getJobState('j-throttle'))?.terminalDone, 1);
    } finally {
      clients.destroy();
      await proxy.close();
    }
  });

  it('a missing table is a CONFIG error that says to deploy', async () => {
    const s = new DynamoStateStore(stack.clients.dynamodb, { table: 'no-such-table', ttlSeconds: 3600, retry: stack.config.retry });
    await assert.rejects(s.getJobState('j'), (e: unknown) => e instanceof StoreError && e.code === 'CONFIG' && /lapwing deploy/.test(e.message));
  });
});
