/**
 * Builds synthetic traces for the report tests: a deterministic simulated run with several
 * executors and kernels, optional samples, and re-executed attempts (a crashed first attempt
 * that another executor retries). Not a test file itself.
 */
import type { AttemptOutcome, SampleTrace, TaskAttemptTrace } from '../../runtime/core/interfaces.ts';
import type { TraceFile, TraceHeader, TraceSummary } from '../../runtime/tracing/trace-file.ts';
import { bind, taskKey } from '../../lang/index.ts';
import type { Program, Task } from '../../lang/index.ts';

export interface SyntheticOptions {
  executors: number;
  attempts: number;
  /** Tasks whose first attempt crashes and is retried (attempt 2) elsewhere. */
  retries?: number;
  samples?: boolean;
  seed?: number;
  block?: number;
}

export const T0 = Date.UTC(2025, 5, 1, 12, 0, 0);
const KERNELS: readonly [string, number, number][] = [
  // kernel, compute ms, share (out of 10)
  ['gemm', 12, 5],
  ['syrk', 8, 2],
  ['trsm', 7, 2],
  ['chol', 5, 1],
];

/** A run as the runtime would trace it. */
export function syntheticTrace(o: SyntheticOptions): TraceFile {
  let seed = o.seed ?? 42;
  const rand = (): number => ((seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32);
  const block = o.block ?? 256;
  const blockBytes = block * block * 8;
  const cursor = Array.from({ length: o.executors }, (_, i) => T0 + 40 + i * 3);
  const attempts: TaskAttemptTrace[] = [];
  const retryEvery = o.retries ? Math.max(1, Math.floor(o.attempts / (o.retries + 1))) : Infinity;
  let retried = 0;
  let task = 0;
  while (attempts.length < o.attempts) {
    const e = attempts.length % o.executors;
    const pick = rand() * 10;
    let acc = 0;
    let kernel = KERNELS[0]!;
    for (const k of KERNELS) { acc += k[2]; if (pick < acc) { kernel = k; break; } }
    const [name, computeMs] = kernel;
    const inputs = name === 'chol' ? 1 : name === 'gemm' ? 3 : 2;
    const id = `${name}(${task}, ${task % 7})`;
    task++;
    const crash = retried < (o.retries ?? 0) && attempts.length % retryEvery === retryEvery - 1 && attempts.length + 2 <= o.attempts;
    const push = (executor: number, attempt: number, outcome: AttemptOutcome): void => {
      const lease = cursor[executor]! + 0.5 + rand();
      const read = lease + 1 + rand() * 3;
      const compute = read + computeMs * (0.8 + rand() * 0.4);
      const write = compute + 1 + rand() * 2;
      const mark = write + 0.3;
      const ack = mark + 0.2;
      const flops = name === 'chol' ? block ** 3 / 3 : 2 * block ** 3;
      const t = outcome === 'crashed' ? { lease, read, compute } : { lease, read, compute, write, mark, ack };
      attempts.push({
        type: 'attempt', job: 'job-1', task: id, kernel: name, executor: `w${executor}`, attempt, t,
        bytesRead: inputs * blockBytes, bytesWritten: outcome === 'crashed' ? 0 : blockBytes,
        flops, outcome, ...(outcome === 'crashed' ? { error: 'executor exited (simulated crash)' } : {}),
      });
      cursor[executor] = outcome === 'crashed' ? compute + 30 : ack;
    };
    if (crash) {
      retried++;
      push(e, 1, 'crashed');
      const next = (e + 1) % o.executors;
      cursor[next] = Math.max(cursor[next]!, cursor[e]!); // redelivered after the visibility timeout
      push(next, 2, 'ok');
    } else {
      push(e, 1, 'ok');
    }
  }
  const end = Math.max(...cursor);
  const samples: SampleTrace[] = [];
  if (o.samples) {
    for (let t = T0, i = 0; t <= end + 250; t += 250, i++) {
      const done = attempts.filter((a) => a.outcome === 'ok' && (a.t.ack ?? 0) <= t).length;
      samples.push({ type: 'sample', time: t, queueVisible: Math.max(0, 20 - i), queueInFlight: o.executors, executors: o.executors, tasksDone: done });
    }
  }
  const wall = (end - T0) / 1000 + 0.01;
  const header: TraceHeader = {
    type: 'header', version: 1, job: 'job-1', algorithm: 'cholesky', n: block * 8, block, backend: 'local', kernels: 'openblas',
    workers: o.executors, startedAt: T0, totalTasks: task, criticalPath: { tasks: 22, kernels: { chol: 8, trsm: 7, syrk: 7 } }, memoryMb: 2048,
  };
  const flops = attempts.filter((a) => a.outcome === 'ok').reduce((s, a) => s + a.flops, 0);
  const summary: TraceSummary = { type: 'summary', wall_s: wall, gflops: flops / wall / 1e9, tasks: task, residual: 2.5e-15, ok: true };
  return { header, attempts, samples, summary, warnings: [] };
}

/** The trace as the JSON Lines text a TraceWriter would produce. */
export function toJsonl(trace: TraceFile): string {
  const lines = [trace.header, ...trace.attempts, ...trace.samples, ...(trace.summary ? [trace.summary] : [])];
  return lines.map((l) => JSON.stringify(l)).join('\n') + '\n';
}

/**
 * A trace of a real program's DAG run by `executors` executors (greedy list scheduling in
 * topological order), each task taking `ms[kernel]` to compute. The header carries the
 * compiled program and its arguments.
 */
export function dagTrace(program: Program, args: Record<string, number>, executors: number, ms: Readonly<Record<string, number>>): TraceFile {
  const bound = bind(program, args);
  const free = Array.from({ length: executors }, () => T0 + 10);
  const doneAt = new Map<string, number>();
  const waiting = new Map<string, number>();
  const attempts: TaskAttemptTrace[] = [];
  let ready: Task[] = [...bound.starters()];
  while (ready.length > 0) {
    const next: Task[] = [];
    for (const t of ready) {
      const key = taskKey(t);
      const kernel = bound.kernel(t).name;
      const after = Math.max(T0 + 10, ...bound.parents(t).map((p) => doneAt.get(taskKey(p))!));
      let e = 0;
      for (let i = 1; i < executors; i++) if (Math.max(free[i]!, after) < Math.max(free[e]!, after)) e = i;
      const lease = Math.max(free[e]!, after);
      const compute = lease + (ms[kernel] ?? 1);
      attempts.push({ type: 'attempt', job: 'dag', task: key, kernel, executor: `w${e}`, attempt: 1,
        t: { lease, read: lease, compute, write: compute, mark: compute, ack: compute }, bytesRead: 0, bytesWritten: 0, flops: 1e6, outcome: 'ok' });
      free[e] = compute;
      doneAt.set(key, compute);
      for (const c of bound.children(t)) {
        const ck = taskKey(c);
        const left = (waiting.get(ck) ?? bound.parents(c).length) - 1;
        if (left === 0) { waiting.delete(ck); next.push(c); } else waiting.set(ck, left);
      }
    }
    ready = next;
  }
  attempts.sort((a, b) => a.t.lease - b.t.lease);
  const header: TraceHeader = { type: 'header', version: 1, job: 'dag', algorithm: program.name, backend: 'local', kernels: 'js',
    workers: executors, startedAt: T0, program, args };
  return { header, attempts, samples: [], warnings: [] };
}
