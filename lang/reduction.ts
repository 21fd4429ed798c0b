/**
 * Lowering of `T[t…] = sum(fanin=f) k in lo..hi [step s]: kernel(…)` to three ordinary
 * statements over a hidden temporary `__sum<id>` of rank rank(T) + 2, so that the IR stays
 * uniform (no special task kinds):
 *
 * - leaves, over (outer…, k):            __sum[t…, 0, pos(k)] = kernel(…)       pos(k) = (k − lo) / s
 * - tree nodes, over (outer…, level, pos), level in 1..L, pos in 0..count(level):
 *       __sum[t…, level, pos] = add(__sum[t…, level−1, pos·f + q] for q in 0..f−1 when pos·f + q < count(level−1))
 * - the root, over (outer…), when n ≥ 1:  T[t…] = add(__sum[t…, L−1, q] for q in 0..f−1 when q < count(L−1))
 *
 * with n = number of terms, count(l) = ⌈n / f^l⌉ partials at level l (count(0) = n) and
 * L = max(1, ⌈log_f n⌉) levels. Every index is affine in the task variables once `level` is
 * known, so the dependency solver handles the tree exactly. An empty sum (n ≤ 0) writes nothing.
 */
import type { BlockRefNode, SumNode } from './ast.ts';
import type { Analyzer, Ctx, LoopCtx, PendingAccess } from './analyze.ts';
import { fold, sub } from './expr.ts';
import type { Expr } from './ir.ts';

export function lowerSum(a: Analyzer, targets: readonly BlockRefNode[], writes: readonly (PendingAccess | undefined)[], s: SumNode, ctx: Ctx): void {
  const r = a.reporter;
  let ok = true;
  if (targets.length !== 1) {
    r.error('E_OUTPUTS', `a sum writes exactly one block, but ${targets.length} outputs are given`, s.loc);
    ok = false;
  }
  let f = a.options.fanIn;
  for (const o of s.options) {
    if (o.name !== 'fanin') {
      r.error('E_SUM_OPTION', `unknown sum option '${o.name}' (the only option is fanin)`, o.nameLoc);
      ok = false;
    } else if (typeof o.value !== 'number' || !Number.isInteger(o.value) || o.value < 2) {
      r.error('E_SUM_OPTION', 'fanin must be an integer ≥ 2', o.loc);
      ok = false;
    } else f = o.value;
  }
  if (!a.options.kernels.has('add')) {
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
