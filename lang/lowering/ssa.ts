/**
 * Compile-time single-assignment checks: the cases decidable from the program text alone.
 *
 * 1. A write whose indices do not depend on one of its loop variables (a loop that can run more
 *    than once) writes the same block in several iterations.
 * 2. Two writes of the same matrix with identical index expressions (same variables) whose
 *    conditions overlap — one's `if` path is a prefix of the other's, so both can run for the
 *    same variable values. Disjoint `if`/`else` branches are fine.
 * 3. A read of a temporary (or `out`) matrix that no statement writes; an `out` matrix nobody writes.
 *
 * Everything else (e.g. `X[j]` in one loop and `X[k]` in another with overlapping ranges) is
 * found for concrete sizes: `writer()` throws DagError('SSA') and `checkDag` lists it.
 */
import type { LoopCtx, LoweringContext, PendingStatement } from './context.ts';
import type { Reporter } from '../errors.ts';
import { varsOf } from '../expr.ts';
import type { Expr } from '../ir.ts';

function tripCountAtMostOne(l: LoopCtx): boolean {
  const { lo, hi, step } = l;
  if (typeof lo !== 'number' || typeof hi !== 'number' || typeof step !== 'number' || step <= 0) return false;
  return Math.ceil((hi - lo) / step) <= 1;
}

const isPrefix = (a: readonly string[], b: readonly string[]): boolean => a.every((x, i) => b[i] === x);

/** Structural identity of a write (loop ids are unique per program, so equal text = same variables). */
function show(matrix: string, idx: readonly Expr[]): string {
  return `${matrix}[${idx.map((e) => JSON.stringify(e)).join(',')}]`;
}

/** Reports every single-assignment violation of `a`'s statements that the text decides. */
export function checkSsa(a: LoweringContext, reporter: Reporter): void {
  const stmts: readonly PendingStatement[] = a.statements;
  for (const s of stmts) {
    for (const w of s.writes) {
      const used = new Set<number>();
      for (const e of w.idx) varsOf(e, used);
      for (const l of s.loops) {
        if (used.has(l.id) || tripCountAtMostOne(l)) continue;
        reporter.error('E_SSA',
          `${w.matrix}[…] does not depend on loop variable '${l.name}' (line ${l.loc.line}): every iteration would write the same block`,
          w.loc);
      }
    }
  }

  const seen = new Map<string, { s: PendingStatement; key: string }[]>();
  for (const s of stmts) {
    for (const w of s.writes) {
      const key = show(w.matrix, w.idx);
      const list = seen.get(w.matrix) ?? [];
      for (const o of list) {
        if (o.key === key && (isPrefix(o.s.path, s.path) || isPrefix(s.path, o.s.path))) {
          reporter.error('E_SSA',
            `block ${w.matrix}[…] is also written by the statement at line ${o.s.loc.line} (same indices, overlapping conditions)`, w.loc);
        }
      }
      list.push({ s, key });
      seen.set(w.matrix, list);
    }
  }

  for (const s of stmts) {
    for (const r of s.reads) {
      const role = a.roles.get(r.matrix);
      if (role !== 'in' && !a.targetsSeen.has(r.matrix)) {
        reporter.error('E_UNWRITTEN', `'${r.matrix}' is read here but no statement writes it`, r.loc);
      }
    }
  }
  for (const [name, role] of a.roles) {
    if (role === 'out' && !a.targetsSeen.has(name)) {
      const loc = a.paramLocs.get(name);
      if (loc !== undefined) reporter.error('E_OUT_UNWRITTEN', `output matrix '${name}' is never written`, loc);
    }
  }
}
