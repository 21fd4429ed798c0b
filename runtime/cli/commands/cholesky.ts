import { Command } from 'commander';
import { jobOptions } from '../common.ts';
import { runAlgorithm, type AlgorithmOptions } from './algorithms.ts';

/** `lapwing cholesky`: the main job. */
export function register(cli: Command): void {
  jobOptions(
    cli.command('cholesky')
      .description('Cholesky factor L of a symmetric positive-definite matrix (random SPD with --n, or --input A.npy)')
      .option('--n <n>', 'size of a random SPD matrix', '2048')
      .option('--input <file>', 'read A from a 2-D float64 .npy file')
      .option('--output <file>', 'write L to a .npy file')
      .option('--seed <s>', 'seed of the random matrix', '1'),
  ).action(async (o: AlgorithmOptions) => {
    const s = await runAlgorithm('cholesky', o);
    if (!s.ok) process.exitCode = 1;
  });
}
