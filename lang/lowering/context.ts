/**
 * What a lowering step sees of the analysis: the statements built so far, the helpers that
 * check calls and expressions, and the allocators of compiler-made loops and temporaries.
 * Lowerings (sum.ts, ssa.ts) depend on this interface only, and analyze.ts implements it, so
 * the lowerings and the analyzer do not import each other (Vue compiler-core's transforms
 * depend on its TransformContext in the same way).
 */
import type { AttrValue, KernelSpec } from '../../kernels/types.ts';
import type { CallNode, ExprNode } from '../ast.ts';
import type { Loc, Reporter } from '../errors.ts';
import type { Expr, IrStatement } from '../ir.ts';
import type { Scope } from '../scope.ts';

/** Settings of one analysis. */
export interface AnalyzeOptions {
  /** Kernel registry calls are resolved against. */
  readonly kernels: ReadonlyMap<string, KernelSpec>;
  /** Default fan-in of `sum` reduction trees. */
  readonly fanIn: number;
}

/** A loop of the nest around a statement; `id` is unique in the whole program. */
export interface LoopCtx {
  readonly id: number;
  readonly name: string;
  readonly lo: Expr;
  readonly hi: Expr;
  readonly step: Expr;
  readonly loc: Loc;
}

/** A located access; expressions use loop ids (not yet statement positions). */
export interface PendingAccess {
  readonly matrix: string;
  readonly idx: readonly Expr[];
  readonly when?: Expr;
  readonly loc: Loc;
}

/** A statement before its loop variables are renumbered to positions. */
export interface PendingStatement {
  readonly kernel: string;
  readonly attrs: Readonly<Record<string, AttrValue>>;
  readonly loops: readonly LoopCtx[];
  readonly guards: readonly Expr[];
  /** Enclosing if branches as `ifId:then|else`, outermost first (for mutual exclusion). */
  readonly path: readonly string[];
  readonly reads: readonly PendingAccess[];
  readonly writes: readonly PendingAccess[];
  readonly loc: Loc;
  readonly origin?: IrStatement['origin'];
}

/** Where a statement stands: its names, its loop nest, its `if` guards and branch path. */
export interface Ctx {
  readonly scope: Scope;
  readonly loops: readonly LoopCtx[];
  readonly guards: readonly Expr[];
  readonly path: readonly string[];
}

/** An expression lowered to the IR, with its type. */
export interface Typed {
  readonly e: Expr;
  readonly type: 'int' | 'bool';
}

/** The analysis as the lowerings see it. */
export interface LoweringContext {
  readonly reporter: Reporter;
  readonly options: AnalyzeOptions;
  /** Statements so far, in program order; lowerings append theirs. */
  readonly statements: PendingStatement[];
  /** Role of every matrix, the compiler's temporaries included. */
  readonly roles: ReadonlyMap<string, 'in' | 'out' | 'temp'>;
  /** Matrices assigned to anywhere (even in statements with errors). */
  readonly targetsSeen: ReadonlySet<string>;
  /** Where each parameter was declared. */
  readonly paramLocs: ReadonlyMap<string, Loc>;
  /** A fresh loop id, for compiler-made loops. */
  newLoopId(): number;
  /** Declares a hidden temporary matrix of `rank` indices and returns its name. */
  newSumMatrix(rank: number): string;
  /** Opens a scope with a loop variable; undefined (after an error) if the name is taken. */
  loopScope(name: string, loc: Loc, scope: Scope): { scope: Scope; id: number } | undefined;
  /**
   * Checks a kernel call written to `outputs` blocks (undefined: not checked); its reads and
   * attributes, or undefined after errors.
   */
  call(c: CallNode, scope: Scope, outputs: number | undefined): { reads: PendingAccess[]; attrs: Record<string, AttrValue> } | undefined;
  /** Lowers an expression of the wanted type; undefined after errors. */
  expr(n: ExprNode, scope: Scope, want: 'int' | 'index' | 'bool' | 'any'): Typed | undefined;
}
