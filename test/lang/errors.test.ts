import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BindError, CompileError, DagError, ErrorCodes, bind, checkDag, compile, type CompileOptions, type Diagnostic,
} from '../../lang/index.ts';

const HEAD = 'def f(in A: matrix, out X: matrix, T: matrix, N: int) {';

function diagnostics(src: string, options?: CompileOptions): Diagnostic[] {
  try {
    compile(src, options);
  } catch (e) {
    assert.ok(e instanceof CompileError, `expected a CompileError, got ${String(e)}`);
    assert.equal(e.code, 'COMPILE');
    return [...e.diagnostics];
  }
  assert.fail('expected the compile to fail');
}

interface Case {
  readonly code: string;
  readonly src: string;
  /** Text on the reported line that contains the mark (first occurrence), and the marked part. */
  readonly find: string;
  readonly mark?: string;
  readonly options?: CompileOptions;
}

const body = (...lines: string[]): string => [HEAD, ...lines.map((l) => `  ${l}`), '}', ''].join('\n');
const OK = 'X[0, 0] = copy(A[0, 0])';

const CASES: Case[] = [
  { code: 'E_UNEXPECTED_CHAR', src: body(`${OK} $`), find: '$' },
  { code: 'E_UNTERMINATED_STRING', src: body('X[0, 0] = trsm(A[0, 0], A[0, 0], side="left)'), find: '"left)' },
  { code: 'E_SYNTAX', src: body('X[0, 0] copy(A[0, 0])'), find: 'copy' },
  { code: 'E_UNBALANCED', src: [HEAD, `  for j in 0..N {`, `    X[j, 0] = copy(A[j, 0])`, `  ${OK}`, '}', ''].join('\n'), find: 'N {', mark: '{' },
  { code: 'E_UNBALANCED', src: body('X[0, 0] = copy(A[0, 0]', 'X[1, 1] = copy(A[1, 1])'), find: 'X[1, 1]', mark: 'X' },
  { code: 'E_NO_DEF', src: '# nothing here\n', find: '# nothing here', mark: '#' },
  { code: 'E_MULTIPLE_DEFS', src: `${body(OK)}def g(N: int) {\n}\n`, find: 'def g(N: int) {' },
  { code: 'E_DUPLICATE_NAME', src: body(OK, 'for N in 0..3 {', '}'), find: 'for N', mark: 'N' },
  { code: 'E_RESERVED', src: body(OK, 'let __x = 1'), find: '__x' },
  { code: 'E_UNKNOWN_KERNEL', src: body('X[0, 0] = chol2(A[0, 0])'), find: 'chol2' },
  { code: 'E_UNKNOWN_MATRIX', src: body('X[0, 0] = copy(B[0, 0])'), find: 'B' },
  { code: 'E_UNKNOWN_FUNCTION', src: body('X[0, foo(1)] = copy(A[0, 0])'), find: 'foo' },
  { code: 'E_UNDEFINED_VAR', src: body('X[q, 0] = copy(A[0, 0])'), find: 'q' },
  { code: 'E_NOT_MATRIX', src: body('X[0, 0] = copy(N[0, 0])'), find: 'N[', mark: 'N' },
  { code: 'E_NOT_INT', src: body('X[A, 0] = copy(A[0, 0])'), find: 'X[A', mark: 'A' },
  { code: 'E_EXPECTED_BLOCK', src: body('X[0, 0] = copy(A)'), find: 'A' },
  { code: 'E_NOT_INTEGER', src: body('X[0, 0] = copy(A[0, 0.5])'), find: '0.5' },
  { code: 'E_TYPE', src: body('if N { X[0, 0] = copy(A[0, 0]) }'), find: 'if N', mark: 'N' },
  { code: 'E_ARITY', src: body('X[0, 0] = copy(A[0, 0], A[1, 1])'), find: 'copy(A[0, 0], A[1, 1])' },
  { code: 'E_OUTPUTS', src: body('X[0, 0], X[1, 1] = copy(A[0, 0])'), find: 'copy(A[0, 0])' },
  { code: 'E_UNKNOWN_ATTR', src: body('X[0, 0] = copy(A[0, 0], alpha=2)'), find: 'alpha' },
  { code: 'E_DUPLICATE_ATTR', src: body('X[0, 0] = gemm(A[0, 0], A[0, 0], alpha=2, alpha=3)'), find: 'alpha=3', mark: 'alpha' },
  { code: 'E_ATTR_VALUE', src: body('X[0, 0] = gemm(A[0, 0], A[0, 0], alpha=N)'), find: 'alpha=N', mark: 'N' },
  { code: 'E_SUM_OPTION', src: body('X[0, 0] = sum(width=2) k in 0..N: copy(A[k, 0])'), find: 'width' },
  { code: 'E_WRITE_INPUT', src: body(OK, 'A[0, 0] = copy(A[1, 1])'), find: 'A[0, 0] =', mark: 'A[0, 0]' },
  { code: 'E_RANK', src: body(OK, 'X[1] = copy(A[0, 0])'), find: 'X[1]' },
  { code: 'E_STEP', src: body(OK, 'for j in 0..N step 0 {', '}'), find: 'step 0', mark: '0' },
  { code: 'E_SSA', src: body('for j in 0..N {', '  X[0, 1] = copy(A[j, 0])', '}'), find: 'X[0, 1]' },
  { code: 'E_SSA', src: body('for j in 0..N {', '  X[j, 1] = copy(A[j, 0])', '  X[j, 1] = copy(A[j, 1])', '}'), find: 'X[j, 1] = copy(A[j, 1])', mark: 'X[j, 1]' },
  { code: 'E_UNWRITTEN', src: body('X[0, 0] = copy(T[0, 0])'), find: 'T[0, 0]' },
  { code: 'E_OUT_UNWRITTEN', src: 'def f(in A: matrix, out X: matrix, out Y: matrix) {\n  X[0] = copy(A[0])\n}\n', find: 'out Y', mark: 'Y' },
  { code: 'E_OPTION', src: body(OK), find: HEAD, mark: 'd', options: { fanIn: 1 } },
];

test('every error code is exercised by a case below', () => {
  const covered = new Set(CASES.map((c) => c.code));
  assert.deepEqual(Object.keys(ErrorCodes).filter((c) => !covered.has(c)), []);
});

for (const c of CASES) {
  test(`${c.code}: line:column and caret excerpt (${c.find})`, () => {
    const ds = diagnostics(c.src, c.options);
    const d = ds.find((x) => x.code === c.code);
    assert.ok(d, `no ${c.code} in ${JSON.stringify(ds.map((x) => x.code))}`);
    const lines = c.src.split('\n');
    const lineIdx = lines.findIndex((l, i) => i + 1 >= d.line && l.includes(c.find));
    assert.equal(d.line, lineIdx + 1, `${c.code} line: ${d.message}`);
    const mark = c.mark ?? c.find;
    const col = lines[lineIdx]!.indexOf(c.find) + c.find.indexOf(mark) + 1;
    assert.equal(d.column, col, `${c.code} column: ${d.message}`);
    assert.equal(d.excerpt, `${lines[lineIdx]}\n${' '.repeat(col - 1)}${'^'.repeat(mark.length)}`);
    assert.ok(d.message.length > 0);
  });
}

test('several errors are reported at once, syntax errors first, each group in source order, with the formatted message', () => {
  const src = body(
    'X[0, 0] = chol2(A[0, 0])',
    'for j in 1..N {',
    '  A[j, 0] = copy(A[j, 0])',
    '  X[j, 1] = syrk(A[j, q])',
    '  X[j, 2] = copy(A[j, 0.5])',
    '  X[j, 3] copy(A[0, 0])',
    '  X[j, 4] = copy(N[j, 0])',
    '}',
  );
  let err: unknown;
  try {
    compile(src, { filename: 'bad.lp' });
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof CompileError);
  assert.deepEqual(err.diagnostics.map((d) => `${d.line}:${d.column} ${d.code}`), [
    '7:13 E_SYNTAX',
    '2:13 E_UNKNOWN_KERNEL', '4:5 E_WRITE_INPUT', '5:15 E_ARITY', '5:25 E_UNDEFINED_VAR', '6:25 E_NOT_INTEGER', '8:20 E_NOT_MATRIX',
  ]);
  assert.match(err.message, /^bad\.lp:7:13: E_SYNTAX: .*\n 7 \| /);
  assert.match(err.message, /\nbad\.lp:2:13: E_UNKNOWN_KERNEL: unknown kernel 'chol2' \(did you mean 'chol'\?\)\n 2 \| {3}X\[0, 0\] = chol2/);
  assert.match(err.message, /\n7 errors$/);
  assert.doesNotMatch(err.message, /\bat .*\.ts:\d+/); // no stack frames
});

test('a custom kernel registry replaces the default one', () => {
  const only = new Map([['frob', { name: 'frob', doc: '', minArity: 1, maxArity: 1, outputs: () => 1, attrs: ['w'], shapes: () => [[1, 1] as const], flops: () => 0 }]]);
  const p = compile('def f(in A: matrix, out X: matrix) {\n  X[0] = frob(A[0], w=2)\n}', { kernels: only });
  assert.equal(p.statements[0]!.kernel, 'frob');
  const ds = diagnostics('def f(in A: matrix, out X: matrix) {\n  X[0] = copy(A[0])\n}', { kernels: only });
  assert.deepEqual(ds.map((d) => d.code), ['E_UNKNOWN_KERNEL']);
  // A sum needs `add` from the registry.
  const ds2 = diagnostics('def f(in A: matrix, out X: matrix, K: int) {\n  X[0] = sum k in 0..K: frob(A[k])\n}', { kernels: only });
  assert.deepEqual(ds2.map((d) => d.code), ['E_UNKNOWN_KERNEL']);
});

test('bind: missing, unknown and non-integer arguments are BindErrors', () => {
  const p = compile(body(OK));
  assert.throws(() => bind(p, {}), (e: unknown) => e instanceof BindError && e.code === 'BIND' && /missing argument N/.test(e.message));
  assert.throws(() => bind(p, { N: 2, M: 3 }), (e: unknown) => e instanceof BindError && /unknown argument M/.test(e.message));
  assert.throws(() => bind(p, { N: 2.5 }), (e: unknown) => e instanceof BindError && /must be an integer/.test(e.message));
  assert.throws(() => bind({ version: 2 } as never, { N: 1 }), BindError);
});

test('runtime SSA: two statements writing one block (undecidable at compile time)', () => {
  const p = compile(body('for j in 0..N {', '  X[j, 0] = copy(A[j, 0])', '}', 'for k in 1..N+1 {', '  X[k, 0] = copy(A[0, k])', '}'));
  const dag = bind(p, { N: 3 });
  assert.equal(dag.writer({ matrix: 'X', idx: [0, 0] })?.stmt, 0);
  assert.throws(() => dag.writer({ matrix: 'X', idx: [2, 0] }), (e: unknown) => e instanceof DagError && e.code === 'SSA' && /X\[2,0\]/.test(e.message));
  const check = checkDag(dag);
  assert.equal(check.ok, false);
  assert.ok(check.mismatches.some((m) => m.startsWith('SSA: X[1,0] is written by')));
});

test('runtime UNWRITTEN: a read of a temporary block no task writes', () => {
  const p = compile(body('for j in 0..N {', '  T[j, 0] = copy(A[j, 0])', '}', 'X[0, 0] = copy(T[N, 0])'));
  const dag = bind(p, { N: 3 });
  assert.throws(() => dag.parents({ stmt: 1, vars: [] }), (e: unknown) => e instanceof DagError && e.code === 'UNWRITTEN' && /T\[3,0\]/.test(e.message));
  assert.ok(checkDag(dag).mismatches.some((m) => m.startsWith('UNWRITTEN: 1: reads T[3,0]')));
});

test('runtime STEP: a loop step that evaluates to ≤ 0', () => {
  const p = compile(body('for j in 0..N step N - 2 {', '  X[j, 0] = copy(A[j, 0])', '}'));
  assert.throws(() => [...bind(p, { N: 2 }).starters()], (e: unknown) => e instanceof DagError && e.code === 'STEP');
  assert.equal([...bind(p, { N: 5 }).starters()].length, 2);
});

test('a syntax error is listed before the errors that follow from it', () => {
  // The unclosed call swallows the only write of X: "never written" is a consequence.
  const a = diagnostics('def f(in A: matrix, out X: matrix, N: int) {\n  for j in 0..N {\n    X[j, 0] = copy(A[j, 0]\n  }\n}\n');
  assert.deepEqual(a.map((d) => d.code), ['E_UNBALANCED', 'E_OUT_UNWRITTEN']);
  // A missing '{': the stray '}' is a syntax error too, listed before the undefined loop variable.
  const b = diagnostics('def f(in A: matrix, out X: matrix, N: int) {\n  for j in 0..N\n    X[j, 0] = copy(A[j, 0])\n  }\n}\n');
  assert.deepEqual(b.map((d) => d.code), ['E_SYNTAX', 'E_UNBALANCED', 'E_UNDEFINED_VAR', 'E_UNDEFINED_VAR']);
});
