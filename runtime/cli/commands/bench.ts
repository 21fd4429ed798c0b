/**
 * `lapwing bench …`: the speed and memory goals live here, never in timed tests.
 * Algorithms print one JSON object as their last line with --json and exit 0 iff the result
 * is within tolerance.
 */
import { Command } from 'commander';
import { compile } from '../../../lang/index.ts';
import { lapwing } from '../../library/session.ts';
import type { TaskAttemptTrace } from '../../core/interfaces.ts';
import { jobOptions, openSession, positiveInt, printSummary, type JobOptions } from '../common.ts';
import { ALGORITHMS, runAlgorithm, type Algorithm, type AlgorithmOptions } from './algorithms.ts';

const OVERHEAD_PROGRAM = `
# Runtime overhead: pairs of no-op tasks (a starter and its child), so a task's life includes
# leasing, reading, writing, marking an edge, enqueueing, collecting a temporary and acking.
def overhead(in A: matrix, out X: matrix, Y: matrix, T: int) {
  for i in 0..T {
    Y[i, 0] = noop(A[0, 0])
    X[i, 0] = noop(Y[i, 0])
  }
}`;

export function register(cli: Command): void {
  const bench = cli.command('bench').description('benchmarks: algorithms end to end, kernels, the language, runtime overhead');
  for (const alg of ALGORITHMS) {
    jobOptions(
      bench.command(alg)
        .description(`${alg} end to end; --json prints {"algorithm","n","block","backend","kernels","workers","tasks","wall_s","gflops","residual","ok"} and, on the local backend, "floor_s" (flops ÷ (workers × single-thread dgemm-512 rate)), "floor_parallel_s" (flops ÷ the summed rate of the workers' dgemm threads at once), their ratios to the wall time and "floor_drift" (rates measured before and after the job, averaged)`)
        .option('--n <n>', 'matrix size', '2048')
        .option('--rows <m>', 'tsqr: rows')
        .option('--cols <c>', 'tsqr: columns; trsm: right-hand-side columns')
        .option('--seed <s>', 'seed', '1'),
    ).action(async (o: AlgorithmOptions) => {
      const s = await runAlgorithm(alg as Algorithm, { ...o, quiet: o.quiet ?? o.json }, { floor: true, warm: true });
      if (!s.ok) process.exitCode = 1;
    });
  }
  bench.command('kernels')
    .description('GFLOP/s per kernel × backend × block size (single thread)')
    .option('--sizes <list>', 'block sizes', '256,512,1024')
    .option('--backends <list>', 'kernel backends (default: all that load)')
    .option('--kernels <list>', 'kernels (default: gemm,syrk,trsm,chol,qr_r,add)')
    .option('--reps <n>', 'repetitions (median reported)')
    .option('--json', 'one JSON array on the last line')
    .action(async (o: { sizes: string; backends?: string; kernels?: string; reps?: string; json?: boolean }) => {
      const { benchKernels } = await import('../../../bench/kernels.ts');
      const list = (s: string | undefined): string[] | undefined => s?.split(',').map((x) => x.trim()).filter(Boolean);
      const rows = await benchKernels({
        sizes: list(o.sizes)!.map((x) => positiveInt(x, '--sizes')),
        ...(o.backends ? { backends: list(o.backends)! } : {}),
        ...(o.kernels ? { kernels: list(o.kernels)! } : {}),
        ...(o.reps ? { reps: positiveInt(o.reps, '--reps') } : {}),
      });
      if (o.json) process.stdout.write(`${JSON.stringify(rows)}\n`);
      else {
        process.stdout.write(`${'kernel'.padEnd(10)}${'backend'.padEnd(14)}${'n'.padStart(6)}${'GFLOP/s'.padStart(10)}${'median ms'.padStart(12)}\n`);
        for (const r of rows) {
          process.stdout.write(`${r.kernel.padEnd(10)}${r.backend.padEnd(14)}${String(r.n).padStart(6)}${r.gflops.toFixed(2).padStart(10)}${r.median_ms.toFixed(3).padStart(12)}\n`);
        }
      }
    });
  bench.command('lang')
    .description('symbolic DAG queries: children()/parents() µs at N=256, streaming traversal tasks/s and RSS at N=128')
    .option('--json', 'one JSON object on the last line')
    .action(async (o: { json?: boolean }) => {
      const { benchLang } = await import('../../../bench/lang.ts');
      const r = await benchLang();
      printSummary(o.json === true, r, Object.entries(r).map(([k, v]) => `${k.padEnd(32)} ${typeof v === 'number' ? +v.toFixed(3) : v}`));
    });
  jobOptions(
    bench.command('overhead')
      .description('per-task runtime overhead with no-op kernels')
      .option('--tasks <n>', 'tasks to run', '100000'),
  ).action(async (o: JobOptions & { tasks: string }) => {
    const tasks = positiveInt(o.tasks, '--tasks');
    const pairs = Math.max(1, Math.floor(tasks / 2));
    const s = await openSession({ ...o, quiet: o.quiet ?? o.json }, 'overhead');
    await s.lw.close();
    const attempts: TaskAttemptTrace[] = [];
    const lw = await lapwing({ workers: s.workers, kernels: s.kernels, onTrace: (r) => { if (r.type === 'attempt') attempts.push(r); } });
    try {
      const a = await lw.fromArray([0], 1, 1, { block: 1 });
      // Warm the executors up (thread start, kernel load) before timing.
      await lw.start();
      await lw.run(compile(OVERHEAD_PROGRAM), { ints: { T: 2 }, inputs: { A: a } });
      attempts.length = 0;
      const res = await lw.run(compile(OVERHEAD_PROGRAM), { ints: { T: pairs }, inputs: { A: a } });
      const lat = attempts.filter((t) => t.outcome === 'ok' && t.t.ack !== undefined).map((t) => (t.t.ack! - t.t.lease) * 1000).sort((x, y) => x - y);
      const median = lat.length ? lat[Math.floor(lat.length / 2)]! : NaN;
      const summary = {
        benchmark: 'overhead',
        tasks: res.tasks,
        workers: s.workers,
        wall_s: res.wallS,
        us_per_task_wall: (res.wallS * 1e6) / res.tasks,
        us_per_task_per_worker: (res.wallS * 1e6 * s.workers) / res.tasks,
        median_task_latency_us: median,
        ok: res.status === 'done',
      };
      printSummary(o.json === true, summary, Object.entries(summary).map(([k, v]) => `${k.padEnd(26)} ${typeof v === 'number' ? +v.toFixed(2) : v}`));
    } finally {
      await lw.close();
    }
  });
  bench.command('state')
    .description('AWS state store: DynamoDB capacity per task, item sizes, partitions (replays every task\'s state-store calls)')
    .option('--program <name>', 'shipped program', 'cholesky')
    .option('--arg <NAME=INT>', 'integer argument (repeatable, or comma-separated)', (v: string, prev: string[]) => [...prev, v], [] as string[])
    .option('--workers <n>', 'tasks replayed at once; the driver polls once per wave', '16')
    .option('--emulate', 'against DynamoDB Local started for the run (else the deployed stack of the environment)')
    .option('--json', 'only the JSON object')
    .action(async (o: { program: string; arg: string[]; workers: string; emulate?: boolean; json?: boolean }) => {
      const { runStateBench } = await import('../../../bench/state.ts');
      await runStateBench(o);
    });
  bench.command('services')
    .description('emulated AWS backend: latency (median, p90) of every S3, SQS and DynamoDB operation the job sends, and an executor process\'s start; its "profile" is what `simulate --service-profile` takes')
    .option('--reps <n>', 'timed S3 puts and gets per block size', '15')
    .option('--starts <n>', 'rounds of two executor processes started at once (the first right after the emulators start)', '1')
    .option('--json', 'one JSON object on the last line')
    .action(async (o: { reps: string; starts: string; json?: boolean }) => {
      const { benchServices } = await import('../../../bench/services.ts');
      const r = await benchServices({ repetitions: positiveInt(o.reps, '--reps'), processStarts: positiveInt(o.starts, '--starts') });
      if (o.json) process.stdout.write(`${JSON.stringify(r)}\n`);
      else {
        process.stdout.write(`${'operation'.padEnd(36)}${'n'.padStart(6)}${'median ms'.padStart(12)}${'p90 ms'.padStart(10)}\n`);
        for (const [op, t] of Object.entries(r.ops)) process.stdout.write(`${op.padEnd(36)}${String(t.n).padStart(6)}${t.median_ms.toFixed(2).padStart(12)}${t.p90_ms.toFixed(2).padStart(10)}\n`);
        process.stdout.write(`${JSON.stringify(r.profile, null, 2)}\n`);
      }
    });
  bench.command('hybrid')
    .description('AWS backend: inline (DynamoDB) vs S3 block sharing latency by block size, against the emulators')
    .option('--json', 'one JSON object on the last line')
    .action(async (o: { json?: boolean }) => {
      const { benchHybrid } = await import('../../../bench/hybrid.ts');
      const r: unknown = await benchHybrid();
      process.stdout.write(`${JSON.stringify(r, null, o.json ? 0 : 2)}\n`);
    });
}
