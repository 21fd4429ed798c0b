/**
 * Tasks and blocks, and their string keys (used as queue messages, state-store node names and
 * block-store key suffixes, so they are compact and stable).
 */
import { DagError } from './errors.ts';

/** A block of a matrix: `matrix[idx…]`. */
export interface BlockRef {
  readonly matrix: string;
  readonly idx: readonly number[];
}

/** A task: statement `stmt` of the program at loop-variable values `vars` (outermost first). */
export interface Task {
  readonly stmt: number;
  readonly vars: readonly number[];
}

/** `"3:1,4,2"` — statement, colon, comma-separated variables (`"0:"` without variables). */
export function taskKey(t: Task): string {
  // Hot path (every edge of a traversal): plain concatenation beats join().
  const v = t.vars;
  let s = `${t.stmt}:`;
  for (let i = 0; i < v.length; i++) s += i === 0 ? `${v[i]}` : `,${v[i]}`;
  return s;
}

const KEY = /^(\d+):(-?\d+(?:,-?\d+)*)?$/;

/** Inverse of {@link taskKey}; throws DagError('BAD_TASK') for a malformed key. */
export function parseTaskKey(key: string): Task {
  const m = KEY.exec(key);
  if (m === null) throw new DagError('BAD_TASK', `malformed task key '${key}' (expected e.g. "3:1,4,2")`);
  return { stmt: Number(m[1]), vars: m[2] === undefined ? [] : m[2].split(',').map(Number) };
}

/** `"1_4_2"`: the block-store key suffix of a block index. */
export function blockKeySuffix(idx: readonly number[]): string {
  return idx.join('_');
}

/** `"L[3,1]"`. */
export function blockToString(b: BlockRef): string {
  return `${b.matrix}[${b.idx.join(',')}]`;
}
