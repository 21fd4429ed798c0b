/**
 * Which programs an operation of the library runs, with which integer arguments and inputs:
 * one place for the session (which runs them on real matrices) and the simulator (which runs
 * them on block shapes), so that a prediction runs the sequence a real call runs.
 *
 * A plan is a list of phases, each one job; a phase's input is a matrix the caller gives, one
 * the session makes for the job (row numbers), or an output of an earlier phase.
 *
 * ```ts
 * luSolvePlan({ rows: 8192, cols: 8192, blockRows: 1024, blockCols: 1024 }, { rows: 8192, cols: 1, blockRows: 1024, blockCols: 1 })
 * // → [{ program: 'lu', … }, { program: 'lu_solve', inputs: { L: { from: { phase: 0, output: 'L' }, … }, … } }]
 * ```
 */
import type { ProgramName } from '../../lang/index.ts';

/** Shape and blocking of a matrix (a BlockMatrix is one). */
export interface Shape {
  readonly rows: number;
  readonly cols: number;
  readonly blockRows: number;
  readonly blockCols: number;
}

/** Where a phase's input comes from. */
export type Source =
  /** A matrix of the call (`name` is the call's operand). */
  | { readonly given: string }
  /** The row numbers 0 … rows−1, made by the session for the job. */
  | { readonly made: 'rowIds' }
  /** An output of an earlier phase of the same plan. */
  | { readonly phase: number; readonly output: string };

/** An input of a phase: its shape, where it comes from, and whether only its lower blocks exist. */
export interface PlanInput extends Shape {
  readonly from: Source;
  readonly lowerOnly?: boolean;
}

/** One job of a plan. */
export interface Phase {
  readonly program: ProgramName;
  readonly ints: Readonly<Record<string, number>>;
  readonly inputs: Readonly<Record<string, PlanInput>>;
}

/** Number of blocks along rows and columns. */
export const gridOf = (m: Shape): [number, number] => [Math.ceil(m.rows / m.blockRows), Math.ceil(m.cols / m.blockCols)];

const given = (name: string, m: Shape, lowerOnly = false): PlanInput => ({ rows: m.rows, cols: m.cols, blockRows: m.blockRows, blockCols: m.blockCols, from: { given: name }, ...(lowerOnly ? { lowerOnly } : {}) });
const rowIds = (m: Shape): PlanInput => ({ rows: m.rows, cols: 1, blockRows: m.blockRows, blockCols: 1, from: { made: 'rowIds' } });
const output = (phase: number, name: string, s: Shape): PlanInput => ({ rows: s.rows, cols: s.cols, blockRows: s.blockRows, blockCols: s.blockCols, from: { phase, output: name } });

/** Cholesky of A (only its lower blocks are read). */
export function choleskyPlan(a: Shape): Phase[] {
  return [{ program: 'cholesky', ints: { N: gridOf(a)[0] }, inputs: { A: given('A', a, true) } }];
}

/** LU with tournament pivoting: A and the row numbers the permutation is built from. */
export function luPlan(a: Shape): Phase[] {
  return [{ program: 'lu', ints: { N: gridOf(a)[0] }, inputs: { A: given('A', a), Id: rowIds(a) } }];
}

/** A general solve: LU, then the permuted triangular solves on its factors. */
export function luSolvePlan(a: Shape, b: Shape): Phase[] {
  const [n] = gridOf(a);
  const perm: Shape = { rows: a.rows, cols: 1, blockRows: a.blockRows, blockCols: 1 };
  return [
    ...luPlan(a),
    {
      program: 'lu_solve',
      ints: { N: n, R: gridOf(b)[1] },
      inputs: { L: output(0, 'L', a), U: output(0, 'U', a), P: output(0, 'P', perm), Id: rowIds(a), B: given('B', b) },
    },
  ];
}

/**
 * QR of a tall A: R only (`qr`), with the explicit Q (`qr_q`), with Qᵀ·B (`qr_qtb`), or both
 * (two jobs: Q is formed by one, Qᵀ·B by the other).
 */
export function qrPlan(a: Shape, opts: { q?: boolean; apply?: Shape } = {}): Phase[] {
  const [m, n] = gridOf(a);
  const phases: Phase[] = [];
  if (opts.q) phases.push({ program: 'qr_q', ints: { M: m, N: n }, inputs: { A: given('A', a) } });
  if (opts.apply) phases.push({ program: 'qr_qtb', ints: { M: m, N: n, NB: gridOf(opts.apply)[1] }, inputs: { A: given('A', a), B: given('B', opts.apply) } });
  if (phases.length === 0) phases.push({ program: 'qr', ints: { M: m, N: n }, inputs: { A: given('A', a) } });
  return phases;
}

/** Least squares: CAQR with B through the same trees, then back substitution, in one job. */
export function lstsqPlan(a: Shape, b: Shape): Phase[] {
  const [m, n] = gridOf(a);
  return [{ program: 'lstsq', ints: { M: m, N: n, NB: gridOf(b)[1] }, inputs: { A: given('A', a), B: given('B', b) } }];
}

/** Aᵀ, block by block. */
export function transposePlan(a: Shape): Phase[] {
  const [m, n] = gridOf(a);
  return [{ program: 'transpose', ints: { M: m, N: n }, inputs: { A: given('A', a) } }];
}

/**
 * SVD: a short-wide A is transposed first (one job), then the band reduction (`svd`), or with
 * `vectors` the tall-skinny TSQR-based one (`tsvd`).
 */
export function svdPlan(a: Shape, opts: { vectors?: boolean } = {}): Phase[] {
  if (a.rows < a.cols) {
    const t: Shape = { rows: a.cols, cols: a.rows, blockRows: a.blockCols, blockCols: a.blockRows };
    const rest = svdPlan(t, opts).map((p) => ({
      ...p,
      // A's place is taken by Aᵀ, the first phase's output; later phases shift by one.
      inputs: Object.fromEntries(Object.entries(p.inputs).map(([k, v]) => [k, 'given' in v.from ? output(0, 'T', v) : 'phase' in v.from ? output(v.from.phase + 1, v.from.output, v) : v])),
    }));
    return [...transposePlan(a), ...rest];
  }
  const [m, n] = gridOf(a);
  if (opts.vectors) return [{ program: 'tsvd', ints: { N: m }, inputs: { A: given('A', a) } }];
  return [{ program: 'svd', ints: { M: m, N: n }, inputs: { A: given('A', a) } }];
}

/** SPD solve: Cholesky and both triangular solves in one job. */
export function spdSolvePlan(a: Shape, b: Shape): Phase[] {
  return [{ program: 'spd_solve', ints: { N: gridOf(a)[0], R: gridOf(b)[1] }, inputs: { A: given('A', a, true), B: given('B', b) } }];
}

/** Forward substitution with a lower-triangular L. */
export function trsmPlan(l: Shape, b: Shape): Phase[] {
  return [{ program: 'trsm', ints: { N: gridOf(l)[0], R: gridOf(b)[1] }, inputs: { L: given('L', l), B: given('B', b) } }];
}

/** C = A·B. */
export function gemmPlan(a: Shape, b: Shape): Phase[] {
  const [m, k] = gridOf(a);
  return [{ program: 'gemm', ints: { M: m, N: gridOf(b)[1], K: k }, inputs: { A: given('A', a), B: given('B', b) } }];
}

/** R of a tall-skinny A (one block column) by a TSQR tree. */
export function tsqrPlan(a: Shape): Phase[] {
  return [{ program: 'tsqr', ints: { N: gridOf(a)[0] }, inputs: { A: given('A', a) } }];
}
