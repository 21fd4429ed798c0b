/**
 * `lapwing chaos ALGORITHM …`: fault-tolerance experiments. Runs a job while killing a fraction
 * of its executors at random times (NumPyWren killed 25% after 60 s), lets the driver's
 * autoscaling loop replace them, and checks the result.
 *
 * Backends: `local` terminates executor threads; `aws` SIGKILLs executor processes (the AWS
 * backend with process executors, against the endpoints of the environment or, with
 * `--emulate`, emulators started for the run) — a killed process acks nothing and cleans up
 * nothing, so its task comes back when its lease expires.
 *
 * Sequence: open the backend and its executors → a tiny warm-up job (start-up and kernel loading
 * are not part of the figures) → with --baseline, the same job without faults → the job with
 * kills → residual check → the experiment's matrices are deleted.
 *
 * Kills land on any live executor, including one still starting (its kernel thread not yet
 * ready); `--kill-at-start K` also kills the first K executors launched during the experiment
 * the moment they are launched, so that start-up is always hit.
 *
 * Figures (from the executors' attempt traces and the kill log):
 * - killed: executors terminated;
 * - killed_starting: of those, executors killed before their kernel thread was ready;
 * - reexecuted: task attempts that were redeliveries (attempt > 1) and ran to completion;
 * - recovery_s: longest time from a kill to the completion of a task redelivered after it;
 * - wasted_core_s: work lost with the killed executors — for each, the time from its last
 *   completed task (or its start) to its kill;
 * - overhead_pct (with --baseline): wall time against a fault-free run of the same job.
 */
import { Command } from 'commander';
import { lapwing, type Lapwing } from '../../library/session.ts';
import type { BlockMatrix } from '../../library/matrix.ts';
import type { SampleTrace, TaskAttemptTrace, TraceRecord } from '../../core/interfaces.ts';
import type { Program } from '../../../lang/index.ts';
import { TraceWriter, type TraceSummary } from '../../tracing/trace-file.ts';
import type { LocalBackend } from '../../backends/local/index.ts';
import { loadKernels, seededRandom } from '../../../kernels/index.ts';
import { openAws, positiveInt, printSummary } from '../common.ts';
import { UserError } from '../errors.ts';
import { TOLERANCE } from './algorithms.ts';
import { errorMessage } from '../../core/util.ts';

interface ChaosOptions {
  n: string;
  block: string;
  workers: string;
  killFraction: string;
  after: string;
  lease: string;
  backend: string;
  emulate?: boolean;
  kernels?: string;
  seed: string;
  baseline?: boolean;
  json?: boolean;
  trace?: string;
  killAtStart: string;
}

/** "2s", "500ms", "1.5" (seconds) → milliseconds. */
export function parseDuration(s: string, what: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(s.trim());
  if (!m) throw new UserError(`${what} must be a duration like 2s or 500ms, got '${s}'`);
  const v = Number(m[1]);
  return m[2] === 'ms' ? v : m[2] === 'm' ? v * 60_000 : v * 1000;
}

export function register(cli: Command): void {
  cli.command('chaos')
    .description('fault-tolerance experiment: run a job while killing executors at random times; exit 0 iff the result is correct')
    .argument('<algorithm>', 'cholesky (the algorithm to run)')
    .option('--n <n>', 'matrix size', '2048')
    .option('--block <b>', 'block size', '256')
    .option('--workers <w>', 'executors', '4')
    .option('--kill-fraction <f>', 'fraction of the executors to kill (0..1)', '0.5')
    .option('--after <t>', 'first kill after this long; kills spread over the same span again', '2s')
    .option('--lease <t>', 'lease visibility timeout (a killed task comes back after it)', '2s')
    .option('--backend <name>', 'local (threads terminated) or aws (executor processes SIGKILLed)', 'local')
    .option('--emulate', 'aws: start S3/SQS/DynamoDB emulators on 127.0.0.1 for this run')
    .option('--kernels <name>', 'kernel backend')
    .option('--seed <s>', 'seed of the kill schedule and the matrix', '1')
    .option('--kill-at-start <k>', 'local: also kill the first k executors launched during the job, while they start', '0')
    .option('--baseline', 'first run the same job without faults and report the overhead')
    .option('--trace <file>', 'record the attempts of the job with kills to a JSON Lines trace (see `lapwing report`)')
    .option('--json', 'one JSON object on the last line')
    .action(async (alg: string, o: ChaosOptions) => {
      if (alg !== 'cholesky') throw new UserError(`chaos runs: cholesky (got '${alg}')`);
      if (o.backend !== 'local' && o.backend !== 'aws') throw new UserError(`unknown backend '${o.backend}' (choose local or aws)`);
      if (o.emulate && o.backend !== 'aws') throw new UserError('--emulate goes with --backend aws');
      const killAtStart = Number(o.killAtStart);
      if (!Number.isInteger(killAtStart) || killAtStart < 0) throw new UserError(`--kill-at-start must be a whole number, got '${o.killAtStart}'`);
      if (killAtStart > 0 && o.backend !== 'local') throw new UserError('--kill-at-start goes with --backend local');
      const frac = Number(o.killFraction);
      if (!(frac >= 0 && frac <= 1)) throw new UserError(`--kill-fraction must be between 0 and 1, got '${o.killFraction}'`);
      const r = await chaos({
        n: positiveInt(o.n, '--n'),
        block: positiveInt(o.block, '--block'),
        workers: positiveInt(o.workers, '--workers'),
        killFraction: frac,
        afterMs: parseDuration(o.after, '--after'),
        leaseMs: parseDuration(o.lease, '--lease'),
        kernels: (await loadKernels(o.kernels ?? process.env.LAPWING_KERNELS ?? 'auto')).backend.name,
        seed: positiveInt(o.seed, '--seed'),
        baseline: o.baseline === true,
        backend: o.backend,
        emulate: o.emulate === true,
        killAtStart,
        ...(o.trace !== undefined ? { trace: o.trace } : {}),
      });
      if (r.killed === 0 && r.kill_fraction > 0) {
        process.stderr.write(`lapwing chaos: no executor was killed — the job took ${r.wall_s.toFixed(2)} s, less than --after ${o.after}; use a larger --n or a shorter --after\n`);
      }
      printSummary(o.json === true, { ...r }, Object.entries(r).map(([k, v]) => `${k.padEnd(16)} ${typeof v === 'number' && !Number.isInteger(v) ? +v.toPrecision(4) : v}`));
      if (!r.ok) process.exitCode = 1;
    });
}

export interface ChaosConfig {
  n: number;
  block: number;
  workers: number;
  killFraction: number;
  afterMs: number;
  leaseMs: number;
  kernels: string;
  seed: number;
  baseline: boolean;
  /** 'local' (default) or 'aws' (process executors). */
  backend?: 'local' | 'aws';
  /** aws: start emulators for the run instead of using the environment's endpoints. */
  emulate?: boolean;
  /** local: kill the first this many executors launched during the job, while they start. */
  killAtStart?: number;
  /** Write the faulty job's attempts and queue samples to this trace file. */
  trace?: string;
}

export interface ChaosResult {
  algorithm: string;
  backend: string;
  n: number;
  block: number;
  workers: number;
  kill_fraction: number;
  killed: number;
  killed_starting: number;
  reexecuted: number;
  recovery_s: number;
  wasted_core_s: number;
  wall_s: number;
  baseline_wall_s?: number;
  overhead_pct?: number;
  residual: number;
  ok: boolean;
}

/** A session whose executors can be listed and killed. */
interface Rig {
  readonly lw: Lapwing;
  /** Live executors. */
  ids(): string[];
  /** Kills one executor at once, without cleanup; true if it was still starting. */
  kill(id: string): boolean;
  /** Calls `f` with the id of each executor launched from now on, the moment it is launched. */
  onLaunch(f: (id: string) => void): void;
  close(): Promise<void>;
}

/** Session hooks of the rigs: executor attempts, the driver's queue samples, the job's start. */
interface Hooks {
  onTrace(r: TraceRecord): void;
  onSample(r: SampleTrace): void;
  onJobStart(j: { jobId: string; program: Program; args: Readonly<Record<string, number>> }): void;
}

/** Runs the experiment. */
export async function chaos(c: ChaosConfig): Promise<ChaosResult> {
  const attempts: TaskAttemptTrace[] = [];
  // Only the job with kills goes to the trace file: warm-up and baseline are not the experiment.
  let recording = false;
  const writer = c.trace !== undefined ? new TraceWriter() : null;
  let opened: Promise<void> | null = null;
  const hooks: Hooks = {
    onTrace: (r) => {
      if (r.type === 'attempt') attempts.push(r);
      if (recording) writer?.write(r);
    },
    onSample: (r) => {
      if (recording) writer?.write(r);
    },
    onJobStart: (j) => {
      if (!recording || !writer || opened) return;
      opened = writer.open(c.trace!, {
        job: j.jobId, startedAt: Date.now(), algorithm: 'cholesky', n: c.n, block: c.block,
        backend: c.backend ?? 'local', kernels: c.kernels, workers: c.workers, program: j.program, args: j.args,
      });
    },
  };
  const rig = c.backend === 'aws' ? await awsRig(c, hooks) : await localRig(c, hooks);
  const { lw } = rig;
  const made: BlockMatrix[] = [];
  let summary: Omit<TraceSummary, 'type'> = { wall_s: 0, ok: false, error: 'the experiment did not finish' };
  try {
    const a = await lw.randomSpd(c.n, { block: c.block, seed: c.seed });
    made.push(a);
    await warm(lw, c, made);
    let baselineWall: number | undefined;
    if (c.baseline) {
      made.push(await lw.cholesky(a));
      baselineWall = lw.last!.wallS;
    }
    attempts.length = 0;

    // When each executor was first seen: the start of the work a kill can waste.
    const t0 = Date.now();
    const firstSeen = new Map<string, number>();
    const see = (): void => {
      for (const id of rig.ids()) if (!firstSeen.has(id)) firstSeen.set(id, Date.now());
    };
    see();
    const watcher = setInterval(see, 50);
    const random = seededRandom(c.seed);
    const kills: { id: string; at: number; starting: boolean }[] = [];
    const killNow = (id: string): void => {
      see();
      const at = Date.now();
      kills.push({ id, at, starting: rig.kill(id) });
    };
    let atStart = c.killAtStart ?? 0;
    let running = true;
    rig.onLaunch((id) => {
      if (!running || atStart <= 0) return;
      atStart--;
      killNow(id);
    });
    const toKill = Math.round(c.killFraction * c.workers);
    const timers = Array.from({ length: toKill }, () => setTimeout(() => {
      // Any live executor may be hit, one that is still starting included.
      const ids = rig.ids().filter((id) => !kills.some((k) => k.id === id));
      if (ids.length === 0) return;
      killNow(ids[Math.floor(random() * ids.length)]!);
    }, c.afterMs + random() * c.afterMs));
    let l: BlockMatrix;
    recording = true;
    try {
      l = await lw.cholesky(a);
      made.push(l);
    } finally {
      recording = false;
      running = false;
      for (const t of timers) clearTimeout(t);
      clearInterval(watcher);
    }
    const wall = lw.last!.wallS;
    const residual = await lw.residual.cholesky(a, l);
    const redone = attempts.filter((t) => t.outcome === 'ok' && t.attempt > 1);
    let recovery = 0;
    for (const t of redone) {
      const kill = kills.filter((k) => k.at <= t.t.lease).at(-1);
      if (kill && t.t.ack !== undefined) recovery = Math.max(recovery, (t.t.ack - kill.at) / 1000);
    }
    let wasted = 0;
    for (const k of kills) {
      const last = attempts
        .filter((t) => t.executor === k.id && t.t.ack !== undefined && t.t.ack <= k.at)
        .reduce((m, t) => Math.max(m, t.t.ack!), firstSeen.get(k.id) ?? t0);
      wasted += Math.max(0, k.at - last) / 1000;
    }
    const result: ChaosResult = {
      algorithm: 'cholesky',
      backend: c.backend ?? 'local',
      n: c.n,
      block: c.block,
      workers: c.workers,
      kill_fraction: c.killFraction,
      killed: kills.length,
      killed_starting: kills.filter((k) => k.starting).length,
      reexecuted: redone.length,
      recovery_s: recovery,
      wasted_core_s: wasted,
      wall_s: wall,
      ...(baselineWall !== undefined ? { baseline_wall_s: baselineWall, overhead_pct: (100 * (wall - baselineWall)) / baselineWall } : {}),
      residual,
      ok: Number.isFinite(residual) && residual <= TOLERANCE,
    };
    summary = { wall_s: wall, residual, ok: result.ok, tasks: lw.last!.tasks };
    return result;
  } catch (e) {
    summary = { ...summary, error: errorMessage(e) };
    throw e;
  } finally {
    if (writer) {
      await opened;
      await writer.close(summary);
    }
    // A real stack keeps what is written to it: remove the experiment's matrices.
    await Promise.all(made.map(async (m) => lw.backend.blocks.delete(await lw.backend.blocks.list(`${m.prefix}/`)))).catch(() => undefined);
    await rig.close();
  }
}

async function localRig(c: ChaosConfig, hooks: Hooks): Promise<Rig> {
  const lw = await lapwing({ workers: c.workers, kernels: c.kernels, visibilityMs: c.leaseMs, ...hooks });
  const { launcher } = lw.backend as LocalBackend;
  return {
    lw,
    ids: () => launcher.ids(),
    kill: (id) => {
      const starting = launcher.isStarting(id);
      void launcher.kill(id);
      return starting;
    },
    onLaunch: (f) => {
      launcher.onLaunch = f;
    },
    close: () => lw.close(),
  };
}

/**
 * The AWS backend with process executors (SIGKILL is a real kill: no cleanup, no ack), on the
 * environment's endpoints or on emulators started here.
 */
async function awsRig(c: ChaosConfig, hooks: Hooks): Promise<Rig> {
  // Executors must outlive the pauses between warm-up, baseline and the experiment.
  const { backend, stop } = await openAws(
    { executors: 'process', ...(c.emulate ? { emulate: true } : {}) },
    { kernels: c.kernels, visibilityMs: c.leaseMs, idleTimeoutMs: 300_000, pollMs: 200 },
    hooks.onTrace,
  );
  try {
    const { launcher } = backend;
    // Process executors can be killed (SIGKILL: no cleanup, no ack); Lambda ones cannot.
    const ids = launcher.ids?.bind(launcher);
    const kill = launcher.kill?.bind(launcher);
    if (!ids || !kill) throw new UserError(`chaos needs executors it can kill; the ${backend.name} launcher cannot`);
    const lw = await lapwing({ backend, workers: c.workers, kernels: c.kernels, block: c.block, onSample: hooks.onSample, onJobStart: hooks.onJobStart });
    await lw.start();
    await launcher.ready?.();
    return {
      lw,
      ids,
      kill: (id) => {
        void kill(id);
        return false;
      },
      // Launches are not observed on this backend (--kill-at-start is local only).
      onLaunch: () => undefined,
      close: async () => {
        try {
          await lw.close();
        } finally {
          await stop();
        }
      },
    };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** A tiny job first, so executor start-up and kernel loading are not part of the figures. */
async function warm(lw: Lapwing, c: ChaosConfig, made: BlockMatrix[]): Promise<void> {
  const w = await lw.randomSpd(Math.min(c.n, 2 * c.block), { block: c.block });
  made.push(w, await lw.cholesky(w));
}
