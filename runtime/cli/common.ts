/**
 * Options and helpers shared by the job commands (cholesky, matmul, solve, tsqr, run, bench).
 */
import type { Command } from 'commander';
import { loadKernels } from '../../kernels/index.ts';
import { lapwing, type Lapwing } from '../session.ts';
import type { JobProgress } from '../driver.ts';
import type { TraceRecord } from '../interfaces.ts';
import { UserError } from './errors.ts';

export interface JobOptions {
  backend: string;
  workers?: string;
  kernels?: string;
  block: string;
  quiet?: boolean;
  json?: boolean;
  trace?: string;
}

/** Adds the options every job command takes. */
export function jobOptions(cmd: Command, defaults: { block?: string } = {}): Command {
  return cmd
    .option('--backend <name>', 'where executors run: local', 'local')
    .option('--workers <n>', 'executors (default: one per core)')
    .option('--kernels <name>', 'kernel backend: auto | openblas | wasm | js (default: $LAPWING_KERNELS or auto)')
    .option('--block <b>', 'block size', defaults.block ?? '512')
    .option('--trace <file>', 'record every task attempt to a JSON Lines trace (see `lapwing report`)')
    .option('--json', 'print the summary as one JSON object on the last line')
    .option('-q, --quiet', 'no progress output');
}

export function positiveInt(v: string | undefined, what: string): number {
  const n = Number(v);
  if (v === undefined || !Number.isInteger(n) || n <= 0) throw new UserError(`${what} must be a positive integer, got '${v ?? ''}'`);
  return n;
}

export interface OpenedSession {
  readonly lw: Lapwing;
  readonly kernels: string;
  readonly workers: number;
  /** Stops progress and trace output. */
  finish(summary?: Record<string, unknown>): Promise<void>;
}

/** Validates the options, loads the kernels once here (clear error before any thread starts). */
export async function openSession(o: JobOptions, label: string): Promise<OpenedSession> {
  if (o.backend !== 'local') throw new UserError(`unknown backend '${o.backend}' (this build runs: local)`);
  const workers = o.workers === undefined ? undefined : positiveInt(o.workers, '--workers');
  const choice = o.kernels ?? process.env.LAPWING_KERNELS ?? 'auto';
  const k = await loadKernels(choice);
  const kernels = k.backend.name;
  const progress = await makeProgress(label, o.quiet === true || o.json === true);
  const tracer = o.trace ? await makeTracer(o.trace, { algorithm: label, backend: o.backend, kernels, workers: workers ?? 0 }) : null;
  const lw = await lapwing({
    ...(workers !== undefined ? { workers } : {}),
    kernels,
    onProgress: progress.update,
    ...(tracer ? { onTrace: tracer.write, onSample: tracer.write } : {}),
  });
  let finished = false;
  return {
    lw,
    kernels,
    workers: workers ?? (lw.backend as { workers?: number }).workers ?? 1,
    finish: async (summary) => {
      if (finished) return;
      finished = true;
      progress.stop();
      await tracer?.close(summary);
    },
  };
}

interface ProgressSink {
  update: (p: JobProgress) => void;
  stop: () => void;
}

async function makeProgress(label: string, quiet: boolean): Promise<ProgressSink> {
  if (quiet) return { update: () => undefined, stop: () => undefined };
  const mod = await import('../progress.ts').catch(() => null);
  if (!mod) return { update: () => undefined, stop: () => undefined };
  let bar: ReturnType<typeof mod.createProgress> | null = null;
  return {
    update: (p) => {
      const total = Math.max(p.totalTasks, p.tasksDone);
      bar ??= mod.createProgress({ total, label, stream: process.stderr });
      bar.update({ done: p.tasksDone, running: p.executors, gflops: p.elapsedS > 0 ? p.flops / p.elapsedS / 1e9 : 0 });
    },
    stop: () => bar?.stop(),
  };
}

interface Tracer {
  write: (r: TraceRecord) => void;
  close: (summary?: Record<string, unknown>) => Promise<void>;
}

async function makeTracer(path: string, header: Record<string, unknown>): Promise<Tracer> {
  const mod = await import('../report/trace-file.ts');
  const w = new mod.TraceWriter();
  await w.open(path, { type: 'header', job: '', startedAt: Date.now(), ...header } as Parameters<typeof w.open>[1]);
  return {
    write: (r) => w.write(r),
    close: async (summary) => {
      await w.close(summary as Parameters<typeof w.close>[0]);
    },
  };
}

/** Prints the run summary (human lines, or one JSON line). */
export function printSummary(json: boolean, s: Record<string, unknown>, lines: string[]): void {
  if (json) process.stdout.write(`${JSON.stringify(s)}\n`);
  else process.stdout.write(`${lines.join('\n')}\n`);
}

export function fmtS(s: number): string {
  return s < 10 ? s.toFixed(3) : s.toFixed(1);
}
