import { Command } from 'commander';
import { jobOptions } from '../common.ts';
import { runAlgorithm, type AlgorithmOptions } from './algorithms.ts';

/** `lapwing matmul`: C = A·B. */
export function register(cli: Command): void {
  jobOptions(
    cli.command('matmul')
      .description('matrix product C = A·B (random n×n with --n, or --a A.npy --b B.npy)')
      .option('--n <n>', 'size of random square inputs', '2048')
      .option('--a <file>', 'A from a .npy file')
      .option('--b <file>', 'B from a .npy file')
      .option('--output <file>', 'write C to a .npy file')
      .option('--seed <s>', 'seed of the random matrices', '1'),
  ).action(async (o: AlgorithmOptions) => {
    const s = await runAlgorithm('gemm', o);
    if (!s.ok) process.exitCode = 1;
  });
}
