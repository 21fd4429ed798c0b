/**
 * DynamoDB's expression language, for the simulated table: condition, key-condition, update and
 * projection expressions are parsed once per text (the stores send a few constant texts) and
 * evaluated on items held as {@link Val}s.
 *
 * Supported: comparisons (= <> < <= > >=), BETWEEN, IN, AND/OR/NOT, parentheses; functions
 * attribute_exists, attribute_not_exists, attribute_type, begins_with, contains, size; update
 * clauses SET (with +, -, if_not_exists, list_append), ADD, REMOVE, DELETE; top-level attribute
 * paths (names or #placeholders) — what lapwing's stores use. Anything else is a
 * ValidationException, as DynamoDB answers it.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';

/** An attribute value held by the simulated table (sets as Sets, numbers as numbers). */
export type Val =
  | { readonly t: 'S'; readonly v: string }
  | { readonly t: 'N'; readonly v: number }
  | { readonly t: 'B'; readonly v: Uint8Array }
  | { readonly t: 'BOOL'; readonly v: boolean }
  | { readonly t: 'NULL' }
  | { readonly t: 'SS'; readonly v: Set<string>; bytes: number; list: string[] }
  | { readonly t: 'NS'; readonly v: Set<number> }
  | { readonly t: 'L'; readonly v: Val[] }
  | { readonly t: 'M'; readonly v: Map<string, Val> };

export type Item = Map<string, Val>;

/** A DynamoDB ValidationException (the request was malformed). */
export class DynamoValidationError extends Error {
  readonly $fault = 'client';
  readonly $metadata = { httpStatusCode: 400 };
  constructor(message: string) {
    super(message);
    this.name = 'ValidationException';
  }
}

const utf8 = (s: string): number => {
  // Fast path for ASCII (every key lapwing writes).
  let n = s.length;
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return Buffer.byteLength(s);
  return n;
};

/** Billed size of a value (DynamoDB's item-size rules, approximated for numbers). */
export function valSize(v: Val): number {
  switch (v.t) {
    case 'S': return utf8(v.v);
    case 'N': return Math.ceil(String(v.v).replace(/[-.]/g, '').length / 2) + 1;
    case 'B': return v.v.byteLength;
    case 'BOOL':
    case 'NULL': return 1;
    case 'SS': return v.bytes;
    case 'NS': return v.v.size * 8;
    case 'L': return 3 + v.v.reduce((a, x) => a + 1 + valSize(x), 0);
    case 'M': {
      let n = 3;
      for (const [k, x] of v.v) n += 1 + utf8(k) + valSize(x);
      return n;
    }
  }
}

/** Billed size of an item: attribute names plus values. */
export function itemSize(item: Item): number {
  let n = 0;
  for (const [k, v] of item) n += utf8(k) + valSize(v);
  return n;
}

const ssOf = (xs: Iterable<string>): Val => {
  const v = new Set(xs);
  let bytes = 0;
  for (const s of v) bytes += utf8(s);
  return { t: 'SS', v, bytes, list: [...v] };
};

/** Converts a wire AttributeValue into a Val. */
export function fromWire(a: AttributeValue): Val {
  if (a.S !== undefined) return { t: 'S', v: a.S };
  if (a.N !== undefined) return { t: 'N', v: Number(a.N) };
  if (a.SS !== undefined) return ssOf(a.SS);
  if (a.NS !== undefined) return { t: 'NS', v: new Set(a.NS.map(Number)) };
  if (a.B !== undefined) return { t: 'B', v: a.B };
  if (a.BOOL !== undefined) return { t: 'BOOL', v: a.BOOL };
  if (a.NULL !== undefined) return { t: 'NULL' };
  if (a.L !== undefined) return { t: 'L', v: a.L.map(fromWire) };
  if (a.M !== undefined) return { t: 'M', v: new Map(Object.entries(a.M).map(([k, x]) => [k, fromWire(x)])) };
  throw new DynamoValidationError('Supplied AttributeValue is empty, must contain exactly one of the supported datatypes');
}

/** Converts a Val into a wire AttributeValue (sets are copied). */
export function toWire(v: Val): AttributeValue {
  switch (v.t) {
    case 'S': return { S: v.v };
    case 'N': return { N: String(v.v) };
    case 'B': return { B: v.v };
    case 'BOOL': return { BOOL: v.v };
    case 'NULL': return { NULL: true };
    // The member list is shared, not copied: a done-set of 20,000 ids is read on every poll,
    // and the stores only read what they receive.
    case 'SS': return { SS: v.list };
    case 'NS': return { NS: [...v.v].map(String) };
    case 'L': return { L: v.v.map(toWire) };
    case 'M': return { M: Object.fromEntries([...v.v].map(([k, x]) => [k, toWire(x)])) };
  }
}

export function itemFromWire(w: Record<string, AttributeValue>): Item {
  const m: Item = new Map();
  for (const k of Object.keys(w)) m.set(k, fromWire(w[k]!));
  return m;
}

export function itemToWire(item: Item, names?: readonly string[]): Record<string, AttributeValue> {
  const out: Record<string, AttributeValue> = {};
  if (names) {
    for (const k of names) {
      const v = item.get(k);
      if (v) out[k] = toWire(v);
    }
  } else for (const [k, v] of item) out[k] = toWire(v);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Parsing

type Operand =
  | { readonly k: 'path'; readonly name: string }
  | { readonly k: 'value'; readonly ref: string }
  | { readonly k: 'fn'; readonly fn: string; readonly args: readonly Operand[] }
  | { readonly k: 'arith'; readonly op: '+' | '-'; readonly a: Operand; readonly b: Operand };

type Cond =
  | { readonly k: 'cmp'; readonly op: string; readonly a: Operand; readonly b: Operand }
  | { readonly k: 'between'; readonly a: Operand; readonly lo: Operand; readonly hi: Operand }
  | { readonly k: 'in'; readonly a: Operand; readonly list: readonly Operand[] }
  | { readonly k: 'and' | 'or'; readonly a: Cond; readonly b: Cond }
  | { readonly k: 'not'; readonly a: Cond }
  | { readonly k: 'call'; readonly fn: string; readonly args: readonly Operand[] };

interface Update {
  readonly set: { readonly name: Operand; readonly value: Operand }[];
  readonly add: { readonly name: Operand; readonly value: Operand }[];
  readonly remove: Operand[];
  readonly del: { readonly name: Operand; readonly value: Operand }[];
}

const TOKEN = /\s*(<>|<=|>=|[=<>(),+\-]|[#:]?[A-Za-z_][A-Za-z0-9_.\-]*|\S)/y;

class Parser {
  private readonly toks: string[] = [];
  private i = 0;
  constructor(readonly text: string) {
    TOKEN.lastIndex = 0;
    for (;;) {
      const at = TOKEN.lastIndex;
      const m = TOKEN.exec(text);
      if (!m) {
        if (text.slice(at).trim() !== '') throw new DynamoValidationError(`Invalid expression: ${text}`);
        break;
      }
      this.toks.push(m[1]!);
    }
  }
  peek(): string | undefined { return this.toks[this.i]; }
  peekUpper(): string | undefined { return this.toks[this.i]?.toUpperCase(); }
  next(): string {
    const t = this.toks[this.i++];
    if (t === undefined) throw new DynamoValidationError(`Invalid expression: unexpected end of ${this.text}`);
    return t;
  }
  expect(t: string): void {
    const got = this.next();
    if (got !== t) throw new DynamoValidationError(`Invalid expression: expected '${t}' but found '${got}' in ${this.text}`);
  }
  done(): boolean { return this.i >= this.toks.length; }

  operand(): Operand {
    let a = this.atom();
    while (this.peek() === '+' || this.peek() === '-') {
      const op = this.next() as '+' | '-';
      a = { k: 'arith', op, a, b: this.atom() };
    }
    return a;
  }
  atom(): Operand {
    const t = this.next();
    if (t.startsWith(':')) return { k: 'value', ref: t };
    if (this.peek() === '(' && /^[a-z_]+$/.test(t)) {
      this.next();
      const args: Operand[] = [];
      if (this.peek() !== ')') {
        args.push(this.operand());
        while (this.peek() === ',') {
          this.next();
          args.push(this.operand());
        }
      }
      this.expect(')');
      return { k: 'fn', fn: t, args };
    }
    if (/^#?[A-Za-z_]/.test(t)) return { k: 'path', name: t };
    throw new DynamoValidationError(`Invalid expression: unexpected '${t}' in ${this.text}`);
  }
  cond(): Cond {
    let a = this.condAnd();
    while (this.peekUpper() === 'OR') {
      this.next();
      a = { k: 'or', a, b: this.condAnd() };
    }
    return a;
  }
  condAnd(): Cond {
    let a = this.condNot();
    while (this.peekUpper() === 'AND') {
      this.next();
      a = { k: 'and', a, b: this.condNot() };
    }
    return a;
  }
  condNot(): Cond {
    if (this.peekUpper() === 'NOT') {
      this.next();
      return { k: 'not', a: this.condNot() };
    }
    if (this.peek() === '(') {
      this.next();
      const c = this.cond();
      this.expect(')');
      return c;
    }
    const a = this.operand();
    const op = this.peek();
    if (op === '=' || op === '<>' || op === '<' || op === '<=' || op === '>' || op === '>=') {
      this.next();
      return { k: 'cmp', op, a, b: this.operand() };
    }
    if (op?.toUpperCase() === 'BETWEEN') {
      this.next();
      const lo = this.operand();
      if (this.next().toUpperCase() !== 'AND') throw new DynamoValidationError(`Invalid BETWEEN in ${this.text}`);
      return { k: 'between', a, lo, hi: this.operand() };
    }
    if (op?.toUpperCase() === 'IN') {
      this.next();
      this.expect('(');
      const list = [this.operand()];
      while (this.peek() === ',') {
        this.next();
        list.push(this.operand());
      }
      this.expect(')');
      return { k: 'in', a, list };
    }
    if (a.k === 'fn') return { k: 'call', fn: a.fn, args: a.args };
    throw new DynamoValidationError(`Invalid condition in ${this.text}`);
  }
  update(): Update {
    const u: Update = { set: [], add: [], remove: [], del: [] };
    while (!this.done()) {
      const clause = this.next().toUpperCase();
      for (;;) {
        const name = this.atom();
        if (clause === 'SET') {
          this.expect('=');
          u.set.push({ name, value: this.operand() });
        } else if (clause === 'ADD') u.add.push({ name, value: this.atom() });
        else if (clause === 'DELETE') u.del.push({ name, value: this.atom() });
        else if (clause === 'REMOVE') u.remove.push(name);
        else throw new DynamoValidationError(`Invalid UpdateExpression: unknown clause ${clause}`);
        if (this.peek() !== ',') break;
        this.next();
      }
    }
    return u;
  }
}

const condCache = new Map<string, Cond>();
const updateCache = new Map<string, Update>();
const projCache = new Map<string, readonly string[]>();

export function parseCondition(text: string): Cond {
  let c = condCache.get(text);
  if (!c) {
    const p = new Parser(text);
    c = p.cond();
    if (!p.done()) throw new DynamoValidationError(`Invalid expression: trailing tokens in ${text}`);
    condCache.set(text, c);
  }
  return c;
}

export function parseUpdate(text: string): Update {
  let u = updateCache.get(text);
  if (!u) {
    u = new Parser(text).update();
    updateCache.set(text, u);
  }
  return u;
}

/** Attribute names of a projection (placeholders resolved). */
export function projection(text: string | undefined, names: Readonly<Record<string, string>> | undefined): readonly string[] | undefined {
  if (text === undefined) return undefined;
  let raw = projCache.get(text);
  if (!raw) {
    raw = text.split(',').map((s) => s.trim()).filter((s) => s !== '');
    projCache.set(text, raw);
  }
  return raw.map((n) => resolveName(n, names));
}

// ---------------------------------------------------------------------------------------------
// Evaluation

export interface ExprContext {
  readonly names?: Readonly<Record<string, string>>;
  readonly values?: Readonly<Record<string, AttributeValue>>;
}

function resolveName(n: string, names: Readonly<Record<string, string>> | undefined): string {
  if (!n.startsWith('#')) return n;
  const r = names?.[n];
  if (r === undefined) throw new DynamoValidationError(`Value provided in ExpressionAttributeNames unused or undefined: ${n}`);
  return r;
}

/** Values parsed from the request are cached per context object. */
const valueCache = new WeakMap<object, Map<string, Val>>();

function value(ref: string, ctx: ExprContext): Val {
  const vals = ctx.values;
  const wire = vals?.[ref];
  if (!vals || wire === undefined) throw new DynamoValidationError(`An expression attribute value used in expression is not defined: ${ref}`);
  let cache = valueCache.get(vals);
  if (!cache) {
    cache = new Map();
    valueCache.set(vals, cache);
  }
  let v = cache.get(ref);
  if (!v) {
    v = fromWire(wire);
    cache.set(ref, v);
  }
  return v;
}

function operandVal(o: Operand, item: Item | undefined, ctx: ExprContext): Val | undefined {
  switch (o.k) {
    case 'path': return item?.get(resolveName(o.name, ctx.names));
    case 'value': return value(o.ref, ctx);
    case 'arith': {
      const a = operandVal(o.a, item, ctx);
      const b = operandVal(o.b, item, ctx);
      if (a?.t !== 'N' || b?.t !== 'N') throw new DynamoValidationError('An operand in the update expression has an incorrect data type');
      return { t: 'N', v: o.op === '+' ? a.v + b.v : a.v - b.v };
    }
    case 'fn': {
      if (o.fn === 'if_not_exists') return operandVal(o.args[0]!, item, ctx) ?? operandVal(o.args[1]!, item, ctx);
      if (o.fn === 'list_append') {
        const a = operandVal(o.args[0]!, item, ctx);
        const b = operandVal(o.args[1]!, item, ctx);
        if (a?.t !== 'L' || b?.t !== 'L') throw new DynamoValidationError('list_append needs two lists');
        return { t: 'L', v: [...a.v, ...b.v] };
      }
      if (o.fn === 'size') {
        const a = operandVal(o.args[0]!, item, ctx);
        if (!a) return undefined;
        const n = a.t === 'S' ? utf8(a.v) : a.t === 'B' ? a.v.byteLength : a.t === 'SS' || a.t === 'NS' ? a.v.size : a.t === 'L' ? a.v.length : a.t === 'M' ? a.v.size : 0;
        return { t: 'N', v: n };
      }
      throw new DynamoValidationError(`Invalid function name: ${o.fn}`);
    }
  }
}

function compare(a: Val | undefined, b: Val | undefined): number | null {
  if (!a || !b || a.t !== b.t) return null;
  if (a.t === 'N' && b.t === 'N') return a.v - b.v;
  if (a.t === 'S' && b.t === 'S') return a.v < b.v ? -1 : a.v > b.v ? 1 : 0;
  if (a.t === 'BOOL' && b.t === 'BOOL') return a.v === b.v ? 0 : null;
  return null;
}

function equal(a: Val | undefined, b: Val | undefined): boolean {
  if (!a || !b || a.t !== b.t) return false;
  const c = compare(a, b);
  if (c !== null) return c === 0;
  if ((a.t === 'SS' && b.t === 'SS') || (a.t === 'NS' && b.t === 'NS')) {
    const av = a.v as Set<unknown>;
    const bv = b.v as Set<unknown>;
    return av.size === bv.size && [...av].every((x) => bv.has(x));
  }
  return JSON.stringify(toWire(a)) === JSON.stringify(toWire(b));
}

/** True when `cond` holds for `item` (undefined: the item does not exist). */
export function evalCondition(cond: Cond, item: Item | undefined, ctx: ExprContext): boolean {
  switch (cond.k) {
    case 'and': return evalCondition(cond.a, item, ctx) && evalCondition(cond.b, item, ctx);
    case 'or': return evalCondition(cond.a, item, ctx) || evalCondition(cond.b, item, ctx);
    case 'not': return !evalCondition(cond.a, item, ctx);
    case 'cmp': {
      const a = operandVal(cond.a, item, ctx);
      const b = operandVal(cond.b, item, ctx);
      if (cond.op === '=') return equal(a, b);
      if (cond.op === '<>') return !equal(a, b);
      const c = compare(a, b);
      if (c === null) return false;
      return cond.op === '<' ? c < 0 : cond.op === '<=' ? c <= 0 : cond.op === '>' ? c > 0 : c >= 0;
    }
    case 'between': {
      const a = operandVal(cond.a, item, ctx);
      const lo = compare(a, operandVal(cond.lo, item, ctx));
      const hi = compare(a, operandVal(cond.hi, item, ctx));
      return lo !== null && hi !== null && lo >= 0 && hi <= 0;
    }
    case 'in': {
      const a = operandVal(cond.a, item, ctx);
      return cond.list.some((o) => equal(a, operandVal(o, item, ctx)));
    }
    case 'call': {
      const [p, q] = cond.args;
      const a = p ? operandVal(p, item, ctx) : undefined;
      switch (cond.fn) {
        case 'attribute_exists': return a !== undefined;
        case 'attribute_not_exists': return a === undefined;
        case 'attribute_type': {
          const t = q ? operandVal(q, item, ctx) : undefined;
          return a !== undefined && t?.t === 'S' && a.t === t.v;
        }
        case 'begins_with': {
          const b = q ? operandVal(q, item, ctx) : undefined;
          return a?.t === 'S' && b?.t === 'S' && a.v.startsWith(b.v);
        }
        case 'contains': {
          const b = q ? operandVal(q, item, ctx) : undefined;
          if (!a || !b) return false;
          if (a.t === 'SS' && b.t === 'S') return a.v.has(b.v);
          if (a.t === 'NS' && b.t === 'N') return a.v.has(b.v);
          if (a.t === 'S' && b.t === 'S') return a.v.includes(b.v);
          if (a.t === 'L') return a.v.some((x) => equal(x, b));
          return false;
        }
        default: throw new DynamoValidationError(`Invalid function name: ${cond.fn}`);
      }
    }
  }
}

/**
 * Applies an update expression to `item` in place (a copy of the stored item made by the
 * caller); returns the names of the attributes it touched.
 */
export function applyUpdate(u: Update, item: Item, ctx: ExprContext): string[] {
  const touched: string[] = [];
  const name = (o: Operand): string => {
    if (o.k !== 'path') throw new DynamoValidationError('Invalid UpdateExpression: the target must be an attribute path');
    return resolveName(o.name, ctx.names);
  };
  // Every right-hand side reads the item as it was before the update.
  const before = new Map(item);
  for (const s of u.set) {
    const v = operandVal(s.value, before, ctx);
    if (!v) throw new DynamoValidationError('The provided expression refers to an attribute that does not exist in the item');
    const n = name(s.name);
    item.set(n, v);
    touched.push(n);
  }
  for (const a of u.add) {
    const n = name(a.name);
    const v = operandVal(a.value, before, ctx);
    const cur = item.get(n);
    if (v?.t === 'N') {
      if (cur && cur.t !== 'N') throw new DynamoValidationError('An operand in the update expression has an incorrect data type');
      item.set(n, { t: 'N', v: (cur?.t === 'N' ? cur.v : 0) + v.v });
    } else if (v?.t === 'SS') {
      if (cur && cur.t !== 'SS') throw new DynamoValidationError('An operand in the update expression has an incorrect data type');
      // Sets grow in place: copying a 20,000-member set per update would dominate the run.
      const target: Val & { t: 'SS' } = cur?.t === 'SS' ? cur : { t: 'SS', v: new Set<string>(), bytes: 0, list: [] };
      for (const x of v.v) {
        if (!target.v.has(x)) {
          target.v.add(x);
          target.list.push(x);
          target.bytes += utf8(x);
        }
      }
      item.set(n, target);
    } else if (v?.t === 'NS') {
      const target = cur?.t === 'NS' ? cur : { t: 'NS' as const, v: new Set<number>() };
      for (const x of v.v) target.v.add(x);
      item.set(n, target);
    } else throw new DynamoValidationError('ADD needs a number or a set');
    touched.push(n);
  }
  for (const r of u.remove) {
    const n = name(r);
    item.delete(n);
    touched.push(n);
  }
  for (const d of u.del) {
    const n = name(d.name);
    const v = operandVal(d.value, before, ctx);
    const cur = item.get(n);
    if (cur?.t === 'SS' && v?.t === 'SS') {
      for (const x of v.v) if (cur.v.delete(x)) cur.bytes -= utf8(x);
      cur.list = [...cur.v];
      if (cur.v.size === 0) item.delete(n);
    }
    touched.push(n);
  }
  return touched;
}
