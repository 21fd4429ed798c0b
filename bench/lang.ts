/**
 * Benchmark of the symbolic DAG (wired into `lapwing bench lang`; never a timed test).
 *
 * Goals: children()/parents() of a Cholesky task at N = 256 blocks ≤ 50 µs median;
 * streaming traversal of Cholesky at N = 128 (357,760 tasks) ≥ 100,000 tasks/s with peak RSS
 * ≤ 300 MB. Tasks for the query timings are a uniform sample (reservoir) of all tasks.
 */
import { bind, statementTasks } from '../lang/bind.ts';
import { compile } from '../lang/compile.ts';
import { programSource } from '../lang/programs.ts';
import { dagStats } from '../lang/stats.ts';
import type { Task } from '../lang/task.ts';
import { seededRandom } from '../kernels/random.ts';

function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
}

/** Deterministic PRNG (mulberry32) so that runs sample the same tasks. */
const rng = seededRandom;

/** Per-call microseconds of `f` over `tasks` (after a warm-up pass): median and p90. */
function timeCalls(tasks: readonly Task[], f: (t: Task) => unknown): { median: number; p90: number } {
  for (const t of tasks) f(t);
  const us: number[] = [];
  for (const t of tasks) {
    const t0 = process.hrtime.bigint();
    f(t);
    us.push(Number(process.hrtime.bigint() - t0) / 1000);
  }
  us.sort((a, b) => a - b);
  return { median: quantile(us, 0.5), p90: quantile(us, 0.9) };
}

export interface LangBenchOptions {
  /** Cholesky size for the query timings (default 256). */
  readonly queryN?: number;
  /** Cholesky size for the traversal (default 128). */
  readonly traverseN?: number;
  /** Sampled tasks (default 5,000). */
  readonly samples?: number;
}

/**
 * Runs the language benchmark. Keys: children_/parents_median_us and _p90_us (N = queryN),
 * bind_ms, traversal_tasks, traversal_tasks_per_s, traversal_edges, peak_rss_mb, goals_met (1/0).
 */
export async function benchLang(options: LangBenchOptions = {}): Promise<Record<string, number>> {
  const queryN = options.queryN ?? 256;
  const traverseN = options.traverseN ?? 128;
  const samples = options.samples ?? 5000;
  const program = compile(programSource('cholesky'));

  // Traversal first, so that peak RSS reflects it rather than the sampling below.
  const t0 = performance.now();
  const small = bind(program, { N: traverseN });
  const stats = dagStats(small);
  const traverseS = (performance.now() - t0) / 1000;
  const rssMb = process.resourceUsage().maxRSS / 1024;
  await new Promise((r) => setImmediate(r));

  const b0 = performance.now();
  const dag = bind(program, { N: queryN });
  const bindMs = performance.now() - b0;
  const random = rng(1);
  const sample: Task[] = [];
  let seen = 0;
  for (let s = 0; s < program.statements.length; s++) {
    for (const vars of statementTasks(dag, s)) {
      seen++;
      if (sample.length < samples) sample.push({ stmt: s, vars });
      else {
        const j = Math.floor(random() * seen);
        if (j < samples) sample[j] = { stmt: s, vars };
      }
    }
  }
  const children = timeCalls(sample, (t) => dag.children(t));
  const parents = timeCalls(sample, (t) => dag.parents(t));
  const tasksPerS = stats.tasks / traverseS;
  const ok = children.median <= 50 && parents.median <= 50 && tasksPerS >= 100_000 && rssMb <= 300;
  return {
    children_median_us: children.median,
    children_p90_us: children.p90,
    parents_median_us: parents.median,
    parents_p90_us: parents.p90,
    bind_ms: bindMs,
    query_n: queryN,
    traversal_n: traverseN,
    traversal_tasks: stats.tasks,
    traversal_edges: stats.edges,
    traversal_tasks_per_s: tasksPerS,
    peak_rss_mb: rssMb,
    goals_met: ok ? 1 : 0,
  };
}
