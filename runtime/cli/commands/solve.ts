import { Command } from 'commander';
import { jobOptions } from '../common.ts';
import { UserError } from '../errors.ts';
import { runAlgorithm, type AlgorithmOptions } from './algorithms.ts';

/**
 * `lapwing solve`: X with A·X = B. `--l L.npy` (or no matrix, with --n) is the triangular
 * form; `--a A.npy --assume spd` the symmetric positive-definite one (one job: Cholesky and
 * both triangular solves).
 */
export function register(cli: Command): void {
  jobOptions(
    cli.command('solve')
      .description('solve A·X = B: --a A.npy --b B.npy --assume spd, or lower-triangular --l L.npy (random with --n)')
      .option('--n <n>', 'size of a random well-conditioned A (lower triangular, or SPD with --assume spd)', '2048')
      .option('--cols <c>', 'columns of a random B (default n)')
      .option('--a <file>', 'A from a .npy file (with --assume spd)')
      .option('--l <file>', 'lower-triangular L from a .npy file (refused if anything above its diagonal is non-zero)')
      .option('--b <file>', 'B from a .npy file')
      .option('--assume <what>', 'what A is: spd | lower (default: lower with --l or no matrix, else required)')
      .option('--output <file>', 'write X to a .npy file (only if the residual passes)')
      .option('--seed <s>', 'seed of the random matrices', '1'),
  ).action(async (o: AlgorithmOptions) => {
    const s = await runAlgorithm(algorithmFor(o), o);
    if (!s.ok) process.exitCode = 1;
  });
}

function algorithmFor(o: AlgorithmOptions): 'trsm' | 'spd_solve' {
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
  if (assume === undefined) throw new UserError('solve --a A.npy needs --assume spd (symmetric positive definite); a lower-triangular matrix is given as --l');
  throw new UserError(`--assume must be spd or lower, got '${assume}'`);
}
