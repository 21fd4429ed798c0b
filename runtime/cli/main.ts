/**
 * CLI entry: builds the commander program from one module per command. Each command module
 * exports `register(cli)`; user mistakes become one line on stderr and a non-zero exit code
 * (a stack trace only with --verbose).
 */
import { Command, CommanderError } from 'commander';
import { UserError, formatError } from './errors.ts';

type Registrar = (cli: Command) => void;

/** Command modules, in the order `lapwing --help` lists them. Missing ones are skipped. */
const COMMANDS = ['cholesky', 'matmul', 'solve', 'tsqr', 'run', 'dag', 'bench', 'emulate', 'deploy', 'report', 'status', 'chaos', 'resume', 'cancel'];

export async function main(argv: string[]): Promise<number> {
  const cli = new Command('lapwing')
    .description('Serverless linear algebra: blocked algorithms as task DAGs on stateless executors.')
    .option('--verbose', 'print stack traces for errors')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  for (const name of COMMANDS) {
    const mod: { register?: Registrar } | null = await import(`./${name}.ts`).catch((e: unknown) => {
      if (e instanceof Error && 'code' in e && e.code === 'ERR_MODULE_NOT_FOUND' && e.message.includes(`${name}.ts`)) return null;
      throw e;
    });
    mod?.register?.(cli);
  }
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
