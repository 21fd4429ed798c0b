/**
 * In-process block store of the local backend. Blocks are kept by reference: their data lives
 * in SharedArrayBuffers (see `sharedAlloc`), so worker threads read and write them without a
 * copy — a get hands out a view of the same memory, a put from a worker hands over its buffer.
 */
import type { Allocator, Block, BlockStore } from '../../core/interfaces.ts';
import { StoreError } from '../../core/interfaces.ts';
import { Reclaimer } from './reclaim.ts';

/** Allocates zeroed blocks in shared memory (transferable between threads without a copy). */
export const sharedAlloc: Allocator = (rows, cols) => ({
  rows,
  cols,
  data: new Float64Array(new SharedArrayBuffer(rows * cols * 8)),
});

export class MemoryBlockStore implements BlockStore {
  readonly alloc = sharedAlloc;
  private readonly blocks = new Map<string, Block>();
  /** Bytes currently held (for memory figures). */
  bytes = 0;
  /** Peak of `bytes`. */
  peakBytes = 0;
  private readonly reclaimer = new Reclaimer();
  /**
   * Receives the shared buffer of every deleted block, for reuse by kernel threads (fresh
   * shared memory costs page faults on first touch: a 512² gemm ran 20–35% slower into it).
   * It returns false for a buffer it does not keep.
   */
  onFree?: (buffer: SharedArrayBuffer) => boolean;


  async get(key: string): Promise<Block> {
    return this.getSync(key);
  }

  getSync(key: string): Block {
    const b = this.blocks.get(key);
    if (!b) throw new StoreError('NOT_FOUND', `block ${key} not found`);
    return b;
  }

  async put(key: string, block: Block): Promise<void> {
    this.putSync(key, block);
  }

  putSync(key: string, block: Block): void {
    if (block.data.length !== block.rows * block.cols) {
      throw new StoreError('CORRUPT', `block ${key}: ${block.data.length} values for shape ${block.rows}x${block.cols}`);
    }
    const old = this.blocks.get(key);
    if (old) this.bytes -= old.data.byteLength;
    this.blocks.set(key, block);
    this.bytes += block.data.byteLength;
    if (this.bytes > this.peakBytes) this.peakBytes = this.bytes;
  }

  async delete(keys: readonly string[]): Promise<void> {
    this.deleteSync(keys);
  }

  deleteSync(keys: readonly string[]): void {
    for (const k of keys) {
      const old = this.blocks.get(k);
      if (old) {
        this.bytes -= old.data.byteLength;
        this.blocks.delete(k);
        const buf = old.data.buffer;
        const kept = this.onFree !== undefined && buf instanceof SharedArrayBuffer && old.data.byteOffset === 0 && buf.byteLength === old.data.byteLength && this.onFree(buf);
        if (!kept) this.reclaimer.freedBytes(old.data.byteLength);
      }
    }
  }

  async list(prefix: string): Promise<string[]> {
    return this.listSync(prefix);
  }

  listSync(prefix: string): string[] {
    const out: string[] = [];
    for (const k of this.blocks.keys()) if (k.startsWith(prefix)) out.push(k);
    return out.sort();
  }
}
