/**
 * The jobs `lapwing simulate` knows: the shipped algorithms with the inputs the real commands
 * create (lapwing cholesky|matmul|solve|tsqr), or a program file whose input matrices are all
 * n × n in blocks of `block`.
 */
import { readFileSync } from 'node:fs';
import { compile, params, programSource, type Program } from '../../../lang/index.ts';
import type { SimJob, SimMatrix } from './simulate.ts';

export type SimAlgorithm = 'cholesky' | 'gemm' | 'trsm' | 'tsqr';
export const SIM_ALGORITHMS: readonly SimAlgorithm[] = ['cholesky', 'gemm', 'trsm', 'tsqr'];

export interface SimJobOptions {
  readonly n: number;
  readonly block: number;
  /** tsqr: rows and columns (default: 64 blocks tall, min(block, 128) wide, as `lapwing tsqr`). */
  readonly rows?: number;
  readonly cols?: number;
  /** Integer arguments of a program file. */
  readonly args?: Readonly<Record<string, number>>;
}

const square = (n: number, b: number, lowerOnly = false): SimMatrix => ({ rows: n, cols: n, blockRows: b, blockCols: b, ...(lowerOnly ? { lowerOnly } : {}) });

/** The job of a shipped algorithm (as the CLI and library set it up) or of a `.lp` file. */
export function simJob(what: string, o: SimJobOptions): { job: SimJob; flops: number; label: string } {
  const grid = Math.ceil(o.n / o.block);
  const shipped = (name: SimAlgorithm): Program => compile(programSource(name), { filename: `${name}.lp` });
  switch (what) {
    case 'cholesky':
      return { label: 'cholesky', flops: o.n ** 3 / 3, job: { program: shipped('cholesky'), args: { N: grid }, inputs: { A: square(o.n, o.block, true) } } };
    case 'gemm':
      return { label: 'gemm', flops: 2 * o.n ** 3, job: { program: shipped('gemm'), args: { M: grid, N: grid, K: grid }, inputs: { A: square(o.n, o.block), B: square(o.n, o.block) } } };
    case 'trsm':
      return { label: 'trsm', flops: o.n ** 3, job: { program: shipped('trsm'), args: { N: grid, R: grid }, inputs: { L: square(o.n, o.block), B: square(o.n, o.block) } } };
    case 'tsqr': {
      const cols = o.cols ?? Math.min(o.block, 128);
      const rows = o.rows ?? o.n;
      const a: SimMatrix = { rows, cols, blockRows: o.block, blockCols: cols };
      return { label: 'tsqr', flops: 2 * rows * cols * cols - (2 / 3) * cols ** 3, job: { program: shipped('tsqr'), args: { N: Math.ceil(rows / o.block) }, inputs: { A: a } } };
    }
    default: {
      const program = compile(readFileSync(what, 'utf8'), { filename: what });
      const inputs: Record<string, SimMatrix> = {};
      for (const p of params(program)) if (p.kind === 'matrix' && p.role === 'in') inputs[p.name] = square(o.n, o.block);
      return { label: program.name, flops: 0, job: { program, args: o.args ?? {}, inputs } };
    }
  }
}
