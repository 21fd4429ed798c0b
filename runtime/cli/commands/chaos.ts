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
 * Figures (from the executors' attempt traces and the kill log):
 * - killed: executors terminated;
 * - reexecuted: task attempts that were redeliveries (attempt > 1) and ran to completion;
 * - recovery_s: longest time from a kill to the completion of a task redelivered after it;
 * - wasted_core_s: work lost with the killed executors — for each, the time from its last
 *   completed task (or its start) to its kill;
 * - overhead_pct (with --baseline): wall time against a fault-free run of the same job.
 */
import { Command } from 'commander';
import { lapwing, type Lapwing } from '../../library/session.ts';
import type { BlockMatrix } from '../../library/matrix.ts';
import type { TaskAttemptTrace, TraceRecord } from '../../core/interfaces.ts';
import type { LocalBackend } from '../../backends/local/index.ts';
import type { ProcessLauncher } from '../../backends/aws/executors/process-launcher.ts';
import { loadKernels, seededRandom } from '../../../kernels/index.ts';
import { openAws, positiveInt, printSummary } from '../common.ts';
import { UserError } from '../errors.ts';
import { TOLERANCE } from './algorithms.ts';

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
    .option('--baseline', 'first run the same job without faults and report the overhead')
    .option('--json', 'one JSON object on the last line')
    .action(async (alg: string, o: ChaosOptions) => {
      if (alg !== 'cholesky') throw new UserError(`chaos runs: cholesky (got '${alg}')`);
      if (o.backend !== 'local' && o.backend !== 'aws') throw new UserError(`unknown backend '${o.backend}' (choose local or aws)`);
      if (o.emulate && o.backend !== 'aws') throw new UserError('--emulate goes with --backend aws');
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
}

export interface ChaosResult {
  algorithm: string;
  backend: string;
  n: number;
  block: number;
  workers: number;
  kill_fraction: number;
  killed: number;
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
  /** Kills one executor at once, without cleanup. */
  kill(id: string): void;
  close(): Promise<void>;
}

/** Runs the experiment. */
export async function chaos(c: ChaosConfig): Promise<ChaosResult> {
  const attempts: TaskAttemptTrace[] = [];
  const onTrace = (r: TraceRecord): void => {
    if (r.type === 'attempt') attempts.push(r);
  };
  const rig = c.backend === 'aws' ? await awsRig(c, onTrace) : await localRig(c, onTrace);
  const { lw } = rig;
  const made: BlockMatrix[] = [];
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
    const kills: { id: string; at: number }[] = [];
    const toKill = Math.round(c.killFraction * c.workers);
    const timers = Array.from({ length: toKill }, () => setTimeout(() => {
      const ids = rig.ids().filter((id) => !kills.some((k) => k.id === id));
      if (ids.length === 0) return;
      const id = ids[Math.floor(random() * ids.length)]!;
      see();
      kills.push({ id, at: Date.now() });
      rig.kill(id);
    }, c.afterMs + random() * c.afterMs));
    let l: BlockMatrix;
    try {
      l = await lw.cholesky(a);
      made.push(l);
    } finally {
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
    return {
      algorithm: 'cholesky',
      backend: c.backend ?? 'local',
      n: c.n,
      block: c.block,
      workers: c.workers,
      kill_fraction: c.killFraction,
      killed: kills.length,
      reexecuted: redone.length,
      recovery_s: recovery,
      wasted_core_s: wasted,
      wall_s: wall,
      ...(baselineWall !== undefined ? { baseline_wall_s: baselineWall, overhead_pct: (100 * (wall - baselineWall)) / baselineWall } : {}),
      residual,
      ok: Number.isFinite(residual) && residual <= TOLERANCE,
    };
  } finally {
    // A real stack keeps what is written to it: remove the experiment's matrices.
    await Promise.all(made.map(async (m) => lw.backend.blocks.delete(await lw.backend.blocks.list(`${m.prefix}/`)))).catch(() => undefined);
    await rig.close();
  }
}

async function localRig(c: ChaosConfig, onTrace: (r: TraceRecord) => void): Promise<Rig> {
  const lw = await lapwing({ workers: c.workers, kernels: c.kernels, visibilityMs: c.leaseMs, onTrace });
  const backend = lw.backend as LocalBackend;
  return {
    lw,
    ids: () => backend.launcher.ids(),
    kill: (id) => void backend.launcher.kill(id),
    close: () => lw.close(),
  };
}

/**
 * The AWS backend with process executors (SIGKILL is a real kill: no cleanup, no ack), on the
 * environment's endpoints or on emulators started here.
 */
async function awsRig(c: ChaosConfig, onTrace: (r: TraceRecord) => void): Promise<Rig> {
  // Executors must outlive the pauses between warm-up, baseline and the experiment.
  const { backend, stop } = await openAws(
    { executors: 'process', ...(c.emulate ? { emulate: true } : {}) },
    { kernels: c.kernels, visibilityMs: c.leaseMs, idleTimeoutMs: 300_000, pollMs: 200 },
    onTrace,
  );
  try {
    const launcher = backend.launcher as unknown as ProcessLauncher;
    const lw = await lapwing({ backend, workers: c.workers, kernels: c.kernels, block: c.block });
    await lw.start();
    await launcher.ready();
    return {
      lw,
      ids: () => launcher.ids(),
      kill: (id) => void launcher.kill(id, 'SIGKILL'),
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
