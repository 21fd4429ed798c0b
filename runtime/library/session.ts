/**
 * The matrix library: a session owns a backend and offers matrices and operations on them.
 *
 * ```ts
 * import { lapwing } from 'lapwing';
 * const lw = await lapwing({ workers: 2 });
 * const A = await lw.randomSpd(2048, { block: 256 });
 * const L = await lw.cholesky(A);
 * console.log(await lw.residual.cholesky(A, L));
 * await lw.close();
 * ```
 */
import { compile, programSource, type Program, type ProgramName } from '../../lang/index.ts';
import { explainFailure, validateJob } from './validate-job.ts';
import type { Backend, SampleTrace } from '../core/interfaces.ts';
import { launchMissing, runJob, JobFailedError, type JobProgress, type JobResult } from '../scheduling/driver.ts';
import { LapwingError } from '../../kernels/errors.ts';
import { BlockMatrix, ShapeError, fromDense, hashUniform, storeMatrix, type Order } from './matrix.ts';
import { readNpy } from './npy.ts';
import { createLocalBackend, type LocalBackendOptions } from '../backends/local/index.ts';
import { newJobId, outputPrefix } from '../core/keys.ts';
import * as verify from './verify.ts';
import { choleskyPlan, lstsqPlan, luPlan, luSolvePlan, qrPlan, spdSolvePlan, svdPlan, transposePlan, trsmPlan, tsqrPlan } from './plans.ts';
import type { SpeculationPolicy } from '../scheduling/speculation.ts';

export interface SessionOptions extends LocalBackendOptions {
  /** 'local' (default) or a ready backend (e.g. the AWS one). */
  readonly backend?: 'local' | Backend;
  /** Default block size for new matrices (default 512). */
  readonly block?: number;
  /** Progress callback for every job. */
  readonly onProgress?: (p: JobProgress) => void;
  readonly onSample?: (s: SampleTrace) => void;
  /** Speculative backups of stragglers (local backend). */
  readonly speculate?: SpeculationPolicy;
  /** Called as each job starts (tracing records the program and its arguments). */
  readonly onJobStart?: (job: { jobId: string; program: Program; args: Readonly<Record<string, number>> }) => void;
}

export interface MatrixOptions {
  readonly block?: number;
  readonly seed?: number;
}

/** Something with ml-matrix's shape: `rows`, `columns`, `get(i, j)`. */
export interface MatrixLike {
  readonly rows: number;
  readonly columns: number;
  get(i: number, j: number): number;
}

/** Something with ndarray's shape: `shape`, `get(i, j)`. */
export interface NdarrayLike {
  readonly shape: readonly number[];
  get(...idx: number[]): number;
}

/** Statistics of the last job a session ran. */
export type LastRun = JobResult & { readonly algorithm: string };

const owners = new WeakMap<BlockMatrix, Lapwing>();

function owned(session: Lapwing, m: BlockMatrix): BlockMatrix {
  owners.set(m, session);
  return m;
}

/** The session a matrix handle belongs to. */
export function sessionOf(m: BlockMatrix): Lapwing {
  const s = owners.get(m);
  if (!s) throw new Error('this matrix was not created by a lapwing session');
  return s;
}

/** Lower Cholesky factor L of A (A = L·Lᵀ), on A's session. */
export const cholesky = (a: BlockMatrix): Promise<BlockMatrix> => sessionOf(a).cholesky(a);
/** C = A·B on A's session. */
export const matmul = (a: BlockMatrix, b: BlockMatrix): Promise<BlockMatrix> => sessionOf(a).matmul(a, b);
/** X with A·X = B on A's session (see {@link Lapwing.solve} for `assume`). */
export const solve = (a: BlockMatrix, b: BlockMatrix, opts?: SolveOptions): Promise<BlockMatrix> => sessionOf(a).solve(a, b, opts);
/** X with L·X = B for a lower-triangular L, on L's session. */
export const trsm = (l: BlockMatrix, b: BlockMatrix): Promise<BlockMatrix> => sessionOf(l).trsm(l, b);
/** Pivoted LU on A's session: A[perm] = L·U. */
export const lu = (a: BlockMatrix): Promise<{ perm: BlockMatrix; L: BlockMatrix; U: BlockMatrix }> => sessionOf(a).lu(a);
/** A's QR (CAQR) on A's session: R, and Q or Qᵀ·B on request (see {@link Lapwing.qr}). */
export function qr(a: BlockMatrix, opts: QrOptions & { q: true; apply: BlockMatrix }): Promise<{ Q: BlockMatrix; R: BlockMatrix; QtB: BlockMatrix }>;
export function qr(a: BlockMatrix, opts: QrOptions & { q: true }): Promise<{ Q: BlockMatrix; R: BlockMatrix }>;
export function qr(a: BlockMatrix, opts: QrOptions & { apply: BlockMatrix }): Promise<{ R: BlockMatrix; QtB: BlockMatrix }>;
export function qr(a: BlockMatrix, opts?: QrOptions): Promise<QrResult>;
export function qr(a: BlockMatrix, opts: QrOptions = {}): Promise<QrResult> {
  return sessionOf(a).qr(a, opts);
}
/** Least squares min ‖A·X − B‖_F for a tall A, on A's session (see {@link Lapwing.lstsq}). */
export const lstsq = (a: BlockMatrix, b: BlockMatrix): Promise<LstsqResult> => sessionOf(a).lstsq(a, b);

/** True when every value of `m` is finite; reads it block by block (one block in memory). */
async function allFinite(m: BlockMatrix): Promise<boolean> {
  const [gr, gc] = m.grid;
  for (let i = 0; i < gr; i++) {
    for (let j = 0; j < gc; j++) {
      const blk = await m.block(i, j);
      if (blk && !blk.data.every(Number.isFinite)) return false;
    }
  }
  return true;
}

/** A least-squares problem without a unique answer: A does not have full column rank. */
export class RankDeficientError extends LapwingError {
  constructor(message: string) {
    super('RANK_DEFICIENT', message, { userFacing: true });
    this.name = 'RankDeficientError';
  }
}
/** Singular values (and, for a tall-skinny or short-wide A, U and V) on A's session (see {@link Lapwing.svd}). */
export const svd = (a: BlockMatrix, opts?: SvdOptions): Promise<SvdResult> => sessionOf(a).svd(a, opts);
/** A⁻¹ on A's session (see {@link Lapwing.inv}). */
export const inv = (a: BlockMatrix, opts?: SolveOptions): Promise<BlockMatrix> => sessionOf(a).inv(a, opts);
/** Aᵀ on A's session. */
export const transpose = (a: BlockMatrix): Promise<BlockMatrix> => sessionOf(a).transpose(a);
/** A + B on A's session. */
export const add = (a: BlockMatrix, b: BlockMatrix): Promise<BlockMatrix> => sessionOf(a).add(a, b);
/** A − B on A's session. */
export const sub = (a: BlockMatrix, b: BlockMatrix): Promise<BlockMatrix> => sessionOf(a).sub(a, b);
/** s·A on A's session. */
export const scale = (a: BlockMatrix, s: number): Promise<BlockMatrix> => sessionOf(a).scale(a, s);
/** ‖A‖_F on A's session. */
export const norm = (a: BlockMatrix): Promise<number> => sessionOf(a).norm(a);
/** The diagonal of A as a column, on A's session. */
export const diag = (a: BlockMatrix): Promise<BlockMatrix> => sessionOf(a).diag(a);
/** R of a tall-skinny A on A's session. */
export const tsqr = (a: BlockMatrix): Promise<BlockMatrix> => sessionOf(a).tsqr(a);

/**
 * What `solve` may assume about A. 'lower': lower triangular (only its lower triangle is
 * read); 'spd': symmetric positive definite (only its lower triangle is read); 'general':
 * nothing (LU with pivoting).
 */
export type SolveAssumption = 'general' | 'spd' | 'lower';

export interface SolveOptions {
  /** Default: 'lower' for a factor lapwing made lower triangular (cholesky, randomLower), else 'general'. */
  readonly assume?: SolveAssumption;
}

/** What `qr` returns besides R. */
export interface QrOptions {
  /** Also the explicit thin Q (m × n, orthonormal columns, A = Q·R). */
  readonly q?: boolean;
  /** Also Qᵀ·B for the thin Q (n × cols(B)), B with A's row blocks: one job with R, no Q formed. */
  readonly apply?: BlockMatrix;
}

/** A's QR: R always, Q and Qᵀ·B when asked for. */
export interface QrResult {
  readonly R: BlockMatrix;
  readonly Q?: BlockMatrix;
  readonly QtB?: BlockMatrix;
}

/** A least-squares solution and its residual. */
export interface LstsqResult {
  /** n × cols(B): minimizes ‖A·X − B‖_F. */
  readonly X: BlockMatrix;
  /** ‖A·X − B‖_F, from the part of Qᵀ·B below R (computed in the job; no product formed). */
  readonly residual: number;
}

export interface SvdOptions {
  /** Also U and V (A must be tall-skinny or short-wide: its short side within one block). */
  readonly vectors?: boolean;
}

/**
 * A = U·diag(s)·Vᵀ, k = min(m, n). `s` is a k × 1 column, descending (one block). With
 * `vectors`: U (m × k) and V (n × k), orthonormal columns.
 */
export interface SvdResult {
  readonly s: BlockMatrix;
  readonly U?: BlockMatrix;
  readonly V?: BlockMatrix;
}

/** Whether op(X) is X (false) or Xᵀ (true), per operand of `matmul`. */
export interface MatmulOptions {
  readonly transA?: boolean;
  readonly transB?: boolean;
}

/** Handles known to be lower triangular because lapwing made them so. */
const lowerTriangular = new WeakSet<BlockMatrix>();

export class Lapwing {
  private readonly programs = new Map<string, Program>();
  private seq = 0;
  /** The last job's result (wall time, tasks, flops). */
  last: LastRun | null = null;
  readonly residual = {
    cholesky: verify.choleskyResidual,
    matmul: verify.matmulResidual,
    solve: verify.solveResidual,
    qr: verify.qrResidual,
    lu: verify.luResidual,
    qrFactors: verify.qrFactorsResidual,
    lstsq: verify.lstsqResidual,
    svd: verify.svdResidual,
  };

  constructor(readonly backend: Backend, private readonly options: SessionOptions) {}

  get kernels(): string {
    return this.options.kernels ?? process.env.LAPWING_KERNELS ?? 'auto';
  }

  private get block(): number {
    return this.options.block ?? 512;
  }

  private newPrefix(tag: string): string {
    return `mat/${process.pid}-${Date.now().toString(36)}-${++this.seq}-${tag}`;
  }

  // ---- creating matrices -------------------------------------------------------------------

  private async store(...a: Parameters<typeof storeMatrix> extends [unknown, ...infer R] ? R : never): Promise<BlockMatrix> {
    return owned(this, await storeMatrix(this.backend.blocks, ...a));
  }

  /** From a dense array (row-major by default). */
  fromArray(data: ArrayLike<number>, rows: number, cols: number, opts: MatrixOptions & { order?: Order } = {}): Promise<BlockMatrix> {
    const b = opts.block ?? this.block;
    return this.store( this.newPrefix('a'), rows, cols, b, b, fromDense(data, rows, cols, opts.order ?? 'C'));
  }

  /** From an ml-matrix `Matrix` (or anything with rows/columns/get). */
  fromMatrix(m: MatrixLike, opts: MatrixOptions = {}): Promise<BlockMatrix> {
    const b = opts.block ?? this.block;
    return this.store( this.newPrefix('m'), m.rows, m.columns, b, b, (blk, r0, c0) => {
      for (let j = 0; j < blk.cols; j++) for (let i = 0; i < blk.rows; i++) blk.data[i + j * blk.rows] = m.get(r0 + i, c0 + j);
    });
  }

  /** From a 2-D ndarray. */
  fromNdarray(a: NdarrayLike, opts: MatrixOptions = {}): Promise<BlockMatrix> {
    if (a.shape.length !== 2) throw new RangeError(`ndarray has ${a.shape.length} dimensions; a matrix needs 2`);
    const [rows, cols] = a.shape as [number, number];
    const b = opts.block ?? this.block;
    return this.store( this.newPrefix('nd'), rows, cols, b, b, (blk, r0, c0) => {
      for (let j = 0; j < blk.cols; j++) for (let i = 0; i < blk.rows; i++) blk.data[i + j * blk.rows] = a.get(r0 + i, c0 + j);
    });
  }

  /** From a 2-D float64 .npy file. */
  async fromNpy(path: string, opts: MatrixOptions = {}): Promise<BlockMatrix> {
    const m = await readNpy(path);
    return this.fromArray(m.data, m.rows, m.cols, opts);
  }

  /** Uniform random values in [-1, 1), deterministic for a seed. */
  random(rows: number, cols: number, opts: MatrixOptions & { blockCols?: number } = {}): Promise<BlockMatrix> {
    const b = opts.block ?? this.block;
    const seed = opts.seed ?? 1;
    return this.store( this.newPrefix('r'), rows, cols, b, opts.blockCols ?? b, (blk, r0, c0) => {
      for (let j = 0; j < blk.cols; j++) for (let i = 0; i < blk.rows; i++) blk.data[i + j * blk.rows] = hashUniform(seed, r0 + i, c0 + j);
    });
  }

  /**
   * A random symmetric positive-definite n × n matrix: symmetric uniform entries in [-1, 1)
   * plus n on the diagonal (strictly diagonally dominant, hence SPD and well conditioned).
   * Stored as its lower blocks only (`symmetric: 'lower'`), all that Cholesky reads.
   */
  randomSpd(n: number, opts: MatrixOptions = {}): Promise<BlockMatrix> {
    const b = opts.block ?? this.block;
    const seed = opts.seed ?? 1;
    return this.store( this.newPrefix('spd'), n, n, b, b, (blk, r0, c0) => {
      const d = blk.data, rows = blk.rows;
      for (let j = 0; j < blk.cols; j++) {
        const gj = c0 + j;
        for (let i = 0; i < rows; i++) {
          const gi = r0 + i;
          const v = gi >= gj ? hashUniform(seed, gi, gj) : hashUniform(seed, gj, gi);
          d[i + j * rows] = gi === gj ? v + n : v;
        }
      }
    }, 'lower');
  }

  /** A random lower-triangular, diagonally dominant (well-conditioned) n × n matrix. */
  async randomLower(n: number, opts: MatrixOptions = {}): Promise<BlockMatrix> {
    const b = opts.block ?? this.block;
    const seed = opts.seed ?? 2;
    return this.lower(await this.store( this.newPrefix('low'), n, n, b, b, (blk, r0, c0) => {
      for (let j = 0; j < blk.cols; j++) {
        for (let i = 0; i < blk.rows; i++) {
          const gi = r0 + i, gj = c0 + j;
          blk.data[i + j * blk.rows] = gi < gj ? 0 : gi === gj ? 2 + Math.abs(hashUniform(seed, gi, gj)) : hashUniform(seed, gi, gj) / Math.sqrt(n);
        }
      }
    }));
  }

  /** The n × n identity. */
  eye(n: number, opts: MatrixOptions = {}): Promise<BlockMatrix> {
    const b = opts.block ?? this.block;
    return this.store(this.newPrefix('eye'), n, n, b, b, (blk, r0, c0) => {
      for (let i = Math.max(r0, c0); i < Math.min(r0 + blk.rows, c0 + blk.cols); i++) blk.data[i - r0 + (i - c0) * blk.rows] = 1;
    });
  }

  /** Marks a handle as lower triangular (so `solve` takes the triangular path by default). */
  private lower(m: BlockMatrix): BlockMatrix {
    lowerTriangular.add(m);
    return m;
  }

  // ---- operations --------------------------------------------------------------------------

  /** Compiles (once) a shipped program by name. */
  program(name: ProgramName): Program {
    let p = this.programs.get(name);
    if (!p) {
      p = compile(programSource(name), { filename: `${name}.lp` });
      this.programs.set(name, p);
    }
    return p;
  }

  /** Runs a program; throws JobFailedError if the job fails. */
  async run(
    program: Program | string,
    args: {
      readonly ints?: Readonly<Record<string, number>>;
      readonly inputs: Readonly<Record<string, BlockMatrix>>;
      readonly algorithm?: string;
    },
  ): Promise<JobResult> {
    const prog = typeof program === 'string' ? compile(program) : program;
    const ints = validateJob(prog, args.ints ?? {}, args.inputs);
    const inputs: Record<string, string> = {};
    for (const [k, m] of Object.entries(args.inputs)) inputs[k] = m.prefix;
    // A launcher that cannot start executors as work arrives starts them all before the job,
    // which then times only its work.
    if (!this.backend.launcher.launchOnDemand) await this.start();
    const jobId = newJobId();
    this.options.onJobStart?.({ jobId, program: prog, args: ints });
    const res = await runJob(this.backend, { program: prog, args: ints, inputs, kernels: this.kernels }, {
      ...(this.options.workers !== undefined ? { workers: this.options.workers } : {}),
      ...(this.options.onProgress ? { onProgress: this.options.onProgress } : {}),
      ...(this.options.onSample ? { onSample: this.options.onSample } : {}),
      ...(this.options.speculate ? { speculate: this.options.speculate } : {}),
      jobId,
    });
    this.last = { ...res, algorithm: args.algorithm ?? prog.name };
    if (res.status !== 'done') throw await explainFailure(new JobFailedError(res.jobId, res.error ?? `job ${res.jobId} ${res.status}`), args.inputs);
    return res;
  }

  /** Handle on an output matrix of a finished job. */
  output(res: JobResult, name: string, rows: number, cols: number, blockRows: number, blockCols: number): BlockMatrix {
    const prefix = res.outputs[name] ?? outputPrefix(res.jobId, name);
    return owned(this, new BlockMatrix(this.backend.blocks, rows, cols, blockRows, blockCols, prefix));
  }

  /** Lower Cholesky factor L of a symmetric positive-definite A (A = L·Lᵀ). */
  async cholesky(a: BlockMatrix): Promise<BlockMatrix> {
    if (a.rows !== a.cols) throw new ShapeError(`cholesky needs a square matrix, got ${a.rows}x${a.cols}`);
    if (a.blockRows !== a.blockCols) throw new ShapeError(`cholesky needs square blocks, got ${a.blockRows}x${a.blockCols}${REBLOCK}`);
    const [p] = choleskyPlan(a);
    const res = await this.run(this.program(p!.program), { ints: p!.ints, inputs: { A: a }, algorithm: 'cholesky' });
    return this.lower(this.output(res, 'L', a.rows, a.cols, a.blockRows, a.blockCols));
  }

  /**
   * C = op(A)·op(B), op(X) being X or Xᵀ per `transA` / `transB` (the transposes are folded
   * into the block products, never formed).
   */
  async matmul(a: BlockMatrix, b: BlockMatrix, opts: MatmulOptions = {}): Promise<BlockMatrix> {
    const ta = opts.transA === true, tb = opts.transB === true;
    const A = ta ? transposedView(a) : viewOf(a);
    const B = tb ? transposedView(b) : viewOf(b);
    const name = (t: boolean, x: string): string => (t ? `${x}ᵀ` : x);
    if (A.cols !== B.rows) throw new ShapeError(`matmul: ${name(ta, 'A')} is ${A.rows}x${A.cols} and ${name(tb, 'B')} is ${B.rows}x${B.cols}: inner dimensions differ`);
    if (A.blockCols !== B.blockRows) throw new ShapeError(`matmul: block sizes ${A.blockCols} and ${B.blockRows} do not match${REBLOCK}`);
    notSymmetric('matmul', a, b);
    const m = Math.ceil(A.rows / A.blockRows), k = Math.ceil(A.cols / A.blockCols), n = Math.ceil(B.cols / B.blockCols);
    const program = ta ? (tb ? 'gemm_tt' : 'gemm_tn') : tb ? 'gemm_nt' : 'gemm';
    const res = await this.run(this.program(program), { ints: { M: m, N: n, K: k }, inputs: { A: a, B: b }, algorithm: 'gemm' });
    return this.output(res, 'C', A.rows, B.cols, A.blockRows, B.blockCols);
  }

  /**
   * X with A·X = B. `assume` (see {@link SolveAssumption}) picks the method: 'lower' a
   * blocked forward substitution, 'spd' one job that factors A = L·Lᵀ and solves both
   * triangular systems. By default a factor lapwing made lower triangular (`cholesky`,
   * `randomLower`) is solved as such; any other A is a general matrix, never silently
   * reduced to its lower triangle.
   */
  async solve(a: BlockMatrix, b: BlockMatrix, opts: SolveOptions = {}): Promise<BlockMatrix> {
    const assume = opts.assume ?? (lowerTriangular.has(a) ? 'lower' : 'general');
    if (assume === 'lower') return this.trsm(a, b);
    if (assume === 'spd') return this.spdSolve(a, b);
    if (assume !== 'general') throw new ShapeError(`solve: assume must be 'general', 'spd' or 'lower', got '${String(assume)}'`);
    return this.generalSolve(a, b);
  }

  /** X with A·X = B for a general square A: pivoted LU, then the permuted triangular solves. */
  private async generalSolve(a: BlockMatrix, b: BlockMatrix): Promise<BlockMatrix> {
    if (a.rows !== b.rows) throw new ShapeError(`solve: A is ${a.rows}x${a.cols} but B has ${b.rows} rows`);
    if (a.blockRows !== b.blockRows) throw new ShapeError(`solve: A and B need the same block rows (${a.blockRows} vs ${b.blockRows})${REBLOCK}`);
    notSymmetric('solve', b);
    // The plan's phases: this.lu(a), then the triangular solves on its factors.
    const [, p] = luSolvePlan(a, b);
    const f = await this.lu(a);
    const ids = await this.rowIds(a.rows, a.blockRows);
    try {
      const res = await this.run(this.program(p!.program), {
        ints: p!.ints, inputs: { L: f.L, U: f.U, P: f.perm, Id: ids, B: b }, algorithm: 'lu_solve',
      });
      return this.output(res, 'X', b.rows, b.cols, b.blockRows, b.blockCols);
    } finally {
      await Promise.all([f.L.delete(), f.U.delete(), f.perm.delete(), ids.delete()]);
    }
  }

  /** The row numbers 0 … n−1 as an n × 1 matrix in row blocks of `block`. */
  private rowIds(n: number, block: number): Promise<BlockMatrix> {
    return this.store(this.newPrefix('ids'), n, 1, block, 1, (blk, r0) => {
      for (let i = 0; i < blk.rows; i++) blk.data[i] = r0 + i;
    });
  }

  /**
   * LU with tournament pivoting (CALU) of a square A: A[perm] = L·U, L unit lower triangular,
   * U upper triangular, `perm` an n × 1 matrix of row numbers (as floats). Each panel's pivot
   * rows are chosen by a binary tree of small partial-pivoting eliminations. An exactly
   * singular A fails the job naming the column without a pivot.
   */
  async lu(a: BlockMatrix): Promise<{ perm: BlockMatrix; L: BlockMatrix; U: BlockMatrix }> {
    if (a.rows !== a.cols) throw new ShapeError(`lu needs a square matrix, got ${a.rows}x${a.cols}`);
    if (a.blockRows !== a.blockCols) throw new ShapeError(`lu needs square blocks, got ${a.blockRows}x${a.blockCols}${REBLOCK}`);
    notSymmetric('lu', a);
    const [p] = luPlan(a);
    const ids = await this.rowIds(a.rows, a.blockRows);
    try {
      const res = await this.run(this.program(p!.program), { ints: p!.ints, inputs: { A: a, Id: ids }, algorithm: 'lu' });
      return {
        perm: this.output(res, 'P', a.rows, 1, a.blockRows, 1),
        L: this.lower(this.output(res, 'L', a.rows, a.cols, a.blockRows, a.blockCols)),
        U: this.output(res, 'U', a.rows, a.cols, a.blockRows, a.blockCols),
      };
    } finally {
      await ids.delete();
    }
  }

  /**
   * QR of an m × n A (m ≥ n), NumPyWren's CAQR: each block column factored by a TSQR tree, the
   * trailing block columns updated through the same tree. Returns R (n × n, upper triangular,
   * rows' signs as Householder QR leaves them); A needs square blocks. With `q`, also the
   * thin Q (m × n): the trees applied in reverse to [I; 0], in the same job. With `apply: B`,
   * also Qᵀ·B (n × cols(B)): B's columns go through the trees with A's, Q is not formed (one
   * more job when both are asked for).
   *
   * @example const { Q, R } = await lw.qr(A, { q: true });
   */
  async qr(a: BlockMatrix, opts: QrOptions & { q: true; apply: BlockMatrix }): Promise<{ Q: BlockMatrix; R: BlockMatrix; QtB: BlockMatrix }>;
  async qr(a: BlockMatrix, opts: QrOptions & { q: true }): Promise<{ Q: BlockMatrix; R: BlockMatrix }>;
  async qr(a: BlockMatrix, opts: QrOptions & { apply: BlockMatrix }): Promise<{ R: BlockMatrix; QtB: BlockMatrix }>;
  async qr(a: BlockMatrix, opts?: QrOptions): Promise<QrResult>;
  async qr(a: BlockMatrix, opts: QrOptions = {}): Promise<QrResult> {
    this.checkTall('qr', a);
    if (opts.apply) this.checkRhs('qr', a, opts.apply);
    const phases = new Map(qrPlan(a, { q: opts.q === true, ...(opts.apply ? { apply: opts.apply } : {}) }).map((p) => [p.program, p]));
    const result = (q: BlockMatrix | undefined, r: BlockMatrix, qtb: BlockMatrix | undefined): QrResult => ({
      R: r, ...(q ? { Q: q } : {}), ...(qtb ? { QtB: qtb } : {}),
    });
    let Q: BlockMatrix | undefined;
    let R: BlockMatrix | undefined;
    const q = phases.get('qr_q');
    if (q) {
      const res = await this.run(this.program(q.program), { ints: q.ints, inputs: { A: a }, algorithm: 'qr' });
      Q = this.output(res, 'Q', a.rows, a.cols, a.blockRows, a.blockCols);
      R = this.output(res, 'R', a.cols, a.cols, a.blockRows, a.blockCols);
    }
    const qtb = phases.get('qr_qtb');
    if (qtb && opts.apply) {
      const b = opts.apply;
      const res = await this.run(this.program(qtb.program), { ints: qtb.ints, inputs: { A: a, B: b }, algorithm: 'qr' });
      const R2 = this.output(res, 'R', a.cols, a.cols, a.blockRows, a.blockCols);
      if (R) await R2.delete();
      return result(Q, R ?? R2, this.output(res, 'Y', a.cols, b.cols, a.blockCols, b.blockCols));
    }
    if (R) return result(Q, R, undefined);
    const rOnly = phases.get('qr')!;
    const res = await this.run(this.program(rOnly.program), { ints: rOnly.ints, inputs: { A: a }, algorithm: 'qr' });
    return result(undefined, this.output(res, 'R', a.cols, a.cols, a.blockRows, a.blockCols), undefined);
  }

  /**
   * Least squares for a tall A (m ≥ n, full column rank): X minimizing ‖A·X − B‖_F, in one job
   * (CAQR of A with B's columns through the same trees, then back substitution with R), and
   * the residual ‖A·X − B‖_F. B needs A's row blocks.
   *
   * @example const { X, residual } = await lw.lstsq(A, B);
   */
  async lstsq(a: BlockMatrix, b: BlockMatrix): Promise<LstsqResult> {
    this.checkTall('lstsq', a);
    this.checkRhs('lstsq', a, b);
    const [p] = lstsqPlan(a, b);
    const res = await this.run(this.program(p!.program), { ints: p!.ints, inputs: { A: a, B: b }, algorithm: 'lstsq' });
    const e = this.output(res, 'E', 1, 1, 1, 1);
    const [ss] = await e.toArray();
    await e.delete();
    const X = this.output(res, 'X', a.cols, b.cols, a.blockCols, b.blockCols);
    if (!(await allFinite(X))) {
      // R has a zero on its diagonal: back substitution divided by it. No answer beats a wrong one.
      await X.delete();
      throw new RankDeficientError('lstsq: A is rank deficient (its R factor has a zero on the diagonal), so X is not determined; lstsq needs A of full column rank');
    }
    return { X, residual: Math.sqrt(ss!) };
  }

  /** The checks every QR-based operation makes of A. */
  private checkTall(op: string, a: BlockMatrix): void {
    if (a.rows < a.cols) throw new ShapeError(`${op} needs m ≥ n, got ${a.rows}x${a.cols}`);
    if (a.blockRows !== a.blockCols) throw new ShapeError(`${op} needs square blocks, got ${a.blockRows}x${a.blockCols}${REBLOCK}`);
    notSymmetric(op, a);
  }

  /** The checks of a B that goes through A's QR trees. */
  private checkRhs(op: string, a: BlockMatrix, b: BlockMatrix): void {
    if (b.rows !== a.rows) throw new ShapeError(`${op}: A is ${a.rows}x${a.cols} but B has ${b.rows} rows`);
    if (b.blockRows !== a.blockRows) throw new ShapeError(`${op}: A and B need the same row blocks (${a.blockRows} vs ${b.blockRows})${REBLOCK}`);
    notSymmetric(op, b);
  }

  /**
   * Singular values of an m × n A, NumPyWren's way: a blocked reduction to upper band form
   * (band width one block) by alternating QR sweeps on block columns and LQ sweeps on block
   * rows, in the DAG; then the band, packed, on one task (band to bidiagonal, bidiagonal
   * singular values). A short-wide A is transposed first (one more job).
   *
   * With `vectors`, A's short side must fit in one block: a tall-skinny A is reduced by a
   * TSQR tree that keeps its factors, R's SVD is taken on one task (R = U_R·diag(s)·Vᵀ) and
   * U = Q·U_R by walking the tree back down, all in one job; a short-wide A goes the same way
   * through Aᵀ.
   *
   * @example const { s, U, V } = await lw.svd(await lw.random(100_000, 200), { vectors: true });
   */
  async svd(a: BlockMatrix, opts: SvdOptions = {}): Promise<SvdResult> {
    if (a.blockRows !== a.blockCols) throw new ShapeError(`svd needs square blocks, got ${a.blockRows}x${a.blockCols}${REBLOCK}`);
    notSymmetric('svd', a);
    if (a.rows < a.cols) {
      const t = await this.transpose(a);
      try {
        const r = await this.svd(t, opts);
        return { s: r.s, ...(r.V ? { U: r.V } : {}), ...(r.U ? { V: r.U } : {}) };
      } finally {
        await t.delete();
      }
    }
    const [, n] = a.grid;
    const k = a.cols;
    // A tall A's plan is one job (a short-wide one's is the transpose above, then this).
    const [p] = svdPlan(a, { vectors: opts.vectors === true });
    if (opts.vectors) {
      if (n !== 1) throw new ShapeError(`svd: singular vectors need the short side within one block: A is ${a.rows}x${a.cols} with ${a.blockCols}-wide blocks${REBLOCK}`);
      const res = await this.run(this.program(p!.program), { ints: p!.ints, inputs: { A: a }, algorithm: 'svd' });
      return {
        s: this.output(res, 'Sv', k, 1, k, 1),
        U: this.output(res, 'U', a.rows, k, a.blockRows, a.blockCols),
        V: this.output(res, 'V', k, k, k, k),
      };
    }
    const res = await this.run(this.program(p!.program), { ints: p!.ints, inputs: { A: a }, algorithm: 'svd' });
    return { s: this.output(res, 'Sv', k, 1, k, 1) };
  }

  /** X with A·X = B for a symmetric positive-definite A: Cholesky and both triangular solves in one job. */
  private async spdSolve(a: BlockMatrix, b: BlockMatrix): Promise<BlockMatrix> {
    if (a.rows !== a.cols) throw new ShapeError(`solve: A must be square, got ${a.rows}x${a.cols}`);
    if (a.rows !== b.rows) throw new ShapeError(`solve: A is ${a.rows}x${a.cols} but B has ${b.rows} rows`);
    if (a.blockRows !== a.blockCols || a.blockRows !== b.blockRows) throw new ShapeError(`solve: A and B need the same square block size (A ${a.blockRows}x${a.blockCols}, B ${b.blockRows}x${b.blockCols})${REBLOCK}`);
    notSymmetric('solve', b);
    const [p] = spdSolvePlan(a, b);
    const res = await this.run(this.program(p!.program), { ints: p!.ints, inputs: { A: a, B: b }, algorithm: 'spd_solve' });
    return this.output(res, 'X', b.rows, b.cols, b.blockRows, b.blockCols);
  }

  /**
   * A⁻¹ (solve(A, I) with the same `assume`). Prefer `solve` for A⁻¹·B: it costs less and is
   * more accurate.
   */
  async inv(a: BlockMatrix, opts: SolveOptions = {}): Promise<BlockMatrix> {
    if (a.rows !== a.cols) throw new ShapeError(`inv needs a square matrix, got ${a.rows}x${a.cols}`);
    if (a.blockRows !== a.blockCols) throw new ShapeError(`inv needs square blocks, got ${a.blockRows}x${a.blockCols}${REBLOCK}`);
    const eye = await this.eye(a.rows, { block: a.blockRows });
    try {
      return await this.solve(a, eye, opts);
    } finally {
      await eye.delete();
    }
  }

  /** Aᵀ, block by block. */
  async transpose(a: BlockMatrix): Promise<BlockMatrix> {
    notSymmetric('transpose', a);
    const [p] = transposePlan(a);
    const res = await this.run(this.program(p!.program), { ints: p!.ints, inputs: { A: a }, algorithm: 'transpose' });
    return this.output(res, 'T', a.cols, a.rows, a.blockCols, a.blockRows);
  }

  /** A + B (blocked alike). */
  add(a: BlockMatrix, b: BlockMatrix): Promise<BlockMatrix> {
    return this.elementwise('add', a, b);
  }

  /** A − B (blocked alike). */
  sub(a: BlockMatrix, b: BlockMatrix): Promise<BlockMatrix> {
    return this.elementwise('sub', a, b);
  }

  private async elementwise(op: 'add' | 'sub', a: BlockMatrix, b: BlockMatrix): Promise<BlockMatrix> {
    if (a.rows !== b.rows || a.cols !== b.cols) throw new ShapeError(`${op}: shapes ${a.rows}x${a.cols} and ${b.rows}x${b.cols} differ`);
    if (a.blockRows !== b.blockRows || a.blockCols !== b.blockCols) {
      throw new ShapeError(`${op}: blocks ${a.blockRows}x${a.blockCols} and ${b.blockRows}x${b.blockCols} differ${REBLOCK}`);
    }
    notSymmetric(op, a, b);
    const [m, n] = a.grid;
    const res = await this.run(this.program(op), { ints: { M: m, N: n }, inputs: { A: a, B: b }, algorithm: op });
    return this.output(res, 'C', a.rows, a.cols, a.blockRows, a.blockCols);
  }

  /** s·A. The scalar travels as a 1×1 input matrix, like any other data. */
  async scale(a: BlockMatrix, s: number): Promise<BlockMatrix> {
    if (typeof s !== 'number') throw new ShapeError(`scale: the factor must be a number, got ${typeof s}`);
    notSymmetric('scale', a);
    const scalar = await this.fromArray([s], 1, 1, { block: 1 });
    try {
      const [m, n] = a.grid;
      const res = await this.run(this.program('scale'), { ints: { M: m, N: n }, inputs: { A: a, S: scalar }, algorithm: 'scale' });
      return this.output(res, 'C', a.rows, a.cols, a.blockRows, a.blockCols);
    } finally {
      await scalar.delete();
    }
  }

  /** ‖A‖_F: per-block sums of squares reduced in the DAG; only a 1×1 block comes back. */
  async norm(a: BlockMatrix): Promise<number> {
    notSymmetric('norm', a);
    const [m, n] = a.grid;
    const res = await this.run(this.program('norm'), { ints: { M: m, N: n }, inputs: { A: a }, algorithm: 'norm' });
    const q = this.output(res, 'Q', 1, 1, 1, 1);
    const [v] = await q.toArray();
    await q.delete();
    return Math.sqrt(v!);
  }

  /** The diagonal of A as a min(rows, cols) × 1 column (A needs square blocks). */
  async diag(a: BlockMatrix): Promise<BlockMatrix> {
    if (a.blockRows !== a.blockCols) throw new ShapeError(`diag needs square blocks, got ${a.blockRows}x${a.blockCols}${REBLOCK}`);
    const [m, n] = a.grid;
    // The program reads the diagonal blocks only: it is given the leading square of A's blocks
    // (same store and keys), so the job's input checks see every block it reads.
    const k = Math.min(a.rows, a.cols);
    const square = new BlockMatrix(a.store, k, k, a.blockRows, a.blockCols, a.prefix);
    const res = await this.run(this.program('diag'), { ints: { M: Math.min(m, n), N: Math.min(m, n) }, inputs: { A: square }, algorithm: 'diag' });
    return this.output(res, 'D', Math.min(a.rows, a.cols), 1, a.blockRows, 1);
  }

  /** X with L·X = B, for a lower-triangular L (blocked forward substitution; only L's lower triangle is read). */
  async trsm(l: BlockMatrix, b: BlockMatrix): Promise<BlockMatrix> {
    if (l.rows !== l.cols) throw new ShapeError(`solve needs a square triangular factor, got ${l.rows}x${l.cols}`);
    if (l.rows !== b.rows) throw new ShapeError(`solve: L is ${l.rows}x${l.cols} but B has ${b.rows} rows`);
    if (l.blockRows !== b.blockRows || l.blockRows !== l.blockCols) throw new ShapeError(`solve: L and B need the same square block size (L ${l.blockRows}x${l.blockCols}, B ${b.blockRows}x${b.blockCols})${REBLOCK}`);
    const [p] = trsmPlan(l, b);
    const res = await this.run(this.program(p!.program), { ints: p!.ints, inputs: { L: l, B: b }, algorithm: 'trsm' });
    return this.output(res, 'X', b.rows, b.cols, b.blockRows, b.blockCols);
  }


  /** R of the QR factorisation of a tall-skinny A (one block column), by a TSQR tree. */
  async tsqr(a: BlockMatrix): Promise<BlockMatrix> {
    if (a.grid[1] !== 1) throw new ShapeError(`tsqr needs one block column: A is ${a.rows}x${a.cols} with ${a.blockCols}-wide blocks`);
    if (a.blockRows < a.cols) throw new ShapeError(`tsqr needs row blocks at least as tall as A is wide (${a.blockRows} < ${a.cols})${REBLOCK}`);
    const [p] = tsqrPlan(a);
    const res = await this.run(this.program(p!.program), { ints: p!.ints, inputs: { A: a }, algorithm: 'tsqr' });
    return this.output(res, 'R', a.cols, a.cols, a.cols, a.cols);
  }

  /**
   * Starts all the executors now (or `count` of them), so that jobs time only their work.
   * Otherwise a job starts them as it needs them (on the local backend: one per ready task, up
   * to `workers`).
   */
  async start(count?: number): Promise<void> {
    const workers = this.options.workers ?? this.backend.defaultWorkers;
    await launchMissing(this.backend.launcher, count === undefined ? workers : Math.min(count, workers));
  }

  async close(): Promise<void> {
    await this.backend.close();
  }
}

/** Shape and block size of a matrix as an operand sees it. */
interface View {
  readonly rows: number;
  readonly cols: number;
  readonly blockRows: number;
  readonly blockCols: number;
}

const viewOf = (m: BlockMatrix): View => ({ rows: m.rows, cols: m.cols, blockRows: m.blockRows, blockCols: m.blockCols });
const transposedView = (m: BlockMatrix): View => ({ rows: m.cols, cols: m.rows, blockRows: m.blockCols, blockCols: m.blockRows });

/** Refuses matrices stored as their lower blocks only, for operations that read every block. */
function notSymmetric(op: string, ...ms: BlockMatrix[]): void {
  if (ms.some((m) => m.symmetric === 'lower')) {
    throw new ShapeError(`${op}: a symmetric matrix stored as its lower blocks only (e.g. from randomSpd) cannot be read whole here; use a fully stored matrix`);
  }
}

export { ShapeError };

/** How to fix a block-size mismatch: blocks are chosen when a matrix is made. */
const REBLOCK = '; re-block: make the matrix again with the block size it needs (fromArray/fromNpy/random… { block }, or --block on the command line)';

/** Opens a session (local backend by default). Close it to stop its executors. */
export async function lapwing(options: SessionOptions = {}): Promise<Lapwing> {
  const backend = options.backend === undefined || options.backend === 'local' ? createLocalBackend(options) : options.backend;
  return new Lapwing(backend, options);
}
