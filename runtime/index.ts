/**
 * lapwing's public API.
 *
 * ```ts
 * import { lapwing } from 'lapwing';
 * const lw = await lapwing();                       // local backend, one executor per core
 * const A = await lw.randomSpd(4096, { block: 512 });
 * const L = await lw.cholesky(A);
 * await L.toNpy('L.npy');
 * await lw.close();
 * ```
 */
export {
  lapwing, Lapwing, ShapeError, RankDeficientError, cholesky, matmul, solve, trsm, tsqr, sessionOf, inv, lu, qr, lstsq, transpose, add, sub, scale, norm, diag, svd,
  type SessionOptions, type MatrixOptions, type LastRun, type SolveOptions, type SolveAssumption, type MatmulOptions, type QrOptions, type QrResult, type LstsqResult, type SvdOptions, type SvdResult,
} from './library/session.ts';
export { BlockMatrix } from './library/matrix.ts';
export { runJob, JobFailedError, type JobSpec, type JobResult, type JobProgress, type RunOptions } from './scheduling/driver.ts';
export { runExecutor, CRASH_POINTS, type CrashPoint, type ExecutorOptions } from './executor/executor.ts';
export { readNpy, writeNpy, parseNpy, formatNpy, NpyError } from './library/npy.ts';
export { createLocalBackend, type LocalBackend, type LocalBackendOptions } from './backends/local/index.ts';
export * from './core/interfaces.ts';
export { LapwingError, isLapwingError, isRetryable, TaskError, type ErrorTraits } from './core/errors.ts';
export { retrying, backoffMs, type RetryPolicy, type RetryOptions } from './core/retry.ts';
export { compile, bind, programSource } from '../lang/index.ts';
export { loadKernels } from '../kernels/index.ts';

