import { Command } from 'commander';
import { jobOptions } from '../common.ts';
import { runAlgorithm, type AlgorithmOptions } from './algorithms.ts';

/** `lapwing svd`: singular values by band reduction (QR/LQ sweeps) and the band on one task. */
export function register(cli: Command): void {
  jobOptions(
    cli.command('svd')
      .description('SVD (band reduction by QR/LQ sweeps, then the band on one task): writes s.npy (descending) to --out-dir; with --vectors also U.npy and V.npy (the short side of A within one block) (random with --rows/--cols or --n, or --input A.npy)')
      .option('--n <n>', 'size of a random square A', '2048')
      .option('--rows <m>', 'rows of a random A')
      .option('--cols <c>', 'columns of a random A')
      .option('--input <file>', 'A from a .npy file')
      .option('--vectors', 'also the singular vectors U and V (the short side of A must fit in one block)')
      .option('--out-dir <dir>', 'write s.npy (and U.npy, V.npy) here (only if the check passes)')
      .option('--seed <s>', 'seed of the random matrix', '1'),
  ).action(async (o: AlgorithmOptions) => {
    const s = await runAlgorithm('svd', o);
    if (!s.ok) process.exitCode = 1;
  });
}
