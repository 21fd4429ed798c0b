import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Reporter } from '../../lang/errors.ts';
import { tokenize } from '../../lang/tokenizer.ts';
import { repairBraces } from '../../lang/braces.ts';

const lex = (src: string): { toks: string[]; r: Reporter } => {
  const r = new Reporter(src);
  return { toks: tokenize(src, r).map((t) => `${t.kind}:${t.text}`), r };
};

test('ranges are not decimals: 1..N and i+1..j+1', () => {
  assert.deepEqual(lex('1..N').toks, ['number:1', 'punct:..', 'ident:N', 'eof:']);
  assert.deepEqual(lex('i+1..j+1').toks, ['ident:i', 'punct:+', 'number:1', 'punct:..', 'ident:j', 'punct:+', 'number:1', 'eof:']);
});

test('numbers: integers, decimals, exponents; only integers are isInt', () => {
  const r = new Reporter('');
  const t = tokenize('12 1.5 2e3 7', r).filter((x) => x.kind === 'number');
  assert.deepEqual(t.map((x) => [x.value, x.isInt]), [[12, true], [1.5, false], [2000, false], [7, true]]);
});

test('longest operator wins; strings decode escapes; comments are skipped', () => {
  assert.deepEqual(lex('2**x <= y # comment ** here\n"a\\"b"').toks,
    ['number:2', 'punct:**', 'ident:x', 'punct:<=', 'ident:y', 'string:a"b', 'eof:']);
  assert.deepEqual(lex("side='left'").toks, ['ident:side', 'punct:=', 'string:left', 'eof:']);
});

test('positions: 1-based line and column, first-on-line and indentation', () => {
  const r = new Reporter('');
  const t = tokenize('def f {\n  x = 1\n}', r);
  const x = t.find((k) => k.text === 'x')!;
  assert.equal(x.line, 2);
  assert.equal(x.col, 3);
  assert.equal(x.firstOnLine, true);
  assert.equal(x.indent, 3);
  const one = t.find((k) => k.text === '1')!;
  assert.equal(one.firstOnLine, false);
  assert.equal(one.indent, 3);
});

test('bad characters and unterminated strings are reported and skipped', () => {
  const { toks, r } = lex('a @ b "oops\nc');
  assert.deepEqual(toks, ['ident:a', 'ident:b', 'string:oops', 'ident:c', 'eof:']);
  assert.deepEqual(r.diagnostics.map((d) => [d.code, d.line, d.column]), [['E_UNEXPECTED_CHAR', 1, 3], ['E_UNTERMINATED_STRING', 1, 7]]);
});

test('brace repair: an unclosed block is closed before the next line indented no deeper', () => {
  const src = 'def f() {\n  for j in 0..N {\n    x\n  for k in 0..N {\n  }\n}\n';
  const r = new Reporter(src);
  const out = repairBraces(tokenize(src, r), r);
  assert.deepEqual(r.diagnostics.map((d) => [d.code, d.line, d.column]), [['E_UNBALANCED', 2, 17]]);
  const synthetic = out.findIndex((t) => t.synthetic === true);
  assert.equal(out[synthetic + 1]!.text, 'for');
  assert.equal(out[synthetic + 1]!.line, 4);
  assert.equal(out.filter((t) => t.text === '{').length, out.filter((t) => t.text === '}').length);
});

test('brace repair: an extra closer is reported and dropped', () => {
  const src = 'def f() {\n}\n}\n';
  const r = new Reporter(src);
  const out = repairBraces(tokenize(src, r), r);
  assert.deepEqual(r.diagnostics.map((d) => [d.code, d.line, d.column]), [['E_UNBALANCED', 3, 1]]);
  assert.equal(out.filter((t) => t.text === '}').length, 1);
});
