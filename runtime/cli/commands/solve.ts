import { Command } from 'commander';
import { jobOptions } from '../common.ts';
import { runAlgorithm, type AlgorithmOptions } from './algorithms.ts';

/** `lapwing solve`: X with L·X = B. */
export function register(cli: Command): void {
  jobOptions(
    cli.command('solve')
      .description('triangular solve L·X = B for lower-triangular L (random with --n, or --l L.npy --b B.npy)')
      .option('--n <n>', 'size of a random well-conditioned L', '2048')
      .option('--cols <c>', 'columns of a random B (default n)')
      .option('--l <file>', 'L from a .npy file (lower triangle used)')
      .option('--b <file>', 'B from a .npy file')
      .option('--output <file>', 'write X to a .npy file')
      .option('--seed <s>', 'seed of the random matrices', '1'),
  ).action(async (o: AlgorithmOptions) => {
    const s = await runAlgorithm('trsm', o);
    if (!s.ok) process.exitCode = 1;
  });
}
