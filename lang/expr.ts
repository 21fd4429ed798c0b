/**
 * Operations on IR expressions: their semantics (one definition, shared by the interpreter,
 * constant folding and the generated JavaScript), folding, variable sets, affine linearisation
 * (for the dependency solver) and printing.
 */
import { DagError } from './errors.ts';
import type { BinaryOp, Expr, UnaryOp } from './ir.ts';

// ------------------------------------------------------------------------------------------------
// Semantics

/** Floor division (Python's `//`). */
export function fdiv(a: number, b: number): number {
  if (b === 0) throw new DagError('EVAL', `division by zero in ${a} / ${b}`);
  return Math.floor(a / b);
}

/** Floor modulo (Python's `%`): the result has the sign of `b`. */
export function fmod(a: number, b: number): number {
  if (b === 0) throw new DagError('EVAL', `modulo by zero in ${a} % ${b}`);
  return a - b * Math.floor(a / b);
}

/** Integer power; negative exponents are an error (indices are integers). */
export function ipow(a: number, b: number): number {
  if (b < 0) throw new DagError('EVAL', `negative exponent in ${a}**${b}`);
  return a ** b;
}

/** ⌈log_b x⌉ computed exactly on integers; 0 for x ≤ 1. */
export function clog(x: number, b: number): number {
  if (!(b >= 2)) throw new DagError('EVAL', `ceil_log base ${b} must be ≥ 2`);
  let l = 0;
  for (let p = 1; p < x; p *= b) l++;
  return l;
}

/** ⌈log₂ x⌉; 0 for x ≤ 1. */
export function clog2(x: number): number {
  return clog(x, 2);
}

type Value = number | boolean;

export function applyUnary(op: UnaryOp, a: Value): Value {
  switch (op) {
    case 'neg': return -(a as number);
    case 'not': return !(a as boolean);
    case 'clog2': return clog2(a as number);
  }
}

export function applyBinary(op: BinaryOp, x: Value, y: Value): Value {
  const a = x as number;
  const b = y as number;
  switch (op) {
    case '+': return a + b;
    case '-': return a - b;
    case '*': return a * b;
    case '/': return fdiv(a, b);
    case '%': return fmod(a, b);
    case '**': return ipow(a, b);
    case 'min': return Math.min(a, b);
    case 'max': return Math.max(a, b);
    case 'clog': return clog(a, b);
    case '==': return x === y;
    case '!=': return x !== y;
    case '<': return a < b;
    case '<=': return a <= b;
    case '>': return a > b;
    case '>=': return a >= b;
    case 'and': return (x as boolean) && (y as boolean);
    case 'or': return (x as boolean) || (y as boolean);
  }
}

/** Evaluates `e` with loop variables `vars` and int arguments `args`. */
export function evaluate(e: Expr, vars: readonly number[], args: Readonly<Record<string, number>> = {}): Value {
  if (typeof e === 'number' || typeof e === 'boolean') return e;
  if (e[0] === 'var') {
    const v = vars[e[1]];
    if (v === undefined) throw new DagError('BAD_TASK', `variable v${e[1]} has no value`);
    return v;
  }
  if (e[0] === 'arg') {
    const v = args[e[1]];
    if (v === undefined) throw new DagError('BAD_TASK', `argument ${e[1]} has no value`);
    return v;
  }
  if (e.length === 2) return applyUnary(e[0], evaluate(e[1], vars, args));
  return applyBinary(e[0], evaluate(e[1], vars, args), evaluate(e[2], vars, args));
}

// ------------------------------------------------------------------------------------------------
// Structure

export function isConst(e: Expr): e is number | boolean {
  return typeof e === 'number' || typeof e === 'boolean';
}

/**
 * Whether evaluating `e` can throw for some values of its variables: a `/` or `%` whose divisor,
 * a `**` whose exponent or a `ceil_log` whose base is not a constant that is known to be safe.
 * Such an expression is only evaluated on variables inside their loops' domains.
 */
export function mayThrow(e: Expr): boolean {
  if (typeof e === 'number' || typeof e === 'boolean' || e[0] === 'var' || e[0] === 'arg') return false;
  if (e.length === 2) return mayThrow(e[1]);
  const [op, x, y] = e;
  if (mayThrow(x) || mayThrow(y)) return true;
  switch (op) {
    case '/': case '%': return !(typeof y === 'number' && y !== 0);
    case '**': return !(typeof y === 'number' && y >= 0);
    case 'clog': return !(typeof y === 'number' && y >= 2);
    default: return false;
  }
}

/** Adds the loop-variable numbers `e` uses to `into`. */
export function varsOf(e: Expr, into: Set<number> = new Set()): Set<number> {
  if (isConst(e) || e[0] === 'arg') return into;
  if (e[0] === 'var') into.add(e[1]);
  else if (e.length === 2) varsOf(e[1], into);
  else {
    varsOf(e[1], into);
    varsOf(e[2], into);
  }
  return into;
}

export function usesVar(e: Expr, v: number): boolean {
  if (isConst(e) || e[0] === 'arg') return false;
  if (e[0] === 'var') return e[1] === v;
  if (e.length === 2) return usesVar(e[1], v);
  return usesVar(e[1], v) || usesVar(e[2], v);
}

/** Rewrites every variable and argument leaf. */
export function mapLeaves(e: Expr, leaf: (e: readonly ['var', number] | readonly ['arg', string]) => Expr): Expr {
  if (isConst(e)) return e;
  if (e[0] === 'var' || e[0] === 'arg') return leaf(e);
  if (e.length === 2) return [e[0], mapLeaves(e[1], leaf)];
  return [e[0], mapLeaves(e[1], leaf), mapLeaves(e[2], leaf)];
}

/** Replaces `['arg', name]` by its value (and folds). */
export function bindArgs(e: Expr, args: Readonly<Record<string, number>>): Expr {
  return fold(mapLeaves(e, (l) => (l[0] === 'arg' && args[l[1]] !== undefined ? args[l[1]]! : l)));
}

/** Constant folding and the identities x+0, x-0, x*1, 0+x, 1*x, x**1. Never throws. */
export function fold(e: Expr): Expr {
  if (isConst(e) || e[0] === 'var' || e[0] === 'arg') return e;
  if (e.length === 2) {
    const a = fold(e[1]);
    if (isConst(a)) {
      try {
        return applyUnary(e[0], a);
      } catch {
        return [e[0], a];
      }
    }
    if (e[0] === 'neg' && !isConst(a) && a[0] === 'neg' && a.length === 2) return a[1];
    return [e[0], a];
  }
  const op = e[0];
  const a = fold(e[1]);
  const b = fold(e[2]);
  if (isConst(a) && isConst(b)) {
    try {
      return applyBinary(op, a, b);
    } catch {
      return [op, a, b];
    }
  }
  if ((op === '+' || op === '-') && b === 0) return a;
  if (op === '+' && a === 0) return b;
  if (op === '-' && a === 0) return fold(['neg', b]);
  if ((op === '*' || op === '/' || op === '**') && b === 1) return a;
  if (op === '*' && a === 1) return b;
  if (op === 'and') {
    if (a === true) return b;
    if (b === true) return a;
    if (a === false || b === false) return false;
  }
  if (op === 'or') {
    if (a === false) return b;
    if (b === false) return a;
    if (a === true || b === true) return true;
  }
  return [op, a, b];
}

export const add = (a: Expr, b: Expr): Expr => fold(['+', a, b]);
export const sub = (a: Expr, b: Expr): Expr => fold(['-', a, b]);
export const mul = (a: Expr, b: Expr): Expr => fold(['*', a, b]);

/**
 * `e` as `a·v + b` with a constant coefficient `a` and `b` free of `v`, or undefined when `e`
 * is not affine in `v` with a constant coefficient (e.g. `v*w`, `v/2`, `2**v`).
 */
export function linearize(e: Expr, v: number): { a: number; b: Expr } | undefined {
  if (!usesVar(e, v)) return { a: 0, b: e };
  if (isConst(e) || e[0] === 'arg') return { a: 0, b: e };
  if (e[0] === 'var') return { a: 1, b: 0 };
  if (e.length === 2) {
    if (e[0] !== 'neg') return undefined;
    const l = linearize(e[1], v);
    return l && { a: -l.a, b: fold(['neg', l.b]) };
  }
  const [op, x, y] = e;
  if (op === '+' || op === '-') {
    const l = linearize(x, v);
    const r = linearize(y, v);
    if (!l || !r) return undefined;
    return op === '+' ? { a: l.a + r.a, b: add(l.b, r.b) } : { a: l.a - r.a, b: sub(l.b, r.b) };
  }
  if (op === '*') {
    if (typeof x === 'number') {
      const r = linearize(y, v);
      return r && { a: x * r.a, b: mul(x, r.b) };
    }
    if (typeof y === 'number') {
      const l = linearize(x, v);
      return l && { a: l.a * y, b: mul(l.b, y) };
    }
  }
  return undefined;
}

// ------------------------------------------------------------------------------------------------
// Printing

const PREC: Partial<Record<BinaryOp, number>> = {
  or: 1, and: 2, '==': 4, '!=': 4, '<': 4, '<=': 4, '>': 4, '>=': 4, '+': 5, '-': 5, '*': 6, '/': 6, '%': 6, '**': 8,
};

/** Source-like text of `e`; `names[i]` names loop variable i. */
export function exprToString(e: Expr, names: readonly string[] = []): string {
  return show(e, names, 0);
}

function show(e: Expr, names: readonly string[], outer: number): string {
  if (typeof e === 'number' || typeof e === 'boolean') return String(e);
  if (e[0] === 'var') return names[e[1]] ?? `v${e[1]}`;
  if (e[0] === 'arg') return e[1];
  if (e.length === 2) {
    if (e[0] === 'clog2') return `ceil_log2(${show(e[1], names, 0)})`;
    const s = e[0] === 'not' ? `not ${show(e[1], names, 3)}` : `-${show(e[1], names, 7)}`;
    return outer > (e[0] === 'not' ? 3 : 7) ? `(${s})` : s;
  }
  const [op, a, b] = e;
  if (op === 'min' || op === 'max') return `${op}(${show(a, names, 0)}, ${show(b, names, 0)})`;
  if (op === 'clog') return `ceil_log(${show(a, names, 0)}, ${show(b, names, 0)})`;
  const p = PREC[op] ?? 0;
  const s = op === '**'
    ? `${show(a, names, p + 1)}**${show(b, names, p)}`
    : `${show(a, names, p)} ${op} ${show(b, names, p + 1)}`;
  return outer > p ? `(${s})` : s;
}
