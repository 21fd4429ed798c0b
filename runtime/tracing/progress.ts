/**
 * Progress of a running job for people watching a terminal.
 *
 * - On a TTY: a live `cli-progress` bar — tasks done/total, running executors, GFLOP/s, ETA.
 * - Otherwise (CI logs, pipes): one plain line at the first update, then at most one every
 *   `intervalMs` (default 3 s), and a last line at stop(), e.g.
 *   `cholesky: 512/816 tasks, 2 executors, 95.1 GFLOP/s, eta 1.2s`.
 * - `quiet`: nothing at all.
 *
 * update() is cheap and never throws (a closed stream must not fail the run); stop() is
 * idempotent. The total can change with an update, and never shows below `done`. The ETA is
 * remaining × elapsed ÷ done in both modes. Time comes from the injectable `now` so both paths
 * test without sleeping.
 */
import { SingleBar } from 'cli-progress';

/** A figure for the progress display. */
export interface ProgressUpdate {
  readonly done: number;
  /** A new total, when it becomes known or changes (e.g. once the DAG is expanded). */
  readonly total?: number;
  /** Executors running now. */
  readonly running?: number;
  /** Recent GFLOP/s. */
  readonly gflops?: number;
}

export interface Progress {
  update(p: ProgressUpdate): void;
  stop(): void;
}

/** Where progress goes: a process stream, or anything writable (tests use a PassThrough). */
export type ProgressStream = NodeJS.WritableStream & { isTTY?: boolean; columns?: number };

export interface ProgressOptions {
  readonly total: number;
  readonly label: string;
  readonly quiet?: boolean;
  /** Default process.stderr (stdout stays clean for results). */
  readonly stream?: ProgressStream;
  /** Minimum ms between plain lines when not a TTY (default 3000). */
  readonly intervalMs?: number;
  /** Clock in ms (default Date.now). */
  readonly now?: () => number;
}

/**
 * Creates the progress display for a job of `total` tasks.
 *
 * @example
 * const progress = createProgress({ total: dag.tasks, label: 'cholesky', quiet: flags.quiet });
 * progress.update({ done: 512, running: 2, gflops: 95.1 });
 * progress.stop();
 */
export function createProgress(opts: ProgressOptions): Progress {
  if (opts.quiet) return { update() {}, stop() {} };
  const stream: ProgressStream = opts.stream ?? process.stderr;
  return stream.isTTY === true ? ttyProgress(opts, stream) : lineProgress(opts, stream);
}

/** `, 2 executors, 95.1 GFLOP/s` — only the figures that were given. */
function extras(p: ProgressUpdate): string {
  let s = '';
  if (p.running !== undefined) s += `, ${p.running} executor${p.running === 1 ? '' : 's'}`;
  if (p.gflops !== undefined && Number.isFinite(p.gflops)) s += `, ${p.gflops.toFixed(1)} GFLOP/s`;
  return s;
}

/** 0.4s, 12.0s, 3m05s, 1h02m. */
export function formatEta(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  if (seconds < 60) return `${seconds.toFixed(1)}s`;
  const s = Math.round(seconds);
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** Keeps the total (updatable, never below done) and estimates the time left. */
function tracker(opts: ProgressOptions): { total: (p: ProgressUpdate) => number; eta: (done: number, total: number) => string; elapsed: () => number } {
  const now = opts.now ?? Date.now;
  const start = now();
  let total = opts.total;
  return {
    total(p) {
      if (p.total !== undefined && Number.isFinite(p.total)) total = p.total;
      return Math.max(total, p.done);
    },
    eta(done, t) {
      const elapsed = (now() - start) / 1000;
      return done > 0 ? formatEta(((t - done) * elapsed) / done) : '?';
    },
    elapsed: () => (now() - start) / 1000,
  };
}

function lineProgress(opts: ProgressOptions, stream: ProgressStream): Progress {
  const now = opts.now ?? Date.now;
  const interval = opts.intervalMs ?? 3000;
  const track = tracker(opts);
  let last: ProgressUpdate | null = null;
  let lastPrinted = -Infinity;
  let printedLast: ProgressUpdate | null = null;
  let stopped = false;

  const line = (p: ProgressUpdate, final: boolean): string => {
    const total = track.total(p);
    const tail = final || p.done >= total ? `, took ${formatEta(track.elapsed())}` : `, eta ${track.eta(p.done, total)}`;
    return `${opts.label}: ${p.done}/${total} tasks${extras(p)}${tail}\n`;
  };
  const print = (p: ProgressUpdate, final: boolean): void => {
    try {
      stream.write(line(p, final));
    } catch {
      // A closed stderr must not stop the run.
    }
    printedLast = p;
    lastPrinted = now();
  };

  return {
    update(p) {
      if (stopped) return;
      last = p;
      if (now() - lastPrinted >= interval) print(p, false);
    },
    stop() {
      if (stopped) return;
      stopped = true;
      if (last && printedLast !== last) print(last, true);
    },
  };
}

function ttyProgress(opts: ProgressOptions, stream: ProgressStream): Progress {
  const bar = new SingleBar({
    stream,
    // {etaText} is ours: cli-progress prints "NFs" before the first task is done.
    format: '{label} {bar} {value}/{total} tasks{extras} | ETA {etaText}',
    barsize: 28,
    hideCursor: true,
    clearOnComplete: false,
    fps: 8,
  });
  const track = tracker(opts);
  let total = opts.total;
  let started = false;
  let stopped = false;
  const safe = (f: () => void): void => {
    try {
      f();
    } catch {
      // Rendering problems (a resized or closed terminal) must not stop the run.
    }
  };
  return {
    update(p) {
      if (stopped) return;
      safe(() => {
        const t = track.total(p);
        const payload = { label: opts.label, extras: extras(p), etaText: p.done >= t ? '0s' : track.eta(p.done, t) };
        if (!started) {
          bar.start(t, p.done, payload);
          started = true;
        } else {
          if (t !== total) bar.setTotal(t);
          bar.update(p.done, payload);
        }
        total = t;
      });
    },
    stop() {
      if (stopped) return;
      stopped = true;
      if (started) safe(() => bar.stop());
    },
  };
}
