import { Command } from 'commander';
import { jobOptions } from '../common.ts';
import { runAlgorithm, type AlgorithmOptions } from './algorithms.ts';

/** `lapwing lu`: A[perm] = L·U by LU with tournament pivoting. */
export function register(cli: Command): void {
  jobOptions(
    cli.command('lu')
      .description('LU with tournament pivoting (CALU): A[perm] = L·U (random with --n, or --input A.npy); writes perm.npy, L.npy, U.npy to --out-dir')
      .option('--n <n>', 'size of a random A', '2048')
      .option('--input <file>', 'A from a .npy file (square)')
      .option('--out-dir <dir>', 'write perm.npy (row numbers, float64), L.npy and U.npy here (only if the residual passes)')
      .option('--seed <s>', 'seed of the random matrix', '1'),
  ).action(async (o: AlgorithmOptions) => {
    const s = await runAlgorithm('lu', o);
    if (!s.ok) process.exitCode = 1;
  });
}
