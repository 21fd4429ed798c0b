import { Command } from 'commander';
import { jobOptions } from '../common.ts';
import { runAlgorithm, type AlgorithmOptions } from './algorithms.ts';

/** `lapwing lstsq`: X minimizing ‖A·X − B‖_F for a tall A, by CAQR with Qᵀ·B through its trees. */
export function register(cli: Command): void {
  jobOptions(
    cli.command('lstsq')
      .description('least squares min ‖A·X − B‖_F for a tall A (m ≥ n, full rank): --a A.npy --b B.npy, or random with --rows/--cols (--rhs columns of B); QR and Qᵀ·B through the same trees, then back substitution, in one job')
      .option('--n <n>', 'rows and columns of a random A when --rows/--cols are not given', '2048')
      .option('--rows <m>', 'rows of a random A')
      .option('--cols <c>', 'columns of a random A (at most its rows)')
      .option('--rhs <k>', 'columns of a random B', '1')
      .option('--a <file>', 'A from a .npy file (m ≥ n)')
      .option('--b <file>', 'B from a .npy file (m rows)')
      .option('--output <file>', 'write X to a .npy file (only if the residual passes)')
      .option('--seed <s>', 'seed of the random matrices', '1'),
  ).action(async (o: AlgorithmOptions) => {
    const s = await runAlgorithm('lstsq', o);
    if (!s.ok) process.exitCode = 1;
  });
}
