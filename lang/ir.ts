/**
 * The compiled program: a small JSON-serialisable IR whose size depends on the program text,
 * never on the sizes. Executors receive only this (plus the integer arguments).
 *
 * A statement is one kernel call inside its loop nest. Its tasks are the points of the loop
 * nest (one value per loop variable, outermost first) where every guard holds. Expressions are
 * prefix arrays: `['+', ['var', 0], 1]` is `v0 + 1` where `v0` is the statement's first loop
 * variable; `['arg', 'N']` is an int parameter.
 */
import type { Attrs } from '../kernels/types.ts';

export type BinaryOp =
  | '+' | '-' | '*' | '/' | '%' | '**' | 'min' | 'max' | 'clog'
  | '==' | '!=' | '<' | '<=' | '>' | '>=' | 'and' | 'or';
export type UnaryOp = 'neg' | 'not' | 'clog2';

/**
 * An index or condition expression. `/` and `%` are floor division and floor modulo,
 * `clog2(x)` is ⌈log₂ x⌉ (0 for x ≤ 1), `clog(x, b)` is ⌈log_b x⌉ (0 for x ≤ 1).
 */
export type Expr =
  | number
  | boolean
  | readonly ['var', number]
  | readonly ['arg', string]
  | readonly [UnaryOp, Expr]
  | readonly [BinaryOp, Expr, Expr];

/** `for name in lo..hi step step` (half-open; bounds may use outer loop variables). */
export interface IrLoop {
  readonly name: string;
  readonly lo: Expr;
  readonly hi: Expr;
  readonly step: Expr;
}

/** A block read or written: `matrix[idx…]`; a read with `when` happens only when it holds. */
export interface IrAccess {
  readonly matrix: string;
  readonly idx: readonly Expr[];
  readonly when?: Expr;
}

export interface IrStatement {
  readonly kernel: string;
  readonly attrs: Attrs;
  /** The task variables, outermost first. */
  readonly loops: readonly IrLoop[];
  /** Conditions of the enclosing `if`s (an `else` branch holds the negation); all must hold. */
  readonly guards: readonly Expr[];
  /** Kernel inputs in call order. */
  readonly reads: readonly IrAccess[];
  /** Kernel outputs in call order. */
  readonly writes: readonly IrAccess[];
  /** Source line of the kernel call. */
  readonly line: number;
  /** Set on the statements a `sum` compiles to. */
  readonly origin?: 'sum-leaf' | 'sum-node' | 'sum-root';
}

/** A parameter of the program (and the compiler's hidden reduction temporaries). */
export interface ParamInfo {
  readonly name: string;
  readonly kind: 'matrix' | 'int';
  /** For matrices. */
  readonly role?: 'in' | 'out' | 'temp';
  /** For matrices: number of block indices (0 if the program never indexes it). */
  readonly rank?: number;
  /** A temporary made by the compiler (a `sum`'s partial results), not a user parameter. */
  readonly hidden?: boolean;
}

/** A compiled program. */
export interface Program {
  readonly version: 1;
  readonly name: string;
  /** User parameters in declaration order, then hidden temporaries. */
  readonly params: readonly ParamInfo[];
  readonly statements: readonly IrStatement[];
}
