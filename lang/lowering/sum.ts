/**
 * Lowering of `T[t…] = sum(…) k in lo..hi [step s]: kernel(…)` to ordinary statements over a
 * hidden temporary `__sum<id>`, so that the IR stays uniform (no special task kinds). Two shapes:
 *
 * **Tree** (`sum(fanin=f)`, the default): three statements over `__sum` of rank rank(T) + 2:
 *
 * - leaves, over (outer…, k):            __sum[t…, 0, pos(k)] = kernel(…)       pos(k) = (k − lo) / s
 * - tree nodes, over (outer…, level, pos), level in 1..L, pos in 0..count(level):
 *       __sum[t…, level, pos] = add(__sum[t…, level−1, pos·f + q] for q in 0..f−1 when pos·f + q < count(level−1))
 * - the root, over (outer…), when n ≥ 1:  T[t…] = add(__sum[t…, L−1, q] for q in 0..f−1 when q < count(L−1))
 *
 * with n = number of terms, count(l) = ⌈n / f^l⌉ partials at level l (count(0) = n) and
 * L = max(1, ⌈log_f n⌉) levels. Every index is affine in the task variables once `level` is
 * known, so the dependency solver handles the tree exactly.
 *
 * **Chain** (`sum(chain)`): each term's kernel takes the previous partial as an extra last input
 * (gemm(A, B, P) = A·B + P), so there are no `add` tasks and one partial per output is alive at a
 * time. Up to three statements over `__sum` of rank rank(T) + 1, indexed by d(k) = k − lo (= pos·s,
 * affine in k even with a step), with kLast = lo + (n − 1)·s the last term:
 *
 * - first, over (outer…), when n ≥ 2:        __sum[t…, 0] = kernel(…)|k=lo
 * - middle, over (outer…, k), k in lo+s..kLast step s:
 *       __sum[t…, k − lo] = kernel(…, __sum[t…, k − lo − s])
 * - last, over (outer…), when n ≥ 1:         T[t…] = kernel(…|k=kLast, __sum[t…, kLast − lo − s] when n ≥ 2)
 *
 * The guards pick the right statements at every outer iteration even when n depends on outer
 * variables (n = 1: only `last`, without the extra input; n = 2: first and last; n ≥ 3: all).
 * First and last have no k loop (k is substituted), so every block is written exactly once.
 *
 * An empty sum (n ≤ 0) writes nothing, in both shapes.
 */
import type { BlockRefNode, SumNode } from '../ast.ts';
import type { Ctx, LoopCtx, LoweringContext, PendingAccess, PendingStatement } from './context.ts';
import { fold, mapLeaves, sub } from '../expr.ts';
import type { Expr } from '../ir.ts';

/** Lowers the sum assigned to `targets` (written as `writes`) into statements appended to `a`. */
export function lowerSum(a: LoweringContext, targets: readonly BlockRefNode[], writes: readonly (PendingAccess | undefined)[], s: SumNode, ctx: Ctx): void {
  const r = a.reporter;
  let ok = true;
  if (targets.length !== 1) {
    r.error('E_OUTPUTS', `a sum writes exactly one block, but ${targets.length} outputs are given`, s.loc);
    ok = false;
  }
  let f = a.options.fanIn;
  let chain = false;
  let fanin: SumNode['options'][number] | undefined;
  for (const o of s.options) {
    if (o.name === 'chain') {
      // `chain` alone means chain=true; chain=false spells out the default tree.
      if (typeof o.value !== 'boolean') {
        r.error('E_SUM_OPTION', 'chain is a flag: write sum(chain) (or chain=true / chain=false)', o.loc);
        ok = false;
      } else chain = o.value;
    } else if (o.name !== 'fanin') {
      r.error('E_SUM_OPTION', `unknown sum option '${o.name}' (the options are fanin=f and chain)`, o.nameLoc);
      ok = false;
    } else if (typeof o.value !== 'number' || !Number.isInteger(o.value) || o.value < 2) {
      r.error('E_SUM_OPTION', 'fanin must be an integer ≥ 2', o.loc);
      ok = false;
    } else {
      f = o.value;
      fanin = o;
    }
  }
  if (chain && fanin !== undefined) {
    r.error('E_SUM_OPTION', 'a sum is either a tree (fanin=f) or a chain, not both', fanin.loc);
    ok = false;
  }
  if (chain) {
    // The kernel must take the previous partial as one more (last) input and still write one block.
    const spec = a.options.kernels.get(s.call.kernel);
    const arity = s.call.args.length + 1;
    if (spec !== undefined && (arity > spec.maxArity || spec.outputs(arity) !== 1)) {
      r.error('E_SUM_OPTION',
        `sum(chain) calls ${s.call.kernel} with the previous partial as an extra last input, but ${s.call.kernel} cannot take ${arity} inputs`,
        s.call.loc);
      ok = false;
    }
  } else if (!a.options.kernels.has('add')) {
    r.error('E_UNKNOWN_KERNEL', "a sum compiles to 'add' tasks, but the kernel registry has no 'add'", s.loc);
    ok = false;
  }
  const lo = a.expr(s.lo, ctx.scope, 'int');
  const hi = a.expr(s.hi, ctx.scope, 'int');
  const step = s.step === undefined ? undefined : a.expr(s.step, ctx.scope, 'int');
  if (step !== undefined && typeof step.e === 'number' && step.e <= 0) {
    r.error('E_STEP', `sum step must be positive, got ${step.e}`, s.step!.loc);
    ok = false;
  }
  const ks = a.loopScope(s.var, s.varLoc, ctx.scope);
  const call = a.call(s.call, ks?.scope ?? ctx.scope, 1);
  const target = writes[0];
  if (!ok || lo === undefined || hi === undefined || (s.step !== undefined && step === undefined) || ks === undefined ||
      call === undefined || target === undefined) return;

  const st: Expr = step?.e ?? 1;
  const k: Expr = ['var', ks.id];
  const n: Expr = step === undefined ? sub(hi.e, lo.e) : fold(['/', ['+', ['-', hi.e, lo.e], ['-', st, 1]], st]);
  const pos0: Expr = step === undefined ? sub(k, lo.e) : fold(['/', ['-', k, lo.e], st]);
  const t = target.idx;
  if (chain) {
    lowerChain(a, s, ctx, { k: ks.id, lo: lo.e, hi: hi.e, st, n, reads: call.reads, attrs: call.attrs, target });
    return;
  }
  const M = a.newSumMatrix(t.length + 2);
  const taken = new Set([...ctx.loops.map((l) => l.name), s.var]);
  const unique = (base: string): string => {
    let name = base;
    for (let i = 2; taken.has(name); i++) name = `${base}${i}`;
    taken.add(name);
    return name;
  };

  // Leaves.
  const kLoop: LoopCtx = { id: ks.id, name: s.var, lo: lo.e, hi: hi.e, step: st, loc: s.varLoc };
  a.statements.push({
    kernel: s.call.kernel, attrs: call.attrs, loops: [...ctx.loops, kLoop], guards: ctx.guards, path: ctx.path,
    reads: call.reads, writes: [{ matrix: M, idx: [...t, 0, pos0], loc: target.loc }], loc: s.call.loc, origin: 'sum-leaf',
  });

  const fpow = (l: Expr): Expr => fold(['**', f, l]);
  const count = (l: Expr): Expr => fold(['/', ['-', ['+', n, fpow(l)], 1], fpow(l)]);
  const L: Expr = fold(['max', 1, ['clog', n, f]]);
  const reads = (level: Expr, base: Expr): PendingAccess[] =>
    Array.from({ length: f }, (_, q) => {
      const at = fold(['+', base, q]);
      const idx = [...t, level, at];
      return q === 0 ? { matrix: M, idx, loc: s.loc } : { matrix: M, idx, when: fold(['<', at, count(level)]), loc: s.loc };
    });

  // Inner tree nodes (levels 1..L-1).
  const levelId = a.newLoopId();
  const posId = a.newLoopId();
  const level: Expr = ['var', levelId];
  const p: Expr = ['var', posId];
  const loops: LoopCtx[] = [
    ...ctx.loops,
    { id: levelId, name: unique('level'), lo: 1, hi: L, step: 1, loc: s.loc },
    { id: posId, name: unique('pos'), lo: 0, hi: count(level), step: 1, loc: s.loc },
  ];
  a.statements.push({
    kernel: 'add', attrs: {}, loops, guards: ctx.guards, path: ctx.path,
    reads: reads(fold(['-', level, 1]), fold(['*', p, f])), writes: [{ matrix: M, idx: [...t, level, p], loc: target.loc }],
    loc: s.loc, origin: 'sum-node',
  });

  // Root: writes the target block.
  a.statements.push({
    kernel: 'add', attrs: {}, loops: ctx.loops, guards: [...ctx.guards, fold(['>=', n, 1])], path: ctx.path,
    reads: reads(fold(['-', L, 1]), 0), writes: [target], loc: s.loc, origin: 'sum-root',
  });
}

interface ChainParts {
  /** Loop id of the summation variable. */
  readonly k: number;
  readonly lo: Expr;
  readonly hi: Expr;
  readonly st: Expr;
  /** Number of terms. */
  readonly n: Expr;
  /** The kernel's written inputs (indices use `k`). */
  readonly reads: readonly PendingAccess[];
  readonly attrs: PendingStatement['attrs'];
  readonly target: PendingAccess;
}

/** Emits the chain statements (see the file comment); a statement that can never run is left out. */
function lowerChain(a: LoweringContext, s: SumNode, ctx: Ctx, c: ChainParts): void {
  const t = c.target.idx;
  const at = (kv: Expr) => (e: Expr): Expr => fold(mapLeaves(e, (l) => (l[0] === 'var' && l[1] === c.k ? kv : l)));
  const subst = (kv: Expr): PendingAccess[] => c.reads.map((r) => ({
    ...r, idx: r.idx.map(at(kv)), ...(r.when === undefined ? {} : { when: at(kv)(r.when) }),
  }));
  const kVar: Expr = ['var', c.k];
  const kLast: Expr = c.st === 1 ? sub(c.hi, 1) : fold(['+', c.lo, ['*', ['-', c.n, 1], c.st]]);
  const atLeast = (m: number): Expr => fold(['>=', c.n, m]);
  const guards = (g: Expr): Expr[] | undefined => (g === false ? undefined : g === true ? [...ctx.guards] : [...ctx.guards, g]);
  const base = { kernel: s.call.kernel, attrs: c.attrs, path: ctx.path, loc: s.call.loc };

  const twoOrMore = guards(atLeast(2));
  const M = twoOrMore === undefined ? undefined : a.newSumMatrix(t.length + 1);
  if (M !== undefined && twoOrMore !== undefined) {
    // First term: no partial to add yet.
    a.statements.push({
      ...base, loops: ctx.loops, guards: twoOrMore, reads: subst(c.lo),
      writes: [{ matrix: M, idx: [...t, 0], loc: c.target.loc }], origin: 'sum-leaf',
    });
    // Middle terms (none unless n ≥ 3).
    const mLo = fold(['+', c.lo, c.st]);
    const empty = typeof mLo === 'number' && typeof kLast === 'number' && mLo >= kLast;
    if (!empty) {
      const d = sub(kVar, c.lo);
      a.statements.push({
        ...base, loops: [...ctx.loops, { id: c.k, name: s.var, lo: mLo, hi: kLast, step: c.st, loc: s.varLoc }], guards: ctx.guards,
        reads: [...c.reads, { matrix: M, idx: [...t, sub(d, c.st)], loc: s.loc }],
        writes: [{ matrix: M, idx: [...t, d], loc: c.target.loc }], origin: 'sum-node',
      });
    }
  }
  // Last term: writes the target, adding the previous partial when there is one.
  const oneOrMore = guards(atLeast(1));
  if (oneOrMore === undefined) return;
  const prev: PendingAccess[] = [];
  if (M !== undefined) {
    const idx = [...t, fold(['-', sub(kLast, c.lo), c.st])];
    const when = atLeast(2);
    prev.push(when === true ? { matrix: M, idx, loc: s.loc } : { matrix: M, idx, when, loc: s.loc });
  }
  a.statements.push({
    ...base, loops: ctx.loops, guards: oneOrMore, reads: [...subst(kLast), ...prev], writes: [c.target], origin: 'sum-root',
  });
}
