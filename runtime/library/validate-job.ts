/**
 * Checks a job before it runs, where the compiler cannot: for concrete arguments and inputs.
 *
 * - integer arguments are non-negative and the job computes something (a terminal task);
 * - missing integer arguments are inferred from the inputs' block grids (the one choice for
 *   which the blocks read of every input span exactly its grid);
 * - every input is read up to its last block row and column and not beyond: a too-large size
 *   would fail later on a missing block, a too-small one would silently use the leading blocks;
 * - single assignment: no block has two writers (`checkSingleAssignment`, which enumerates only
 *   the writes that the solve plans cannot show to be one-to-one).
 *
 * The cost is one pass over the tasks of the statements that read inputs, and the writes
 * above; never a walk of the DAG's edges.
 *
 * After a failed job, `explainFailure` looks for the usual root cause a kernel cannot see: a
 * NaN or infinity in an input (Cholesky reports it as a non-positive pivot).
 */
import { LapwingError } from '../core/errors.ts';
import type { Block } from '../core/interfaces.ts';
import { JobFailedError } from '../scheduling/driver.ts';
import { DagError, bind, params, statementCount, statementTasks, type BoundProgram, type Program } from '../../lang/index.ts';

/** The shape of an input matrix as stored: its block grid. */
export interface InputShape {
  readonly rows: number;
  readonly cols: number;
  readonly blockRows: number;
  readonly blockCols: number;
  readonly grid: readonly [number, number];
}

/** A job that cannot run as given: a one-line message for the user. */
export class JobSpecError extends LapwingError {
  declare readonly code: 'JOB_SPEC';
  constructor(message: string) {
    super('JOB_SPEC', message, { userFacing: true });
    this.name = 'JobSpecError';
  }
}

/** An input as stored, for `explainFailure`. */
export interface StoredInput extends InputShape {
  block(bi: number, bj: number): Promise<Block | null>;
}

/**
 * The error to report for a failed job: the same, prefixed with the first NaN or infinity of
 * an input if there is one (read only after a failure, so successful jobs pay nothing).
 */
export async function explainFailure(e: JobFailedError, inputs: Readonly<Record<string, StoredInput>>): Promise<JobFailedError> {
  for (const [name, m] of Object.entries(inputs)) {
    const [gr, gc] = m.grid;
    for (let bi = 0; bi < gr; bi++) {
      for (let bj = 0; bj < gc; bj++) {
        const b = await m.block(bi, bj).catch(() => null);
        if (!b) continue;
        for (let k = 0; k < b.data.length; k++) {
          const v = b.data[k]!;
          if (Number.isFinite(v)) continue;
          // Blocks are column-major.
          const row = bi * m.blockRows + (k % b.rows), col = bj * m.blockCols + Math.floor(k / b.rows);
          const err = new JobFailedError(e.jobId, `input ${name} contains ${Number.isNaN(v) ? 'NaN' : String(v)} (first at row ${row}, column ${col}); the job failed: ${e.message}`);
          err.cause = e;
          return err;
        }
      }
    }
  }
  return e;
}

/** Candidate combinations tried when inferring arguments. */
const MAX_COMBINATIONS = 64;

/**
 * Validates a job; returns its integer arguments with the missing ones inferred.
 * @throws JobSpecError naming the argument or input at fault; DagError('SSA') for a block written twice.
 */
export function validateJob(program: Program, ints: Readonly<Record<string, number>>, inputs: Readonly<Record<string, InputShape>>): Record<string, number> {
  const intParams = params(program).filter((p) => p.kind === 'int').map((p) => p.name);
  for (const [k, v] of Object.entries(ints)) {
    if (intParams.includes(k) && Number.isInteger(v) && v < 0) throw new JobSpecError(`argument ${k} must be ≥ 0, got ${v}`);
  }
  const missing = intParams.filter((k) => !(k in ints));
  const full = missing.length === 0 ? { ...ints } : infer(program, ints, missing, inputs);
  const bound = bind(program, full);
  if (bound.terminalCount() === 0) {
    throw new JobSpecError(`${program.name} has nothing to compute for ${show(full)}: no task writes an output`);
  }
  const problem = gridProblem(bound, inputs);
  if (problem !== null) {
    const better = missing.length === 0 ? tryInfer(program, ints, intParams, inputs) : null;
    const hint = better ? `; the inputs fit ${show(better)}` : '';
    throw new JobSpecError(`${problem}${hint}`);
  }
  bound.checkSingleAssignment();
  return full;
}

function show(args: Readonly<Record<string, number>>): string {
  return Object.entries(args).map(([k, v]) => `${k}=${v}`).join(',') || 'no arguments';
}

function infer(program: Program, ints: Readonly<Record<string, number>>, missing: string[], inputs: Readonly<Record<string, InputShape>>): Record<string, number> {
  const found = tryInfer(program, ints, missing, inputs);
  if (found) return found;
  const grids = Object.entries(inputs).map(([k, m]) => `${k}: ${m.grid[0]}×${m.grid[1]} blocks`).join(', ');
  throw new JobSpecError(`cannot infer ${missing.join(', ')} from the inputs' block grids (${grids || 'no inputs'}); give --arg ${missing.map((m) => `${m}=…`).join(',')}`);
}

/** The one assignment of `names` (from the inputs' grid sizes) under which every input fits exactly. */
function tryInfer(program: Program, ints: Readonly<Record<string, number>>, names: readonly string[], inputs: Readonly<Record<string, InputShape>>): Record<string, number> | null {
  const sizes = [...new Set(Object.values(inputs).flatMap((m) => [m.grid[0], m.grid[1]]))].sort((a, b) => a - b);
  if (sizes.length === 0 || sizes.length ** names.length > MAX_COMBINATIONS) return null;
  const fits: Record<string, number>[] = [];
  const choose = (k: number, acc: Record<string, number>): void => {
    if (k === names.length) {
      try {
        const bound = bind(program, acc);
        if (bound.terminalCount() > 0 && gridProblem(bound, inputs) === null) fits.push({ ...acc });
      } catch (e) {
        if (!(e instanceof DagError)) throw e;
      }
      return;
    }
    for (const s of sizes) choose(k + 1, { ...acc, [names[k]!]: s });
  };
  choose(0, { ...ints });
  return fits.length === 1 ? fits[0]! : null;
}

/** Null if the blocks read of each 2-D input span exactly its grid; else what is wrong. */
function gridProblem(bound: BoundProgram, inputs: Readonly<Record<string, InputShape>>): string | null {
  const max = new Map<string, number[]>();
  const program = bound.program;
  program.statements.forEach((s, stmt) => {
    const reading = s.reads.filter((a) => inputs[a.matrix] !== undefined && a.idx.length === 2);
    if (reading.length === 0 || statementCount(bound, stmt) === 0) return;
    for (const vars of statementTasks(bound, stmt)) {
      for (const b of bound.reads({ stmt, vars })) {
        if (inputs[b.matrix] === undefined || b.idx.length !== 2) continue;
        const m = max.get(b.matrix) ?? [-1, -1];
        if (b.idx[0]! < 0 || b.idx[1]! < 0) return void max.set(b.matrix, [Number.NaN, Number.NaN]);
        m[0] = Math.max(m[0]!, b.idx[0]!);
        m[1] = Math.max(m[1]!, b.idx[1]!);
        max.set(b.matrix, m);
      }
    }
  });
  for (const [name, [r, c]] of max) {
    const m = inputs[name]!;
    const [gr, gc] = m.grid;
    if (r === gr - 1 && c === gc - 1) continue;
    const shape = `input ${name} is ${gr}×${gc} blocks (${m.rows}×${m.cols} in blocks of ${m.blockRows === m.blockCols ? m.blockRows : `${m.blockRows}×${m.blockCols}`})`;
    const args = show(bound.args);
    if (!Number.isFinite(r!) || !Number.isFinite(c!)) return `${shape}, but ${program.name} with ${args} reads a block at a negative index`;
    const reads = `${program.name} with ${args} reads blocks up to ${name}[${r}, ${c}]`;
    return r! >= gr || c! >= gc ? `${shape}, but ${reads}, beyond its last block` : `${shape}, but ${reads}: its last blocks would be ignored`;
  }
  return null;
}
