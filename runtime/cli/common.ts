/**
 * Options and helpers shared by the job commands (cholesky, matmul, solve, tsqr, run, bench).
 */
import type { Command } from 'commander';
import { availableParallelism } from 'node:os';
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
  const block = Number(o.block);
  const tracer = o.trace ? await makeTracer(o.trace, { algorithm: label, backend: o.backend, kernels, block }) : null;
  const lw = await lapwing({
    ...(workers !== undefined ? { workers } : {}),
    kernels,
    onProgress: progress.update,
    ...(tracer
      ? {
          onTrace: tracer.write,
          onSample: tracer.write,
          onJobStart: (j) => tracer.start({ job: j.jobId, program: j.program, args: j.args, workers: workers ?? availableParallelism() }),
        }
      : {}),
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
      bar.update({ done: p.tasksDone, total, running: p.executors, gflops: p.elapsedS > 0 ? p.flops / p.elapsedS / 1e9 : 0 });
    },
    stop: () => bar?.stop(),
  };
}

interface Tracer {
  write: (r: TraceRecord) => void;
  /** Opens the file with the job's header; records before it are kept and written after it. */
  start: (header: Record<string, unknown>) => void;
  close: (summary?: Record<string, unknown>) => Promise<void>;
}

async function makeTracer(path: string, base: Record<string, unknown>): Promise<Tracer> {
  const mod = await import('../report/trace-file.ts');
  let error: Error | null = null;
  const w = new mod.TraceWriter({ onError: (e) => (error = e) });
  const early: TraceRecord[] = [];
  let opened: Promise<void> | null = null;
  let open = false;
  return {
    write: (r) => {
      if (open) w.write(r);
      else early.push(r);
    },
    start: (header) => {
      if (opened) return;
      opened = w.open(path, { startedAt: Date.now(), ...base, ...header } as Parameters<typeof w.open>[1]).then(() => {
        open = true;
        for (const r of early.splice(0)) w.write(r);
      });
    },
    close: async (summary) => {
      await opened;
      await w.close({ ok: true, wall_s: 0, ...summary } as Parameters<typeof w.close>[0]);
      if (error) throw new UserError(`writing the trace ${path} failed: ${String(error)}`);
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
