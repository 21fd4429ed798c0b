/**
 * Turns a trace into the figures the report draws: attempt spans and their phases, per-kernel
 * statistics, time series, the critical-path comparison. Pure: no I/O, no clocks.
 *
 * Phases of an attempt follow the timestamp convention of trace-file.ts (each `t.x` is when step
 * x finished): read = read − lease, compute = compute − read, write = write − compute,
 * other = (mark − write) + (ack − mark). A missing step's time goes to the next step present.
 */
import type { SampleTrace, TaskAttemptTrace } from '../core/interfaces.ts';
import type { BoundProgram } from '../../lang/index.ts';
import { parseTaskKey } from '../../lang/index.ts';
import { bindTraced, dagCriticalPath } from './dag-path.ts';
import type { TraceFile, TraceHeader, TraceSummary } from '../tracing/trace-file.ts';
import { median } from '../core/util.ts';

/** One task attempt placed on the timeline (times in ms since the run's origin `t0`). */
export interface AttemptSpan {
  readonly rec: TaskAttemptTrace;
  /** Index into {@link RunAnalysis.executors}. */
  readonly row: number;
  readonly start: number;
  readonly end: number;
  readonly readMs: number;
  /** The kernel's own time: on its thread when the trace says so, else the compute phase. */
  readonly computeMs: number;
  /** When the kernel started (ms since `t0`). */
  readonly computeStart: number;
  /**
   * Waiting for a kernel thread busy with another task slot of the executor: part of the
   * attempt's span, not of any work, so it counts in no total.
   */
  readonly waitMs: number;
  readonly writeMs: number;
  /** Marking edges and acknowledging. */
  readonly otherMs: number;
  /** A retry (attempt > 1) or an attempt that did not end `ok`. */
  readonly reexecuted: boolean;
}

/** Totals of one kernel over all its attempts. */
export interface KernelStats {
  readonly kernel: string;
  readonly attempts: number;
  readonly ok: number;
  readonly readMs: number;
  /** Kernel time (kernel-thread time where recorded: overlapping task slots are not double-counted). */
  readonly computeMs: number;
  /** Waiting for the kernel thread (in no total). */
  readonly waitMs: number;
  readonly writeMs: number;
  readonly otherMs: number;
  /** Flops of successful attempts. */
  readonly flops: number;
  /** Median lease→end time of successful attempts (ms). */
  readonly medianMs: number;
  readonly medianComputeMs: number;
}

/** A step function sampled at `t` (seconds since t0). */
export interface Series {
  readonly t: readonly number[];
  readonly v: readonly number[];
}

export interface CriticalPath {
  /** Duration of the critical path, if known or estimable. */
  readonly seconds: number | null;
  readonly tasks: number | null;
  /** Where `seconds` comes from, in words. */
  readonly source: string;
}

/** Everything the report needs, derived from one trace. */
export interface RunAnalysis {
  readonly header: TraceHeader;
  readonly summary?: TraceSummary;
  /** Epoch ms of the timeline's origin (the job's start, or the first event). */
  readonly t0: number;
  /** Length of the timeline in ms. */
  readonly spanMs: number;
  /** Achieved wall time of the run (the summary's, else the trace's extent). */
  readonly wallS: number;
  /** Executor ids in row order (natural sort). */
  readonly executors: readonly string[];
  /** Attempts sorted by start. */
  readonly attempts: readonly AttemptSpan[];
  /** Per-kernel statistics, most time first. */
  readonly kernels: readonly KernelStats[];
  readonly okAttempts: number;
  readonly reexecuted: number;
  /** Distinct tasks with an `ok` attempt. */
  readonly tasksDone: number;
  readonly totalFlops: number;
  readonly gflops: number;
  /** Sum of attempt durations (ms). */
  readonly busyMs: number;
  readonly peakExecutors: number;
  /** ms from the job's start to the first lease (cold start and queue fill). */
  readonly firstLeaseMs: number | null;
  /** Executors over time: from samples if any, else executors between first and last attempt. */
  readonly executorSeries: Series;
  readonly executorSeriesSource: 'samples' | 'attempts';
  readonly queueVisible: Series | null;
  readonly queueInFlight: Series | null;
  /** Executors busy with an attempt, averaged over the same bins as the GFLOP/s series. */
  readonly busy: Series;
  readonly gflopsSeries: Series;
  /** Executor-seconds (billed Lambda duration), from samples if any, else attempt spans. */
  readonly executorSeconds: number;
  readonly executorSecondsSource: 'samples' | 'attempts';
  readonly criticalPath: CriticalPath;
  /** Busy time divided by the executors available: no schedule can beat this. */
  readonly workBoundS: number;
  /** The task in words (`trsm L[3,1] ← …`) when the header carries the program, else null. */
  readonly describe: (task: string) => string | null;
  readonly warnings: readonly string[];
}

const STEPS = ['read', 'compute', 'write', 'mark', 'ack'] as const;

/** Natural order: w2 before w10. */
const collator = new Intl.Collator('en', { numeric: true });

/** Derives the report's figures from a trace. */
export function analyzeTrace(trace: TraceFile, options: { bins?: number } = {}): RunAnalysis {
  const { header, summary, samples } = trace;
  const warnings = [...trace.warnings];

  let first = Infinity;
  let last = -Infinity;
  for (const a of trace.attempts) {
    first = Math.min(first, a.t.lease);
    last = Math.max(last, attemptEnd(a));
  }
  for (const s of samples) {
    first = Math.min(first, s.time);
    last = Math.max(last, s.time);
  }
  const t0 = Number.isFinite(first) ? Math.min(header.startedAt, first) : header.startedAt;
  if (summary) last = Math.max(last, header.startedAt + summary.wall_s * 1000);
  const spanMs = Math.max(1, Number.isFinite(last) ? last - t0 : 1);
  const wallS = summary?.wall_s ?? spanMs / 1000;

  const executors = [...new Set(trace.attempts.map((a) => a.executor))].sort(collator.compare);
  const rowOf = new Map(executors.map((e, i) => [e, i]));

  const attempts: AttemptSpan[] = trace.attempts.map((rec) => spanOf(rec, t0, rowOf.get(rec.executor)!));
  attempts.sort((a, b) => a.start - b.start || a.row - b.row);

  // Per-kernel totals.
  const byKernel = new Map<string, { spans: AttemptSpan[] }>();
  for (const a of attempts) {
    let k = byKernel.get(a.rec.kernel);
    if (!k) byKernel.set(a.rec.kernel, (k = { spans: [] }));
    k.spans.push(a);
  }
  const kernels: KernelStats[] = [...byKernel.entries()].map(([kernel, { spans }]) => {
    const ok = spans.filter((s) => s.rec.outcome === 'ok');
    return {
      kernel,
      attempts: spans.length,
      ok: ok.length,
      readMs: sum(spans, (s) => s.readMs),
      computeMs: sum(spans, (s) => s.computeMs),
      waitMs: sum(spans, (s) => s.waitMs),
      writeMs: sum(spans, (s) => s.writeMs),
      otherMs: sum(spans, (s) => s.otherMs),
      flops: sum(ok, (s) => s.rec.flops),
      medianMs: median(ok.map((s) => s.end - s.start)),
      medianComputeMs: median(ok.map((s) => s.computeMs)),
    };
  });
  kernels.sort((a, b) => total(b) - total(a) || a.kernel.localeCompare(b.kernel));

  const okAttempts = attempts.filter((a) => a.rec.outcome === 'ok');
  const totalFlops = sum(okAttempts, (a) => a.rec.flops);
  // An executor may work on several attempts at once (its task slots overlap store round trips
  // with kernels): its busy time is the union of its attempts, not their sum.
  const busyMs = unionPerRow(attempts);

  // Executors alive: from each executor's first lease to its last step.
  const life = new Map<number, [number, number]>();
  for (const a of attempts) {
    const l = life.get(a.row);
    if (!l) life.set(a.row, [a.start, a.end]);
    else { l[0] = Math.min(l[0], a.start); l[1] = Math.max(l[1], a.end); }
  }
  const alive = concurrency([...life.values()]);
  const useSamples = samples.length >= 2;
  const sortedSamples = [...samples].sort((a, b) => a.time - b.time);
  const sampleSeries = (f: (s: SampleTrace) => number): Series => ({
    t: sortedSamples.map((s) => (s.time - t0) / 1000),
    v: sortedSamples.map(f),
  });
  const executorSeries = useSamples ? sampleSeries((s) => s.executors) : alive;
  const peakExecutors = Math.max(maxOf(executorSeries.v), maxOf(alive.v));

  let executorSeconds = 0;
  if (useSamples) {
    for (let i = 0; i + 1 < sortedSamples.length; i++) {
      executorSeconds += sortedSamples[i]!.executors * (sortedSamples[i + 1]!.time - sortedSamples[i]!.time) / 1000;
    }
  } else {
    for (const [s, e] of life.values()) executorSeconds += (e - s) / 1000;
  }

  const bins = options.bins ?? gflopsBins(spanMs, okAttempts);
  const executorsAvailable = header.workers > 0 ? header.workers : Math.max(1, peakExecutors);
  let bound: BoundProgram | null = null;
  if (header.program !== undefined && header.args !== undefined) {
    try {
      bound = bindTraced(header.program, header.args);
    } catch (e) {
      warnings.push(`cannot use the program in the trace header: ${(e as Error).message}`);
    }
  }
  const cp = criticalPath(header, kernels, bound, warnings);
  if (cp.seconds !== null && cp.seconds > wallS * 1.0001) {
    warnings.push(`the critical path (${cp.seconds.toFixed(3)} s) is longer than the achieved time (${wallS.toFixed(3)} s): check the header's criticalPath`);
  }
  const firstLeaseMs = attempts.length > 0 ? attempts[0]!.start - (header.startedAt - t0) : null;

  return {
    header, summary, t0, spanMs, wallS, executors, attempts, kernels,
    okAttempts: okAttempts.length,
    reexecuted: attempts.filter((a) => a.reexecuted).length,
    tasksDone: new Set(okAttempts.map((a) => a.rec.task)).size,
    totalFlops,
    gflops: summary?.gflops ?? (wallS > 0 ? totalFlops / wallS / 1e9 : 0),
    busyMs,
    peakExecutors,
    firstLeaseMs,
    executorSeries,
    executorSeriesSource: useSamples ? 'samples' : 'attempts',
    queueVisible: useSamples ? sampleSeries((s) => s.queueVisible) : null,
    queueInFlight: useSamples ? sampleSeries((s) => s.queueInFlight) : null,
    busy: busyOverTime(attempts, spanMs, bins),
    gflopsSeries: gflopsOverTime(okAttempts, spanMs, bins),
    executorSeconds,
    executorSecondsSource: useSamples ? 'samples' : 'attempts',
    criticalPath: cp,
    workBoundS: busyMs / 1000 / executorsAvailable,
    describe: (task) => {
      if (!bound) return null;
      try {
        return bound.describe(parseTaskKey(task));
      } catch {
        return null; // a task key from another program version: show the key alone
      }
    },
    warnings,
  };
}

/** The last timestamp an attempt reached (epoch ms). */
export function attemptEnd(a: TaskAttemptTrace): number {
  let end = a.t.lease;
  for (const k of STEPS) {
    const v = a.t[k];
    if (v !== undefined) end = Math.max(end, v);
  }
  return end;
}

function spanOf(rec: TaskAttemptTrace, t0: number, row: number): AttemptSpan {
  const d = { read: 0, compute: 0, write: 0, mark: 0, ack: 0 };
  let prev = rec.t.lease;
  for (const k of STEPS) {
    const v = rec.t[k];
    if (v === undefined) continue;
    d[k] = Math.max(0, v - prev);
    prev = Math.max(prev, v);
  }
  // Where the kernel ran on a thread shared by task slots, its own time is the compute; the
  // rest of the phase was spent waiting for the thread.
  const { kernelStart, kernelEnd } = rec.t;
  const own = kernelStart !== undefined && kernelEnd !== undefined && rec.t.compute !== undefined
    ? Math.min(d.compute, Math.max(0, kernelEnd - kernelStart)) : d.compute;
  const readEnd = rec.t.read ?? rec.t.lease;
  return {
    rec, row,
    start: rec.t.lease - t0,
    end: prev - t0,
    readMs: d.read,
    computeMs: own,
    computeStart: (kernelStart ?? readEnd) - t0,
    waitMs: d.compute - own,
    writeMs: d.write,
    otherMs: d.mark + d.ack,
    reexecuted: rec.attempt > 1 || rec.outcome !== 'ok',
  };
}

/**
 * The critical path, best source first: the header's duration; the DAG of the header's program
 * weighted by per-kernel medians; the header's kernels on the path × medians; the header's path
 * length × the frequency-weighted median.
 */
function criticalPath(header: TraceHeader, kernels: readonly KernelStats[], bound: BoundProgram | null, warnings: string[]): CriticalPath {
  const cp = header.criticalPath;
  if (cp?.seconds !== undefined) return { seconds: cp.seconds, tasks: cp.tasks, source: 'from the trace header' };
  const med = new Map(kernels.map((k) => [k.kernel, k.medianMs]));
  if (bound) {
    try {
      const path = dagCriticalPath(bound, (k) => (med.get(k) ?? 0) / 1000);
      if (path) {
        const parts = Object.entries(path.kernels).map(([k, n]) => `${n} ${k}`).join(', ');
        return { seconds: path.seconds, tasks: path.tasks, source: `longest path through the DAG (${parts}), each task at its kernel's median time` };
      }
      warnings.push('the DAG is too large to trace its critical path in the report');
    } catch (e) {
      warnings.push(`cannot traverse the DAG of the traced program: ${(e as Error).message}`);
    }
  }
  if (!cp) return { seconds: null, tasks: null, source: 'not in the trace header' };
  if (cp.kernels) {
    let ms = 0;
    for (const [k, n] of Object.entries(cp.kernels)) ms += n * (med.get(k) ?? 0);
    return { seconds: ms / 1000, tasks: cp.tasks, source: 'estimated: Σ kernels on the path × their median task time' };
  }
  // Only a length: weight each kernel's median by how often the kernel ran.
  const ok = sum(kernels, (k) => k.ok);
  const mean = ok > 0 ? sum(kernels, (k) => k.ok * k.medianMs) / ok : 0;
  return { seconds: (cp.tasks * mean) / 1000, tasks: cp.tasks, source: 'estimated: path length × per-kernel median task time (weighted by kernel frequency)' };
}

/** Step function of how many intervals are open over time (t in seconds). */
function concurrency(intervals: readonly (readonly [number, number])[]): Series {
  const ev: [number, number][] = [];
  for (const [s, e] of intervals) { ev.push([s, 1]); ev.push([e, -1]); }
  ev.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const t: number[] = [0];
  const v: number[] = [0];
  let n = 0;
  for (const [time, d] of ev) {
    n += d;
    if (t[t.length - 1] === time / 1000) v[v.length - 1] = n;
    else { t.push(time / 1000); v.push(n); }
  }
  return { t, v };
}

/** Total over rows of the length of the union of each row's attempt intervals. */
function unionPerRow(spans: readonly AttemptSpan[]): number {
  const byRow = new Map<number, AttemptSpan[]>();
  for (const s of spans) {
    const l = byRow.get(s.row);
    if (l) l.push(s);
    else byRow.set(s.row, [s]);
  }
  let total = 0;
  for (const list of byRow.values()) {
    list.sort((a, b) => a.start - b.start);
    let from = -Infinity, to = -Infinity;
    for (const s of list) {
      if (s.start > to) {
        if (to > from) total += to - from;
        from = s.start;
        to = s.end;
      } else if (s.end > to) to = s.end;
    }
    if (to > from) total += to - from;
  }
  return total;
}

/** Attempts in progress over time, time-averaged per bin (= executors busy on average). */
function busyOverTime(spans: readonly AttemptSpan[], spanMs: number, bins: number): Series {
  const width = spanMs / bins;
  const busy = new Float64Array(bins);
  for (const a of spans) {
    for (let b = Math.max(0, Math.floor(a.start / width)); b < bins && b * width < a.end; b++) {
      const overlap = Math.min(a.end, (b + 1) * width) - Math.max(a.start, b * width);
      if (overlap > 0) busy[b]! += overlap;
    }
  }
  return { t: Array.from({ length: bins }, (_, b) => (b * width) / 1000), v: Array.from(busy, (ms) => ms / width) };
}

/**
 * Bins of the GFLOP/s and busy series: about two median compute phases wide, so a bin averages over a
 * few tasks per executor instead of flickering between 0 and a peak; 20 to 120 bins.
 */
function gflopsBins(spanMs: number, ok: readonly AttemptSpan[]): number {
  const m = median(ok.map((a) => a.computeMs));
  return Math.max(20, Math.min(120, Math.floor(spanMs / Math.max(1e-3, 2 * m))));
}

/** Flops of each attempt spread evenly over its compute phase, binned; GFLOP/s per bin. */
function gflopsOverTime(ok: readonly AttemptSpan[], spanMs: number, bins: number): Series {
  const width = spanMs / bins;
  const flops = new Float64Array(bins);
  for (const a of ok) {
    if (a.rec.flops <= 0) continue;
    const s = a.computeStart;
    const e = s + a.computeMs;
    if (e <= s) { flops[Math.min(bins - 1, Math.floor(e / width))]! += a.rec.flops; continue; }
    const rate = a.rec.flops / (e - s);
    for (let b = Math.max(0, Math.floor(s / width)); b < bins && b * width < e; b++) {
      const overlap = Math.min(e, (b + 1) * width) - Math.max(s, b * width);
      if (overlap > 0) flops[b]! += rate * overlap;
    }
  }
  const t: number[] = [];
  const v: number[] = [];
  for (let b = 0; b < bins; b++) {
    t.push((b * width) / 1000);
    v.push(flops[b]! / (width / 1000) / 1e9);
  }
  return { t, v };
}

function sum<T>(xs: readonly T[], f: (x: T) => number): number {
  let s = 0;
  for (const x of xs) s += f(x);
  return s;
}

/** Largest value, 0 for none (no spread: series can hold 100k+ points). */
function maxOf(xs: readonly number[]): number {
  let m = 0;
  for (const x of xs) if (x > m) m = x;
  return m;
}

function total(k: KernelStats): number {
  return k.readMs + k.computeMs + k.writeMs + k.otherMs;
}
