/**
 * A program bound to its integer arguments: the symbolic task DAG.
 *
 * Nothing here materialises the DAG. `bind` folds the arguments into every expression and
 * generates, per statement, its loop nest / access functions (codegen.ts) and, per (statement,
 * access), a solve plan (solve.ts). Then
 *
 * - parents(t)  = the writer of each block t reads   (solve every write access of that matrix),
 * - children(t) = the readers of each block t writes (solve every read access of that matrix),
 * - starters()  = tasks of statements whose non-input reads are all guarded out, streamed.
 *
 * Single assignment is checked where it matters: a block with two writers makes `writer`
 * (hence `parents`) throw DagError('SSA'); a non-input block with no writer makes `parents`
 * throw DagError('UNWRITTEN'). Queries assume valid tasks (see `isValid`) for speed.
 */
import type { Attrs } from '../kernels/types.ts';
import { statementCode, type StatementCode } from './codegen.ts';
import { BindError, DagError } from './errors.ts';
import { bindArgs } from './expr.ts';
import type { IrAccess, IrStatement, ParamInfo, Program } from './ir.ts';
import { blockPriority } from './priority.ts';
import { buildSolver, type SolveFn, type SolvePlan } from './solve.ts';
import { blockToString, taskKey, type BlockRef, type Task } from './task.ts';

/** The task DAG of a program for concrete sizes. */
export interface BoundProgram {
  readonly program: Program;
  readonly args: Readonly<Record<string, number>>;
  /** Tasks with no parents, streamed statement by statement. */
  starters(): Iterable<Task>;
  /** Distinct tasks writing the blocks `t` reads. */
  parents(t: Task): Task[];
  /** Distinct tasks reading the blocks `t` writes. */
  children(t: Task): Task[];
  /** Blocks read, in kernel input order; reads whose `when` fails are omitted, duplicates kept. */
  reads(t: Task): BlockRef[];
  /** Blocks written, in kernel output order. */
  writes(t: Task): BlockRef[];
  kernel(t: Task): { name: string; attrs: Attrs };
  /** Writes a block of an `out` matrix. */
  isTerminal(t: Task): boolean;
  /** Number of terminal tasks, by counting the writing statements' loop nests (no DAG). */
  terminalCount(): number;
  /** The task writing `b`; null if none (always for `in` matrices). Throws DagError('SSA') for several. */
  writer(b: BlockRef): Task | null;
  /** Distinct tasks reading `b`. */
  readers(b: BlockRef): Task[];
  role(matrix: string): 'in' | 'out' | 'temp';
  /** Higher runs first; see priority.ts. */
  priority(t: Task): number;
  /** e.g. `trsm L[3,1] ← L[1,1], S[1,3,1]  (i=1, j=3)`. */
  describe(t: Task): string;
  /** The task exists: known statement, variables in range and step-aligned, guards hold. */
  isValid(t: Task): boolean;
  /** Solve plans of every access (for `lapwing dag --plans` and tests). */
  plans(): { stmt: number; access: string; steps: readonly string[] }[];
  /**
   * Throws DagError('SSA') if some block has two writers. Enumerates only what the solve plans
   * cannot rule out: the tasks of a write whose plan enumerates (not one-to-one), and for two
   * writes of one matrix the tasks of the smaller statement, each solved against the other.
   */
  checkSingleAssignment(): void;
}

interface BoundStatement {
  /** The statement with the arguments folded in. */
  readonly ir: IrStatement;
  readonly code: StatementCode;
  readonly terminal: boolean;
  /** Whether its tasks can have no parents: all of them, some (reads guarded by `when`), none. */
  readonly starterKind: 'all' | 'some' | 'none';
}

function codeFor(id: number, ir: IrStatement, roles: ReadonlyMap<string, 'in' | 'out' | 'temp'>): BoundStatement {
  const isInput = (m: string): boolean => roles.get(m) === 'in';
  const nonInput = ir.reads.filter((a) => !isInput(a.matrix));
  const starterKind = nonInput.length === 0 ? 'all' : nonInput.every((a) => a.when !== undefined) ? 'some' : 'none';
  return {
    ir,
    code: statementCode(id, ir, isInput),
    terminal: ir.writes.some((w) => roles.get(w.matrix) === 'out'),
    starterKind,
  };
}

interface Plan {
  readonly stmt: number;
  /** Position of the access among the statement's writes (or reads). */
  readonly access: number;
  readonly arity: number;
  readonly solve: SolveFn;
  readonly info: SolvePlan;
  readonly label: string;
}

/** Parameters of a program (user parameters, then hidden reduction temporaries). */
export function params(program: Program): ParamInfo[] {
  return program.params.map((p) => ({ ...p }));
}

/**
 * Binds integer arguments.
 * @example bind(compile(src), { N: 8 }).children({ stmt: 0, vars: [] })
 * @throws BindError for missing, unknown or non-integer arguments.
 */
export function bind(program: Program, args: Readonly<Record<string, number>>): BoundProgram {
  if (program === null || typeof program !== 'object' || program.version !== 1 || !Array.isArray(program.statements)) {
    throw new BindError('not a compiled lapwing program (version 1)');
  }
  const ints = program.params.filter((p) => p.kind === 'int').map((p) => p.name);
  const missing = ints.filter((n) => !(n in args));
  if (missing.length > 0) {
    throw new BindError(`missing argument${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (${program.name} takes ${ints.join(', ') || 'none'})`);
  }
  const extra = Object.keys(args).filter((n) => !ints.includes(n));
  if (extra.length > 0) {
    throw new BindError(`unknown argument${extra.length > 1 ? 's' : ''} ${extra.join(', ')} (${program.name} takes ${ints.join(', ') || 'none'})`);
  }
  for (const n of ints) {
    if (!Number.isSafeInteger(args[n])) throw new BindError(`argument ${n} must be an integer, got ${String(args[n])}`);
  }
  return new Bound(program, { ...args });
}

class Bound implements BoundProgram {
  private readonly stmts: BoundStatement[];
  private readonly roles = new Map<string, 'in' | 'out' | 'temp'>();
  private readonly writerPlans = new Map<string, Plan[]>();
  private readonly readerPlans = new Map<string, Plan[]>();

  constructor(readonly program: Program, readonly args: Readonly<Record<string, number>>) {
    for (const p of program.params) if (p.kind === 'matrix') this.roles.set(p.name, p.role ?? 'temp');
    this.stmts = program.statements.map((s0, id) => {
      const ir = {
        ...s0,
        loops: s0.loops.map((l) => ({ name: l.name, lo: bindArgs(l.lo, args), hi: bindArgs(l.hi, args), step: bindArgs(l.step, args) })),
        guards: s0.guards.map((g) => bindArgs(g, args)).filter((g) => g !== true),
        // A read whose condition is constant false never happens; constant true needs no test.
        reads: s0.reads.flatMap((a): IrAccess[] => {
          const idx = a.idx.map((e) => bindArgs(e, args));
          const when = a.when === undefined ? true : bindArgs(a.when, args);
          return when === false ? [] : when === true ? [{ matrix: a.matrix, idx }] : [{ matrix: a.matrix, idx, when }];
        }),
        writes: s0.writes.map((a) => ({ matrix: a.matrix, idx: a.idx.map((e) => bindArgs(e, args)) })),
      };
      return codeFor(id, ir, this.roles);
    });
    this.stmts.forEach((st, id) => {
      const add = (map: Map<string, Plan[]>, a: IrAccess, k: number, label: string): void => {
        const info = buildSolver(id, st.ir, a.idx, a.when);
        const list = map.get(a.matrix) ?? [];
        list.push({ stmt: id, access: k, arity: a.idx.length, solve: info.solve, info, label });
        map.set(a.matrix, list);
      };
      st.ir.writes.forEach((a, k) => add(this.writerPlans, a, k, `write ${k} ${a.matrix}`));
      st.ir.reads.forEach((a, k) => add(this.readerPlans, a, k, `read ${k} ${a.matrix}`));
    });
  }

  private stmt(t: Task): BoundStatement {
    const s = this.stmts[t.stmt];
    if (s === undefined) throw new DagError('BAD_TASK', `no statement ${t.stmt} in program ${this.program.name}`);
    return s;
  }

  *starters(): Iterable<Task> {
    for (let id = 0; id < this.stmts.length; id++) {
      const s = this.stmts[id]!;
      if (s.starterKind === 'none') continue;
      for (const vars of s.code.iterate()) {
        if (s.starterKind === 'all' || s.code.noParentReads(vars)) yield { stmt: id, vars };
      }
    }
  }

  reads(t: Task): BlockRef[] {
    return this.stmt(t).code.reads(t.vars);
  }

  writes(t: Task): BlockRef[] {
    return this.stmt(t).code.writes(t.vars);
  }

  kernel(t: Task): { name: string; attrs: Attrs } {
    const s = this.stmt(t);
    return { name: s.ir.kernel, attrs: s.ir.attrs };
  }

  writer(b: BlockRef): Task | null {
    const plans = this.writerPlans.get(b.matrix);
    if (plans === undefined) {
      this.role(b.matrix);
      return null;
    }
    let found: Task | null = null;
    for (const p of plans) {
      if (p.arity !== b.idx.length) continue;
      const buf: number[][] = [];
      p.solve(b.idx, buf);
      for (const vars of buf) {
        const t: Task = { stmt: p.stmt, vars };
        if (found !== null && taskKey(found) !== taskKey(t)) {
          throw new DagError('SSA', `block ${blockToString(b)} is written by two tasks: ${this.describe(found)} [${taskKey(found)}] ` +
            `and ${this.describe(t)} [${taskKey(t)}]`);
        }
        found = t;
      }
    }
    return found;
  }

  readers(b: BlockRef): Task[] {
    const out: Task[] = [];
    this.readersInto(b, out);
    return out;
  }

  /** Appends the distinct readers of `b` to `out`. */
  private readersInto(b: BlockRef, out: Task[]): void {
    const plans = this.readerPlans.get(b.matrix);
    if (plans === undefined) {
      this.role(b.matrix);
      return;
    }
    for (let i = 0; i < plans.length;) {
      const stmt = plans[i]!.stmt;
      const buf: number[][] = [];
      let contributing = 0;
      for (; i < plans.length && plans[i]!.stmt === stmt; i++) {
        const p = plans[i]!;
        if (p.arity !== b.idx.length) continue;
        const before = buf.length;
        p.solve(b.idx, buf);
        if (buf.length > before) contributing++;
      }
      if (contributing > 1) {
        // Several accesses of one statement (syrk(S, L[j,i], L[k,i]) with j = k) can find the same task.
        const seen = new Set<string>();
        for (const vars of buf) {
          const k = vars.join(',');
          if (!seen.has(k)) {
            seen.add(k);
            out.push({ stmt, vars });
          }
        }
      } else for (const vars of buf) out.push({ stmt, vars });
    }
  }

  parents(t: Task): Task[] {
    const out: Task[] = [];
    for (const b of this.reads(t)) {
      const w = this.writer(b);
      if (w === null) {
        if (this.role(b.matrix) !== 'in') {
          throw new DagError('UNWRITTEN', `${this.describe(t)} reads ${blockToString(b)}, which no task writes`);
        }
        continue;
      }
      if (!out.some((o) => o.stmt === w.stmt && sameVars(o.vars, w.vars))) out.push(w);
    }
    return out;
  }

  children(t: Task): Task[] {
    const ws = this.writes(t);
    const out: Task[] = [];
    for (const b of ws) this.readersInto(b, out);
    if (ws.length < 2 || out.length < 2) return out;
    const seen = new Set<string>();
    return out.filter((c) => {
      const k = taskKey(c);
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    });
  }

  isTerminal(t: Task): boolean {
    return this.stmt(t).terminal;
  }

  terminalCount(): number {
    let n = 0;
    for (const s of this.stmts) if (s.terminal) n += s.code.count();
    return n;
  }

  role(matrix: string): 'in' | 'out' | 'temp' {
    const r = this.roles.get(matrix);
    if (r === undefined) throw new DagError('UNKNOWN_MATRIX', `program ${this.program.name} has no matrix '${matrix}'`);
    return r;
  }

  priority(t: Task): number {
    const w = this.writes(t)[0];
    return w === undefined ? 0 : blockPriority(w.idx);
  }

  describe(t: Task): string {
    const s = this.stmt(t);
    const list = (bs: BlockRef[]): string => bs.map(blockToString).join(', ');
    const vars = s.ir.loops.map((l, i) => `${l.name}=${t.vars[i] ?? '?'}`).join(', ');
    return `${s.ir.kernel} ${list(this.writes(t))} ← ${list(this.reads(t))}${vars === '' ? '' : `  (${vars})`}`;
  }

  isValid(t: Task): boolean {
    const s = this.stmts[t.stmt];
    return s !== undefined && Array.isArray(t.vars) && s.code.valid(t.vars);
  }

  plans(): { stmt: number; access: string; steps: readonly string[] }[] {
    const out: { stmt: number; access: string; steps: readonly string[] }[] = [];
    for (const map of [this.writerPlans, this.readerPlans]) {
      for (const list of map.values()) for (const p of list) out.push({ stmt: p.stmt, access: p.label, steps: p.info.steps });
    }
    return out.sort((a, b) => a.stmt - b.stmt);
  }

  checkSingleAssignment(): void {
    for (const plans of this.writerPlans.values()) {
      plans.forEach((p, a) => {
        // A plan without enumeration has at most one solution per block: one-to-one.
        if (p.info.steps.some((x) => x.startsWith('enumerate'))) this.crossWrites(p, p);
        for (const q of plans.slice(a + 1)) {
          if (q.arity !== p.arity) continue;
          if (this.stmts[q.stmt]!.code.count() < this.stmts[p.stmt]!.code.count()) this.crossWrites(q, p);
          else this.crossWrites(p, q);
        }
      });
    }
  }

  /** Each block written by access `p` (all its tasks) solved against access `q`. */
  private crossWrites(p: Plan, q: Plan): void {
    const buf: number[][] = [];
    for (const vars of this.stmts[p.stmt]!.code.iterate()) {
      const b = this.stmts[p.stmt]!.code.writes(vars)[p.access]!;
      buf.length = 0;
      q.solve(b.idx, buf);
      for (const other of buf) {
        if (p === q && sameVars(other, vars)) continue;
        const t: Task = { stmt: p.stmt, vars };
        const u: Task = { stmt: q.stmt, vars: other };
        throw new DagError('SSA', `block ${blockToString(b)} is written ${taskKey(t) === taskKey(u) ? 'twice by one task' : 'by two tasks'}: ` +
          `${this.describe(t)} [${taskKey(t)}] and ${this.describe(u)} [${taskKey(u)}]`);
      }
    }
  }

  /** Tasks of statement `id` (for expand and tools). */
  iterate(id: number): Iterable<number[]> {
    return this.stmts[id]!.code.iterate();
  }

  count(id: number): number {
    return this.stmts[id]!.code.count();
  }
}

function sameVars(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Every task of statement `stmt` of `bound`, in loop order (brute force, for expand and tools). */
export function statementTasks(bound: BoundProgram, stmt: number): Iterable<number[]> {
  if (bound instanceof Bound) return bound.iterate(stmt);
  throw new DagError('BAD_TASK', 'statementTasks needs a BoundProgram made by bind()');
}

/** Number of tasks of statement `stmt` (loop nests counted, innermost in closed form). */
export function statementCount(bound: BoundProgram, stmt: number): number {
  if (bound instanceof Bound) return bound.count(stmt);
  throw new DagError('BAD_TASK', 'statementCount needs a BoundProgram made by bind()');
}
