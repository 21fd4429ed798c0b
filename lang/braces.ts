/**
 * Brace repair: reports unbalanced `{ }` and returns a token list in which they balance, so
 * that the parser can go on and report the program's other mistakes too.
 *
 * An unexpected `}` (no block open) is reported and dropped. For a missing `}`, plain matching
 * would blame the outermost `{` (the `def`), so openers are re-matched using indentation: a `}`
 * that starts a line closes the innermost `{` whose line is indented no deeper; openers skipped
 * that way are the unclosed ones. A synthetic `}` is inserted before the first later line that
 * is indented no deeper than the unclosed opener's line (where the author most likely forgot it).
 */
import type { Reporter } from './errors.ts';
import type { Token } from './tokenizer.ts';

const isOpen = (t: Token): boolean => t.kind === 'punct' && t.text === '{';
const isClose = (t: Token): boolean => t.kind === 'punct' && t.text === '}';

/** Balanced tokens; diagnostics for each unclosed `{` and unexpected `}` go to `reporter`. */
export function repairBraces(tokens: readonly Token[], reporter: Reporter): Token[] {
  // Pass 1: plain matching finds how many openers are unclosed and which closers are extra.
  let depth = 0;
  const dropped = new Set<number>();
  tokens.forEach((t, i) => {
    if (isOpen(t)) depth++;
    else if (isClose(t)) {
      if (depth === 0) {
        dropped.add(i);
        reporter.error('E_UNBALANCED', "unexpected '}': no block is open here", t);
      } else depth--;
    }
  });
  let unclosed = depth;
  if (unclosed === 0) return dropped.size === 0 ? [...tokens] : tokens.filter((_, i) => !dropped.has(i));

  // Pass 2: indentation-aware matching picks the unclosed openers.
  const stack: number[] = [];
  const inserts = new Map<number, number>(); // token index → synthetic closers inserted before it
  const close = (opener: number, limit: number): void => {
    const o = tokens[opener]!;
    let d = 0;
    let at = limit;
    for (let i = opener + 1; i < limit; i++) {
      const t = tokens[i]!;
      if (d === 0 && t.firstOnLine && t.line > o.line && t.indent <= o.indent) {
        at = i;
        break;
      }
      if (dropped.has(i)) continue;
      if (isOpen(t)) d++;
      else if (isClose(t)) d--;
    }
    inserts.set(at, (inserts.get(at) ?? 0) + 1);
    const hint = at < tokens.length - 1 ? ` (a '}' is probably missing before line ${tokens[at]!.line})` : '';
    reporter.error('E_UNBALANCED', `'{' is never closed${hint}`, o);
    unclosed--;
  };
  tokens.forEach((t, i) => {
    if (dropped.has(i)) return;
    if (isOpen(t)) stack.push(i);
    else if (isClose(t)) {
      while (unclosed > 0 && t.firstOnLine && stack.length > 1 && tokens[stack[stack.length - 1]!]!.indent > t.indent) {
        close(stack.pop()!, i);
      }
      stack.pop();
    }
  });
  const eof = tokens.length - 1;
  while (stack.length > 0) close(stack.pop()!, eof);

  const out: Token[] = [];
  tokens.forEach((t, i) => {
    for (let k = inserts.get(i) ?? 0; k > 0; k--) {
      out.push({ ...t, kind: 'punct', text: '}', end: t.offset, synthetic: true });
    }
    if (!dropped.has(i)) out.push(t);
  });
  return out;
}
