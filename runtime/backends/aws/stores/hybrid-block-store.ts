/**
 * Hybrid block sharing (after "Hybrid Tensor Sharing Between Serverless Functions"): a block
 * whose encoded size is below `thresholdBytes` is stored inline in DynamoDB (one small item:
 * low latency), anything larger in S3. Both hold the same encoding, header and checksum.
 *
 * The reader does not know a block's size, so get() first asks the store where this instance
 * last saw the key, else where the last block of the same directory (key up to its last '/') was
 * found — all blocks of a matrix have the same size but for the partial last row/column — and
 * falls back to the other store on NOT_FOUND. A miss costs one extra call, about once per matrix
 * per executor. delete() removes a key from the one store it is known to be in (an executor
 * collects temporaries it has just read), and from both when it is unknown.
 *
 * A key is always written with identical bytes (deterministic tasks), hence always to the same
 * store: no stale copy can shadow it in the other one.
 */
import { StoreError, type Block, type BlockStore } from '../../../core/interfaces.ts';
import { encodedBytes } from './block-codec.ts';

type Where = 'inline' | 'object';

const dirOf = (key: string): string => key.slice(0, Math.max(0, key.lastIndexOf('/')));

/** Keys whose store is remembered (oldest forgotten first). */
const KEY_MEMORY = 10_000;

export class HybridBlockStore implements BlockStore {
  /** Directory → store where its blocks were last found or written. */
  private readonly where = new Map<string, Where>();
  /** Key → store it was last written to or read from by this instance. */
  private readonly keys = new Map<string, Where>();

  /**
   * @param inline store for small blocks (DynamoDB)
   * @param object store for the rest (S3)
   * @param thresholdBytes blocks whose encoded size is below this go inline; 0: never
   */
  constructor(readonly inline: BlockStore, readonly object: BlockStore, readonly thresholdBytes: number) {}

  /** Which store a rows×cols block goes to. */
  placement(rows: number, cols: number): Where {
    return encodedBytes(rows, cols) < this.thresholdBytes ? 'inline' : 'object';
  }

  private store(w: Where): BlockStore {
    return w === 'inline' ? this.inline : this.object;
  }

  private remember(key: string, w: Where): void {
    this.where.set(dirOf(key), w);
    this.keys.delete(key);
    this.keys.set(key, w);
    if (this.keys.size > KEY_MEMORY) this.keys.delete(this.keys.keys().next().value as string);
  }

  async get(key: string): Promise<Block> {
    const first: Where = this.keys.get(key) ?? this.where.get(dirOf(key)) ?? (this.thresholdBytes > 0 ? 'inline' : 'object');
    const second: Where = first === 'inline' ? 'object' : 'inline';
    try {
      const block = await this.store(first).get(key);
      this.remember(key, first);
      return block;
    } catch (e) {
      if (!(e instanceof StoreError && e.code === 'NOT_FOUND')) throw e;
    }
    const block = await this.store(second).get(key);
    this.remember(key, second);
    return block;
  }

  async put(key: string, block: Block): Promise<void> {
    const w = this.placement(block.rows, block.cols);
    await this.store(w).put(key, block);
    this.remember(key, w);
  }

  async delete(keys: readonly string[]): Promise<void> {
    const inline: string[] = [];
    const object: string[] = [];
    for (const k of keys) {
      const w = this.keys.get(k);
      if (w !== 'object') inline.push(k);
      if (w !== 'inline') object.push(k);
      this.keys.delete(k);
    }
    await Promise.all([inline.length > 0 ? this.inline.delete(inline) : undefined, object.length > 0 ? this.object.delete(object) : undefined]);
  }

  async list(prefix: string): Promise<string[]> {
    const [a, b] = await Promise.all([this.inline.list(prefix), this.object.list(prefix)]);
    return [...new Set([...a, ...b])].sort();
  }
}
