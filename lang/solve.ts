/**
 * The dependency solver: which tasks of a statement access a given block?
 *
 * For an access `M[e₀(v), …, e_m(v)]` of a statement with loop variables v and a concrete block
 * index c, the tasks are the solutions of e(v) = c inside the loop nest where the guards (and
 * the access's `when`) hold. A *solve plan* is built once per (statement, access) at bind time:
 *
 * 1. **solve** — an equation with exactly one unknown variable that appears affinely with a
 *    constant non-zero coefficient a (e = a·v + b): v = (c − b) / a, failing when not divisible;
 * 2. **check** — as soon as the variables they use are known, test equations with no unknowns
 *    left, each variable's bounds and step alignment, the guards and the `when`. An expression
 *    that can throw (`2**level`, `x / k`) waits until its variables are *in their domain* (their
 *    bounds checked, and their bounds' variables before them): a solved `level = c − 1` may be
 *    −1, and `2**-1` must not be evaluated for a task that does not exist;
 * 3. **enumerate** — otherwise loop over the outermost unknown variable (its bounds only use
 *    outer, already known variables) and continue the plan inside the loop.
 *
 * Non-affine terms (`2**level`, `j/2`) thus cost an enumeration only until another equation
 * fixes the variables they use. The plan is turned into JavaScript (nested loops with
 * `continue`/`return` on failure), so a query costs a few hundred nanoseconds per result.
 * No query ever walks the iteration space of a statement unless the access leaves variables
 * free (e.g. every task of a loop reading the same block), in which case those are the answers.
 */
import { jsExpr, makeFunction } from './codegen.ts';
import { exprToString, linearize, mayThrow, varsOf } from './expr.ts';
import type { Expr, IrStatement } from './ir.ts';

/** Pushes each solution's variables (a fresh array) onto `out`. */
export type SolveFn = (c: readonly number[], out: number[][]) => void;

export interface SolvePlan {
  readonly solve: SolveFn;
  /** Human-readable steps ("solve i = c0 - 1", "enumerate j", "check …"), for tools and tests. */
  readonly steps: readonly string[];
  /** The generated JavaScript. */
  readonly source: string;
}

interface Check {
  readonly vars: Set<number>;
  readonly code: (fail: string) => string;
  readonly text: string;
  /** The bounds check of this variable (it puts the variable in its domain). */
  readonly bounds?: number;
  /** Its expressions can throw outside the variables' domains. */
  readonly risky: boolean;
}

/**
 * Builds the plan for `idx` (the access's index expressions) of bound statement `s` (number
 * `stmt`), with an optional `when` condition (reads).
 */
export function buildSolver(stmt: number, s: IrStatement, idx: readonly Expr[], when?: Expr): SolvePlan {
  const n = s.loops.length;
  const names = s.loops.map((l) => l.name);
  const show = (e: Expr): string => exprToString(e, names);
  const known = new Set<number>();
  // Known variables inside their loop's domain, and so are the variables their bounds use.
  const inDomain = new Set<number>();
  const steps: string[] = [];
  let code = idx.map((_, i) => `const c${i} = c[${i}];\n`).join('');
  let depth = 0;
  let close = '';
  let temp = 0;
  const fail = (): string => (depth > 0 ? 'continue' : 'return');

  const checks: Check[] = [];
  const cond = (e: Expr, text: string): void => {
    if (e === true) return;
    checks.push({ vars: varsOf(e), code: (f) => `if (!${jsExpr(e)}) ${f};\n`, text, risky: mayThrow(e) });
  };
  const bounds = (v: number): void => {
    const l = s.loops[v]!;
    const vars = new Set([v, ...varsOf(l.lo), ...varsOf(l.hi), ...varsOf(l.step)]);
    const aligned = l.step === 1 ? '' : ` && (v${v} - lo) % st === 0`;
    checks.push({
      vars,
      code: (f) => `{ const lo = ${jsExpr(l.lo)}, hi = ${jsExpr(l.hi)}, st = ${jsExpr(l.step)};\n` +
        `if (!(st > 0)) badStep(${stmt}, ${JSON.stringify(l.name)}, st);\n` +
        `if (!(v${v} >= lo && v${v} < hi${aligned})) ${f}; }\n`,
      text: `${l.name} in ${show(l.lo)}..${show(l.hi)}${l.step === 1 ? '' : ` step ${show(l.step)}`}`,
      bounds: v,
      risky: true,
    });
  };
  s.guards.forEach((g) => cond(g, `guard ${show(g)}`));
  if (when !== undefined) cond(when, `when ${show(when)}`);
  const eqs = idx.map((e, i) => ({ e, i, vars: varsOf(e) }));
  let pending = eqs;

  const ready = (vars: Set<number>, risky: boolean, own?: number): boolean =>
    [...vars].every((v) => known.has(v) && (!risky || v === own || inDomain.has(v)));
  const flush = (): void => {
    // Until nothing changes: a bounds check passed puts a variable in its domain, which can
    // make further checks ready.
    for (let again = true; again;) {
      again = false;
      for (let k = 0; k < checks.length;) {
        const c = checks[k]!;
        if (ready(c.vars, c.risky, c.bounds)) {
          code += c.code(fail());
          steps.push(`check ${c.text}`);
          checks.splice(k, 1);
          if (c.bounds !== undefined) {
            inDomain.add(c.bounds);
            again = true;
          }
        } else k++;
      }
      pending = pending.filter((q) => {
        if (!ready(q.vars, mayThrow(q.e))) return true;
        code += `if (!(${jsExpr(q.e)} === c${q.i})) ${fail()};\n`;
        steps.push(`check ${show(q.e)} = c${q.i}`);
        return false;
      });
    }
  };

  flush();
  while (known.size < n) {
    let solved = false;
    for (const q of pending) {
      const unknown = [...q.vars].filter((v) => !known.has(v));
      if (unknown.length !== 1) continue;
      const v = unknown[0]!;
      const lin = linearize(q.e, v);
      if (lin === undefined || lin.a === 0) continue;
      // The rest of the equation is evaluated now: it must not throw for out-of-domain values.
      if (mayThrow(lin.b) && ![...varsOf(lin.b)].every((u) => inDomain.has(u))) continue;
      const t = `t${temp++}`;
      const rest = lin.b === 0 ? '' : ` - ${jsExpr(lin.b)}`;
      code += `const ${t} = c${q.i}${rest};\n`;
      if (lin.a === 1) code += `const v${v} = ${t};\n`;
      else if (lin.a === -1) code += `const v${v} = -${t};\n`;
      else code += `if (${t} % ${lin.a} !== 0) ${fail()};\nconst v${v} = ${t} / ${lin.a};\n`;
      const rhs = lin.b === 0 ? `c${q.i}` : typeof lin.b === 'number' && lin.b < 0 ? `c${q.i} + ${-lin.b}` : `c${q.i} - ${show(lin.b)}`;
      steps.push(`solve ${names[v]} = ${lin.a === 1 ? rhs : lin.a === -1 ? `-(${rhs})` : `(${rhs}) / ${lin.a}`}`);
      known.add(v);
      pending = pending.filter((p) => p !== q);
      bounds(v);
      solved = true;
      break;
    }
    if (!solved) {
      let v = 0;
      while (known.has(v)) v++;
      const l = s.loops[v]!;
      code += `const lo${v} = ${jsExpr(l.lo)}, hi${v} = ${jsExpr(l.hi)}, st${v} = ${jsExpr(l.step)};\n` +
        `if (!(st${v} > 0)) badStep(${stmt}, ${JSON.stringify(l.name)}, st${v});\n` +
        `for (let v${v} = lo${v}; v${v} < hi${v}; v${v} += st${v}) {\n`;
      close = `}\n${close}`;
      depth++;
      steps.push(`enumerate ${l.name} in ${show(l.lo)}..${show(l.hi)}${l.step === 1 ? '' : ` step ${show(l.step)}`}`);
      known.add(v);
      // Its outer variables are in their domains (checked in order), so the loop keeps it in its own.
      inDomain.add(v);
    }
    flush();
  }
  code += `out.push([${Array.from({ length: n }, (_, i) => `v${i}`).join(', ')}]);\n${close}`;
  const source = `function solve(c, out) {\n${code}}`;
  return { solve: makeFunction<SolveFn>(source), steps, source };
}
