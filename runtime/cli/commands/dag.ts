/**
 * `lapwing dag FILE.lp --arg N=8 [--json | --dot | --stats | --check | --plans]`: inspect a
 * program's task DAG. FILE is a path or a shipped program name (cholesky, gemm, trsm, tsqr).
 *
 * - default, --json, --dot: the materialised DAG (small sizes);
 * - --stats: counts, per-kernel counts, critical path, peak frontier by streaming traversal;
 * - --check: symbolic parents/children/starters/terminalCount against brute force: prints
 *   `ok <tasks> tasks` (exit 0) or the mismatches (exit 1);
 * - --plans: the dependency solver's plan for every access.
 * Compile errors print the diagnostics and exit 2.
 */
import type { Command } from 'commander';
import { existsSync, readFileSync } from 'node:fs';
import {
  BindError, CompileError, bind, checkDag, compile, dagStats, expand, isProgramName, programPath, programSource,
  taskKey, toDot, toJson, type BoundProgram, type Program,
} from '../../../lang/index.ts';
import { UserError } from '../errors.ts';

interface DagOptions {
  arg: string[];
  json?: boolean;
  dot?: boolean;
  stats?: boolean;
  check?: boolean;
  plans?: boolean;
  fanIn?: string;
  limit?: string;
}

const collect = (v: string, prev: string[]): string[] => [...prev, v];

/** `--arg` values, repeated or comma-separated (`--arg N=5,R=2`): the one syntax of dag and run. */
export function parseArgs(list: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const item of list) {
    for (const s of item.split(',')) {
      const m = /^\s*([A-Za-z_]\w*)\s*=\s*(-?\d+)\s*$/.exec(s);
      if (m === null) throw new UserError(`--arg expects NAME=INTEGER (e.g. --arg N=8), got '${s}'`);
      out[m[1]!] = Number(m[2]);
    }
  }
  return out;
}

function load(file: string): { source: string; filename: string } {
  if (existsSync(file)) return { source: readFileSync(file, 'utf8'), filename: file };
  const name = file.replace(/\.lp$/, '');
  if (isProgramName(name)) return { source: programSource(name), filename: programPath(name) };
  throw new UserError(`${file}: no such file or shipped program (cholesky, gemm, trsm, tsqr)`);
}

function positive(s: string | undefined, flag: string): number | undefined {
  if (s === undefined) return undefined;
  const n = Number(s);
  if (!Number.isInteger(n) || n < 1) throw new UserError(`${flag} must be a positive integer, got '${s}'`);
  return n;
}

function describeArgs(a: Readonly<Record<string, number>>): string {
  return Object.entries(a).map(([k, v]) => `${k}=${v}`).join(' ');
}

function printText(dag: BoundProgram, limit: number | undefined): void {
  const d = expand(dag, limit ?? 20_000);
  const lines = d.tasks.map((t, i) => {
    const ch = d.children[i]!.map((c) => taskKey(d.tasks[c]!));
    return `${taskKey(t).padEnd(12)} ${dag.describe(t)}${ch.length > 0 ? `  → ${ch.join(' ')}` : ''}`;
  });
  process.stdout.write(`${lines.join('\n')}\n${d.tasks.length} tasks\n`);
}

export function register(cli: Command): void {
  cli.command('dag')
    .description('show, check or measure the task DAG of a program (FILE.lp or cholesky|gemm|trsm|tsqr)')
    .argument('<file>', 'a .lp program or a shipped program name')
    .option('--arg <NAME=INT>', 'integer argument (repeatable, or comma-separated)', collect, [])
    .option('--json', 'the materialised DAG as JSON (small sizes)')
    .option('--dot', 'the materialised DAG as Graphviz dot (small sizes)')
    .option('--stats', 'counts, critical path and peak frontier by streaming traversal (any size)')
    .option('--check', 'verify the symbolic parents/children against brute force')
    .option('--plans', "print the dependency solver's plan for each access")
    .option('--fan-in <f>', 'fan-in of sum reduction trees (default 4)')
    .option('--limit <n>', 'maximum tasks to materialise')
    .action((file: string, o: DagOptions) => {
      const { source, filename } = load(file);
      const fanIn = positive(o.fanIn, '--fan-in');
      let program: Program;
      try {
        program = compile(source, { filename, ...(fanIn === undefined ? {} : { fanIn }) });
      } catch (e) {
        if (!(e instanceof CompileError)) throw e;
        process.stderr.write(`${e.message}\n`);
        process.exitCode = 2;
        return;
      }
      let dag: BoundProgram;
      try {
        dag = bind(program, parseArgs(o.arg));
      } catch (e) {
        if (e instanceof BindError) throw new UserError(`${e.message}; pass sizes with --arg NAME=INT`);
        throw e;
      }
      const limit = positive(o.limit, '--limit');
      if (o.check) {
        const r = checkDag(dag, limit);
        if (r.ok) process.stdout.write(`ok ${r.tasks} tasks\n`);
        else {
          process.stdout.write(`${r.mismatches.join('\n')}\nFAILED: ${r.mismatches.length} mismatch${r.mismatches.length === 1 ? '' : 'es'} in ${r.tasks} tasks\n`);
          process.exitCode = 1;
        }
        return;
      }
      if (o.stats) {
        const t0 = performance.now();
        const s = dagStats(dag);
        const secs = (performance.now() - t0) / 1000;
        if (o.json) {
          process.stdout.write(`${JSON.stringify({ program: program.name, args: dag.args, ...s, seconds: secs })}\n`);
          return;
        }
        const rows: [string, string][] = [
          ['program', `${program.name} ${describeArgs(dag.args)}`],
          ['tasks', String(s.tasks)],
          ['edges', String(s.edges)],
          ['terminal tasks', String(s.terminal)],
          ['critical path', `${s.criticalPath} tasks`],
          ['peak frontier', `${s.peakFrontier} tasks`],
          ['per kernel', Object.entries(s.perKernel).map(([k, n]) => `${k} ${n}`).join(', ')],
          ['traversal', `${secs.toFixed(2)} s (${Math.round(s.tasks / Math.max(secs, 1e-9))} tasks/s)`],
        ];
        process.stdout.write(`${rows.map(([k, v]) => `${k.padEnd(16)}${v}`).join('\n')}\n`);
        return;
      }
      if (o.plans) {
        const lines = dag.plans().map((p) => `${String(p.stmt).padStart(3)} ${p.access.padEnd(16)} ${p.steps.join(' ; ')}`);
        process.stdout.write(`${lines.join('\n')}\n`);
        return;
      }
      if (o.dot) process.stdout.write(toDot(dag, limit));
      else if (o.json) process.stdout.write(`${JSON.stringify(toJson(dag, limit))}\n`);
      else printText(dag, limit);
    });
}
