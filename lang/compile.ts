/**
 * The compiler pipeline: tokenize → repair braces → parse → analyze (names, types, kernels,
 * reductions, SSA) → {@link Program}. Every error is collected; a failed compile throws one
 * {@link CompileError} listing them all, never a stack trace for the user's mistake.
 */
import { kernelSpecs } from '../kernels/specs.ts';
import type { KernelSpec } from '../kernels/types.ts';
import { analyze } from './analyze.ts';
import { CompileError, Reporter } from './errors.ts';
import type { Program } from './ir.ts';
import { parse } from './parser.ts';

export interface CompileOptions {
  /** Fan-in of `sum` reduction trees (default 4; a `sum(fanin=f)` overrides it per use). */
  fanIn?: number;
  /** Kernel registry to resolve calls against (default: kernels/specs.ts). */
  kernels?: ReadonlyMap<string, KernelSpec>;
  /** Name shown in diagnostics (default `<source>`). */
  filename?: string;
}

/**
 * Compiles one `def` to its IR.
 *
 * @example
 *   const program = compile(programSource('cholesky'));
 *   const dag = bind(program, { N: 8 });
 * @throws CompileError with every diagnostic found.
 */
export function compile(source: string, options: CompileOptions = {}): Program {
  const filename = options.filename ?? '<source>';
  const reporter = new Reporter(source);
  const fanIn = options.fanIn ?? 4;
  if (!Number.isInteger(fanIn) || fanIn < 2) {
    reporter.error('E_OPTION', `compile option fanIn must be an integer ≥ 2, got ${fanIn}`, { line: 1, col: 1, offset: 0, end: 0 });
    throw new CompileError(reporter.sorted(), filename);
  }
  const file = parse(source, reporter);
  reporter.endOfSyntax();
  const program = analyze(file, reporter, { kernels: options.kernels ?? kernelSpecs, fanIn });
  if (program === undefined || reporter.failed) throw new CompileError(reporter.sorted(), filename);
  return program;
}
