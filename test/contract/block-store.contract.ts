/**
 * BlockStore contract (runtime/core/interfaces.ts), written once and run per backend:
 *
 *   import { blockStoreContract } from './block-store.contract.ts';
 *   blockStoreContract('local', async () => ({ store: new MemoryBlockStore(), cleanup: async () => {} }));
 *
 * Each test gets a fresh store from `make` and calls its `cleanup` at the end.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { StoreError, type Block, type BlockStore } from '../../runtime/core/interfaces.ts';

export interface BlockStoreFixture {
  readonly store: BlockStore;
  cleanup(): Promise<void>;
}

function block(rows: number, cols: number, seed: number): Block {
  const data = new Float64Array(rows * cols);
  for (let i = 0; i < data.length; i++) data[i] = Math.sin(seed * 1000 + i) * 1e3;
  return { rows, cols, data };
}

function assertSameBlock(actual: Block, expected: Block): void {
  assert.equal(actual.rows, expected.rows);
  assert.equal(actual.cols, expected.cols);
  assert.equal(actual.data.length, expected.data.length);
  // Bit-identical, so NaN, -0 and ±Infinity round-trip too.
  assert.deepEqual(
    new Uint8Array(actual.data.buffer, actual.data.byteOffset, actual.data.byteLength),
    new Uint8Array(expected.data.buffer, expected.data.byteOffset, expected.data.byteLength),
  );
}

async function assertNotFound(p: Promise<unknown>): Promise<void> {
  await assert.rejects(p, (e: unknown) => e instanceof StoreError && e.code === 'NOT_FOUND');
}

async function using(make: () => Promise<BlockStoreFixture>, body: (s: BlockStore) => Promise<void>): Promise<void> {
  const f = await make();
  try {
    await body(f.store);
  } finally {
    await f.cleanup();
  }
}

/** Registers the BlockStore contract tests for one backend. */
export function blockStoreContract(name: string, make: () => Promise<BlockStoreFixture>): void {
  describe(`BlockStore contract: ${name}`, () => {
    it('round-trips blocks bit for bit, any shape', () =>
      using(make, async (s) => {
        const special = block(3, 2, 1);
        special.data.set([Number.NaN, -0, Infinity, -Infinity, Number.MIN_VALUE, Number.MAX_VALUE]);
        const cases: [string, Block][] = [
          ['jobs/j-1/A/0_0', block(4, 4, 1)],
          ['jobs/j-1/A/0_1', block(3, 5, 2)],
          ['jobs/j-1/x/1_1', block(1, 1, 3)],
          ['jobs/j-1/tmp/S/2_3_4', block(7, 1, 4)],
          ['jobs/j-1/special/0_0', special],
        ];
        for (const [k, b] of cases) await s.put(k, b);
        for (const [k, b] of cases) assertSameBlock(await s.get(k), b);
      }));

    it('put overwrites: the last write wins', () =>
      using(make, async (s) => {
        await s.put('jobs/j-1/A/0_0', block(2, 2, 1));
        await s.put('jobs/j-1/A/0_0', block(2, 3, 2));
        assertSameBlock(await s.get('jobs/j-1/A/0_0'), block(2, 3, 2));
        await s.put('jobs/j-1/A/0_0', block(2, 3, 2)); // identical rewrite (a task run twice)
        assertSameBlock(await s.get('jobs/j-1/A/0_0'), block(2, 3, 2));
      }));

    it('get of a missing key throws NOT_FOUND', () =>
      using(make, async (s) => {
        await assertNotFound(s.get('jobs/j-1/A/9_9'));
        await s.put('jobs/j-1/A/0_0', block(2, 2, 1));
        await assertNotFound(s.get('jobs/j-1/A/0_00'));
        await assertNotFound(s.get('jobs/j-1/A'));
      }));

    it('delete removes keys and ignores missing ones', () =>
      using(make, async (s) => {
        await s.put('jobs/j-1/A/0_0', block(2, 2, 1));
        await s.put('jobs/j-1/A/0_1', block(2, 2, 2));
        await s.delete(['jobs/j-1/A/0_0', 'jobs/j-1/nope/0_0']);
        await assertNotFound(s.get('jobs/j-1/A/0_0'));
        assertSameBlock(await s.get('jobs/j-1/A/0_1'), block(2, 2, 2));
        await s.delete(['jobs/j-1/A/0_0']); // again
        await s.delete([]);
      }));

    it('deletes and lists many keys', () =>
      using(make, async (s) => {
        const keys = Array.from({ length: 40 }, (_, i) => `jobs/j-2/T/${i}_0`);
        await Promise.all(keys.map((k, i) => s.put(k, block(2, 1, i))));
        assert.deepEqual(await s.list('jobs/j-2/T/'), [...keys].sort());
        await s.delete(keys.slice(0, 35));
        assert.deepEqual(await s.list('jobs/j-2/'), [...keys.slice(35)].sort());
        await s.delete(keys);
        assert.deepEqual(await s.list('jobs/j-2/'), []);
      }));

    it('list returns the keys starting with a prefix', () =>
      using(make, async (s) => {
        const keys = ['jobs/j-1/A/0_0', 'jobs/j-1/A/1_0', 'jobs/j-1/AB/0_0', 'jobs/j-1/B/0_0', 'jobs/j-10/A/0_0'];
        for (const k of keys) await s.put(k, block(1, 2, 1));
        assert.deepEqual((await s.list('jobs/j-1/A/')).sort(), ['jobs/j-1/A/0_0', 'jobs/j-1/A/1_0']);
        assert.deepEqual((await s.list('jobs/j-1/A')).sort(), ['jobs/j-1/A/0_0', 'jobs/j-1/A/1_0', 'jobs/j-1/AB/0_0']);
        assert.deepEqual((await s.list('jobs/j-1/')).sort(), keys.filter((k) => k.startsWith('jobs/j-1/')).sort());
        assert.deepEqual((await s.list('jobs/j-1')).sort(), [...keys].sort());
        assert.deepEqual(await s.list('jobs/j-2/'), []);
      }));

    it('concurrent puts and gets of distinct keys', () =>
      using(make, async (s) => {
        const n = 24;
        await Promise.all(Array.from({ length: n }, (_, i) => s.put(`jobs/j-3/C/${i}_${i}`, block(5, 3, i))));
        const got = await Promise.all(Array.from({ length: n }, (_, i) => s.get(`jobs/j-3/C/${i}_${i}`)));
        got.forEach((b, i) => assertSameBlock(b, block(5, 3, i)));
      }));
  });
}
