/**
 * Moves blocks in and out of one kernel instance's linear memory.
 *
 * Protocol per kernel call: `reset()` frees the previous call's region (a bump arena inside
 * the module), `put`/`alloc` place inputs and outputs, the kernel runs, `take` copies each
 * result into a block from the caller's Allocator. Memory only grows, so after warm-up a call
 * allocates nothing but its output blocks. Growth detaches the old ArrayBuffer, hence the view
 * is re-read whenever `memory.buffer` changed.
 */
import type { Allocator, Block } from '../../types.ts';
import type { WasmKernelExports } from './exports.ts';

/** Largest single allocation: wasm32 addresses 4 GiB, the arena hands out 32-bit offsets. */
const MAX_BYTES = 2 ** 32 - 2 ** 26;

/** Typed access to a kernel instance's memory. */
export class WasmHeap {
  private view: Float64Array;

  constructor(private readonly ex: WasmKernelExports) {
    this.view = new Float64Array(ex.memory.buffer);
  }

  /** Frees every allocation of the previous call. */
  reset(): void {
    this.ex.reset();
  }

  /** Room for `count` doubles (uninitialised); returns its byte address. */
  alloc(count: number): number {
    const bytes = count * 8;
    if (bytes > MAX_BYTES) throw new Error(`wasm kernels: ${count} doubles exceed the 4 GiB wasm memory`);
    return this.ex.alloc(bytes) >>> 0;
  }

  /** Copies a block in; returns its byte address. */
  put(block: Block): number {
    const p = this.alloc(block.data.length);
    this.write(p, block.data);
    return p;
  }

  /** Copies `data` to byte address `p` (room allocated by {@link alloc}). */
  write(p: number, data: Float64Array): void {
    this.f64().set(data, p / 8);
  }

  /** Copies `count` doubles from byte address `p` into `into` at index `offset`. */
  read(p: number, into: Float64Array, offset: number, count: number): void {
    const start = p / 8;
    into.set(this.f64().subarray(start, start + count), offset);
  }

  /** Copies rows×cols doubles at byte address `p` into a new block from `alloc`. */
  take(p: number, rows: number, cols: number, alloc: Allocator): Block {
    const out = alloc(rows, cols);
    this.read(p, out.data, 0, rows * cols);
    return out;
  }

  private f64(): Float64Array {
    if (this.view.buffer !== this.ex.memory.buffer) this.view = new Float64Array(this.ex.memory.buffer);
    return this.view;
  }
}
