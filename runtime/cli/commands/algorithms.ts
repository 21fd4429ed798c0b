/**
 * The shipped algorithms as CLI jobs: set up inputs (random or .npy), run, verify, summarise.
 * Shared by `lapwing cholesky|matmul|solve|tsqr` and `lapwing bench …`.
 */
import { availableParallelism } from 'node:os';
import type { Floor } from '../../../bench/floor.ts';
import type { BlockMatrix } from '../../library/matrix.ts';
import type { Lapwing } from '../../library/session.ts';
import { choleskyResidualOf } from '../../library/verify.ts';
import { fmtS, openSession, positiveInt, printSummary, type JobOptions } from '../common.ts';
import { UserError } from '../errors.ts';
import { errorMessage, latencySummary } from '../../core/util.ts';

export type Algorithm = 'cholesky' | 'gemm' | 'trsm' | 'tsqr' | 'spd_solve' | 'lu' | 'lu_solve' | 'qr' | 'lstsq' | 'svd';
export const ALGORITHMS: readonly Algorithm[] = ['cholesky', 'gemm', 'trsm', 'tsqr', 'lu', 'qr', 'lstsq', 'svd'];

export interface AlgorithmOptions extends JobOptions {
  n?: string;
  rows?: string;
  cols?: string;
  input?: string;
  a?: string;
  b?: string;
  l?: string;
  output?: string;
  seed?: string;
  assume?: string;
  outDir?: string;
  /** qr: also the explicit Q. */
  q?: boolean;
  /** lstsq: columns of a random B. */
  rhs?: string;
  vectors?: boolean;
}

/** Relative residual a correct result stays under. */
export const TOLERANCE = 1e-10;

export interface Summary {
  algorithm: Algorithm;
  n: number;
  block: number;
  backend: string;
  kernels: string;
  workers: number;
  tasks: number;
  wall_s: number;
  gflops: number;
  residual: number;
  ok: boolean;
  [k: string]: unknown;
}

interface Prepared {
  readonly n: number;
  /** Algorithm-level flop count, the numerator of the reported GFLOP/s. */
  readonly flops: number;
  run(): Promise<BlockMatrix>;
  residual(out: BlockMatrix): Promise<number>;
  /** For results of several matrices: writes them into `dir`, returns the files written. */
  save?(dir: string): Promise<string[]>;
  /** Figures of the result beyond the check (summary fields, and lines for the text form). */
  extra?(): { readonly fields: Record<string, number>; readonly lines: readonly string[] };
  /** Store reads of the check that start before the job (they overlap the executors' start). */
  readonly checkReads?: Promise<void>;
}

async function prepare(alg: Algorithm, lw: Lapwing, o: AlgorithmOptions, block: number): Promise<Prepared> {
  const seed = o.seed === undefined ? 1 : positiveInt(o.seed, '--seed');
  const size = (): number => positiveInt(o.n ?? '2048', '--n');
  switch (alg) {
    case 'cholesky': {
      const a = o.input ? await lw.fromNpy(o.input, { block }) : await lw.randomSpd(size(), { block, seed });
      if (a.rows !== a.cols) throw new UserError(`cholesky needs a square matrix: ${o.input} is ${a.rows}x${a.cols}`);
      const n = a.rows;
      // The half of the check that reads only A runs now, while the executors start.
      const residual = choleskyResidualOf(a);
      return { n, flops: n ** 3 / 3, run: () => lw.cholesky(a), residual, checkReads: residual.started };
    }
    case 'gemm': {
      const a = o.a ? await lw.fromNpy(o.a, { block }) : await lw.random(size(), size(), { block, seed });
      const b = o.b ? await lw.fromNpy(o.b, { block }) : await lw.random(a.cols, size(), { block, seed: seed + 1 });
      if (a.cols !== b.rows) throw new UserError(`matmul: A is ${a.rows}x${a.cols} but B is ${b.rows}x${b.cols}`);
      return { n: a.rows, flops: 2 * a.rows * a.cols * b.cols, run: () => lw.matmul(a, b), residual: (c) => lw.residual.matmul(a, b, c) };
    }
    case 'spd_solve': {
      const a = o.a ? await lw.fromNpy(o.a, { block }) : await lw.randomSpd(size(), { block, seed });
      if (a.rows !== a.cols) throw new UserError(`solve needs a square A: it is ${a.rows}x${a.cols}`);
      const b = o.b ? await lw.fromNpy(o.b, { block }) : await lw.random(a.rows, o.cols ? positiveInt(o.cols, '--cols') : a.rows, { block, seed: seed + 1 });
      if (b.rows !== a.rows) throw new UserError(`solve: A is ${a.rows}x${a.cols} but B has ${b.rows} rows`);
      const n = a.rows;
      // Cholesky plus two triangular solves.
      return { n, flops: n ** 3 / 3 + 2 * n * n * b.cols, run: () => lw.solve(a, b, { assume: 'spd' }), residual: (x) => lw.residual.solve(a, x, b) };
    }
    case 'lu': {
      const a = o.input ? await lw.fromNpy(o.input, { block }) : await lw.random(size(), size(), { block, seed });
      if (a.rows !== a.cols) throw new UserError(`lu needs a square matrix: ${o.input} is ${a.rows}x${a.cols}`);
      const n = a.rows;
      let f: Awaited<ReturnType<Lapwing['lu']>> | undefined;
      return {
        n,
        flops: (2 / 3) * n ** 3,
        run: async () => (f = await lw.lu(a)).L,
        residual: () => lw.residual.lu(a, f!.perm, f!.L, f!.U),
        save: async (dir) => {
          const { join } = await import('node:path');
          const files = (['perm', 'L', 'U'] as const).map((k) => [k, join(dir, `${k}.npy`)] as const);
          for (const [k, file] of files) await f![k].toNpy(file, { vector: k === 'perm' });
          return files.map(([, file]) => file);
        },
      };
    }
    case 'qr': {
      const a = o.input ? await lw.fromNpy(o.input, { block }) : await lw.random(positiveInt(o.rows ?? o.n ?? '2048', '--rows'), positiveInt(o.cols ?? o.n ?? '2048', '--cols'), { block, seed });
      if (a.rows < a.cols) throw new UserError(`qr needs at least as many rows as columns: A is ${a.rows}x${a.cols}`);
      const m = a.rows, c = a.cols;
      let f: { R: BlockMatrix; Q?: BlockMatrix } | undefined;
      const householder = 2 * m * c * c - (2 / 3) * c ** 3; // Householder QR's count (R only)
      return {
        n: m,
        flops: o.q ? 2 * householder : householder, // forming Q costs about as much again
        run: async () => (f = await lw.qr(a, { q: o.q === true })).R,
        residual: (r) => (f!.Q ? lw.residual.qrFactors(a, f!.Q, r) : lw.residual.qr(a, r)),
        save: async (dir) => {
          const { join } = await import('node:path');
          const files = [['R', f!.R] as const, ...(f!.Q ? [['Q', f!.Q] as const] : [])].map(([k, x]) => [join(dir, `${k}.npy`), x] as const);
          for (const [file, x] of files) await x.toNpy(file);
          return files.map(([file]) => file);
        },
      };
    }
    case 'lstsq': {
      const a = o.a ? await lw.fromNpy(o.a, { block }) : await lw.random(positiveInt(o.rows ?? o.n ?? '2048', '--rows'), positiveInt(o.cols ?? o.n ?? '2048', '--cols'), { block, seed });
      if (a.rows < a.cols) throw new UserError(`lstsq needs at least as many rows as columns: A is ${a.rows}x${a.cols}`);
      const b = o.b ? await lw.fromNpy(o.b, { block }) : await lw.random(a.rows, positiveInt(o.rhs ?? '1', '--rhs'), { block, seed: seed + 1 });
      if (b.rows !== a.rows) throw new UserError(`lstsq: A is ${a.rows}x${a.cols} but B has ${b.rows} rows`);
      const m = a.rows, c = a.cols;
      let fit: number | undefined;
      return {
        n: m,
        // Householder QR, Qᵀ·B through the trees, back substitution.
        flops: 2 * m * c * c - (2 / 3) * c ** 3 + 4 * m * c * b.cols + c * c * b.cols,
        run: async () => {
          const r = await lw.lstsq(a, b);
          fit = r.residual;
          return r.X;
        },
        residual: (x) => lw.residual.lstsq(a, x, b),
        extra: () => ({ fields: { lstsq_residual: fit! }, lines: [`  ‖A·X − B‖   ${fit!.toExponential(4)}  (the least-squares residual)`] }),
      };
    }
    case 'svd': {
      const a = o.input ? await lw.fromNpy(o.input, { block }) : await lw.random(positiveInt(o.rows ?? o.n ?? '2048', '--rows'), positiveInt(o.cols ?? o.n ?? '2048', '--cols'), { block, seed });
      const m = Math.max(a.rows, a.cols), c = Math.min(a.rows, a.cols);
      if (o.vectors && c > block) throw new UserError(`svd --vectors: the short side of A (${a.rows}x${a.cols}) must fit in one block (--block ${block})`);
      let r: Awaited<ReturnType<Lapwing['svd']>> | undefined;
      return {
        n: m,
        flops: 4 * m * c * c - (4 / 3) * c ** 3, // reduction to bidiagonal form (dgebrd's count), values only
        run: async () => (r = await lw.svd(a, { vectors: o.vectors === true })).s,
        residual: (s) => lw.residual.svd(a, s, r!),
        save: async (dir) => {
          const { join } = await import('node:path');
          const files: string[] = [join(dir, 's.npy')];
          await r!.s.toNpy(files[0]!, { vector: true });
          for (const [k, mat] of [['U', r!.U], ['V', r!.V]] as const) {
            if (!mat) continue;
            files.push(join(dir, `${k}.npy`));
            await mat.toNpy(files.at(-1)!);
          }
          return files;
        },
      };
    }
    case 'lu_solve': {
      const a = o.a ? await lw.fromNpy(o.a, { block }) : await lw.random(size(), size(), { block, seed });
      if (a.rows !== a.cols) throw new UserError(`solve needs a square A: it is ${a.rows}x${a.cols}`);
      const b = o.b ? await lw.fromNpy(o.b, { block }) : await lw.random(a.rows, o.cols ? positiveInt(o.cols, '--cols') : a.rows, { block, seed: seed + 1 });
      if (b.rows !== a.rows) throw new UserError(`solve: A is ${a.rows}x${a.cols} but B has ${b.rows} rows`);
      const n = a.rows;
      // LU plus two triangular solves.
      return { n, flops: (2 / 3) * n ** 3 + 2 * n * n * b.cols, run: () => lw.solve(a, b, { assume: 'general' }), residual: (x) => lw.residual.solve(a, x, b) };
    }
    case 'trsm': {
      const l = o.l ? await lowerFromNpy(lw, o.l, block) : await lw.randomLower(size(), { block, seed });
      if (l.rows !== l.cols) throw new UserError(`solve needs a square lower-triangular L: it is ${l.rows}x${l.cols}`);
      const b = o.b ? await lw.fromNpy(o.b, { block }) : await lw.random(l.rows, o.cols ? positiveInt(o.cols, '--cols') : l.rows, { block, seed: seed + 1 });
      if (b.rows !== l.rows) throw new UserError(`solve: L is ${l.rows}x${l.cols} but B has ${b.rows} rows`);
      return { n: l.rows, flops: l.rows * l.rows * b.cols, run: () => lw.solve(l, b, { assume: 'lower' }), residual: (x) => lw.residual.solve(l, x, b) };
    }
    case 'tsqr': {
      let a: BlockMatrix;
      if (o.input) {
        const m = await import('../../library/npy.ts').then((x) => x.readNpy(o.input!));
        if (m.cols > block) throw new UserError(`tsqr: A is ${m.rows}x${m.cols}; its width must not exceed the block size ${block}`);
        a = await lw.fromArray(m.data, m.rows, m.cols, { block });
      } else {
        const cols = positiveInt(o.cols ?? String(Math.min(block, 128)), '--cols');
        if (cols > block) throw new UserError(`tsqr: --cols ${cols} must not exceed --block ${block}`);
        const rows = positiveInt(o.rows ?? o.n ?? String(64 * block), '--rows');
        a = await lw.random(rows, cols, { block, blockCols: cols, seed });
      }
      const m = a.rows, c = a.cols;
      return { n: m, flops: 2 * m * c * c - (2 / 3) * c ** 3, run: () => lw.tsqr(a), residual: (r) => lw.residual.qr(a, r) };
    }
  }
}

/** L from a .npy file, refused unless it is lower triangular (its upper triangle would be ignored). */
async function lowerFromNpy(lw: Lapwing, file: string, block: number): Promise<BlockMatrix> {
  const { readNpy } = await import('../../library/npy.ts');
  const m = await readNpy(file);
  for (let i = 0; i < m.rows; i++) {
    for (let j = i + 1; j < m.cols; j++) {
      const v = m.data[i * m.cols + j]!;
      if (v !== 0) {
        throw new UserError(`--l ${file} is not lower triangular (element (${i}, ${j}) is ${v}); for a general matrix use --a, for a symmetric positive-definite one --a with --assume spd`);
      }
    }
  }
  return lw.fromArray(m.data, m.rows, m.cols, { block });
}

/** What runAlgorithm adds to a plain run. */
export interface RunExtras {
  /** Measure the kernel floor first (bench/floor.ts) and report `floor_s` and `floor_ratio` (local backend). */
  readonly floor?: boolean;
  /** Start every executor before the job (else the local backend starts them as work arrives), so that its wall time is the job's alone. */
  readonly warm?: boolean;
}

/** Runs one algorithm from CLI options; prints the summary; returns it (ok ⇔ residual within tolerance). */
export async function runAlgorithm(alg: Algorithm, o: AlgorithmOptions, extras: RunExtras = {}): Promise<Summary> {
  const block = positiveInt(o.block, '--block');
  if (o.estimate) return (await import('./simulate.ts')).estimateAlgorithm(alg, o);
  const s = await openSession(o, alg);
  try {
    // Local executors (their kernel threads) load while the main thread makes the inputs, not
    // after: one per core at most, the job starts any others as it has work for them. A start
    // that fails is left to the job, which says why.
    const starting = !extras.warm && o.backend === 'local' ? s.lw.start(Math.min(s.workers, availableParallelism())).catch(() => undefined) : undefined;
    const p = await prepare(alg, s.lw, o, block);
    await starting;
    const measuring = extras.floor && o.backend === 'local' ? await (await import('../../../bench/floor.ts')).startFloor(p.flops, s.workers, s.kernels) : undefined;
    let out: BlockMatrix;
    let floor: Floor | undefined;
    // Requests counted are the job's: the check's reads of the input go first.
    if (s.apiCalls && p.checkReads) await p.checkReads;
    const callsBefore = s.apiCalls?.();
    const opsBefore = s.apiOperations?.();
    const latenciesBefore = s.apiLatencies?.();
    const capacityBefore = s.dynamodbCapacity?.();
    let callsJob: Record<string, number> | undefined;
    let opsJob: Record<string, number> | undefined;
    let latenciesJob: Record<string, ReturnType<typeof latencySummary>> | undefined;
    let capacityJob: { wcu: number; rcu: number } | undefined;
    // A benchmark times the job alone: executors are started (and warm) before it.
    if (extras.warm) await s.lw.start();
    try {
      out = await p.run();
      // Process executors report their request counts when they exit.
      if (s.apiCalls) await s.lw.backend.launcher.close();
      const after = s.apiCalls?.();
      if (callsBefore && after) callsJob = countsSince(callsBefore, after);
      const opsAfter = s.apiOperations?.();
      if (opsBefore && opsAfter) opsJob = Object.fromEntries(Object.entries(countsSince(opsBefore, opsAfter)).filter(([, v]) => v > 0).sort((a, b) => (a[0] < b[0] ? -1 : 1)));
      // This process's latencies come first, and the executors started after the snapshot.
      const latenciesAfter = s.apiLatencies?.();
      if (latenciesBefore && latenciesAfter) {
        latenciesJob = Object.fromEntries(Object.entries(latenciesAfter).map(([k, v]): [string, number[]] => [k, v.slice(latenciesBefore[k]?.length ?? 0)]).filter(([, v]) => v.length > 0).sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([k, v]) => [k, latencySummary(v)]));
      }
      const capacityAfter = s.dynamodbCapacity?.();
      if (capacityBefore && capacityAfter) capacityJob = { wcu: capacityAfter.wcu - capacityBefore.wcu, rcu: capacityAfter.rcu - capacityBefore.rcu };
      // The reference is measured again right after the job: the floor is the mean of both.
      floor = await measuring?.finish();
    } catch (e) {
      await s.finish({ ok: false, wall_s: s.lw.last?.wallS ?? 0, error: errorMessage(e) });
      throw e;
    }
    const last = s.lw.last!;
    const residual = await p.residual(out);
    const ok = Number.isFinite(residual) && residual <= TOLERANCE;
    // A result that fails its check is not written: a file on disk would pass for an answer.
    if (o.output && ok) await out.toNpy(o.output);
    if (o.outDir && ok && p.save) {
      const { mkdir } = await import('node:fs/promises');
      await mkdir(o.outDir, { recursive: true });
      await p.save(o.outDir);
    }
    const extra = p.extra?.();
    const summary: Summary = {
      algorithm: alg,
      n: p.n,
      block,
      backend: o.backend,
      kernels: s.kernels,
      workers: s.workers,
      tasks: last.tasks,
      wall_s: round(last.wallS, 4),
      gflops: round(p.flops / last.wallS / 1e9, 2),
      residual,
      ok,
      ...extra?.fields,
      ...(floor ? floorFields(floor, last.wallS) : {}),
      ...(callsJob ? { api_calls: callsJob, api_calls_per_task: Object.fromEntries(Object.entries(callsJob).map(([k, v]) => [k, Math.round((100 * v) / Math.max(1, last.tasks)) / 100])) } : {}),
      ...(opsJob ? { api_calls_by_op: opsJob } : {}),
      ...(latenciesJob ? { api_latency_by_op: latenciesJob } : {}),
      ...((s.executorStarts?.().length ?? 0) > 0 ? { executor_start_ms: latencySummary(s.executorStarts!()) } : {}),
      ...(capacityJob ? {
        dynamodb_capacity: {
          wcu: round(capacityJob.wcu, 1), rcu: round(capacityJob.rcu, 1),
          wcu_per_task: round(capacityJob.wcu / Math.max(1, last.tasks), 2), rcu_per_task: round(capacityJob.rcu / Math.max(1, last.tasks), 2),
        },
      } : {}),
    };
    await s.finish({ ...summary, n: p.n });
    printSummary(o.json === true, summary, [
      `${alg} n=${p.n} block=${block}: ${summary.ok ? 'ok' : 'FAILED'}`,
      `  wall time   ${fmtS(last.wallS)} s`,
      `  tasks       ${last.tasks}`,
      `  GFLOP/s     ${summary.gflops}`,
      `  kernels     ${s.kernels}  (${s.workers} executor${s.workers === 1 ? '' : 's'} on ${availableParallelism()} cores, backend ${o.backend})`,
      `  residual    ${residual.toExponential(2)}  (tolerance ${TOLERANCE})`,
      ...(extra?.lines ?? []),
      ...(floor ? [
        `  floor       ${fmtS(floor.floor_s)} s = flops / (${s.workers} × ${floor.reference} gemm 512 at ${floor.gemm512_gflops.toFixed(1)} GFLOP/s): wall is ${(last.wallS / floor.floor_s).toFixed(2)}× the floor`,
        ...(floor.floor_parallel_s !== undefined && floor.gemm512_parallel_gflops !== undefined ? [
          `              ${fmtS(floor.floor_parallel_s)} s = flops / (${Math.min(s.workers, availableParallelism())} threads of gemm 512 at once: ${floor.gemm512_parallel_gflops.toFixed(1)} GFLOP/s): wall is ${(last.wallS / floor.floor_parallel_s).toFixed(2)}× the parallel floor`,
        ] : []),
        ...(floor.drift !== undefined ? [`              single-thread rate after ÷ before the job ${floor.drift.toFixed(2)}${Math.abs(floor.drift - 1) > 0.15 ? ' (the machine changed speed during the run)' : ''}`] : []),
      ] : []),
      ...(o.output ? [ok ? `  output      ${o.output}` : `  output      not written (the residual is above the tolerance)`] : []),
      ...(o.outDir && p.save ? [ok ? `  output      ${o.outDir}/` : `  output      not written (the residual is above the tolerance)`] : []),
    ]);
    return summary;
  } finally {
    await s.finish();
    await s.close();
  }
}

/** Each counter's growth from `before` to `after`. */
function countsSince(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(after).map(([k, v]) => [k, v - (before[k] ?? 0)]));
}

/** The JSON fields of a measured floor (4 significant digits). */
function floorFields(f: Floor, wallS: number): Record<string, number | string> {
  const sig = (x: number): number => Number(x.toPrecision(4));
  return {
    floor_s: sig(f.floor_s),
    floor_ratio: sig(wallS / f.floor_s),
    floor_reference: f.reference,
    gemm512_gflops: sig(f.gemm512_gflops),
    ...(f.floor_parallel_s !== undefined && f.gemm512_parallel_gflops !== undefined ? {
      floor_parallel_s: sig(f.floor_parallel_s),
      floor_parallel_ratio: sig(wallS / f.floor_parallel_s),
      gemm512_parallel_gflops: sig(f.gemm512_parallel_gflops),
    } : {}),
    ...(f.drift !== undefined ? { floor_drift: sig(f.drift) } : {}),
  };
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
