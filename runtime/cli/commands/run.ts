/**
 * `lapwing run FILE.lp …` runs a user program on .npy inputs; `lapwing run script.ts` runs a
 * TypeScript script that uses the library (compiled on the fly by tsx: no build step).
 */
import { Command } from 'commander';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { compile, params } from '../../../lang/index.ts';
import { BlockMatrix, ShapeError } from '../../library/matrix.ts';
import { fmtS, jobOptions, openSession, positiveInt, printSummary, type JobOptions } from '../common.ts';
import { UserError } from '../errors.ts';
import { parseArgs } from './dag.ts';

interface RunOptions extends JobOptions {
  arg: string[];
  in: string[];
  out: string[];
}

const collect = (v: string, prev: string[]): string[] => [...prev, v];

function pairs(list: string[], flag: string): [string, string][] {
  return list.map((s) => {
    const i = s.indexOf('=');
    if (i <= 0) throw new UserError(`${flag} expects NAME=VALUE, got '${s}'`);
    return [s.slice(0, i), s.slice(i + 1)];
  });
}

export function register(cli: Command): void {
  jobOptions(
    cli.command('run')
      .description('run a lapwing program (FILE.lp) on .npy matrices, or a TypeScript script using the library (FILE.ts)')
      .argument('<file>', 'a .lp program or a .ts/.js script')
      .argument('[scriptArgs...]', 'arguments passed to a script')
      .option('--arg <NAME=INT>', 'integer argument (repeatable, or comma-separated; default: inferred from the inputs)', collect, [])
      .option('--in <NAME=FILE>', 'input matrix from a .npy file (repeatable)', collect, [])
      .option('--out <NAME=FILE>', 'write an output matrix to a .npy file (repeatable)', collect, [])
      .allowUnknownOption(false),
  ).action(async (file: string, scriptArgs: string[], o: RunOptions) => {
    if (/\.(ts|mts|js|mjs)$/.test(file)) {
      // The compiled CLI has no TypeScript loader of its own (from the sources, tsx is in place).
      if (/\.m?ts$/.test(file) && !import.meta.url.endsWith('.ts')) (await import('tsx/esm/api')).register();
      process.argv = [process.argv[0]!, resolve(file), ...scriptArgs];
      await import(pathToFileURL(resolve(file)).href);
      return;
    }
    await runProgram(file, o);
  });
}

async function runProgram(file: string, o: RunOptions): Promise<void> {
  let source: string;
  try {
    source = await readFile(file, 'utf8');
  } catch {
    throw new UserError(`${file}: no such file`);
  }
  const program = compile(source, { filename: file });
  const block = positiveInt(o.block, '--block');
  // Sizes not given are inferred from the inputs' block grids when the job is validated.
  const ints = parseArgs(o.arg);
  const ps = params(program);
  const s = await openSession(o, program.name);
  try {
    const inputs: Record<string, BlockMatrix> = {};
    for (const [k, f] of pairs(o.in, '--in')) {
      const p = ps.find((x) => x.name === k);
      if (!p || p.role !== 'in') throw new UserError(`${k} is not an input matrix of ${program.name} (inputs: ${ps.filter((x) => x.role === 'in').map((x) => x.name).join(', ') || 'none'})`);
      inputs[k] = await s.lw.fromNpy(f, { block }).catch((e: unknown) => {
        throw e instanceof ShapeError ? new UserError(`${f}: ${e.message}`) : e;
      });
    }
    for (const p of ps) if (p.role === 'in' && !inputs[p.name]) throw new UserError(`missing --in ${p.name}=FILE`);
    const res = await s.lw.run(program, { ints, inputs });
    for (const [k, f] of pairs(o.out, '--out')) {
      const p = ps.find((x) => x.name === k);
      if (!p || p.role !== 'out') throw new UserError(`${k} is not an output matrix of ${program.name}`);
      const m = await inferOutput(s.lw.backend.blocks, res.outputs[k]!, block);
      await m.toNpy(f);
    }
    const summary = { program: program.name, tasks: res.tasks, wall_s: res.wallS, gflops: res.flops / res.wallS / 1e9, kernels: s.kernels, workers: s.workers };
    await s.finish(summary);
    printSummary(o.json === true, summary, [
      `${program.name}: done in ${fmtS(res.wallS)} s, ${res.tasks} tasks, ${(summary.gflops).toFixed(2)} GFLOP/s (kernels ${s.kernels})`,
      ...o.out.map((x) => `  wrote ${x}`),
    ]);
  } finally {
    await s.finish();
    await s.close();
  }
}

/** An out matrix's shape from the blocks that were written (2-D block indices). */
async function inferOutput(store: BlockMatrix['store'], prefix: string, block: number): Promise<BlockMatrix> {
  const keys = await store.list(`${prefix}/`);
  if (keys.length === 0) throw new UserError(`the program wrote no block of ${prefix.split('/').pop()}`);
  const rowsOf = new Map<number, number>();
  const colsOf = new Map<number, number>();
  for (const k of keys) {
    const idx = k.slice(prefix.length + 1).split('_').map(Number);
    if (idx.length !== 2) throw new UserError(`output blocks need 2 indices to form a matrix; found ${k}`);
    const b = await store.get(k);
    rowsOf.set(idx[0]!, b.rows);
    colsOf.set(idx[1]!, b.cols);
  }
  const gr = Math.max(...rowsOf.keys()) + 1, gc = Math.max(...colsOf.keys()) + 1;
  const bs = (m: Map<number, number>, g: number): [number, number] => {
    const full = m.get(0) ?? block;
    return [full, (g - 1) * full + (m.get(g - 1) ?? full)];
  };
  const [br, rows] = bs(rowsOf, gr);
  const [bc, cols] = bs(colsOf, gc);
  return new BlockMatrix(store, rows, cols, br, bc, prefix);
}
