import { Command } from 'commander';
import { jobOptions } from '../common.ts';
import { runAlgorithm, type AlgorithmOptions } from './algorithms.ts';

/** `lapwing qr`: R (and with --q the thin Q) of an m × n matrix (m ≥ n) by CAQR. */
export function register(cli: Command): void {
  jobOptions(
    cli.command('qr')
      .description('QR (CAQR: a TSQR tree per block column, trailing update through it): writes R.npy (and with --q the thin Q as Q.npy) to --out-dir (random with --rows/--cols or --n, or --input A.npy)')
      .option('--n <n>', 'size of a random square A', '2048')
      .option('--rows <m>', 'rows of a random A')
      .option('--cols <c>', 'columns of a random A (at most its rows)')
      .option('--input <file>', 'A from a .npy file (m ≥ n)')
      .option('--out-dir <dir>', 'write R.npy (and Q.npy) here (only if the residual passes)')
      .option('--q', 'also the explicit thin Q (m × n; the residual then checks A = Q·R and QᵀQ = I)')
      .option('--seed <s>', 'seed of the random matrix', '1'),
  ).action(async (o: AlgorithmOptions) => {
    const s = await runAlgorithm('qr', o);
    if (!s.ok) process.exitCode = 1;
  });
}
