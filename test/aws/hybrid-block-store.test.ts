/**
 * Hybrid block sharing on the emulators: blocks below the threshold live inline in DynamoDB,
 * larger ones in S3; a reader that knows nothing finds both, learning per directory.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import type { Block } from '../../runtime/core/interfaces.ts';
import type { Emulators } from '../../runtime/backends/aws/dev/emulators.ts';
import { S3BlockStore } from '../../runtime/backends/aws/stores/s3-block-store.ts';
import { DynamoBlockStore, blockPk } from '../../runtime/backends/aws/stores/dynamo-block-store.ts';
import { HybridBlockStore } from '../../runtime/backends/aws/stores/hybrid-block-store.ts';
import { encodedBytes } from '../../runtime/backends/aws/stores/block-codec.ts';
import { objectKey } from '../../runtime/backends/aws/stores/object-keys.ts';
import { emulators, freshStack, releaseEmulators, type Stack } from './emulated.ts';

let emu: Emulators;
let stack: Stack;
before(async () => {
  emu = await emulators();
  stack = await freshStack(emu);
});
after(async () => {
  await stack.destroy();
  await releaseEmulators();
});

const THRESHOLD = 16 * 1024;
const block = (n: number, seed = 1): Block => ({ rows: n, cols: n, data: Float64Array.from({ length: n * n }, (_, i) => seed + i) });

function hybrid(): HybridBlockStore {
  const { names, retry, ttlSeconds } = stack.config;
  return new HybridBlockStore(
    new DynamoBlockStore(stack.clients.dynamodb, { table: names.table, ttlSeconds, retry }),
    new S3BlockStore(stack.clients.s3, { bucket: names.bucket, keyPrefix: names.keyPrefix, retry }),
    THRESHOLD,
  );
}

async function inDynamo(key: string): Promise<boolean> {
  const r = await stack.clients.dynamodb.send(new GetItemCommand({ TableName: stack.config.names.table, Key: { pk: { S: blockPk(key) }, sk: { S: key } } }));
  return r.Item !== undefined;
}

async function inS3(key: string): Promise<boolean> {
  return stack.clients.s3
    .send(new HeadObjectCommand({ Bucket: stack.config.names.bucket, Key: objectKey(stack.config.names.keyPrefix, key) }))
    .then(() => true, () => false);
}

describe('HybridBlockStore', () => {
  it('places blocks by encoded size', () => {
    const h = hybrid();
    assert.ok(encodedBytes(44, 44) < THRESHOLD && encodedBytes(46, 46) > THRESHOLD);
    assert.equal(h.placement(44, 44), 'inline');
    assert.equal(h.placement(46, 46), 'object');
    assert.equal(new HybridBlockStore(h.inline, h.object, 0).placement(1, 1), 'object');
  });

  it('small blocks go to DynamoDB, large ones to S3, and a fresh reader finds both', async () => {
    const writer = hybrid();
    await writer.put('jobs/j-h/S/0_0', block(8));
    await writer.put('jobs/j-h/L/0_0', block(64));
    assert.equal(await inDynamo('jobs/j-h/S/0_0'), true);
    assert.equal(await inS3('jobs/j-h/S/0_0'), false);
    assert.equal(await inDynamo('jobs/j-h/L/0_0'), false);
    assert.equal(await inS3('jobs/j-h/L/0_0'), true);

    const reader = hybrid();
    assert.deepEqual((await reader.get('jobs/j-h/S/0_0')).data, block(8).data);
    assert.deepEqual((await reader.get('jobs/j-h/L/0_0')).data, block(64).data);
  });

  it('learns per directory where blocks live: one miss, then direct hits', async () => {
    const writer = hybrid();
    for (let i = 0; i < 3; i++) await writer.put(`jobs/j-h/M/${i}_0`, block(64, i));
    const reader = hybrid();
    const c0 = stack.clients.counts();
    await reader.get('jobs/j-h/M/0_0'); // DynamoDB miss, then S3
    const c1 = stack.clients.counts();
    assert.deepEqual([c1.dynamodb - c0.dynamodb, c1.s3 - c0.s3], [1, 1]);
    await reader.get('jobs/j-h/M/1_0');
    await reader.get('jobs/j-h/M/2_0');
    const c2 = stack.clients.counts();
    assert.deepEqual([c2.dynamodb - c1.dynamodb, c2.s3 - c1.s3], [0, 2]);
  });

  it('lists and deletes across both stores', async () => {
    const h = hybrid();
    await h.put('jobs/j-d/A/0_0', block(4));
    await h.put('jobs/j-d/A/0_1', block(64));
    assert.deepEqual(await h.list('jobs/j-d/'), ['jobs/j-d/A/0_0', 'jobs/j-d/A/0_1']);
    await h.delete(['jobs/j-d/A/0_0', 'jobs/j-d/A/0_1']);
    assert.deepEqual(await h.list('jobs/j-d/'), []);
    assert.equal(await inDynamo('jobs/j-d/A/0_0'), false);
    assert.equal(await inS3('jobs/j-d/A/0_1'), false);
  });
});
