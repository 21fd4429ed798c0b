/**
 * `lapwing report run.jsonl -o report.html`: turns a trace written with `--trace` into one
 * self-contained HTML file (timeline, executors and queue depth, GFLOP/s, per-kernel time,
 * critical path, AWS cost estimate).
 */
import type { Command } from 'commander';
import { writeReport } from '../../report/write-report.ts';
import { UserError } from '../errors.ts';

interface ReportFlags {
  output?: string;
  prices?: string;
  memory?: string;
  title?: string;
  predict?: string | boolean;
  kernelProfile?: string;
}

/** Registers the `report` command. */
export function register(cli: Command): void {
  cli
    .command('report')
    .description('write a self-contained HTML report of a traced run (lapwing … --trace run.jsonl)')
    .argument('<trace>', 'trace file (JSON Lines) written with --trace')
    .option('-o, --output <file>', 'HTML file to write (default: the trace name with .html)')
    .option('--prices <file>', 'JSON object overriding the default AWS prices, e.g. {"lambdaGbSecond": 0.0000133334}')
    .option('--memory <MB>', 'executor (Lambda) memory for the cost estimate, overriding the trace header')
    .option('--title <text>', 'page title')
    .option('--predict [profile]', 'simulate the traced setting (lapwing simulate; profile local, emulated or aws, default by backend) and show the prediction beside the measurement')
    .option('--kernel-profile <file>', 'with --predict: kernel rates from `lapwing bench kernels --json` (default: the shipped profile)')
    .action(async (trace: string, flags: ReportFlags) => {
      let memoryMb: number | undefined;
      if (flags.memory !== undefined) {
        memoryMb = Number(flags.memory);
        if (!Number.isFinite(memoryMb) || memoryMb <= 0) throw new UserError(`--memory must be a positive number of MB, got "${flags.memory}"`);
      }
      const output = flags.output ?? `${trace.replace(/\.jsonl?$/i, '')}.html`;
      if (output === trace) throw new UserError(`refusing to overwrite the trace ${trace}: give -o report.html`);
      const { predict, kernelProfile } = flags;
      const result = await writeReport(trace, output, {
        pricesPath: flags.prices, memoryMb, title: flags.title,
        ...(predict !== undefined ? {
          predict: async (t) => {
            const { predictTrace } = await import('../../backends/sim/predict.ts');
            const { kernelProfile: readProfile } = await import('./simulate.ts');
            return predictTrace(t, {
              ...(typeof predict === 'string' ? { profile: predict } : {}),
              ...(kernelProfile ? { kernelProfile: await readProfile(kernelProfile), kernelProfileArg: kernelProfile } : {}),
            });
          },
        } : {}),
      });
      for (const w of result.warnings) process.stderr.write(`lapwing: warning: ${w}\n`);
      process.stdout.write(`wrote ${output} (${result.attempts} attempts on ${result.executors} executors, ${(result.bytes / 1024).toFixed(0)} KiB)\n`);
    });
}
