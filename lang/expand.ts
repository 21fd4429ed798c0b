/**
 * Brute-force materialisation of a bound program's DAG: every task of every statement by
 * enumerating its loop nest, every block's writers and readers from the tasks' accesses, and
 * parents/children from those maps. Independent of the solver (it shares only the generated
 * loop nests and access functions), so it is the reference the symbolic queries are tested
 * against (`checkDag`, `lapwing dag --check`). Memory is proportional to the DAG: small sizes only.
 */
import { statementTasks, type BoundProgram } from './bind.ts';
import { DagError } from './errors.ts';
import { blockToString, taskKey, type Task } from './task.ts';

export interface ExpandedDag {
  /** All tasks, by statement then loop order. */
  readonly tasks: readonly Task[];
  /** taskKey → position in `tasks`. */
  readonly index: ReadonlyMap<string, number>;
  /** Per task: positions of its distinct parents / children, ascending. */
  readonly parents: readonly (readonly number[])[];
  readonly children: readonly (readonly number[])[];
  /** "L[3,1]" → positions of the tasks writing / reading it. */
  readonly writers: ReadonlyMap<string, readonly number[]>;
  readonly readers: ReadonlyMap<string, readonly number[]>;
  /** Single-assignment violations and reads of blocks nobody writes, as messages. */
  readonly problems: readonly string[];
}

/** Materialises the DAG; throws DagError('TOO_LARGE') past `limit` tasks (default 2,000,000). */
export function expand(bound: BoundProgram, limit = 2_000_000): ExpandedDag {
  const tasks: Task[] = [];
  const index = new Map<string, number>();
  for (let s = 0; s < bound.program.statements.length; s++) {
    for (const vars of statementTasks(bound, s)) {
      if (tasks.length >= limit) {
        throw new DagError('TOO_LARGE', `more than ${limit} tasks; use --stats for large sizes`);
      }
      const t: Task = { stmt: s, vars };
      index.set(taskKey(t), tasks.length);
      tasks.push(t);
    }
  }
  const writers = new Map<string, number[]>();
  const readers = new Map<string, number[]>();
  const readKeys: string[][] = [];
  tasks.forEach((t, i) => {
    for (const b of bound.writes(t)) {
      const k = blockToString(b);
      const list = writers.get(k);
      if (list === undefined) writers.set(k, [i]);
      else list.push(i);
    }
    const rk: string[] = [];
    for (const b of bound.reads(t)) {
      const k = blockToString(b);
      rk.push(k);
      const list = readers.get(k);
      if (list === undefined) readers.set(k, [i]);
      else if (list[list.length - 1] !== i) list.push(i);
    }
    readKeys.push(rk);
  });
  const problems: string[] = [];
  for (const [k, ws] of writers) {
    if (ws.length > 1) problems.push(`SSA: ${k} is written by ${ws.map((i) => taskKey(tasks[i]!)).join(', ')}`);
  }
  const parents: number[][] = tasks.map(() => []);
  const children: Set<number>[] = tasks.map(() => new Set());
  tasks.forEach((t, i) => {
    const ps = new Set<number>();
    readKeys[i]!.forEach((k, r) => {
      const ws = writers.get(k);
      if (ws === undefined) {
        const b = bound.reads(t)[r]!;
        if (bound.role(b.matrix) !== 'in') problems.push(`UNWRITTEN: ${taskKey(t)} reads ${k}, which no task writes`);
        return;
      }
      for (const w of ws) ps.add(w);
    });
    parents[i] = [...ps].sort((a, b) => a - b);
    for (const p of ps) children[p]!.add(i);
  });
  return {
    tasks, index, parents, writers, readers, problems,
    children: children.map((c) => [...c].sort((a, b) => a - b)),
  };
}
