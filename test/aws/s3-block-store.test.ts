/**
 * S3 block store specifics on the emulator: corrupt and truncated objects are errors, not wrong
 * results; SlowDown is retried with backoff and then reported as THROTTLED; deletes and
 * listings are batched; a missing bucket is a CONFIG error naming the fix.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { GetObjectCommand, ListObjectsCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { StoreError, type Block } from '../../runtime/core/interfaces.ts';
import type { Emulators } from '../../runtime/backends/aws/dev/emulators.ts';
import { S3BlockStore } from '../../runtime/backends/aws/stores/s3-block-store.ts';
import { createClients } from '../../runtime/backends/aws/clients.ts';
import { loadAwsConfig } from '../../runtime/backends/aws/config.ts';
import { objectKey } from '../../runtime/backends/aws/stores/object-keys.ts';
import { emulatorEnv, emulators, freshStack, releaseEmulators, TEST_RETRY, type Stack } from './emulated.ts';
import { S3_SLOW_DOWN, startFaultProxy } from './fault-proxy.ts';

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

const block = (rows: number, cols: number): Block => ({ rows, cols, data: Float64Array.from({ length: rows * cols }, (_, i) => i / 7) });

function store(s: Stack, extra: Partial<ConstructorParameters<typeof S3BlockStore>[1]> = {}): S3BlockStore {
  return new S3BlockStore(s.clients.s3, { bucket: s.config.names.bucket, keyPrefix: s.config.names.keyPrefix, retry: TEST_RETRY, ...extra });
}

async function rawPut(key: string, body: Uint8Array): Promise<void> {
  await stack.clients.s3.send(new PutObjectCommand({ Bucket: stack.config.names.bucket, Key: objectKey(stack.config.names.keyPrefix, key), Body: body }));
}

async function rawGet(key: string): Promise<Uint8Array> {
  const res = await stack.clients.s3.send(new GetObjectCommand({ Bucket: stack.config.names.bucket, Key: objectKey(stack.config.names.keyPrefix, key) }));
  return res.Body!.transformToByteArray();
}

const isCode = (code: string) => (e: unknown): boolean => e instanceof StoreError && e.code === code;

describe('S3BlockStore', () => {
  it('stores one object per block under the key prefix, with a header', async () => {
    const s = store(stack);
    await s.put('jobs/j-1/A/0_0', block(3, 4));
    const raw = await rawGet('jobs/j-1/A/0_0');
    assert.equal(raw.byteLength, 32 + 8 * 12);
    assert.equal(Buffer.from(raw.subarray(0, 4)).toString('latin1'), 'LWBK');
  });

  it('a flipped data byte is CORRUPT, naming the key', async () => {
    const s = store(stack);
    await s.put('jobs/j-1/A/1_0', block(4, 4));
    const raw = await rawGet('jobs/j-1/A/1_0');
    raw[40]! ^= 0x01;
    await rawPut('jobs/j-1/A/1_0', raw);
    await assert.rejects(s.get('jobs/j-1/A/1_0'), (e: unknown) => isCode('CORRUPT')(e) && /jobs\/j-1\/A\/1_0.*checksum/.test((e as Error).message));
  });

  it('a truncated object is CORRUPT', async () => {
    const s = store(stack);
    await s.put('jobs/j-1/A/2_0', block(4, 4));
    const raw = await rawGet('jobs/j-1/A/2_0');
    await rawPut('jobs/j-1/A/2_0', raw.subarray(0, raw.byteLength - 8));
    await assert.rejects(s.get('jobs/j-1/A/2_0'), (e: unknown) => isCode('CORRUPT')(e) && /truncated/.test((e as Error).message));
    await rawPut('jobs/j-1/A/2_0', raw.subarray(0, 10));
    await assert.rejects(s.get('jobs/j-1/A/2_0'), isCode('CORRUPT'));
    await rawPut('jobs/j-1/A/2_0', new TextEncoder().encode('not a block at all, just some text that is long enough'));
    await assert.rejects(s.get('jobs/j-1/A/2_0'), (e: unknown) => isCode('CORRUPT')(e) && /magic/.test((e as Error).message));
  });

  it('escapes unsafe characters in keys and lists them back', async () => {
    const s = store(stack);
    const keys = ['odd/a b/c', 'odd/../x', 'odd/ü%2F/y', 'odd/./z'];
    for (const k of keys) await s.put(k, block(1, 1));
    assert.deepEqual(await s.list('odd/'), [...keys].sort());
    for (const k of keys) assert.equal((await s.get(k)).rows, 1);
    assert.deepEqual(await s.list('odd/.'), ['odd/../x', 'odd/./z']);
    await s.delete(keys);
    assert.deepEqual(await s.list('odd/'), []);
  });

  it('concurrent gets of one block are one GET and one object', async () => {
    const s = store(stack);
    await s.put('jobs/j-2/out/L/0_0', block(3, 3));
    const before = stack.clients.commands().GetObjectCommand ?? 0;
    const [x, y] = await Promise.all([s.get('jobs/j-2/out/L/0_0'), s.get('jobs/j-2/out/L/0_0')]);
    assert.equal((stack.clients.commands().GetObjectCommand ?? 0) - before, 1);
    assert.equal(x, y);
    await s.get('jobs/j-2/out/L/0_0');
    assert.equal((stack.clients.commands().GetObjectCommand ?? 0) - before, 2, 'a later get reads again');
    await s.delete(['jobs/j-2/out/L/0_0']);
  });

  it('batches deletes (DeleteObjects) and pages listings', async () => {
    const s = store(stack, { deleteBatch: 10, listPage: 6 });
    const keys = Array.from({ length: 25 }, (_, i) => `batch/B/${i}`);
    await Promise.all(keys.map((k) => s.put(k, block(1, 2))));
    const before = stack.clients.counts().s3;
    assert.equal((await s.list('batch/B/')).length, 25);
    const afterList = stack.clients.counts().s3;
    assert.equal(afterList - before, 5, 'ceil(25 / 6) pages');
    await s.delete(keys);
    // ceil(25 / 10) DeleteObjects calls; s3rver often answers one with a 500 (two deletes race
    // to remove the same empty directory; the keys' spread prefixes are directories there),
    // which the store retries. Unbatched it would be 25.
    const deletes = stack.clients.counts().s3 - afterList;
    assert.ok(deletes >= 3 && deletes <= 9, `${deletes} DeleteObjects calls`);
    assert.deepEqual(await s.list('batch/'), []);
  });

  it("spreads one matrix's blocks over many S3 prefixes; a job's blocks still list and delete by one prefix each", async () => {
    const s = store(stack);
    const job = 'jobs/j-spread';
    const out: string[] = [], tmp: string[] = [];
    for (let i = 0; i < 12; i++) for (let j = 0; j <= i; j++) out.push(`${job}/out/L/${i}_${j}`);
    for (let i = 0; i < 20; i++) tmp.push(`${job}/tmp/S/${i}_0_1`);
    const neighbour = [`${job}x/out/L/0_0`, 'jobs/j-other/out/L/0_0'];
    await Promise.all([...out, ...tmp, ...neighbour].map((k) => s.put(k, block(2, 2))));
    // What S3 sees: the objects of L under many key prefixes (everything up to the last '/').
    const raw = new Set<string>();
    let marker: string | undefined;
    do {
      const page = await stack.clients.s3.send(new ListObjectsCommand({ Bucket: stack.config.names.bucket, Prefix: `${stack.config.names.keyPrefix}/`, ...(marker ? { Marker: marker } : {}) }));
      for (const o of page.Contents ?? []) if (o.Key!.endsWith('/out/L/' + o.Key!.split('/').at(-1)) && o.Key!.includes('/j-spread/')) raw.add(o.Key!.slice(0, o.Key!.lastIndexOf('/')));
      marker = page.IsTruncated ? page.Contents?.at(-1)?.Key : undefined;
    } while (marker);
    assert.ok(raw.size >= 12, `78 blocks of L under ${raw.size} S3 prefixes`);
    // Listing the matrix or the job's temporaries is one listing (one page of ≤ 1000 here) each, as before.
    const before = stack.clients.commands().ListObjectsCommand ?? 0;
    assert.deepEqual(await s.list(`${job}/out/L/`), [...out].sort());
    assert.deepEqual(await s.list(`${job}/tmp/`), [...tmp].sort());
    assert.equal((stack.clients.commands().ListObjectsCommand ?? 0) - before, 2);
    // The driver's clean-up (list the job's temporaries, delete them) and a matrix's delete
    // (list its prefix, delete) remove every block; the neighbours stay.
    await s.delete(await s.list(`${job}/tmp/`));
    await s.delete(await s.list(`${job}/out/L/`));
    assert.deepEqual(await s.list(`${job}/`), []);
    for (const k of [...out, ...tmp]) await assert.rejects(s.get(k), isCode('NOT_FOUND'), k);
    for (const k of neighbour) assert.deepEqual((await s.get(k)).rows, 2);
    await s.delete(neighbour);
  });

  it('retries SlowDown with backoff, then reports THROTTLED', async () => {
    const proxy = await startFaultProxy(emu.endpoints.s3);
    const env = emulatorEnv(emu, stack.config.stack, { AWS_ENDPOINT_URL_S3: proxy.url });
    const config = loadAwsConfig(env, { retry: { attempts: 4, baseMs: 1, maxMs: 10 } });
    const clients = createClients(config);
    try {
      const s = new S3BlockStore(clients.s3, { bucket: config.names.bucket, keyPrefix: config.names.keyPrefix, retry: config.retry });
      proxy.fail(3, S3_SLOW_DOWN);
      await s.put('slow/A/0_0', block(2, 2)); // 3 throttled attempts, the 4th goes through
      assert.equal(proxy.failed, 3);
      proxy.fail(2, S3_SLOW_DOWN);
      assert.equal((await s.get('slow/A/0_0')).cols, 2);
      proxy.fail(100, S3_SLOW_DOWN);
      await assert.rejects(s.get('slow/A/0_0'), (e: unknown) => isCode('THROTTLED')(e) && (e as StoreError).retryable && /SlowDown.*4 attempts/.test((e as Error).message));
      assert.equal(proxy.failed, 3 + 2 + 4);
    } finally {
      clients.destroy();
      await proxy.close();
    }
  });

  it('a missing bucket is a CONFIG error that says to deploy', async () => {
    const s = new S3BlockStore(stack.clients.s3, { bucket: 'no-such-bucket-here', keyPrefix: 'blocks', retry: TEST_RETRY });
    await assert.rejects(s.put('x/0', block(1, 1)), (e: unknown) => isCode('CONFIG')(e) && /lapwing deploy/.test((e as Error).message));
    await assert.rejects(s.get('x/0'), isCode('CONFIG'));
  });
});
