/**
 * Public API of the lapwing language (lang/). The runtime imports only this module.
 *
 * @example
 *   import { compile, bind, programSource, taskKey } from './lang/index.ts';
 *   const program = compile(programSource('cholesky'));      // small JSON IR, independent of N
 *   const dag = bind(program, { N: 8 });
 *   for (const t of dag.starters()) console.log(taskKey(t), dag.describe(t));
 *   dag.children({ stmt: 0, vars: [] });                      // symbolic: solved, not searched
 *
 * Pipeline (one file each): tokenizer → braces (repair) → parser → analyze (+ scope; lowering/:
 * context, sum, ssa)
 * → ir; bind → codegen + solve; expand (brute force), check, stats, render; priority.
 */
export type { Attrs, AttrValue, KernelSpec } from '../kernels/types.ts';
export { compile, type CompileOptions } from './compile.ts';
export {
  BindError, CompileError, DagError, ErrorCodes, formatDiagnostic,
  type DagErrorCode, type Diagnostic, type ErrorCode,
} from './errors.ts';
export type { BinaryOp, Expr, IrAccess, IrLoop, IrStatement, ParamInfo, Program, UnaryOp } from './ir.ts';
export { bind, params, statementCount, statementTasks, type BoundProgram } from './bind.ts';
export { blockKeySuffix, blockToString, parseTaskKey, taskKey, type BlockRef, type Task } from './task.ts';
export { blockPriority } from './priority.ts';
export { expand, type ExpandedDag } from './expand.ts';
export { checkDag, type DagCheck } from './check.ts';
export { dagStats, type DagStats } from './stats.ts';
export { toDot, toJson, type DagJson } from './render.ts';
export { PROGRAMS, isProgramName, programPath, programSource, type ProgramName } from './programs.ts';
