/**
 * CLI entry: builds the commander program from one module per command (commands/*.ts, each
 * exporting `register(cli)`); user mistakes become one line on stderr and a non-zero exit code
 * (a stack trace only with --verbose).
 */
import { Command, CommanderError } from 'commander';
import { UserError, formatError } from './errors.ts';
import { register as choleskyCommand } from './commands/cholesky.ts';
import { register as matmulCommand } from './commands/matmul.ts';
import { register as solveCommand } from './commands/solve.ts';
import { register as tsqrCommand } from './commands/tsqr.ts';
import { register as luCommand } from './commands/lu.ts';
import { register as qrCommand } from './commands/qr.ts';
import { register as lstsqCommand } from './commands/lstsq.ts';
import { register as svdCommand } from './commands/svd.ts';
import { register as runCommand } from './commands/run.ts';
import { register as dagCommand } from './commands/dag.ts';
import { register as benchCommand } from './commands/bench.ts';
import { register as emulateCommand } from './commands/emulate.ts';
import { register as deployCommand } from './commands/deploy.ts';
import { register as reportCommand } from './commands/report.ts';
import { register as statusCommand } from './commands/status.ts';
import { register as chaosCommand } from './commands/chaos.ts';
import { register as simulateCommand } from './commands/simulate.ts';

/** Commands, in the order `lapwing --help` lists them (status also registers resume and cancel). */
const COMMANDS: ReadonlyArray<(cli: Command) => void> = [
  choleskyCommand, matmulCommand, solveCommand, tsqrCommand, luCommand, qrCommand, lstsqCommand, svdCommand, runCommand, dagCommand, benchCommand, emulateCommand, deployCommand, reportCommand, statusCommand, chaosCommand, simulateCommand,
];

export async function main(argv: string[]): Promise<number> {
  const cli = new Command('lapwing')
    .description('Serverless linear algebra: blocked algorithms as task DAGs on stateless executors.')
    .option('--verbose', 'print stack traces for errors')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  for (const register of COMMANDS) register(cli);
  try {
    await cli.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode;
    const verbose = argv.includes('--verbose');
    process.stderr.write(`${formatError(e, verbose)}\n`);
    return e instanceof UserError ? e.exitCode : 1;
  }
}
