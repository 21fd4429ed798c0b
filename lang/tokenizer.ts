/**
 * Tokenizer of the lapwing language. Newlines are not tokens (statements are self-delimiting);
 * each token records whether it is the first on its line and that line's indentation, which the
 * brace repair (braces.ts) and the parser's error recovery use.
 *
 * Comments run from `#` to the end of the line.
 */
import type { Loc, Reporter } from './errors.ts';

export type TokenKind = 'ident' | 'number' | 'string' | 'punct' | 'eof';

export interface Token extends Loc {
  readonly kind: TokenKind;
  /** Source text (for strings: the decoded value). */
  readonly text: string;
  /** Numeric value of a number token. */
  readonly value: number;
  /** True for number tokens written without `.` or exponent. */
  readonly isInt: boolean;
  readonly firstOnLine: boolean;
  /** Column (1-based) of the first token of this token's line. */
  readonly indent: number;
  /** Inserted by brace repair (not in the source). */
  readonly synthetic?: boolean;
}

/** Keywords; they cannot be used as names. */
export const KEYWORDS: ReadonlySet<string> = new Set([
  'def', 'in', 'out', 'for', 'step', 'if', 'else', 'let', 'sum', 'and', 'or', 'not', 'true', 'false',
]);

// Longest first so that `**` wins over `*`, `..` over `.`.
const PUNCT = ['**', '..', '==', '!=', '<=', '>=', '(', ')', '[', ']', '{', '}', ',', ':', ';', '=', '+', '-', '*', '/', '%', '<', '>'];

/** Splits `source` into tokens (always ending with one `eof` token); bad characters are reported and skipped. */
export function tokenize(source: string, reporter: Reporter): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;
  let lineStart = 0;
  let lineIndent = -1; // column of the first token on the current line, -1 before it
  const push = (kind: TokenKind, text: string, start: number, end: number, value = 0, isInt = false): void => {
    const col = start - lineStart + 1;
    const first = lineIndent < 0;
    if (first) lineIndent = col;
    tokens.push({ kind, text, value, isInt, line, col, offset: start, end, firstOnLine: first, indent: lineIndent });
  };
  while (i < source.length) {
    const ch = source[i]!;
    if (ch === '\n') {
      i++;
      line++;
      lineStart = i;
      lineIndent = -1;
      continue;
    }
    if (ch === ' ' || ch === '\t' || ch === '\r') {
      i++;
      continue;
    }
    if (ch === '#') {
      while (i < source.length && source[i] !== '\n') i++;
      continue;
    }
    const start = i;
    if (/[A-Za-z_]/.test(ch)) {
      while (i < source.length && /[A-Za-z0-9_]/.test(source[i]!)) i++;
      push('ident', source.slice(start, i), start, i);
      continue;
    }
    if (/[0-9]/.test(ch)) {
      while (i < source.length && /[0-9]/.test(source[i]!)) i++;
      let isInt = true;
      // `1..N` is a range, not the number `1.`: a fraction needs a digit after the dot.
      if (source[i] === '.' && /[0-9]/.test(source[i + 1] ?? '')) {
        isInt = false;
        i++;
        while (i < source.length && /[0-9]/.test(source[i]!)) i++;
      }
      if (/[eE]/.test(source[i] ?? '') && /[0-9]/.test(source[i + 1] ?? '') ||
          /[eE]/.test(source[i] ?? '') && /[+-]/.test(source[i + 1] ?? '') && /[0-9]/.test(source[i + 2] ?? '')) {
        isInt = false;
        i += 2;
        while (i < source.length && /[0-9]/.test(source[i]!)) i++;
      }
      const text = source.slice(start, i);
      push('number', text, start, i, Number(text), isInt);
      continue;
    }
    if (ch === '"' || ch === "'") {
      i++;
      let value = '';
      let closed = false;
      while (i < source.length && source[i] !== '\n') {
        const c = source[i]!;
        if (c === ch) {
          closed = true;
          i++;
          break;
        }
        if (c === '\\' && i + 1 < source.length && source[i + 1] !== '\n') {
          const e = source[i + 1]!;
          value += e === 'n' ? '\n' : e === 't' ? '\t' : e;
          i += 2;
          continue;
        }
        value += c;
        i++;
      }
      if (!closed) {
        reporter.error('E_UNTERMINATED_STRING', 'string literal is not closed on this line',
          { line, col: start - lineStart + 1, offset: start, end: i });
      }
      push('string', value, start, i);
      continue;
    }
    const p = PUNCT.find((q) => source.startsWith(q, i));
    if (p !== undefined) {
      i += p.length;
      push('punct', p, start, i);
      continue;
    }
    reporter.error('E_UNEXPECTED_CHAR', `unexpected character '${ch}'`,
      { line, col: start - lineStart + 1, offset: start, end: start + 1 });
    i++;
  }
  const col = i - lineStart + 1;
  tokens.push({ kind: 'eof', text: '', value: 0, isInt: false, line, col, offset: i, end: i, firstOnLine: true, indent: 1 });
  return tokens;
}
