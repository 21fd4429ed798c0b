/**
 * The stored block format (header + checksum + column-major float64) and the escaping of block
 * keys into S3 object keys.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { StoreError } from '../../runtime/core/interfaces.ts';
import { decodeBlock, encodeBlock, encodedBytes, HEADER_BYTES } from '../../runtime/backends/aws/stores/block-codec.ts';
import { blockKeyOf, escapeKey, listingPrefixes, objectKey, shardOf, SPREAD, spreadOf, unescapeKey } from '../../runtime/backends/aws/stores/object-keys.ts';

const corrupt = (fn: () => unknown, pattern: RegExp): void =>
  assert.throws(fn, (e: unknown) => e instanceof StoreError && e.code === 'CORRUPT' && pattern.test(e.message));

describe('block codec', () => {
  it('round-trips every value bit for bit, from any buffer offset', () => {
    const data = Float64Array.from([1, -0, Number.NaN, Infinity, -Infinity, 5e-324, 1.7976931348623157e308, Math.PI]);
    const enc = encodeBlock({ rows: 2, cols: 4, data });
    assert.equal(enc.byteLength, encodedBytes(2, 4));
    const shifted = new Uint8Array(enc.byteLength + 3);
    shifted.set(enc, 3);
    const dec = decodeBlock(shifted.subarray(3), 'k');
    assert.equal(dec.rows, 2);
    assert.equal(dec.cols, 4);
    assert.deepEqual(new Uint8Array(dec.data.buffer), new Uint8Array(data.buffer));
    assert.equal(decodeBlock(encodeBlock({ rows: 0, cols: 3, data: new Float64Array(0) }), 'k').cols, 3);
  });

  it('rejects corruption anywhere with CORRUPT naming the key', () => {
    const enc = encodeBlock({ rows: 3, cols: 3, data: Float64Array.from({ length: 9 }, (_, i) => i) });
    const flip = (at: number): Uint8Array => {
      const c = enc.slice();
      c[at]! ^= 0x10;
      return c;
    };
    corrupt(() => decodeBlock(flip(HEADER_BYTES + 17), 'jobs/j/A/0_0'), /jobs\/j\/A\/0_0.*data checksum/);
    corrupt(() => decodeBlock(flip(9), 'k'), /header checksum/);
    corrupt(() => decodeBlock(flip(0), 'k'), /magic/);
    corrupt(() => decodeBlock(enc.subarray(0, enc.byteLength - 1), 'k'), /truncated/);
    corrupt(() => decodeBlock(enc.subarray(0, 5), 'k'), /shorter than/);
    const longer = new Uint8Array(enc.byteLength + 8);
    longer.set(enc);
    corrupt(() => decodeBlock(longer, 'k'), /expected/);
  });

  it('refuses to encode data of the wrong length', () => {
    assert.throws(() => encodeBlock({ rows: 2, cols: 2, data: new Float64Array(3) }), /3 values for shape 2×2/);
  });
});

describe('object keys', () => {
  it('leaves runtime keys readable, temporaries under their own class', () => {
    const shard = shardOf('jobs/j-lz2k8c1-3f9a');
    assert.match(shard, /^[0-9a-f]{3}$/);
    const tmp = 'jobs/j-lz2k8c1-3f9a/tmp/S/0_1_2', out = 'jobs/j-lz2k8c1-3f9a/out/L/0_1';
    assert.equal(objectKey('blocks', tmp), `blocks/tmp/${shard}/jobs/j-lz2k8c1-3f9a/${spreadOf(tmp)}/tmp/S/0_1_2`);
    assert.equal(objectKey('blocks', out), `blocks/data/${shard}/jobs/j-lz2k8c1-3f9a/${spreadOf(out)}/out/L/0_1`);
    assert.match(spreadOf(out), /^[0-9a-f]$/);
  });

  it("spreads one matrix's blocks over every spread prefix, deterministically", () => {
    const keys: string[] = [];
    for (let i = 0; i < 16; i++) for (let j = 0; j <= i; j++) keys.push(`jobs/j-lz2k8c1-3f9a/out/L/${i}_${j}`);
    const dir = (k: string): string => objectKey('blocks', k).split('/').slice(0, -1).join('/');
    const count = new Map<string, number>();
    for (const k of keys) count.set(dir(k), (count.get(dir(k)) ?? 0) + 1);
    assert.equal(count.size, SPREAD, `136 blocks of one matrix on ${count.size} S3 prefixes`);
    assert.ok(Math.max(...count.values()) <= 3 * (keys.length / SPREAD), `at most 3× the mean on one prefix: ${[...count.values()]}`);
    assert.deepEqual(keys.map((k) => objectKey('blocks', k)), keys.map((k) => objectKey('blocks', k)), 'the same key maps to the same object (idempotent writes)');
    // A listing of the matrix is still one S3 prefix, the owner's.
    const [p] = listingPrefixes('blocks', 'jobs/j-lz2k8c1-3f9a/out/L/');
    assert.ok(keys.every((k) => objectKey('blocks', k).startsWith(p!)));
  });

  it('spreads jobs with consecutive, time-ordered ids over many key ranges', () => {
    const t = Date.now();
    const shards = new Set(Array.from({ length: 200 }, (_, i) => shardOf(`jobs/j-${(t + i).toString(36)}-000000`)));
    assert.ok(shards.size >= 150, `${shards.size} distinct shards for 200 jobs`);
  });

  it('escapes anything unsafe, reversibly', () => {
    const keys = ['a b/../c', '../x', './y', '', 'a//b', 'ü/%/😀', 'a\\b?c#d', '%', '%25', '..a/.b.'];
    for (const k of keys) {
      const e = escapeKey(k);
      assert.equal(unescapeKey(e), k, k);
      assert.ok(!e.split('/').some((s) => s === '.' || s === '..' || s === ''), `${k} → ${e}`);
      assert.match(e, /^[A-Za-z0-9_\-.=,+%/]*$/);
      assert.equal(blockKeyOf('blocks', objectKey('blocks', k)), k);
    }
    assert.equal(new Set(keys.map(escapeKey)).size, keys.length, 'one-to-one');
    assert.equal(blockKeyOf('blocks', 'other/x'), null);
    const foreign = shardOf('x') === '000' ? '001' : '000';
    assert.equal(blockKeyOf('blocks', `blocks/data/${foreign}/x`), null, 'a key under a foreign shard is not ours');
    const k = 'jobs/j-1/out/L/0_1';
    const wrong = spreadOf(k) === '0' ? '1' : '0';
    assert.equal(blockKeyOf('blocks', objectKey('blocks', k).replace(`/j-1/${spreadOf(k)}/`, `/j-1/${wrong}/`)), null, 'a key under a foreign spread prefix is not ours');
  });

  it('listing prefixes cover every key with the prefix', () => {
    const keys = ['jobs/j-1/A/0_0', 'jobs/j-10/A/0_0', 'odd/../x', 'odd/./z', 'odd/.b/1', 'odd/a b/c'];
    const keys2 = [...keys, 'jobs/j-1/tmp/S/0_0', 'jobs/j-1/tmpx/0'];
    for (const prefix of ['', 'jobs/', 'jobs/j-1', 'jobs/j-1/', 'jobs/j-1/tmp', 'jobs/j-1/tmp/', 'odd/.', 'odd/..', 'odd/a', 'odd/a b/']) {
      const ps = listingPrefixes('blocks', prefix);
      for (const k of keys2.filter((k) => k.startsWith(prefix))) assert.ok(ps.some((p) => objectKey('blocks', k).startsWith(p)), `${prefix}: ${k}`);
    }
    assert.equal(listingPrefixes('blocks', 'jobs/j-1/tmp/').length, 1, "a job's temporaries are one listing");
    assert.equal(listingPrefixes('blocks', 'jobs/j-1/out/L/').length, 1, 'a matrix is one listing');
    assert.equal(listingPrefixes('blocks', 'inputs/m-1/').length, 1, 'a matrix is one listing');
  });
});
