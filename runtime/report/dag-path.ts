/**
 * The DAG's critical path from the program itself, when the trace header carries the compiled
 * program and its arguments: a Kahn traversal over the symbolic parent/child queries (as
 * lang's dagStats does) computing the longest path with each task weighted by a per-kernel
 * time — the report passes the measured per-kernel medians.
 *
 * Memory and time grow with the task count, so the traversal stops (returns null) beyond
 * `maxTasks`; the report then falls back to the header's figures.
 */
import { bind, parseTaskKey, taskKey } from '../../lang/index.ts';
import type { BoundProgram, Program, Task } from '../../lang/index.ts';

export interface DagPath {
  /** Sum of the weights along the longest path (seconds if the weights are). */
  readonly seconds: number;
  /** Tasks on that path. */
  readonly tasks: number;
  /** Kernels on that path, name → count. */
  readonly kernels: Readonly<Record<string, number>>;
  /** Tasks in the DAG. */
  readonly dagTasks: number;
}

/** Binds a compiled program from a trace header; throws lang's BindError for a bad one. */
export function bindTraced(program: unknown, args: Readonly<Record<string, number>>): BoundProgram {
  return bind(program as Program, args);
}

/**
 * Longest path through the DAG of `bound`, weighting each task by `weight(kernel)`.
 * Returns null when the DAG has more than `maxTasks` tasks.
 */
export function dagCriticalPath(bound: BoundProgram, weight: (kernel: string) => number, maxTasks = 300_000): DagPath | null {
  const kernelOf = (t: Task): string => bound.kernel(t).name;
  // Best path length ending at each task, the parent it came through, and parents left to see.
  const dist = new Map<string, number>();
  const via = new Map<string, string>();
  const waiting = new Map<string, number>();
  let ready: Task[] = [];
  for (const t of bound.starters()) {
    dist.set(taskKey(t), weight(kernelOf(t)));
    ready.push(t);
  }
  let seen = 0;
  while (ready.length > 0) {
    const next: Task[] = [];
    for (const t of ready) {
      if (++seen > maxTasks) return null;
      const k = taskKey(t);
      const d = dist.get(k)!;
      for (const c of bound.children(t)) {
        const ck = taskKey(c);
        const cand = d + weight(kernelOf(c));
        if (cand > (dist.get(ck) ?? -Infinity)) {
          dist.set(ck, cand);
          via.set(ck, k);
        }
        const left = (waiting.get(ck) ?? bound.parents(c).length) - 1;
        if (left === 0) {
          waiting.delete(ck);
          next.push(c);
        } else waiting.set(ck, left);
      }
    }
    ready = next;
  }
  let end = '';
  let best = -Infinity;
  for (const [k, d] of dist) if (d > best) { best = d; end = k; }
  const kernels: Record<string, number> = {};
  let tasks = 0;
  for (let k: string | undefined = end; k !== undefined && k !== ''; k = via.get(k)) {
    const name = kernelOf(parseTaskKey(k));
    kernels[name] = (kernels[name] ?? 0) + 1;
    tasks++;
  }
  return { seconds: best > 0 ? best : 0, tasks, kernels, dagTasks: seen };
}
