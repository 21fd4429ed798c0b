/**
 * Errors of the language layer.
 *
 * - {@link CompileError} (code `COMPILE`): the source has mistakes. It carries every
 *   {@link Diagnostic} found (the compiler recovers at statement boundaries), each with a code
 *   from {@link ErrorCodes}, a 1-based `line:column` and a caret excerpt of the source line.
 * - {@link BindError} (code `BIND`): wrong integer arguments for `bind`.
 * - {@link DagError}: a problem only visible once sizes are known (two writers of a block, a read
 *   of a block nobody writes, a non-positive loop step, division by zero …).
 *
 * All three extend the project's {@link LapwingError}: user-facing, never retryable (the same
 * program and arguments fail the same way every time).
 */
import { LapwingError } from '../kernels/errors.ts';

/** Every diagnostic code the compiler emits, with what it means. */
export const ErrorCodes = {
  E_UNEXPECTED_CHAR: 'a character that cannot start any token',
  E_UNTERMINATED_STRING: 'a string literal without its closing quote',
  E_SYNTAX: 'the tokens do not form a statement or expression',
  E_UNBALANCED: 'an unclosed or unexpected brace, bracket or parenthesis',
  E_NO_DEF: 'the file contains no `def`',
  E_MULTIPLE_DEFS: 'more than one `def` in a file',
  E_DUPLICATE_NAME: 'a parameter, loop variable or `let` reuses a visible name',
  E_RESERVED: 'names starting with `__` are reserved for the compiler',
  E_UNKNOWN_KERNEL: 'a kernel name that is not in the kernel registry',
  E_UNKNOWN_MATRIX: 'a block of a matrix that is not a parameter',
  E_UNKNOWN_FUNCTION: 'an index function other than min, max, ceil_log2, ceil(log2(x)), ceil_log',
  E_UNDEFINED_VAR: 'an index expression names an undefined variable',
  E_NOT_MATRIX: 'an int parameter used where a matrix block is expected',
  E_NOT_INT: 'a matrix used inside an index expression',
  E_EXPECTED_BLOCK: 'a kernel argument that is not a block like A[i, j]',
  E_NOT_INTEGER: 'an index or loop bound that is not an integer (a fraction, a string, a condition)',
  E_TYPE: 'a condition that is not boolean, or a boolean used as a number',
  E_ARITY: 'a kernel called with a wrong number of input blocks',
  E_OUTPUTS: 'a kernel call assigned to a wrong number of output blocks',
  E_UNKNOWN_ATTR: 'an attribute the kernel does not accept',
  E_DUPLICATE_ATTR: 'the same attribute given twice',
  E_ATTR_VALUE: 'an attribute value that is not a number, boolean or string literal',
  E_SUM_OPTION: 'a `sum(...)` option other than a fanin integer ≥ 2 or chain (not both), or a chain whose kernel cannot take the accumulator',
  E_WRITE_INPUT: 'a write to a block of an `in` matrix',
  E_RANK: 'a matrix used with different numbers of indices',
  E_STEP: 'a loop step that is a constant ≤ 0',
  E_SSA: 'two tasks would write the same block',
  E_UNWRITTEN: 'a read of a temporary matrix that no statement writes',
  E_OUT_UNWRITTEN: 'an `out` matrix that no statement writes',
  E_OPTION: 'an invalid compile option',
} as const;

export type ErrorCode = keyof typeof ErrorCodes;

/** One compile error, located in the source. */
export interface Diagnostic {
  readonly code: string;
  readonly message: string;
  /** 1-based. */
  readonly line: number;
  /** 1-based, in characters. */
  readonly column: number;
  /** The source line, a newline, and a caret line marking the span (tabs kept so carets align). */
  readonly excerpt: string;
}

/** A span of source text: 1-based line/column and the character offsets [offset, end). */
export interface Loc {
  readonly line: number;
  readonly col: number;
  readonly offset: number;
  readonly end: number;
}

/** The source line of `loc` and a caret line under the span (at least one caret). */
export function excerpt(source: string, loc: Loc): string {
  const lines = source.split(/\r?\n/);
  const text = lines[loc.line - 1] ?? '';
  const prefix = text.slice(0, loc.col - 1).replace(/[^\t]/g, ' ');
  const width = Math.max(1, Math.min(loc.end - loc.offset, text.length - (loc.col - 1)));
  return `${text}\n${prefix}${'^'.repeat(width)}`;
}

/** `file:line:col: CODE: message` followed by the excerpt with a line-number gutter. */
export function formatDiagnostic(d: Diagnostic, filename = '<source>'): string {
  const gutter = String(d.line).length;
  const [src = '', caret = ''] = d.excerpt.split('\n');
  return `${filename}:${d.line}:${d.column}: ${d.code}: ${d.message}\n` +
    ` ${String(d.line)} | ${src}\n ${' '.repeat(gutter)} | ${caret}`;
}

/** The source has one or more mistakes; `message` lists them all, formatted. */
export class CompileError extends LapwingError {
  declare readonly code: 'COMPILE';
  readonly diagnostics: readonly Diagnostic[];
  readonly filename: string;
  constructor(diagnostics: readonly Diagnostic[], filename = '<source>') {
    const n = diagnostics.length;
    super('COMPILE', `${diagnostics.map((d) => formatDiagnostic(d, filename)).join('\n')}\n${n} error${n === 1 ? '' : 's'}`, { userFacing: true });
    this.name = 'CompileError';
    this.diagnostics = diagnostics;
    this.filename = filename;
  }
}

/** Wrong arguments for `bind` (missing, unknown or non-integer). */
export class BindError extends LapwingError {
  declare readonly code: 'BIND';
  constructor(message: string) {
    super('BIND', message, { userFacing: true });
    this.name = 'BindError';
  }
}

export type DagErrorCode =
  | 'SSA'          // a block has more than one writer
  | 'UNWRITTEN'    // a read of a non-input block that no task writes
  | 'STEP'         // a loop step evaluated to ≤ 0
  | 'EVAL'         // division by zero, negative exponent
  | 'CYCLE'        // a traversal found tasks that never become ready
  | 'TOO_LARGE'    // materialisation over its task limit
  | 'BAD_TASK'     // a malformed task key or task
  | 'UNKNOWN_MATRIX';

/** A DAG problem that shows only for concrete sizes. */
export class DagError extends LapwingError {
  declare readonly code: DagErrorCode;
  constructor(code: DagErrorCode, message: string) {
    super(code, message, { userFacing: true });
    this.name = 'DagError';
  }
}

/** Collects diagnostics against one source text. */
export class Reporter {
  readonly diagnostics: Diagnostic[] = [];
  constructor(readonly source: string) {}
  error(code: ErrorCode, message: string, loc: Loc): void {
    // The same code at the same place twice is noise from recovery: keep the first.
    if (this.diagnostics.some((d) => d.code === code && d.line === loc.line && d.column === loc.col)) return;
    this.diagnostics.push({ code, message, line: loc.line, column: loc.col, excerpt: excerpt(this.source, loc) });
  }
  /** Diagnostics before this index are syntax errors (set when parsing ends). */
  private syntaxEnd = 0;
  get failed(): boolean {
    return this.diagnostics.length > 0;
  }
  /** Marks the end of parsing: what is reported later may be a consequence of a syntax error. */
  endOfSyntax(): void {
    this.syntaxEnd = this.diagnostics.length;
  }
  /**
   * Syntax errors first, then the others, each in source order: a later error (an output
   * "never written" because its statement did not parse) is often a consequence of a syntax
   * error, which is the one to read first.
   */
  sorted(): Diagnostic[] {
    const bySource = (a: Diagnostic, b: Diagnostic): number => a.line - b.line || a.column - b.column;
    return [...this.diagnostics.slice(0, this.syntaxEnd).sort(bySource), ...this.diagnostics.slice(this.syntaxEnd).sort(bySource)];
  }
}

/** The closest of `candidates` to `name` (edit distance ≤ 2), for "did you mean" hints. */
export function suggest(name: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestD = 3;
  for (const c of candidates) {
    const d = editDistance(name.toLowerCase(), c.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}

/** ` (did you mean 'x'?)` or the empty string. */
export function didYouMean(name: string, candidates: Iterable<string>): string {
  const s = suggest(name, candidates);
  return s === undefined ? '' : ` (did you mean '${s}'?)`;
}
