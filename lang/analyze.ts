/**
 * Semantic analysis and lowering: syntax tree → {@link Program}.
 *
 * Resolves names (parameters, loop variables, `let`s — which are inlined), checks types (index
 * expressions are integers, conditions boolean), kernel calls against the registry (arity,
 * outputs, attributes), matrix roles and ranks, lowers `sum` reductions to add trees or chains
 * (lowering/sum.ts), then runs the decidable SSA checks (lowering/ssa.ts). Errors are reported, never thrown;
 * analysis goes on past them so that one compile reports them all.
 */
import type { AttrValue } from '../kernels/types.ts';
import type { BlockRefNode, CallNode, DefNode, ExprNode, FileNode, StmtNode, SumNode } from './ast.ts';
import { didYouMean, type Loc, type Reporter } from './errors.ts';
import { fold, mapLeaves } from './expr.ts';
import type { Expr, IrAccess, IrStatement, ParamInfo, Program } from './ir.ts';
import { Scope } from './scope.ts';
import type { AnalyzeOptions, Ctx, LoopCtx, LoweringContext, PendingAccess, PendingStatement, Typed } from './lowering/context.ts';
import { lowerSum } from './lowering/sum.ts';
import { checkSsa } from './lowering/ssa.ts';

export type { AnalyzeOptions } from './lowering/context.ts';

/** Lowers the file's single `def`; undefined when errors were reported. */
export function analyze(file: FileNode, reporter: Reporter, options: AnalyzeOptions): Program | undefined {
  const def = file.defs[0];
  for (const extra of file.defs.slice(1)) {
    reporter.error('E_MULTIPLE_DEFS', `a file holds one program; '${extra.name}' is a second 'def'`, extra.loc);
  }
  if (def === undefined) {
    if (!reporter.failed) reporter.error('E_NO_DEF', "no program: expected 'def NAME(params) { … }'", { line: 1, col: 1, offset: 0, end: 1 });
    return undefined;
  }
  const a = new Analyzer(reporter, options, def);
  const program = a.run();
  return reporter.failed ? undefined : program;
}

/** Walks one `def`, building its statements; the context the lowerings work in. */
class Analyzer implements LoweringContext {
  private nextLoopId = 0;
  private nextIfId = 0;
  private nextSumId = 0;
  readonly statements: PendingStatement[] = [];
  /** Matrix name → rank and where it was first fixed. */
  private readonly ranks = new Map<string, { rank: number; loc: Loc }>();
  readonly roles = new Map<string, 'in' | 'out' | 'temp'>();
  readonly hidden: ParamInfo[] = [];
  readonly paramLocs = new Map<string, Loc>();
  /** Matrices assigned to anywhere (even in statements with errors), for the unwritten checks. */
  readonly targetsSeen = new Set<string>();

  constructor(readonly reporter: Reporter, readonly options: AnalyzeOptions, private readonly def: DefNode) {}

  run(): Program {
    const root = new Scope();
    const params: ParamInfo[] = [];
    for (const p of this.def.params) {
      if (this.reserved(p.name, p.nameLoc)) continue;
      if (root.lookup(p.name) !== undefined) {
        this.reporter.error('E_DUPLICATE_NAME', `parameter '${p.name}' is declared twice`, p.nameLoc);
        continue;
      }
      if (p.type === 'int') {
        root.define(p.name, { kind: 'int' });
        params.push({ name: p.name, kind: 'int' });
      } else {
        root.define(p.name, { kind: 'matrix', role: p.role });
        this.roles.set(p.name, p.role);
        params.push({ name: p.name, kind: 'matrix', role: p.role });
      }
      this.paramLocs.set(p.name, p.nameLoc);
    }
    this.block(this.def.body, { scope: root, loops: [], guards: [], path: [] });
    checkSsa(this, this.reporter);
    const withRank = params.map((p) => (p.kind === 'matrix' ? { ...p, rank: this.ranks.get(p.name)?.rank ?? 0 } : p));
    return {
      version: 1,
      name: this.def.name,
      params: [...withRank, ...this.hidden],
      statements: this.statements.map(renumber),
    };
  }

  /** Allocates loop ids for compiler-made loops (reductions). */
  newLoopId(): number {
    return this.nextLoopId++;
  }

  /** Declares a hidden temporary matrix for a reduction and returns its name. */
  newSumMatrix(rank: number): string {
    const name = `__sum${this.nextSumId++}`;
    this.roles.set(name, 'temp');
    this.targetsSeen.add(name);
    this.ranks.set(name, { rank, loc: this.def.loc });
    this.hidden.push({ name, kind: 'matrix', role: 'temp', rank, hidden: true });
    return name;
  }

  private reserved(name: string, loc: Loc): boolean {
    if (!name.startsWith('__')) return false;
    this.reporter.error('E_RESERVED', `names starting with '__' are reserved for the compiler: '${name}'`, loc);
    return true;
  }

  // ---------------------------------------------------------------------------------------- statements

  private block(stmts: readonly StmtNode[], ctx: Ctx): void {
    let scope = ctx.scope;
    for (const s of stmts) {
      // A `let` is visible to the statements after it: each one opens a scope.
      if (s.kind === 'let') {
        const v = this.expr(s.value, scope, 'any');
        if (this.declare(s.name, s.nameLoc, scope) && v !== undefined) {
          scope = new Scope(scope);
          scope.define(s.name, { kind: 'let', expr: v.e, type: v.type });
        }
        continue;
      }
      this.statement(s, { ...ctx, scope });
    }
  }

  /** Checks that `name` may be declared (not reserved, not hiding a visible name). */
  private declare(name: string, loc: Loc, scope: Scope): boolean {
    if (this.reserved(name, loc)) return false;
    if (scope.lookup(name) !== undefined) {
      this.reporter.error('E_DUPLICATE_NAME', `'${name}' is already defined here; choose another name`, loc);
      return false;
    }
    return true;
  }

  private statement(s: StmtNode, ctx: Ctx): void {
    switch (s.kind) {
      case 'for': {
        const lo = this.expr(s.lo, ctx.scope, 'int');
        const hi = this.expr(s.hi, ctx.scope, 'int');
        const step = s.step === undefined ? { e: 1, type: 'int' as const } : this.expr(s.step, ctx.scope, 'int');
        if (step !== undefined && typeof step.e === 'number' && step.e <= 0 && s.step !== undefined) {
          this.reporter.error('E_STEP', `loop step must be positive, got ${step.e}`, s.step.loc);
        }
        this.declare(s.var, s.varLoc, ctx.scope);
        const id = this.nextLoopId++;
        const scope = new Scope(ctx.scope);
        scope.define(s.var, { kind: 'loop', id }); // even after an error, so the body still resolves
        const loop: LoopCtx = { id, name: s.var, lo: lo?.e ?? 0, hi: hi?.e ?? 0, step: step?.e ?? 1, loc: s.varLoc };
        this.block(s.body, { ...ctx, scope, loops: [...ctx.loops, loop] });
        return;
      }
      case 'if': {
        const c = this.expr(s.cond, ctx.scope, 'bool');
        const cond = c?.e ?? true;
        const id = this.nextIfId++;
        this.block(s.then, { ...ctx, guards: [...ctx.guards, cond], path: [...ctx.path, `${id}:then`] });
        if (s.else !== undefined) {
          this.block(s.else, { ...ctx, guards: [...ctx.guards, fold(['not', cond])], path: [...ctx.path, `${id}:else`] });
        }
        return;
      }
      case 'let':
        return; // handled by block()
      case 'assign':
        this.assign(s.targets, s.rhs, ctx);
        return;
    }
  }

  private assign(targets: readonly BlockRefNode[], rhs: CallNode | SumNode, ctx: Ctx): void {
    for (const t of targets) this.targetsSeen.add(t.matrix);
    const writes = targets.map((t) => this.ref(t, ctx.scope, 'write'));
    if (rhs.kind === 'sum') {
      lowerSum(this, targets, writes, rhs, ctx);
      return;
    }
    const call = this.call(rhs, ctx.scope, targets.length);
    if (call === undefined || writes.some((w) => w === undefined)) return;
    this.statements.push({
      kernel: rhs.kernel, attrs: call.attrs, loops: ctx.loops, guards: ctx.guards, path: ctx.path,
      reads: call.reads, writes: writes as PendingAccess[], loc: rhs.loc,
    });
  }

  /** Opens a scope with a loop variable (for reductions); undefined if the name is taken. */
  loopScope(name: string, loc: Loc, scope: Scope): { scope: Scope; id: number } | undefined {
    if (!this.declare(name, loc, scope)) return undefined;
    const id = this.nextLoopId++;
    const inner = new Scope(scope);
    inner.define(name, { kind: 'loop', id });
    return { scope: inner, id };
  }

  /**
   * Checks a kernel call; `outputs` is the number of blocks it is assigned to (undefined: not
   * checked). Returns the lowered reads and attributes, or undefined after errors.
   */
  call(c: CallNode, scope: Scope, outputs: number | undefined): { reads: PendingAccess[]; attrs: Record<string, AttrValue> } | undefined {
    const reads = c.args.map((a) => this.ref(a, scope, 'read'));
    const attrs: Record<string, AttrValue> = {};
    const spec = this.options.kernels.get(c.kernel);
    let ok = reads.every((r) => r !== undefined);
    if (spec === undefined) {
      this.reporter.error('E_UNKNOWN_KERNEL', `unknown kernel '${c.kernel}'${didYouMean(c.kernel, this.options.kernels.keys())}`, c.kernelLoc);
      return undefined;
    }
    const n = c.args.length;
    if (n < spec.minArity || n > spec.maxArity) {
      const want = spec.minArity === spec.maxArity ? `${spec.minArity}` : `${spec.minArity} to ${spec.maxArity}`;
      this.reporter.error('E_ARITY', `${c.kernel} takes ${want} input block${want === '1' ? '' : 's'}, got ${n}`, c.loc);
      ok = false;
    } else if (outputs !== undefined && spec.outputs(n) !== outputs) {
      const k = spec.outputs(n);
      this.reporter.error('E_OUTPUTS',
        `${c.kernel} with ${n} input${n === 1 ? '' : 's'} writes ${k} block${k === 1 ? '' : 's'}, but ${outputs} output${outputs === 1 ? ' is' : 's are'} given`,
        c.loc);
      ok = false;
    }
    for (const a of c.attrs) {
      if (!spec.attrs.includes(a.name)) {
        const accepted = spec.attrs.length === 0 ? 'no attributes' : `only ${spec.attrs.join(', ')}`;
        this.reporter.error('E_UNKNOWN_ATTR', `${c.kernel} has no attribute '${a.name}' (it accepts ${accepted})`, a.nameLoc);
        ok = false;
      } else if (a.name in attrs) {
        this.reporter.error('E_DUPLICATE_ATTR', `attribute '${a.name}' is given twice`, a.nameLoc);
        ok = false;
      } else if (a.value === undefined) ok = false;
      else attrs[a.name] = a.value;
    }
    return ok ? { reads: reads as PendingAccess[], attrs } : undefined;
  }

  /** Resolves a block reference `M[e…]` for reading or writing. */
  ref(r: BlockRefNode, scope: Scope, mode: 'read' | 'write'): PendingAccess | undefined {
    const b = scope.lookup(r.matrix);
    if (b === undefined || b.kind !== 'matrix') {
      if (b === undefined) {
        const matrices = [...this.roles.keys()].filter((m) => !m.startsWith('__'));
        this.reporter.error('E_UNKNOWN_MATRIX', `unknown matrix '${r.matrix}'${didYouMean(r.matrix, matrices)}`, r.matrixLoc);
      } else {
        const what = b.kind === 'int' ? 'an int parameter' : b.kind === 'loop' ? 'a loop variable' : "a 'let' variable";
        this.reporter.error('E_NOT_MATRIX', `'${r.matrix}' is ${what}, not a matrix`, r.matrixLoc);
      }
      for (const e of r.idx) this.expr(e, scope, 'int');
      return undefined;
    }
    if (r.bare) {
      this.reporter.error('E_EXPECTED_BLOCK', `'${r.matrix}' is a matrix; name one of its blocks, like ${r.matrix}[i, j]`, r.loc);
      return undefined;
    }
    let ok = true;
    if (mode === 'write' && b.role === 'in') {
      this.reporter.error('E_WRITE_INPUT', `'${r.matrix}' is an input matrix ('in') and cannot be written`, r.loc);
      ok = false;
    }
    const seen = this.ranks.get(r.matrix);
    if (seen === undefined) this.ranks.set(r.matrix, { rank: r.idx.length, loc: r.loc });
    else if (seen.rank !== r.idx.length) {
      this.reporter.error('E_RANK',
        `'${r.matrix}' has ${seen.rank} ind${seen.rank === 1 ? 'ex' : 'ices'} at line ${seen.loc.line} but ${r.idx.length} here`, r.loc);
      ok = false;
    }
    const idx = r.idx.map((e) => this.expr(e, scope, 'index'));
    if (!ok || idx.some((e) => e === undefined)) return undefined;
    return { matrix: r.matrix, idx: idx.map((e) => e!.e), loc: r.loc };
  }

  /** Rank of a matrix as used so far. */
  rankOf(matrix: string): number | undefined {
    return this.ranks.get(matrix)?.rank;
  }

  // ---------------------------------------------------------------------------------------- expressions

  /**
   * Lowers an expression. `want`: 'int' (bounds), 'index' (block indices: the same, with the
   * "non-integer index" code), 'bool' (conditions) or 'any' (lets).
   */
  expr(n: ExprNode, scope: Scope, want: 'int' | 'index' | 'bool' | 'any'): Typed | undefined {
    const t = this.lower(n, scope);
    if (t === undefined) return undefined;
    if ((want === 'int' || want === 'index') && t.type !== 'int') {
      this.reporter.error(want === 'index' ? 'E_NOT_INTEGER' : 'E_TYPE',
        `expected an integer expression${want === 'index' ? ' as a block index' : ''}, found a condition`, n.loc);
      return undefined;
    }
    if (want === 'bool' && t.type !== 'bool') {
      this.reporter.error('E_TYPE', 'expected a condition (a comparison such as j < N), found an integer expression', n.loc);
      return undefined;
    }
    return t;
  }

  private lower(n: ExprNode, scope: Scope): Typed | undefined {
    switch (n.kind) {
      case 'num':
        if (!n.isInt || !Number.isSafeInteger(n.value)) {
          this.reporter.error('E_NOT_INTEGER', `index expressions are integers; ${n.loc.end - n.loc.offset > 0 ? this.text(n.loc) : n.value} is not`, n.loc);
          return undefined;
        }
        return { e: n.value, type: 'int' };
      case 'bool':
        return { e: n.value, type: 'bool' };
      case 'string':
        this.reporter.error('E_NOT_INTEGER', 'a string cannot be used in an index expression', n.loc);
        return undefined;
      case 'index':
        this.reporter.error('E_NOT_INT', `blocks of '${n.matrix}' cannot be used inside an index expression`, n.loc);
        return undefined;
      case 'name': {
        const b = scope.lookup(n.name);
        if (b === undefined) {
          const names = scope.visible().filter((s) => {
            const k = scope.lookup(s);
            return k !== undefined && k.kind !== 'matrix';
          });
          this.reporter.error('E_UNDEFINED_VAR', `undefined variable '${n.name}'${didYouMean(n.name, names)}`, n.loc);
          return undefined;
        }
        switch (b.kind) {
          case 'int': return { e: ['arg', n.name], type: 'int' };
          case 'loop': return { e: ['var', b.id], type: 'int' };
          case 'let': return { e: b.expr, type: b.type };
          case 'matrix':
            this.reporter.error('E_NOT_INT', `'${n.name}' is a matrix; index expressions use loop variables, lets and int parameters`, n.loc);
            return undefined;
        }
        return undefined;
      }
      case 'unary': {
        const a = this.expr(n.arg, scope, n.op === 'not' ? 'bool' : 'int');
        if (a === undefined) return undefined;
        return n.op === 'not' ? { e: fold(['not', a.e]), type: 'bool' } : { e: fold(['neg', a.e]), type: 'int' };
      }
      case 'binary': {
        const logical = n.op === 'and' || n.op === 'or';
        const cmp = ['==', '!=', '<', '<=', '>', '>='].includes(n.op);
        const a = this.expr(n.left, scope, logical ? 'bool' : 'int');
        const b = this.expr(n.right, scope, logical ? 'bool' : 'int');
        if (a === undefined || b === undefined) return undefined;
        return { e: fold([n.op, a.e, b.e]), type: logical || cmp ? 'bool' : 'int' };
      }
      case 'call':
        return this.callExpr(n, scope);
    }
  }

  private callExpr(n: Extract<ExprNode, { kind: 'call' }>, scope: Scope): Typed | undefined {
    const arity: Record<string, number> = { min: 2, max: 2, ceil_log2: 1, ceil_log: 2, ceil: 1 };
    const want = arity[n.fn];
    if (want === undefined) {
      const hint = n.fn === 'log2' ? ' (log2 alone is not an integer; use ceil_log2(x) or ceil(log2(x)))'
        : didYouMean(n.fn, Object.keys(arity));
      this.reporter.error('E_UNKNOWN_FUNCTION', `unknown function '${n.fn}'${hint}`, n.fnLoc);
      return undefined;
    }
    if (n.args.length !== want) {
      this.reporter.error('E_ARITY', `${n.fn} takes ${want} argument${want === 1 ? '' : 's'}, got ${n.args.length}`, n.loc);
      return undefined;
    }
    if (n.fn === 'ceil') {
      const inner = n.args[0]!;
      if (inner.kind !== 'call' || inner.fn !== 'log2' || inner.args.length !== 1) {
        this.reporter.error('E_UNKNOWN_FUNCTION', 'ceil is only supported as ceil(log2(x)); index expressions are integers', n.fnLoc);
        return undefined;
      }
      const x = this.expr(inner.args[0]!, scope, 'int');
      return x && { e: fold(['clog2', x.e]), type: 'int' };
    }
    const args = n.args.map((a) => this.expr(a, scope, 'int'));
    if (args.some((a) => a === undefined)) return undefined;
    const [x, y] = args.map((a) => a!.e) as [Expr, Expr];
    if (n.fn === 'ceil_log2') return { e: fold(['clog2', x]), type: 'int' };
    if (n.fn === 'ceil_log') return { e: fold(['clog', x, y]), type: 'int' };
    return { e: fold([n.fn as 'min' | 'max', x, y]), type: 'int' };
  }

  private text(loc: Loc): string {
    return this.reporter.source.slice(loc.offset, loc.end);
  }
}

/** Renumbers loop ids to positions in the statement's loop nest and drops locations. */
function renumber(s: PendingStatement): IrStatement {
  const pos = new Map(s.loops.map((l, i) => [l.id, i]));
  const re = (e: Expr): Expr => fold(mapLeaves(e, (l) => (l[0] === 'var' ? ['var', pos.get(l[1]) ?? -1] : l)));
  const access = (a: PendingAccess): IrAccess =>
    a.when === undefined ? { matrix: a.matrix, idx: a.idx.map(re) } : { matrix: a.matrix, idx: a.idx.map(re), when: re(a.when) };
  const guards = s.guards.map(re).filter((g) => g !== true);
  return {
    kernel: s.kernel,
    attrs: s.attrs,
    loops: s.loops.map((l) => ({ name: l.name, lo: re(l.lo), hi: re(l.hi), step: re(l.step) })),
    guards,
    reads: s.reads.map(access),
    writes: s.writes.map(access),
    line: s.loc.line,
    ...(s.origin === undefined ? {} : { origin: s.origin }),
  };
}
