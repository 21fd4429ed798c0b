/**
 * Test helpers for kernels: seeded random blocks of the shapes kernels need (SPD, triangular,
 * diagonally dominant), a shared-memory allocator that records what it handed out, and a
 * comparison with a relative tolerance that also requires NaN/±Inf in the same places.
 */
import assert from 'node:assert/strict';
import type { Allocator, Block } from '../../kernels/index.ts';
import { seededRandom } from '../../kernels/random.ts';
import { Worker } from 'node:worker_threads';

/** Deterministic uniform [0, 1) generator (mulberry32), so failures reproduce. */
export const rng = seededRandom;

/** A block from a column-major array (or a function of (row, col)). */
export function block(rows: number, cols: number, f: ((r: number, c: number) => number) | readonly number[]): Block {
  const data = new Float64Array(rows * cols);
  for (let c = 0; c < cols; c++) for (let r = 0; r < rows; r++) data[r + c * rows] = typeof f === 'function' ? f(r, c) : f[r + c * rows]!;
  return { rows, cols, data };
}

export const at = (b: Block, r: number, c: number): number => b.data[r + c * b.rows]!;

/** Uniform entries in [−1, 1). */
export function rand(next: () => number, rows: number, cols: number): Block {
  return block(rows, cols, () => 2 * next() - 1);
}

/** Symmetric positive definite: M·Mᵀ/n + I, well conditioned. */
export function spd(next: () => number, n: number): Block {
  const m = rand(next, n, n);
  return block(n, n, (r, c) => {
    let s = 0;
    for (let p = 0; p < n; p++) s += at(m, r, p) * at(m, c, p);
    return s / n + (r === c ? 1 : 0);
  });
}

/** Strictly diagonally dominant (LU without pivoting is stable on it). */
export function diagDominant(next: () => number, n: number): Block {
  return block(n, n, (r, c) => (r === c ? n + 1 + next() : 2 * next() - 1));
}

/**
 * A well-conditioned triangular factor: the `lower` (or upper) triangle random with a
 * diagonal of magnitude 2–3 (negative sometimes), and the other triangle, plus the diagonal
 * when `unit`, filled with NaN to prove that kernels do not read it.
 */
export function triangular(next: () => number, n: number, lower: boolean, unit: boolean): Block {
  return block(n, n, (r, c) => {
    if (r === c) return unit ? NaN : (next() < 0.3 ? -1 : 1) * (2 + next());
    return (lower ? r > c : r < c) ? (2 * next() - 1) / Math.sqrt(n) : NaN;
  });
}

export function transpose(b: Block): Block {
  return block(b.cols, b.rows, (r, c) => at(b, c, r));
}

/** Naive product of explicit matrices (for structural checks). */
export function matmul(a: Block, b: Block): Block {
  assert.equal(a.cols, b.rows, 'matmul: inner dimensions');
  return block(a.rows, b.cols, (r, c) => {
    let s = 0;
    for (let p = 0; p < a.cols; p++) s += at(a, r, p) * at(b, p, c);
    return s;
  });
}

/** [A; B] as one block. */
export function vstack(a: Block, b: Block): Block {
  return block(a.rows + b.rows, a.cols, (r, c) => (r < a.rows ? at(a, r, c) : at(b, r - a.rows, c)));
}

/** Rows [from, to) of a block. */
export function rows(b: Block, from: number, to: number): Block {
  return block(to - from, b.cols, (r, c) => at(b, r + from, c));
}

export function maxAbs(...bs: readonly Block[]): number {
  let m = 0;
  for (const b of bs) for (const v of b.data) if (Number.isFinite(v)) m = Math.max(m, Math.abs(v));
  return m;
}

/**
 * Asserts `actual` ≈ `expected`: same shape; NaN, +Inf and −Inf at the same positions; finite
 * entries within `tol · scale`, scale defaulting to the largest finite |entry| of expected.
 */
export function assertClose(actual: Block, expected: Block, label: string, opts: { tol?: number; scale?: number } = {}): void {
  assert.equal(`${actual.rows}×${actual.cols}`, `${expected.rows}×${expected.cols}`, `${label}: shape`);
  const tol = opts.tol ?? 1e-11;
  const scale = Math.max(opts.scale ?? 0, maxAbs(expected), Number.MIN_VALUE);
  for (let i = 0; i < expected.data.length; i++) {
    const a = actual.data[i]!;
    const e = expected.data[i]!;
    const where = `${label}: entry (${i % expected.rows}, ${Math.floor(i / Math.max(1, expected.rows))}) is ${a}, expected ${e}`;
    if (!Number.isFinite(e)) {
      assert.ok(Object.is(a, e) || (Number.isNaN(a) && Number.isNaN(e)), where);
    } else {
      assert.ok(Number.isFinite(a) && Math.abs(a - e) <= tol * scale, `${where} (tolerance ${tol} × ${scale.toExponential(2)})`);
    }
  }
}

/** Asserts NaN and ±Inf sit at the same positions (values elsewhere are not compared). */
export function assertSameNonFinite(actual: Block, expected: Block, label: string): void {
  const pattern = (b: Block): string => Array.from(b.data, (v) => (Number.isNaN(v) ? 'N' : v === Infinity ? '+' : v === -Infinity ? '-' : '.')).join('');
  assert.equal(pattern(actual), pattern(expected), `${label}: NaN/Inf pattern`);
}

/**
 * An allocator like the runtime's (SharedArrayBuffer-backed, zero-filled) that remembers the
 * arrays it returned, so a test can check outputs were allocated through it.
 */
export function recordingAlloc(): Allocator & { readonly handed: Set<Float64Array> } {
  const handed = new Set<Float64Array>();
  const alloc: Allocator = (r, c) => {
    const data = new Float64Array(new SharedArrayBuffer(Math.max(1, r * c) * 8), 0, r * c);
    handed.add(data);
    return { rows: r, cols: c, data };
  };
  return Object.assign(alloc, { handed });
}

/** A copy of a block's values, to check later that a kernel did not write its inputs. */
export function snapshot(b: Block): Float64Array {
  return Float64Array.from(b.data);
}

/** A copy of `b` in shared memory (as the local backend hands blocks to kernel threads). */
export function toShared(b: Block): Block {
  const data = new Float64Array(new SharedArrayBuffer(b.data.length * 8));
  data.set(b.data);
  return { rows: b.rows, cols: b.cols, data };
}

/** Runs `calls` on `backend` in a worker thread (fixtures/kernel-worker.mjs), `reps` times each. */
export function runKernelWorker(
  backend: string,
  reps: number,
  calls: { kernel: string; inputs: Block[] }[],
): Promise<{ backend: string; outputs: Block[][] }> {
  return new Promise((resolve, reject) => {
    const w = new Worker(new URL('./fixtures/kernel-worker.mjs', import.meta.url), { workerData: { backend, reps, calls } });
    w.once('message', resolve);
    w.once('error', reject);
    w.once('exit', (code) => code !== 0 && reject(new Error(`worker exited with ${code}`)));
  });
}
