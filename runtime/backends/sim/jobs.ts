/**
 * The jobs `lapwing simulate` knows: the shipped algorithms with the inputs the real commands
 * create (lapwing cholesky|matmul|solve|tsqr|lu|qr|lstsq|svd), run as the library runs them —
 * the same programs in the same order (runtime/library/plans.ts) — or a program file whose
 * input matrices are all n × n in blocks of `block`.
 */
import { readFileSync } from 'node:fs';
import { compile, params, programSource, type Program, type ProgramName } from '../../../lang/index.ts';
import {
  choleskyPlan, gemmPlan, lstsqPlan, luPlan, luSolvePlan, qrPlan, spdSolvePlan, svdPlan, trsmPlan, tsqrPlan,
  type Phase, type Shape,
} from '../../library/plans.ts';
import { ShapeError } from '../../library/matrix.ts';
import type { SimJob, SimMatrix, SimOutputRef } from './simulate.ts';

export type SimAlgorithm = 'cholesky' | 'gemm' | 'trsm' | 'tsqr' | 'spd_solve' | 'lu' | 'lu_solve' | 'qr' | 'lstsq' | 'svd';
export const SIM_ALGORITHMS: readonly SimAlgorithm[] = ['cholesky', 'gemm', 'trsm', 'tsqr', 'spd_solve', 'lu', 'lu_solve', 'qr', 'lstsq', 'svd'];

export interface SimJobOptions {
  readonly n: number;
  readonly block: number;
  /** tsqr, qr, lstsq, svd: rows of A (default n; tsqr: 64 blocks tall as `lapwing tsqr`). */
  readonly rows?: number;
  /** Columns of A (qr, lstsq, svd; default n; tsqr: min(block, 128)); of B for the solves (default n). */
  readonly cols?: number;
  /** qr: also the explicit Q (`lapwing qr --q`). */
  readonly q?: boolean;
  /** lstsq: columns of B (default 1, as `lapwing lstsq`). */
  readonly rhs?: number;
  /** svd: also U and V (`lapwing svd --vectors`). */
  readonly vectors?: boolean;
  /** Integer arguments of a program file. */
  readonly args?: Readonly<Record<string, number>>;
}

/** A simulated job: its first program, the ones after it, the algorithm's flops and its label. */
export interface SimJobPlan {
  readonly job: SimJob;
  /** Programs run after `job`, in order (a call of several programs, e.g. LU then the solves). */
  readonly then: readonly SimJob[];
  readonly flops: number;
  readonly label: string;
  /** The size the real command reports as n (rows of A; the long side for svd). */
  readonly n: number;
}

const shape = (rows: number, cols: number, b: number, bc = b): Shape => ({ rows, cols, blockRows: b, blockCols: bc });

const compiled = new Map<ProgramName, Program>();
function shipped(name: ProgramName): Program {
  let p = compiled.get(name);
  if (!p) compiled.set(name, (p = compile(programSource(name), { filename: `${name}.lp` })));
  return p;
}

/**
 * The plan's phases as simulated jobs. A matrix of the call is seeded under `inputs/NAME` (one
 * copy for every phase that reads it); one the session makes for a job under its own prefix.
 */
export function simJobsOf(phases: readonly Phase[]): SimJob[] {
  return phases.map((p, i) => {
    const inputs: Record<string, SimMatrix | SimOutputRef> = {};
    for (const [name, m] of Object.entries(p.inputs)) {
      const s = { rows: m.rows, cols: m.cols, blockRows: m.blockRows, blockCols: m.blockCols, ...(m.lowerOnly ? { lowerOnly: true } : {}) };
      if ('phase' in m.from) inputs[name] = { phase: m.from.phase, output: m.from.output };
      else if ('given' in m.from) inputs[name] = { ...s, prefix: `inputs/${m.from.given}` };
      else inputs[name] = { ...s, prefix: i === 0 ? `inputs/${name}` : `inputs/${name}.${i + 1}` };
    }
    return { program: shipped(p.program), args: p.ints, inputs };
  });
}

/** The job(s) of a shipped algorithm (as the CLI and library set it up) or of a `.lp` file. */
export function simJob(what: string, o: SimJobOptions): SimJobPlan {
  const { n, block: b } = o;
  const plan = (label: string, flops: number, phases: readonly Phase[], shown = n): SimJobPlan => {
    const [job, ...then] = simJobsOf(phases);
    return { job: job!, then, flops, label, n: shown };
  };
  const rows = o.rows ?? n, cols = o.cols ?? n;
  const householder = 2 * rows * cols * cols - (2 / 3) * cols ** 3;
  // The commands' own checks, so that nothing is simulated that would not run.
  if ((what === 'qr' || what === 'lstsq') && rows < cols) throw new ShapeError(`${what} needs at least as many rows as columns: A is ${rows}x${cols}`);
  switch (what) {
    case 'cholesky':
      return plan('cholesky', n ** 3 / 3, choleskyPlan(shape(n, n, b)));
    case 'gemm':
      return plan('gemm', 2 * n ** 3, gemmPlan(shape(n, n, b), shape(n, n, b)));
    case 'trsm':
      return plan('trsm', n * n * cols, trsmPlan(shape(n, n, b), shape(n, cols, b)));
    case 'spd_solve':
      return plan('spd_solve', n ** 3 / 3 + 2 * n * n * cols, spdSolvePlan(shape(n, n, b), shape(n, cols, b)));
    case 'lu':
      return plan('lu', (2 / 3) * n ** 3, luPlan(shape(n, n, b)));
    case 'lu_solve':
      return plan('lu_solve', (2 / 3) * n ** 3 + 2 * n * n * cols, luSolvePlan(shape(n, n, b), shape(n, cols, b)));
    case 'qr':
      // Forming Q costs about as much again as R.
      return plan('qr', o.q ? 2 * householder : householder, qrPlan(shape(rows, cols, b), { q: o.q === true }), rows);
    case 'lstsq': {
      const rhs = o.rhs ?? 1;
      return plan('lstsq', householder + 4 * rows * cols * rhs + cols * cols * rhs, lstsqPlan(shape(rows, cols, b), shape(rows, rhs, b)), rows);
    }
    case 'svd': {
      const m = Math.max(rows, cols), k = Math.min(rows, cols);
      if (o.vectors && k > b) throw new ShapeError(`svd --vectors: the short side of A (${rows}x${cols}) must fit in one block (--block ${b})`);
      return plan('svd', 4 * m * k * k - (4 / 3) * k ** 3, svdPlan(shape(rows, cols, b), { vectors: o.vectors === true }), m);
    }
    case 'tsqr': {
      const c = o.cols ?? Math.min(b, 128);
      const r = o.rows ?? n;
      return plan('tsqr', 2 * r * c * c - (2 / 3) * c ** 3, tsqrPlan(shape(r, c, b, c)), r);
    }
    default: {
      const program = compile(readFileSync(what, 'utf8'), { filename: what });
      const inputs: Record<string, SimMatrix> = {};
      for (const p of params(program)) if (p.kind === 'matrix' && p.role === 'in') inputs[p.name] = shape(n, n, b);
      return { label: program.name, flops: 0, job: { program, args: o.args ?? {}, inputs }, then: [], n };
    }
  }
}
