import { Command } from 'commander';
import { jobOptions } from '../common.ts';
import { runAlgorithm, type AlgorithmOptions } from './algorithms.ts';

/** `lapwing tsqr`: R of a tall-skinny matrix. */
export function register(cli: Command): void {
  jobOptions(
    cli.command('tsqr')
      .description('R factor of a tall-skinny matrix by a TSQR tree (random with --rows/--cols, or --input A.npy)')
      .option('--rows <m>', 'rows of a random A (default 64 blocks)')
      .option('--cols <c>', 'columns of a random A (at most the block size)')
      .option('--input <file>', 'A from a .npy file')
      .option('--output <file>', 'write R to a .npy file')
      .option('--seed <s>', 'seed of the random matrix', '1'),
  ).action(async (o: AlgorithmOptions) => {
    const s = await runAlgorithm('tsqr', o);
    if (!s.ok) process.exitCode = 1;
  });
}
