import { Command } from 'commander';
import { jobOptions } from '../common.ts';
import { UserError } from '../errors.ts';
import { runAlgorithm, type AlgorithmOptions } from './algorithms.ts';

/**
 * `lapwing solve`: X with A·X = B. `--l L.npy` (or no matrix, with --n) is the triangular
 * form; `--a A.npy` a general A (pivoted LU, then the triangular solves); with `--assume spd`
 * a symmetric positive-definite one (one job: Cholesky and both triangular solves).
 */
export function register(cli: Command): void {
  jobOptions(
    cli.command('solve')
      .description('solve A·X = B: --a A.npy --b B.npy [--assume spd], or lower-triangular --l L.npy (random with --n)')
      .option('--n <n>', 'size of a random A (lower triangular; SPD with --assume spd; general with --assume general)', '2048')
      .option('--cols <c>', 'columns of a random B (default n)')
      .option('--a <file>', 'A from a .npy file (general: pivoted LU; with --assume spd: Cholesky)')
      .option('--l <file>', 'lower-triangular L from a .npy file (refused if anything above its diagonal is non-zero)')
      .option('--b <file>', 'B from a .npy file')
      .option('--assume <what>', 'what A is: general | spd | lower (default: lower with --l or no matrix, general with --a)')
      .option('--output <file>', 'write X to a .npy file (only if the residual passes)')
      .option('--seed <s>', 'seed of the random matrices', '1'),
  ).action(async (o: AlgorithmOptions) => {
    const s = await runAlgorithm(algorithmFor(o), o);
    if (!s.ok) process.exitCode = 1;
  });
}

function algorithmFor(o: AlgorithmOptions): 'trsm' | 'spd_solve' | 'lu_solve' {
  if (o.a && o.l) throw new UserError('give A as either --a or --l, not both');
  const assume = o.assume ?? (o.a ? undefined : 'lower');
  if (assume === 'spd') {
    if (o.l) throw new UserError('--assume spd takes A as --a, not --l');
    return 'spd_solve';
  }
  if (assume === 'lower') {
    if (o.a) throw new UserError('a lower-triangular A is given as --l');
    return 'trsm';
  }
  if (assume === undefined || assume === 'general') {
    if (o.l) throw new UserError('a general A is given as --a, not --l');
    return 'lu_solve';
  }
  throw new UserError(`--assume must be general, spd or lower, got '${assume}'`);
}
