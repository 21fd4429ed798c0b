/**
 * Recursive-descent parser: source text → {@link FileNode}. Reports every syntax error it finds:
 * after an error it skips to the next line that starts a statement (at the same brace depth)
 * and goes on. Braces are balanced beforehand by braces.ts.
 *
 * Grammar (informal):
 *   file   := def*
 *   def    := 'def' NAME '(' [param {',' param}] ')' block
 *   param  := ['in' | 'out'] NAME ':' ('matrix' | 'int')
 *   block  := '{' stmt* '}'
 *   stmt   := 'for' NAME 'in' expr '..' expr ['step' expr] block
 *           | 'if' expr block ['else' (block | if-stmt)]
 *           | 'let' NAME '=' expr
 *           | ref {',' ref} '=' (call | sum)          ref := NAME '[' [expr {',' expr}] ']'
 *   call   := NAME '(' [arg {',' arg}] ')'            arg := ref | NAME '=' literal
 *   sum    := 'sum' ['(' opt {',' opt} ')'] NAME 'in' expr '..' expr ['step' expr] ':' call
 *             opt := NAME '=' literal | NAME             (fanin=4, chain)
 *   expr   := or;  or := and {'or' and};  and := not {'and' not};  not := 'not' not | cmp
 *   cmp    := add [('=='|'!='|'<'|'<='|'>'|'>=') add];  add := mul {('+'|'-') mul}
 *   mul    := unary {('*'|'/'|'%') unary};  unary := '-' unary | pow;  pow := primary ['**' unary]
 *   primary:= INT | FLOAT | STRING | 'true' | 'false' | NAME | NAME '(' args ')' | '(' expr ')'
 */
import type { AttrValue } from '../kernels/types.ts';
import type {
  AttrNode, BinaryOpText, BlockRefNode, CallNode, DefNode, ExprNode, FileNode, ParamNode, StmtNode, SumNode,
} from './ast.ts';
import { repairBraces } from './braces.ts';
import type { ErrorCode, Loc, Reporter } from './errors.ts';
import { KEYWORDS, tokenize, type Token } from './tokenizer.ts';

/** Thrown after a syntax error was reported; caught at the next statement boundary. */
class ParseFailure extends Error {}

/** Parses a whole file. Syntax errors go to `reporter`; the tree holds what could be parsed. */
export function parse(source: string, reporter: Reporter): FileNode {
  const tokens = repairBraces(tokenize(source, reporter), reporter);
  return new Parser(tokens, reporter).file();
}

/** Parses one expression (for tests and tools). */
export function parseExpression(source: string, reporter: Reporter): ExprNode | undefined {
  const p = new Parser(repairBraces(tokenize(source, reporter), reporter), reporter);
  try {
    const e = p.expr();
    p.expectEnd();
    return e;
  } catch (e) {
    if (e instanceof ParseFailure) return undefined;
    throw e;
  }
}

const CMP = new Set(['==', '!=', '<', '<=', '>', '>=']);
const CLOSERS: Record<string, string> = { '(': ')', '[': ']', '{': '}' };

function span(a: Loc, b: Loc): Loc {
  return { line: a.line, col: a.col, offset: a.offset, end: Math.max(a.end, b.end) };
}

function describe(t: Token): string {
  if (t.kind === 'eof') return 'end of file';
  if (t.kind === 'string') return 'a string';
  return `'${t.text}'`;
}

class Parser {
  private pos = 0;
  private last: Token;

  constructor(private readonly tokens: readonly Token[], private readonly reporter: Reporter) {
    this.last = tokens[0]!;
  }

  // ---------------------------------------------------------------------------------------- tokens

  private peek(k = 0): Token {
    return this.tokens[Math.min(this.pos + k, this.tokens.length - 1)]!;
  }

  private next(): Token {
    const t = this.peek();
    if (t.kind !== 'eof') this.pos++;
    this.last = t;
    return t;
  }

  /** True if the current token is the punctuation or keyword `text`. */
  private at(text: string, k = 0): boolean {
    const t = this.peek(k);
    return (t.kind === 'punct' || t.kind === 'ident') && t.text === text;
  }

  private accept(text: string): Token | undefined {
    return this.at(text) ? this.next() : undefined;
  }

  private fail(code: ErrorCode, message: string, loc: Loc = this.peek()): never {
    this.reporter.error(code, message, loc);
    throw new ParseFailure(message);
  }

  private expect(text: string, what = `'${text}'`): Token {
    const t = this.accept(text);
    if (t !== undefined) return t;
    return this.fail('E_SYNTAX', `expected ${what}, found ${describe(this.peek())}`);
  }

  /** Expects the closer of `opener`, reporting E_UNBALANCED with the opener's position. */
  private expectCloser(opener: Token): Token {
    const closer = CLOSERS[opener.text]!;
    const t = this.accept(closer);
    if (t !== undefined) return t;
    return this.fail('E_UNBALANCED',
      `expected '${closer}' to close '${opener.text}' at ${opener.line}:${opener.col}, found ${describe(this.peek())}`);
  }

  private name(what: string): Token {
    const t = this.peek();
    if (t.kind !== 'ident') this.fail('E_SYNTAX', `expected ${what}, found ${describe(t)}`);
    if (KEYWORDS.has(t.text)) this.fail('E_SYNTAX', `'${t.text}' is a keyword and cannot be used as ${what}`);
    return this.next();
  }

  expectEnd(): void {
    if (this.peek().kind !== 'eof') this.fail('E_SYNTAX', `unexpected ${describe(this.peek())}`);
  }

  // ---------------------------------------------------------------------------------------- structure

  file(): FileNode {
    const defs: DefNode[] = [];
    while (this.peek().kind !== 'eof') {
      if (this.at('def')) {
        try {
          defs.push(this.def());
        } catch (e) {
          if (!(e instanceof ParseFailure)) throw e;
          this.skipTo((t) => t.kind === 'ident' && t.text === 'def' && t.firstOnLine);
        }
      } else {
        this.reporter.error('E_SYNTAX', `expected 'def', found ${describe(this.peek())}`, this.peek());
        this.next();
        this.skipTo((t) => t.kind === 'ident' && t.text === 'def' && t.firstOnLine);
      }
    }
    return { defs };
  }

  private skipTo(stop: (t: Token) => boolean): void {
    while (this.peek().kind !== 'eof' && !stop(this.peek())) this.next();
  }

  private def(): DefNode {
    const kw = this.expect('def');
    const name = this.name('a program name');
    const params: ParamNode[] = [];
    try {
      const open = this.expect('(');
      if (!this.at(')')) {
        do {
          try {
            params.push(this.param());
          } catch (e) {
            // Skip just this parameter so that the others stay declared (no cascade of unknown names).
            if (!(e instanceof ParseFailure)) throw e;
            this.skipTo((t) => t.kind === 'punct' && [',', ')', '{'].includes(t.text));
          }
        } while (this.accept(','));
      }
      this.expectCloser(open);
    } catch (e) {
      if (!(e instanceof ParseFailure)) throw e;
      // Recover at the body: the parameter list is lost, the statements are still checked.
      this.skipTo((t) => t.kind === 'punct' && t.text === '{');
      if (!this.at('{')) throw e;
    }
    const body = this.block();
    return { name: name.text, nameLoc: name, params, body, loc: span(kw, this.last) };
  }

  private param(): ParamNode {
    const first = this.peek();
    let role: ParamNode['role'] = 'temp';
    let roleLoc: Loc | undefined;
    if (this.at('in') || this.at('out')) {
      const r = this.next();
      role = r.text === 'in' ? 'in' : 'out';
      roleLoc = r;
    }
    const name = this.name('a parameter name');
    this.expect(':', "':' and a type (matrix or int)");
    const type = this.peek();
    if (type.kind !== 'ident' || (type.text !== 'matrix' && type.text !== 'int')) {
      this.fail('E_SYNTAX', `expected a parameter type 'matrix' or 'int', found ${describe(type)}`);
    }
    this.next();
    if (type.text === 'int' && roleLoc !== undefined) {
      this.reporter.error('E_SYNTAX', `'${role}' applies to matrices only; an int parameter is just 'NAME: int'`, roleLoc);
    }
    return { name: name.text, nameLoc: name, role, roleLoc, type: type.text === 'int' ? 'int' : 'matrix', loc: span(first, this.last) };
  }

  private block(): StmtNode[] {
    const open = this.expect('{', "'{'");
    const body = this.statements();
    if (!this.accept('}')) this.expectCloser(open);
    return body;
  }

  private statements(): StmtNode[] {
    const out: StmtNode[] = [];
    while (!this.at('}') && this.peek().kind !== 'eof') {
      const start = this.pos;
      try {
        const s = this.statement();
        if (s !== undefined) out.push(s);
      } catch (e) {
        if (!(e instanceof ParseFailure)) throw e;
        this.recover(start);
      }
    }
    return out;
  }

  /** Skips to the next line that starts a statement at the current brace depth (or to the block's '}'). */
  private recover(start: number): void {
    let depth = 0;
    if (this.pos === start) this.next();
    for (;;) {
      const t = this.peek();
      if (t.kind === 'eof') return;
      if (t.kind === 'punct' && t.text === '}') {
        if (depth === 0) return;
        depth--;
      } else if (t.kind === 'punct' && t.text === '{') depth++;
      else if (depth === 0 && t.firstOnLine && t.kind === 'ident' && !['else', 'in', 'step'].includes(t.text)) return;
      this.next();
    }
  }

  private statement(): StmtNode | undefined {
    const t = this.peek();
    if (this.accept(';')) return undefined;
    if (this.at('for')) return this.forStmt();
    if (this.at('if')) return this.ifStmt();
    if (this.at('let')) {
      this.next();
      const name = this.name('a variable name');
      this.expect('=');
      const value = this.expr();
      return { kind: 'let', name: name.text, nameLoc: name, value, loc: span(t, this.last) };
    }
    if (t.kind === 'ident' && !KEYWORDS.has(t.text)) return this.assign();
    if (this.at('else')) this.fail('E_SYNTAX', "'else' without a matching 'if'");
    return this.fail('E_SYNTAX', `expected a statement (for, if, let or an assignment like L[0, 0] = chol(A[0, 0])), found ${describe(t)}`);
  }

  private forStmt(): StmtNode {
    const kw = this.expect('for');
    const v = this.name('a loop variable');
    this.expect('in', "'in'");
    const lo = this.expr();
    this.expect('..', "'..' (ranges are written lo..hi, hi excluded)");
    const hi = this.expr();
    const step = this.accept('step') ? this.expr() : undefined;
    const loc = span(kw, this.last);
    const body = this.block();
    return { kind: 'for', var: v.text, varLoc: v, lo, hi, step, body, loc };
  }

  private ifStmt(): StmtNode {
    const kw = this.expect('if');
    const cond = this.expr();
    const loc = span(kw, this.last);
    const then = this.block();
    let otherwise: StmtNode[] | undefined;
    if (this.accept('else')) otherwise = this.at('if') ? [this.ifStmt()] : this.block();
    return { kind: 'if', cond, then, else: otherwise, loc };
  }

  private assign(): StmtNode {
    const first = this.peek();
    const targets: BlockRefNode[] = [this.blockRef()];
    while (this.accept(',')) targets.push(this.blockRef());
    if (!this.at('=')) {
      this.fail('E_SYNTAX', `expected '=' after the output block${targets.length > 1 ? 's' : ''}, found ${describe(this.peek())}`);
    }
    this.next();
    const rhs = this.at('sum') ? this.sum() : this.call();
    return { kind: 'assign', targets, rhs, loc: span(first, this.last) };
  }

  private blockRef(): BlockRefNode {
    const m = this.name('a matrix name');
    if (!this.at('[')) return { matrix: m.text, matrixLoc: m, idx: [], loc: m, bare: true };
    const open = this.next();
    const idx: ExprNode[] = [];
    if (!this.at(']')) {
      do idx.push(this.expr());
      while (this.accept(','));
    }
    this.expectCloser(open);
    return { matrix: m.text, matrixLoc: m, idx, loc: span(m, this.last), bare: false };
  }

  private call(): CallNode {
    const k = this.peek();
    if (k.kind !== 'ident' || KEYWORDS.has(k.text) || !this.at('(', 1)) {
      this.fail('E_SYNTAX', `expected a kernel call like chol(A[0, 0]) or a 'sum', found ${describe(k)}`);
    }
    this.next();
    const open = this.next();
    const args: BlockRefNode[] = [];
    const attrs: AttrNode[] = [];
    if (!this.at(')')) {
      do {
        const t = this.peek();
        if (t.kind === 'ident' && !KEYWORDS.has(t.text) && this.at('=', 1)) attrs.push(this.attr());
        else if (t.kind === 'ident' && !KEYWORDS.has(t.text)) args.push(this.blockRef());
        else {
          const e = this.expr();
          this.reporter.error('E_EXPECTED_BLOCK', 'kernel arguments are blocks like A[i, j] or attributes like alpha=-1', e.loc);
        }
      } while (this.accept(','));
    }
    this.expectCloser(open);
    return { kind: 'call', kernel: k.text, kernelLoc: k, args, attrs, loc: span(k, this.last) };
  }

  private attr(): AttrNode {
    const n = this.next();
    this.expect('=');
    const v = this.peek();
    let value: AttrValue | undefined;
    if (v.kind === 'number') value = this.next().value;
    else if (this.at('-') && this.peek(1).kind === 'number') {
      this.next();
      value = -this.next().value;
    } else if (this.at('true') || this.at('false')) value = this.next().text === 'true';
    else if (v.kind === 'string') value = this.next().text;
    else {
      const e = this.expr();
      this.reporter.error('E_ATTR_VALUE', `attribute '${n.text}' needs a constant: a number, true/false or a "string"`, e.loc);
    }
    return { name: n.text, nameLoc: n, value, loc: span(n, this.last) };
  }

  private sum(): SumNode {
    const kw = this.expect('sum');
    const options: AttrNode[] = [];
    if (this.at('(')) {
      const open = this.next();
      if (!this.at(')')) {
        do {
          const t = this.peek();
          if (t.kind !== 'ident') this.fail('E_SUM_OPTION', `expected a sum option like fanin=8 or chain, found ${describe(t)}`);
          // A bare option word (`chain`) is a flag: value true.
          if (this.at('=', 1)) options.push(this.attr());
          else options.push({ name: this.next().text, nameLoc: t, value: true, loc: t });
        } while (this.accept(','));
      }
      this.expectCloser(open);
    }
    const v = this.name('a summation variable');
    this.expect('in', "'in'");
    const lo = this.expr();
    this.expect('..', "'..'");
    const hi = this.expr();
    const step = this.accept('step') ? this.expr() : undefined;
    this.expect(':', "':' before the summed kernel call");
    const call = this.call();
    return { kind: 'sum', var: v.text, varLoc: v, lo, hi, step, options, call, loc: span(kw, this.last) };
  }

  // ---------------------------------------------------------------------------------------- expressions

  expr(): ExprNode {
    let left = this.andExpr();
    while (this.at('or')) {
      this.next();
      const right = this.andExpr();
      left = { kind: 'binary', op: 'or', left, right, loc: span(left.loc, right.loc) };
    }
    return left;
  }

  private andExpr(): ExprNode {
    let left = this.notExpr();
    while (this.at('and')) {
      this.next();
      const right = this.notExpr();
      left = { kind: 'binary', op: 'and', left, right, loc: span(left.loc, right.loc) };
    }
    return left;
  }

  private notExpr(): ExprNode {
    if (this.at('not')) {
      const t = this.next();
      const arg = this.notExpr();
      return { kind: 'unary', op: 'not', arg, loc: span(t, arg.loc) };
    }
    return this.cmpExpr();
  }

  private cmpExpr(): ExprNode {
    const left = this.addExpr();
    const t = this.peek();
    if (t.kind !== 'punct' || !CMP.has(t.text)) return left;
    this.next();
    const right = this.addExpr();
    const n = this.peek();
    if (n.kind === 'punct' && CMP.has(n.text)) this.fail('E_SYNTAX', "comparisons cannot be chained; write 'a < b and b < c'");
    return { kind: 'binary', op: t.text as BinaryOpText, left, right, loc: span(left.loc, right.loc) };
  }

  private addExpr(): ExprNode {
    let left = this.mulExpr();
    while (this.at('+') || this.at('-')) {
      const op = this.next().text as BinaryOpText;
      const right = this.mulExpr();
      left = { kind: 'binary', op, left, right, loc: span(left.loc, right.loc) };
    }
    return left;
  }

  private mulExpr(): ExprNode {
    let left = this.unaryExpr();
    while (this.at('*') || this.at('/') || this.at('%')) {
      const op = this.next().text as BinaryOpText;
      const right = this.unaryExpr();
      left = { kind: 'binary', op, left, right, loc: span(left.loc, right.loc) };
    }
    return left;
  }

  private unaryExpr(): ExprNode {
    if (this.at('-')) {
      const t = this.next();
      const arg = this.unaryExpr();
      return { kind: 'unary', op: '-', arg, loc: span(t, arg.loc) };
    }
    return this.powExpr();
  }

  private powExpr(): ExprNode {
    const base = this.primary();
    if (!this.at('**')) return base;
    this.next();
    const exp = this.unaryExpr();
    return { kind: 'binary', op: '**', left: base, right: exp, loc: span(base.loc, exp.loc) };
  }

  private primary(): ExprNode {
    const t = this.peek();
    if (t.kind === 'number') {
      this.next();
      return { kind: 'num', value: t.value, isInt: t.isInt, loc: t };
    }
    if (t.kind === 'string') {
      this.next();
      return { kind: 'string', value: t.text, loc: t };
    }
    if (this.at('true') || this.at('false')) {
      this.next();
      return { kind: 'bool', value: t.text === 'true', loc: t };
    }
    if (this.at('(')) {
      const open = this.next();
      const e = this.expr();
      this.expectCloser(open);
      return e;
    }
    if (t.kind === 'ident' && !KEYWORDS.has(t.text)) {
      this.next();
      if (this.at('(')) {
        const open = this.next();
        const args: ExprNode[] = [];
        if (!this.at(')')) {
          do args.push(this.expr());
          while (this.accept(','));
        }
        this.expectCloser(open);
        return { kind: 'call', fn: t.text, args, loc: span(t, this.last), fnLoc: t };
      }
      if (this.at('[')) {
        const open = this.next();
        if (!this.at(']')) {
          do this.expr();
          while (this.accept(','));
        }
        this.expectCloser(open);
        return { kind: 'index', matrix: t.text, loc: span(t, this.last) };
      }
      return { kind: 'name', name: t.text, loc: t };
    }
    return this.fail('E_SYNTAX', `expected an expression, found ${describe(t)}`);
  }
}
