/**
 * Syntax tree of a lapwing source file, as produced by parser.ts. Every node keeps its source
 * location for diagnostics.
 */
import type { AttrValue } from '../kernels/types.ts';
import type { Loc } from './errors.ts';

export type BinaryOpText = '+' | '-' | '*' | '/' | '%' | '**' | '==' | '!=' | '<' | '<=' | '>' | '>=' | 'and' | 'or';

export type ExprNode =
  | { readonly kind: 'num'; readonly value: number; readonly isInt: boolean; readonly loc: Loc }
  | { readonly kind: 'bool'; readonly value: boolean; readonly loc: Loc }
  | { readonly kind: 'string'; readonly value: string; readonly loc: Loc }
  | { readonly kind: 'name'; readonly name: string; readonly loc: Loc }
  | { readonly kind: 'unary'; readonly op: '-' | 'not'; readonly arg: ExprNode; readonly loc: Loc }
  | { readonly kind: 'binary'; readonly op: BinaryOpText; readonly left: ExprNode; readonly right: ExprNode; readonly loc: Loc }
  | { readonly kind: 'call'; readonly fn: string; readonly args: readonly ExprNode[]; readonly loc: Loc; readonly fnLoc: Loc }
  /** `M[i, j]` inside an index expression: always an error (E_NOT_INT), kept for the message. */
  | { readonly kind: 'index'; readonly matrix: string; readonly loc: Loc };

/** `M[e, …]`; `bare` when written without brackets (an error in block position). */
export interface BlockRefNode {
  readonly matrix: string;
  readonly matrixLoc: Loc;
  readonly idx: readonly ExprNode[];
  readonly loc: Loc;
  readonly bare: boolean;
}

export interface AttrNode {
  readonly name: string;
  readonly nameLoc: Loc;
  /** undefined when the value was not a literal (already reported). */
  readonly value: AttrValue | undefined;
  readonly loc: Loc;
}

export interface CallNode {
  readonly kind: 'call';
  readonly kernel: string;
  readonly kernelLoc: Loc;
  readonly args: readonly BlockRefNode[];
  readonly attrs: readonly AttrNode[];
  readonly loc: Loc;
}

/** `sum[(fanin=f | chain)] k in lo..hi [step s]: call`. */
export interface SumNode {
  readonly kind: 'sum';
  readonly var: string;
  readonly varLoc: Loc;
  readonly lo: ExprNode;
  readonly hi: ExprNode;
  readonly step: ExprNode | undefined;
  readonly options: readonly AttrNode[];
  readonly call: CallNode;
  readonly loc: Loc;
}

export type StmtNode =
  | { readonly kind: 'for'; readonly var: string; readonly varLoc: Loc; readonly lo: ExprNode; readonly hi: ExprNode;
      readonly step: ExprNode | undefined; readonly body: readonly StmtNode[]; readonly loc: Loc }
  | { readonly kind: 'if'; readonly cond: ExprNode; readonly then: readonly StmtNode[]; readonly else: readonly StmtNode[] | undefined;
      readonly loc: Loc }
  | { readonly kind: 'let'; readonly name: string; readonly nameLoc: Loc; readonly value: ExprNode; readonly loc: Loc }
  | { readonly kind: 'assign'; readonly targets: readonly BlockRefNode[]; readonly rhs: CallNode | SumNode; readonly loc: Loc };

export interface ParamNode {
  readonly name: string;
  readonly nameLoc: Loc;
  /** `in` / `out` / none (a temporary); meaningful for matrices only. */
  readonly role: 'in' | 'out' | 'temp';
  readonly roleLoc: Loc | undefined;
  readonly type: 'matrix' | 'int';
  readonly loc: Loc;
}

export interface DefNode {
  readonly name: string;
  readonly nameLoc: Loc;
  readonly params: readonly ParamNode[];
  readonly body: readonly StmtNode[];
  readonly loc: Loc;
}

export interface FileNode {
  readonly defs: readonly DefNode[];
}
