/**
 * `dagStats`: task and edge counts, per-kernel counts, critical path and peak frontier by a
 * streaming Kahn traversal over the symbolic queries — never the whole DAG in memory.
 *
 * The traversal is level-synchronous: level 0 is the starters; a task joins level d + 1 when
 * its last parent (at level d) is processed, so its level is its longest path from a starter.
 * Memory: the current and next levels, plus a map of remaining-parent counts holding only the
 * tasks that have some but not all parents processed.
 */
import type { BoundProgram } from './bind.ts';
import { DagError } from './errors.ts';
import { taskKey, type Task } from './task.ts';

export interface DagStats {
  readonly tasks: number;
  /** Parent → child pairs. */
  readonly edges: number;
  readonly perKernel: Record<string, number>;
  /** Tasks on the longest path (the number of levels). */
  readonly criticalPath: number;
  /** Largest level: the parallelism available with unlimited executors and unit-time tasks. */
  readonly peakFrontier: number;
  /** Largest number of partially-ready tasks held in the traversal map. */
  readonly peakWaiting: number;
  readonly terminal: number;
}

/**
 * Traverses the DAG of `bound` by levels.
 * @throws DagError('CYCLE') if some tasks never become ready.
 */
export function dagStats(bound: BoundProgram, onLevel?: (level: number, tasksDone: number) => void): DagStats {
  const kernels = bound.program.statements.map((s) => s.kernel);
  const perStmt = new Array<number>(kernels.length).fill(0);
  const waiting = new Map<string, number>();
  let level: Task[] = [...bound.starters()];
  let tasks = 0;
  let edges = 0;
  let depth = 0;
  let peak = 0;
  let peakWaiting = 0;
  let terminal = 0;
  while (level.length > 0) {
    depth++;
    if (level.length > peak) peak = level.length;
    const next: Task[] = [];
    for (const t of level) {
      tasks++;
      perStmt[t.stmt]!++;
      if (bound.isTerminal(t)) terminal++;
      const children = bound.children(t);
      edges += children.length;
      for (const c of children) {
        const k = taskKey(c);
        const r = (waiting.get(k) ?? bound.parents(c).length) - 1;
        if (r === 0) {
          waiting.delete(k);
          next.push(c);
        } else waiting.set(k, r);
      }
    }
    if (waiting.size > peakWaiting) peakWaiting = waiting.size;
    onLevel?.(depth, tasks);
    level = next;
  }
  if (waiting.size > 0) {
    const [k] = waiting.keys();
    throw new DagError('CYCLE', `${waiting.size} tasks never become ready (e.g. ${k}): the DAG has a cycle`);
  }
  const perKernel: Record<string, number> = {};
  perStmt.forEach((n, s) => {
    if (n > 0) perKernel[kernels[s]!] = (perKernel[kernels[s]!] ?? 0) + n;
  });
  return { tasks, edges, perKernel, criticalPath: depth, peakFrontier: peak, peakWaiting, terminal };
}
