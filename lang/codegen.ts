/**
 * JavaScript generation for bound statements. At bind time every statement's loop nest, guards
 * and accesses (with the integer arguments folded in) become small specialised functions built
 * with `new Function`, so that a DAG query runs straight-line code instead of interpreting the
 * IR. Generated code sees only the helpers below (no closures over user data); names are
 * emitted through JSON.stringify and expressions are checked to be arithmetic only (jsExpr).
 */
import { DagError } from './errors.ts';
import { clog, clog2, fdiv, fmod, ipow } from './expr.ts';
import type { Expr, IrStatement } from './ir.ts';
import type { BlockRef } from './task.ts';

function badStep(stmt: number, loop: string, step: unknown): never {
  throw new DagError('STEP', `statement ${stmt}: loop '${loop}' has step ${String(step)}; steps must be positive`);
}

const HELPERS = { fdiv, fmod, ipow, clog, clog2, badStep };
const PRELUDE = 'const { fdiv, fmod, ipow, clog, clog2, badStep } = H;\n';

/** Builds `(function …)` from its source with the helpers in scope. */
export function makeFunction<F>(source: string): F {
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  return new Function('H', `${PRELUDE}return ${source};`)(HELPERS) as F;
}

const bad = (what: string): never => {
  throw new DagError('BAD_TASK', `malformed program IR: ${what}`);
};

/**
 * JavaScript for an expression; `v(i)` names loop variable i. The IR may have travelled as JSON
 * (job records), so every leaf and operator is checked here: nothing but numbers, known
 * operators and variable names reaches the generated source.
 */
export function jsExpr(e: Expr, v: (i: number) => string = (i) => `v${i}`): string {
  if (typeof e === 'number') return e < 0 || Object.is(e, -0) ? `(${e})` : String(e);
  if (typeof e === 'boolean') return String(e);
  if (!Array.isArray(e)) return bad(JSON.stringify(e));
  if (e[0] === 'var') return Number.isInteger(e[1]) && e[1] >= 0 ? v(e[1]) : bad(JSON.stringify(e));
  if (e[0] === 'arg') throw new DagError('BAD_TASK', `argument '${String(e[1])}' is not bound`);
  if (e.length === 2) {
    const a = jsExpr(e[1], v);
    switch (e[0]) {
      case 'neg': return `(-${a})`;
      case 'not': return `(!${a})`;
      case 'clog2': return `clog2(${a})`;
      default: return bad(`unknown operator ${JSON.stringify(e[0])}`);
    }
  }
  if (e.length !== 3) return bad(JSON.stringify(e));
  const [op, x, y] = e;
  const a = jsExpr(x, v);
  const b = jsExpr(y, v);
  switch (op) {
    case '/': return `fdiv(${a}, ${b})`;
    case '%': return `fmod(${a}, ${b})`;
    case '**': return `ipow(${a}, ${b})`;
    case 'min': return `Math.min(${a}, ${b})`;
    case 'max': return `Math.max(${a}, ${b})`;
    case 'clog': return `clog(${a}, ${b})`;
    case '==': return `(${a} === ${b})`;
    case '!=': return `(${a} !== ${b})`;
    case 'and': return `(${a} && ${b})`;
    case 'or': return `(${a} || ${b})`;
    case '+': case '-': case '*': case '<': case '<=': case '>': case '>=': return `(${a} ${op} ${b})`;
    default: return bad(`unknown operator ${JSON.stringify(op)}`);
  }
}

/** Highest loop-variable position `e` uses, or -1. */
export function depthOf(e: Expr): number {
  if (typeof e === 'number' || typeof e === 'boolean' || e[0] === 'arg') return -1;
  if (e[0] === 'var') return e[1];
  if (e.length === 2) return depthOf(e[1]);
  return Math.max(depthOf(e[1]), depthOf(e[2]));
}

/** Functions of one bound statement. */
export interface StatementCode {
  /** The vars are a task of this statement: in range, step-aligned, guards hold. */
  valid(vars: readonly number[]): boolean;
  reads(vars: readonly number[]): BlockRef[];
  writes(vars: readonly number[]): BlockRef[];
  /** Every task's variables, in loop order. */
  iterate(): Generator<number[]>;
  /** Number of tasks (innermost loop counted in closed form when no guard needs its variable). */
  count(): number;
  /** All reads of non-`in` matrices are guarded out (the task has no parents). */
  noParentReads(vars: readonly number[]): boolean;
}

const lit = (s: string): string => JSON.stringify(s);

function accessJs(a: { matrix: string; idx: readonly Expr[] }): string {
  return `{ matrix: ${lit(a.matrix)}, idx: [${a.idx.map((e) => jsExpr(e)).join(', ')}] }`;
}

/**
 * Emits the loop nest of `s` around `inner` (which sees v0…v{n-1}); guards are tested at the
 * shallowest loop where their variables are known. `closedInner` replaces the innermost loop by
 * `closedInner(lo, hi, st)` when no guard needs the innermost variable.
 */
function nest(stmt: number, s: IrStatement, inner: string, empty: string, closedInner?: (lo: string, hi: string, st: string) => string): string {
  const n = s.loops.length;
  const byDepth: string[][] = Array.from({ length: n + 1 }, () => []);
  for (const g of s.guards) byDepth[depthOf(g) + 1]!.push(g === true ? '' : jsExpr(g));
  const guard = (d: number, fail: string): string =>
    byDepth[d]!.filter((g) => g !== '').map((g) => `if (!${g}) ${fail};\n`).join('');
  let code = guard(0, empty);
  let close = '';
  for (let d = 0; d < n; d++) {
    const l = s.loops[d]!;
    const head = `const lo${d} = ${jsExpr(l.lo)}, hi${d} = ${jsExpr(l.hi)}, st${d} = ${jsExpr(l.step)};\n` +
      `if (!(st${d} > 0)) badStep(${stmt}, ${lit(l.name)}, st${d});\n`;
    if (d === n - 1 && closedInner !== undefined && byDepth[n]!.length === 0) {
      code += head + closedInner(`lo${d}`, `hi${d}`, `st${d}`);
      return code + close;
    }
    code += `${head}for (let v${d} = lo${d}; v${d} < hi${d}; v${d} += st${d}) {\n${guard(d + 1, 'continue')}`;
    close = `}\n${close}`;
  }
  return code + inner + close;
}

/** Generates the functions of bound statement number `stmt`. */
export function statementCode(stmt: number, s: IrStatement, isInput: (matrix: string) => boolean): StatementCode {
  const n = s.loops.length;
  const vs = Array.from({ length: n }, (_, i) => `v${i}`);
  const unpack = vs.map((v, i) => `const ${v} = vars[${i}];\n`).join('');
  const tuple = `[${vs.join(', ')}]`;

  let valid = `function valid(vars) {\nif (vars.length !== ${n}) return false;\n${unpack}`;
  s.loops.forEach((l, d) => {
    valid += `if (!Number.isInteger(v${d})) return false;\n` +
      `{ const lo = ${jsExpr(l.lo)}, hi = ${jsExpr(l.hi)}, st = ${jsExpr(l.step)};\n` +
      `if (!(st > 0)) badStep(${stmt}, ${lit(l.name)}, st);\n` +
      `if (!(v${d} >= lo && v${d} < hi && (v${d} - lo) % st === 0)) return false; }\n`;
  });
  for (const g of s.guards) valid += `if (!${jsExpr(g)}) return false;\n`;
  valid += 'return true;\n}';

  const readsJs = s.reads.map((a) =>
    a.when === undefined ? `r.push(${accessJs(a)});\n` : `if (${jsExpr(a.when)}) r.push(${accessJs(a)});\n`).join('');
  const reads = `function reads(vars) {\n${unpack}const r = [];\n${readsJs}return r;\n}`;
  const writes = `function writes(vars) {\n${unpack}return [${s.writes.map(accessJs).join(', ')}];\n}`;

  const iterate = `function* iterate() {\n${nest(stmt, s, `yield ${tuple};\n`, 'return')}}`;
  const count = `function count() {\nlet n = 0;\n${nest(stmt, s, 'n++;\n', 'return 0',
    (lo, hi, st) => `if (${hi} > ${lo}) n += Math.ceil((${hi} - ${lo}) / ${st});\n`)}return n;\n}`;

  const nonInput = s.reads.filter((a) => !isInput(a.matrix));
  const noParent = nonInput.map((a) => (a.when === undefined ? 'false' : `!${jsExpr(a.when)}`)).join(' && ') || 'true';
  const noParentReads = `function noParentReads(vars) {\n${unpack}return ${noParent};\n}`;

  return {
    valid: makeFunction(valid),
    reads: makeFunction(reads),
    writes: makeFunction(writes),
    iterate: makeFunction(iterate),
    count: makeFunction(count),
    noParentReads: makeFunction(noParentReads),
  };
}
