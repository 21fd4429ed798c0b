/**
 * Block matrix handles: a matrix lives as blocks in a backend's block store under a key prefix.
 * A handle knows its shape, block shape and prefix; data moves only when asked for
 * (`toArray`, `toMatrix`, `toNdarray`, `toNpy`). Block (bi, bj) covers rows bi·blockRows … and columns bj·blockCols …;
 * the last block row/column may be smaller (partial blocks).
 */
import type { Matrix } from 'ml-matrix';
import type { NdArray } from 'ndarray';
import { LapwingError } from '../core/errors.ts';
import type { Block, BlockStore } from '../core/interfaces.ts';
import { StoreError } from '../core/interfaces.ts';
import { blockKey } from '../core/keys.ts';
import { writeNpy } from './npy.ts';

export class BlockMatrix {
  constructor(
    readonly store: BlockStore,
    readonly rows: number,
    readonly cols: number,
    readonly blockRows: number,
    readonly blockCols: number,
    readonly prefix: string,
    /**
     * 'lower': a symmetric matrix of which only the blocks on and below the diagonal are
     * stored (the upper ones are their transposes). Cholesky reads no more than that.
     */
    readonly symmetric: 'lower' | null = null,
  ) {}

  /** Number of block rows and block columns. */
  get grid(): [number, number] {
    return [Math.ceil(this.rows / this.blockRows), Math.ceil(this.cols / this.blockCols)];
  }

  get shape(): [number, number] {
    return [this.rows, this.cols];
  }

  /** Rows × cols of block (bi, bj). */
  blockShape(bi: number, bj: number): [number, number] {
    return [Math.min(this.blockRows, this.rows - bi * this.blockRows), Math.min(this.blockCols, this.cols - bj * this.blockCols)];
  }

  key(bi: number, bj: number): string {
    return blockKey(this.prefix, [bi, bj]);
  }

  /** Block (bi, bj), or null where none was written (e.g. the upper blocks of a Cholesky factor). */
  async block(bi: number, bj: number): Promise<Block | null> {
    try {
      return await this.store.get(this.key(bi, bj));
    } catch (e) {
      if (e instanceof StoreError && e.code === 'NOT_FOUND') return null;
      throw e;
    }
  }

  /** All values, row-major (C order); missing blocks read as zeros. */
  async toArray(): Promise<Float64Array> {
    const out = new Float64Array(this.rows * this.cols);
    const [gr, gc] = this.grid;
    for (let bi = 0; bi < gr; bi++) {
      for (let bj = 0; bj < gc; bj++) {
        const mirrored = this.symmetric === 'lower' && bi < bj;
        const b = await this.block(mirrored ? bj : bi, mirrored ? bi : bj);
        if (!b) continue;
        const [r, c] = this.blockShape(bi, bj);
        if ((mirrored ? b.cols : b.rows) !== r || (mirrored ? b.rows : b.cols) !== c) {
          throw new Error(`block (${bi}, ${bj}) of ${this.prefix} is ${b.rows}x${b.cols}, expected ${r}x${c}`);
        }
        const r0 = bi * this.blockRows, c0 = bj * this.blockCols;
        for (let j = 0; j < c; j++) {
          for (let i = 0; i < r; i++) out[(r0 + i) * this.cols + c0 + j] = mirrored ? b.data[j + i * c]! : b.data[i + j * r]!;
        }
      }
    }
    return out;
  }

  // ml-matrix and ndarray load on first use: ml-matrix alone takes longer to import than the
  // CLI's argument parser, and most runs never convert.

  /** All values as an ml-matrix `Matrix` (for its decompositions, printing, …). */
  async toMatrix(): Promise<Matrix> {
    const { Matrix } = await import('ml-matrix');
    return Matrix.from1DArray(this.rows, this.cols, await this.toArray());
  }

  /** All values as a 2-D ndarray, row-major over one Float64Array (`get(i, j)`, `shape`). */
  async toNdarray(): Promise<NdArray<Float64Array>> {
    const { default: ndarray } = await import('ndarray');
    return ndarray(await this.toArray(), [this.rows, this.cols]);
  }

  /** Writes the matrix as a float64 C-order .npy file (a 1-D array with `vector`, for one column). */
  async toNpy(path: string, opts: { vector?: boolean } = {}): Promise<void> {
    await writeNpy(path, { rows: this.rows, cols: this.cols, data: await this.toArray(), vector: opts.vector === true });
  }

  /** Deletes every block of the matrix. */
  async delete(): Promise<void> {
    const keys = await this.store.list(`${this.prefix}/`);
    if (keys.length > 0) await this.store.delete(keys);
  }
}

/** How a row-major (C) or column-major (Fortran) array is laid out. */
export type Order = 'C' | 'F';

/**
 * Splits a dense matrix into blocks and stores them. `at(i, j)` gives element (i, j); blocks
 * are written in parallel batches.
 */
export async function storeMatrix(
  store: BlockStore,
  prefix: string,
  rows: number,
  cols: number,
  blockRows: number,
  blockCols: number,
  fill: (block: Block, r0: number, c0: number) => void,
  symmetric: 'lower' | null = null,
): Promise<BlockMatrix> {
  checkShape(rows, cols, blockRows, blockCols);
  const m = new BlockMatrix(store, rows, cols, blockRows, blockCols, prefix, symmetric);
  const [gr, gc] = m.grid;
  const alloc = store.alloc ?? ((r: number, c: number): Block => ({ rows: r, cols: c, data: new Float64Array(r * c) }));
  const pending: Promise<void>[] = [];
  for (let bj = 0; bj < gc; bj++) {
    for (let bi = symmetric === 'lower' ? bj : 0; bi < gr; bi++) {
      const [r, c] = m.blockShape(bi, bj);
      const b = alloc(r, c);
      fill(b, bi * blockRows, bj * blockCols);
      pending.push(store.put(m.key(bi, bj), b));
      if (pending.length >= 64) await Promise.all(pending.splice(0));
    }
  }
  await Promise.all(pending);
  return m;
}

/** Fill function copying from a dense array in C or F order. */
export function fromDense(data: ArrayLike<number>, rows: number, cols: number, order: Order = 'C'): (b: Block, r0: number, c0: number) => void {
  if (data.length !== rows * cols) throw new RangeError(`array has ${data.length} values, expected ${rows}x${cols} = ${rows * cols}`);
  return (b, r0, c0) => {
    const d = b.data as Float64Array;
    for (let j = 0; j < b.cols; j++) {
      for (let i = 0; i < b.rows; i++) {
        d[i + j * b.rows] = order === 'C' ? data[(r0 + i) * cols + c0 + j]! : data[r0 + i + (c0 + j) * rows]!;
      }
    }
  };
}

/** Mismatched, empty or unsupported shapes. */
export class ShapeError extends LapwingError {
  declare readonly code: 'SHAPE';
  constructor(message: string) {
    super('SHAPE', message, { userFacing: true });
    this.name = 'ShapeError';
  }
}

export function checkShape(rows: number, cols: number, blockRows: number, blockCols: number): void {
  for (const [v, what] of [[rows, 'rows'], [cols, 'cols']] as const) {
    if (!Number.isInteger(v) || v < 1) throw new ShapeError(`the matrix is ${rows}×${cols}: ${what} must be a positive integer (an empty matrix has no blocks)`);
  }
  for (const [v, what] of [[blockRows, 'block rows'], [blockCols, 'block cols']] as const) {
    if (!Number.isInteger(v) || v < 1) throw new ShapeError(`block size must be a positive integer, got ${v} (${what})`);
  }
}

/** Deterministic uniform value in [-1, 1) for element (i, j): counter-based, no state. */
export function hashUniform(seed: number, i: number, j: number): number {
  let h = Math.imul(i ^ 0x5bd1e995, 0x9e3779b1) ^ Math.imul(j + 0x7f4a7c15, 0x85ebca77) ^ Math.imul(seed, 0xc2b2ae3d);
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b);
  h ^= h >>> 16;
  return (h >>> 0) / 2147483648 - 1;
}
