import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ExprNode, StmtNode } from '../../lang/ast.ts';
import { Reporter } from '../../lang/errors.ts';
import { parse, parseExpression } from '../../lang/parser.ts';
import { programSource } from '../../lang/index.ts';

function sexpr(e: ExprNode): string {
  switch (e.kind) {
    case 'num': case 'bool': return String(e.value);
    case 'string': return JSON.stringify(e.value);
    case 'name': return e.name;
    case 'index': return `${e.matrix}[…]`;
    case 'unary': return `(${e.op} ${sexpr(e.arg)})`;
    case 'binary': return `(${e.op} ${sexpr(e.left)} ${sexpr(e.right)})`;
    case 'call': return `(${e.fn} ${e.args.map(sexpr).join(' ')})`;
  }
}

const ex = (src: string): string => {
  const r = new Reporter(src);
  const e = parseExpression(src, r);
  assert.deepEqual(r.diagnostics, []);
  return sexpr(e!);
};

test('expression precedence and associativity', () => {
  assert.equal(ex('1 + 2 * 3'), '(+ 1 (* 2 3))');
  assert.equal(ex('a - b - c'), '(- (- a b) c)');
  assert.equal(ex('2**level+1'), '(+ (** 2 level) 1)');
  assert.equal(ex('2**3**2'), '(** 2 (** 3 2))');
  assert.equal(ex('-2**2'), '(- (** 2 2))');
  assert.equal(ex('j + 2**level < N'), '(< (+ j (** 2 level)) N)');
  assert.equal(ex('not a == b and c < d or e >= f'), '(or (and (not (== a b)) (< c d)) (>= e f))');
  assert.equal(ex('i / 2 % 3'), '(% (/ i 2) 3)');
  assert.equal(ex('min(i, j + 1) * ceil(log2(N))'), '(* (min i (+ j 1)) (ceil (log2 N)))');
  assert.equal(ex('(a + b) * c'), '(* (+ a b) c)');
});

test('chained comparisons are a syntax error', () => {
  const r = new Reporter('a < b < c');
  parseExpression('a < b < c', r);
  assert.equal(r.diagnostics[0]?.code, 'E_SYNTAX');
});

test('the Cholesky program parses to the expected structure', () => {
  const src = programSource('cholesky');
  const r = new Reporter(src);
  const file = parse(src, r);
  assert.deepEqual(r.diagnostics, []);
  assert.equal(file.defs.length, 1);
  const def = file.defs[0]!;
  assert.equal(def.name, 'cholesky');
  assert.deepEqual(def.params.map((p) => `${p.role}:${p.name}:${p.type}`), ['in:A:matrix', 'out:L:matrix', 'temp:S:matrix', 'temp:N:int']);
  const kinds = (ss: readonly StmtNode[]): unknown[] => ss.map((s) => (s.kind === 'for' ? { for: s.var, body: kinds(s.body) } : s.kind));
  assert.deepEqual(kinds(def.body), [
    'assign',
    { for: 'j', body: ['assign', { for: 'k', body: ['assign'] }] },
    { for: 'i', body: ['assign', { for: 'j', body: ['assign', { for: 'k', body: ['assign'] }] }] },
  ]);
});

test('statements: multiple outputs, attributes, let, else if, step, sum with options', () => {
  const src = `def f(in A: matrix, out F: matrix, out R: matrix, N: int) {
    let m = N - 1
    for i in 0..N step 2 {
      F[i], R[i] = qr_factor(A[i, 0]); R[i+1] = gemm(A[i, 0], A[0, i], transB=true, alpha=-1.5, side="left")
      if i == 0 { R[0] = copy(A[0,0]) } else if i < m { R[1] = copy(A[0,0]) } else { R[2] = copy(A[0,0]) }
    }
    F[0] = sum(fanin=8) k in 0..N step 3: copy(A[k, 0])
  }`;
  const r = new Reporter(src);
  const body = parse(src, r).defs[0]!.body;
  assert.deepEqual(r.diagnostics, []);
  assert.equal(body[0]!.kind, 'let');
  const loop = body[1]!;
  assert.ok(loop.kind === 'for' && loop.step !== undefined);
  const [qr, gemm, iff] = loop.body;
  assert.ok(qr?.kind === 'assign' && qr.targets.length === 2 && qr.rhs.kind === 'call' && qr.rhs.kernel === 'qr_factor');
  assert.ok(gemm?.kind === 'assign' && gemm.rhs.kind === 'call');
  assert.deepEqual(gemm.rhs.attrs.map((a) => [a.name, a.value]), [['transB', true], ['alpha', -1.5], ['side', 'left']]);
  assert.ok(iff?.kind === 'if' && iff.else?.[0]?.kind === 'if' && iff.else[0].else?.length === 1);
  const sum = body[2]!;
  assert.ok(sum.kind === 'assign' && sum.rhs.kind === 'sum');
  assert.equal(sum.rhs.var, 'k');
  assert.deepEqual(sum.rhs.options.map((o) => [o.name, o.value]), [['fanin', 8]]);
  assert.ok(sum.rhs.step !== undefined);
});

test('recovery: errors on several lines are all reported, statements after them still parse', () => {
  const src = `def f(in A: matrix, out X: matrix, N: int) {
  X[0] = = copy(A[0])
  for j in 0..N {
    X[j+1] copy(A[j])
    X[j+2] = copy(A[j])
  }
  X[N+5] = copy(A[0]
  X[N+6] = copy(A[0])
}`;
  const r = new Reporter(src);
  const body = parse(src, r).defs[0]!.body;
  assert.deepEqual(r.diagnostics.map((d) => [d.code, d.line]), [['E_SYNTAX', 2], ['E_SYNTAX', 4], ['E_UNBALANCED', 8]]);
  assert.equal(body.length, 2); // the for loop (with its good statement) and the last assignment
  const loop = body[0]!;
  assert.ok(loop.kind === 'for' && loop.body.length === 1);
});
