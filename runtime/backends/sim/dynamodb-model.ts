/**
 * A simulated DynamoDB table behind a real `DynamoDBClient` whose `send` is replaced: the real
 * state store (and its retry code) sends its real commands, and this model interprets them —
 * items, conditions and updates (dynamo-expressions.ts), consistent reads — and answers after a
 * sampled latency, or refuses with the errors DynamoDB returns.
 *
 * Billing and limits, as DynamoDB applies them:
 * - a write costs ⌈max(size before, size after) / 1 KB⌉ write units (a failed conditional write
 *   too: it is billed on the item's size); a strongly consistent read ⌈size / 4 KB⌉ read units,
 *   a Query the sum of the sizes it reads, rounded up once; transactions cost twice;
 * - each item collection (items sharing a partition key) lives on one partition of 1,000 WCU and
 *   3,000 RCU per second, and the table has 40,000 of each (on-demand defaults) — beyond them the
 *   request fails with ProvisionedThroughputExceededException (on-demand tables answer throttling
 *   with the same exception) and nothing is written;
 * - item size ≤ 400 KB (ValidationException "Item size has exceeded the maximum allowed size").
 */
import {
  BatchGetItemCommand,
  BatchWriteItemCommand,
  ConditionalCheckFailedException,
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  ProvisionedThroughputExceededException,
  PutItemCommand,
  QueryCommand,
  TransactWriteItemsCommand,
  TransactionCanceledException,
  UpdateItemCommand,
  type AttributeValue,
} from '@aws-sdk/client-dynamodb';
import {
  DynamoValidationError,
  applyUpdate,
  evalCondition,
  fromWire,
  itemFromWire,
  itemSize,
  itemToWire,
  parseCondition,
  parseUpdate,
  projection,
  type ExprContext,
  type Item,
} from './dynamo-expressions.ts';
import { sampler, type Latency, type Serve } from './latency.ts';
import type { Meter } from './meter.ts';
import { TokenBucket } from './token-bucket.ts';
import type { VirtualTime } from './virtual-time.ts';

export interface DynamoProfile {
  readonly read: Latency;
  readonly write: Latency;
  /** Per partition (item collection), per second. */
  readonly partitionWcu: number;
  readonly partitionRcu: number;
  /** Per table, per second. */
  readonly tableWcu: number;
  readonly tableRcu: number;
  /** Extra milliseconds per KB returned or written (large items take longer to move). */
  readonly msPerKb: number;
  /**
   * Latency of one operation (e.g. `TransactWriteItems`), where it was measured apart; the
   * others take `read` or `write`.
   */
  readonly ops?: Readonly<Partial<Record<string, Latency>>>;
  /**
   * Extra milliseconds of the first request of an operation (DynamoDB Local loads and compiles
   * its code for each kind of request on first use; AWS's service has no such start).
   */
  readonly firstCallMs?: Readonly<Partial<Record<string, number>>>;
}

const ITEM_LIMIT = 400 * 1024;
const KEY_HASH = 'pk';
const KEY_RANGE = 'sk';

/**
 * Items of one partition key by sort key, bucketed by the sort key's first two characters so
 * that a range query reads only the buckets that can intersect its range (the state store's
 * `sk >= 'k#'` poll skips the thousands of edge items filed under 'e#').
 */
class ItemCollection {
  private readonly map = new Map<string, Item>();
  /**
   * Built on the first range query and kept up to date after it: most partitions (a launch
   * token, a block's shard) are only ever read by key, and there are hundreds of thousands.
   */
  private buckets: Map<string, Set<string>> | null = null;
  get size(): number { return this.map.size; }
  get(sk: string): Item | undefined { return this.map.get(sk); }
  values(): IterableIterator<Item> { return this.map.values(); }
  private file(sk: string): void {
    const b = sk.slice(0, 2);
    let set = this.buckets!.get(b);
    if (!set) {
      set = new Set();
      this.buckets!.set(b, set);
    }
    set.add(sk);
  }
  set(sk: string, item: Item): void {
    if (this.buckets && !this.map.has(sk)) this.file(sk);
    this.map.set(sk, item);
  }
  delete(sk: string): void {
    if (this.map.delete(sk)) this.buckets?.get(sk.slice(0, 2))?.delete(sk);
  }
  /** Sort keys within [lo, hi] (inclusive; undefined: open), sorted. */
  range(lo: string | undefined, hi: string | undefined): string[] {
    if (!this.buckets) {
      this.buckets = new Map();
      for (const sk of this.map.keys()) this.file(sk);
    }
    const out: string[] = [];
    for (const [b, set] of this.buckets) {
      // Keys of bucket b lie in [b, b + '\uffff'].
      if (lo !== undefined && `${b}\uffff` < lo) continue;
      if (hi !== undefined && b > hi && !hi.startsWith(b)) continue;
      for (const k of set) if ((lo === undefined || k >= lo) && (hi === undefined || k <= hi)) out.push(k);
    }
    return out.sort();
  }
}

interface Partition {
  /** Items by sort key. */
  readonly items: ItemCollection;
  readonly wcu: TokenBucket;
  readonly rcu: TokenBucket;
}

type Wire = Record<string, AttributeValue>;

const meta = { httpStatusCode: 200 };

/** The simulated DynamoDB service (every table it is asked for, created on first use). */
export class DynamoModel {
  private readonly tables = new Map<string, Map<string, Partition>>();
  private readonly tableWcu: TokenBucket;
  private readonly tableRcu: TokenBucket;
  private readonly readLatency: () => number;
  private readonly writeLatency: () => number;
  private readonly opLatency = new Map<string, () => number>();
  /** Operations sent so far (for `firstCallMs`). */
  private readonly seen = new Set<string>();

  /** One clock reader shared by every partition's token buckets. */
  private readonly now: () => number;

  private readonly serve: Serve;

  constructor(private readonly clock: VirtualTime, private readonly p: DynamoProfile, private readonly meter: Meter, serve?: Serve) {
    this.serve = serve ?? ((ms) => clock.sleep(ms));
    const now = (): number => clock.now();
    this.now = now;
    this.tableWcu = new TokenBucket(p.tableWcu, p.tableWcu, now);
    this.tableRcu = new TokenBucket(p.tableRcu, p.tableRcu, now);
    this.readLatency = sampler(p.read, clock.random);
    this.writeLatency = sampler(p.write, clock.random);
    for (const [op, l] of Object.entries(p.ops ?? {})) if (l) this.opLatency.set(op, sampler(l, clock.random));
  }

  /** A client whose requests this model answers. */
  private shared: DynamoDBClient | undefined;

  client(): DynamoDBClient {
    // One client serves every caller: building an SDK client resolves its whole configuration
    // (tens of µs), and the model keeps no per-caller state in it.
    if (this.shared) return this.shared;
    const c = new DynamoDBClient({ region: 'us-east-1', credentials: { accessKeyId: 'sim', secretAccessKey: 'sim' } });
    Object.defineProperty(c, 'send', { value: (cmd: unknown) => this.send(cmd) });
    this.shared = c;
    return c;
  }

  /** Items stored under partition key `pk` of `table` (for tests and reports). */
  partitionItems(table: string, pk: string): number {
    return this.tables.get(table)?.get(pk)?.items.size ?? 0;
  }

  /** Largest item of the table in bytes. */
  largestItem(table: string): number {
    let max = 0;
    for (const part of this.tables.get(table)?.values() ?? []) for (const it of part.items.values()) max = Math.max(max, itemSize(it));
    return max;
  }

  private partition(table: string, pk: string): Partition {
    let t = this.tables.get(table);
    if (!t) {
      t = new Map();
      this.tables.set(table, t);
    }
    let p = t.get(pk);
    if (!p) {
      p = { items: new ItemCollection(), wcu: new TokenBucket(this.p.partitionWcu, this.p.partitionWcu, this.now), rcu: new TokenBucket(this.p.partitionRcu, this.p.partitionRcu, this.now) };
      t.set(pk, p);
    }
    return p;
  }

  private keyOf(key: Wire | undefined): { pk: string; sk: string } {
    const pk = key?.[KEY_HASH]?.S;
    const sk = key?.[KEY_RANGE]?.S;
    if (pk === undefined || sk === undefined) throw new DynamoValidationError('The provided key element does not match the schema');
    return { pk, sk };
  }

  /** Charges units or throws the throttling error; `resource` names the partition. */
  private charge(part: Partition, kind: 'r' | 'w', units: number, resource: string): void {
    const bucket = kind === 'w' ? part.wcu : part.rcu;
    const table = kind === 'w' ? this.tableWcu : this.tableRcu;
    if (!bucket.take(units)) {
      this.meter.throttled(`dynamodb partition ${resource} (${kind === 'w' ? 'WCU' : 'RCU'})`);
      throw new ProvisionedThroughputExceededException({
        message: 'The level of configured provisioned throughput for the table was exceeded.',
        $metadata: { httpStatusCode: 400 },
      });
    }
    if (!table.take(units)) {
      this.meter.throttled(`dynamodb table (${kind === 'w' ? 'WCU' : 'RCU'})`);
      throw new ProvisionedThroughputExceededException({ message: 'Throughput exceeds the current capacity of your table.', $metadata: { httpStatusCode: 400 } });
    }
    if (kind === 'w') this.meter.dynamoWru += units;
    else this.meter.dynamoRru += units;
  }

  private async send(cmd: unknown): Promise<unknown> {
    const { op, run, write } = this.plan(cmd);
    this.meter.call('dynamodb', op);
    // The request takes effect atomically when it arrives (one event per request: the
    // simulation's cost is its number of events); the caller sees the answer a latency later.
    let lat = (this.opLatency.get(op) ?? (write ? this.writeLatency : this.readLatency))();
    if (!this.seen.has(op)) {
      this.seen.add(op);
      lat += this.p.firstCallMs?.[op] ?? 0;
    }
    let out: unknown;
    let err: unknown;
    let kb = 0;
    try {
      const r = run();
      out = r.out;
      kb = r.kb;
    } catch (e) {
      err = e;
    }
    await this.serve(lat + kb * this.p.msPerKb);
    if (err !== undefined) throw err;
    return out;
  }

  private plan(cmd: unknown): { op: string; write: boolean; kb: number; run: () => { out: unknown; kb: number } } {
    if (cmd instanceof UpdateItemCommand) return { op: 'UpdateItem', write: true, kb: 0, run: () => this.update(cmd.input) };
    if (cmd instanceof GetItemCommand) return { op: 'GetItem', write: false, kb: 0, run: () => this.get(cmd.input) };
    if (cmd instanceof PutItemCommand) return { op: 'PutItem', write: true, kb: 0, run: () => this.put(cmd.input) };
    if (cmd instanceof QueryCommand) return { op: 'Query', write: false, kb: 0, run: () => this.query(cmd.input) };
    if (cmd instanceof BatchGetItemCommand) return { op: 'BatchGetItem', write: false, kb: 0, run: () => this.batchGet(cmd.input) };
    if (cmd instanceof BatchWriteItemCommand) return { op: 'BatchWriteItem', write: true, kb: 0, run: () => this.batchWrite(cmd.input) };
    if (cmd instanceof DeleteItemCommand) return { op: 'DeleteItem', write: true, kb: 0, run: () => this.deleteItem(cmd.input) };
    if (cmd instanceof TransactWriteItemsCommand) return { op: 'TransactWriteItems', write: true, kb: 0, run: () => this.transact(cmd.input) };
    const name = typeof cmd === 'object' && cmd !== null ? cmd.constructor.name : typeof cmd;
    return { op: name, write: false, kb: 0, run: () => { throw new DynamoValidationError(`the simulated DynamoDB does not implement ${name}`); } };
  }

  private ctx(input: { ExpressionAttributeNames?: Record<string, string>; ExpressionAttributeValues?: Wire }): ExprContext {
    return { ...(input.ExpressionAttributeNames ? { names: input.ExpressionAttributeNames } : {}), ...(input.ExpressionAttributeValues ? { values: input.ExpressionAttributeValues } : {}) };
  }

  private conditionFailed(old: Item | undefined, returnOld: boolean): never {
    throw new ConditionalCheckFailedException({
      message: 'The conditional request failed',
      $metadata: { httpStatusCode: 400 },
      ...(returnOld && old ? { Item: itemToWire(old) } : {}),
    });
  }

  private update(input: UpdateItemCommand['input']): { out: unknown; kb: number } {
    const { pk, sk } = this.keyOf(input.Key);
    const part = this.partition(input.TableName ?? '', pk);
    const old = part.items.get(sk);
    const ctx = this.ctx(input);
    const oldSize = old ? itemSize(old) : 0;
    const pass = input.ConditionExpression === undefined || evalCondition(parseCondition(input.ConditionExpression), old, ctx);
    if (!pass) {
      this.charge(part, 'w', Math.max(1, Math.ceil(oldSize / 1024)), pk);
      this.conditionFailed(old, input.ReturnValuesOnConditionCheckFailure === 'ALL_OLD');
    }
    // Sets grow in place (see applyUpdate), so capacity and the size limit are checked before
    // the update applies, on the larger of the sizes before and after; the size after is
    // bounded by the size before plus the values the request carries.
    const est = oldSize + wireSize(input.ExpressionAttributeValues) + (old ? 0 : 8 + pk.length + sk.length);
    if (est > ITEM_LIMIT) throw new DynamoValidationError('Item size to update has exceeded the maximum allowed size');
    this.charge(part, 'w', Math.max(1, Math.ceil(Math.max(oldSize, est) / 1024)), pk);
    const next: Item = old ? new Map(old) : itemFromWire(input.Key ?? {});
    const oldValues = input.ReturnValues === 'ALL_OLD' || input.ReturnValues === 'UPDATED_OLD' ? new Map(old ?? []) : undefined;
    const touched = input.UpdateExpression ? applyUpdate(parseUpdate(input.UpdateExpression), next, ctx) : [];
    const newSize = itemSize(next);
    part.items.set(sk, next);
    let Attributes: Wire | undefined;
    if (input.ReturnValues === 'ALL_NEW') Attributes = itemToWire(next);
    else if (input.ReturnValues === 'UPDATED_NEW') Attributes = itemToWire(next, touched);
    else if (oldValues && input.ReturnValues === 'ALL_OLD') Attributes = itemToWire(oldValues);
    else if (oldValues) Attributes = itemToWire(oldValues, touched);
    return { out: { $metadata: meta, ...(Attributes ? { Attributes } : {}) }, kb: newSize / 1024 };
  }

  private get(input: GetItemCommand['input']): { out: unknown; kb: number } {
    const { pk, sk } = this.keyOf(input.Key);
    const part = this.partition(input.TableName ?? '', pk);
    const item = part.items.get(sk);
    const size = item ? itemSize(item) : 0;
    const units = Math.max(1, Math.ceil(size / 4096)) * (input.ConsistentRead ? 1 : 0.5);
    this.charge(part, 'r', units, pk);
    if (!item) return { out: { $metadata: meta }, kb: 0 };
    const names = projection(input.ProjectionExpression, input.ExpressionAttributeNames);
    return { out: { $metadata: meta, Item: itemToWire(item, names) }, kb: size / 1024 };
  }

  private put(input: PutItemCommand['input']): { out: unknown; kb: number } {
    const item = itemFromWire(input.Item ?? {});
    const { pk, sk } = this.keyOf(input.Item);
    const part = this.partition(input.TableName ?? '', pk);
    const old = part.items.get(sk);
    const oldSize = old ? itemSize(old) : 0;
    const size = itemSize(item);
    if (size > ITEM_LIMIT) throw new DynamoValidationError('Item size has exceeded the maximum allowed size');
    if (input.ConditionExpression !== undefined && !evalCondition(parseCondition(input.ConditionExpression), old, this.ctx(input))) {
      this.charge(part, 'w', Math.max(1, Math.ceil(Math.max(oldSize, size) / 1024)), pk);
      this.conditionFailed(old, input.ReturnValuesOnConditionCheckFailure === 'ALL_OLD');
    }
    this.charge(part, 'w', Math.max(1, Math.ceil(Math.max(oldSize, size) / 1024)), pk);
    part.items.set(sk, item);
    return { out: { $metadata: meta, ...(input.ReturnValues === 'ALL_OLD' && old ? { Attributes: itemToWire(old) } : {}) }, kb: size / 1024 };
  }

  private deleteItem(input: DeleteItemCommand['input']): { out: unknown; kb: number } {
    const { pk, sk } = this.keyOf(input.Key);
    const part = this.partition(input.TableName ?? '', pk);
    const old = part.items.get(sk);
    const size = old ? itemSize(old) : 0;
    if (input.ConditionExpression !== undefined && !evalCondition(parseCondition(input.ConditionExpression), old, this.ctx(input))) {
      this.charge(part, 'w', Math.max(1, Math.ceil(size / 1024)), pk);
      this.conditionFailed(old, input.ReturnValuesOnConditionCheckFailure === 'ALL_OLD');
    }
    this.charge(part, 'w', Math.max(1, Math.ceil(size / 1024)), pk);
    part.items.delete(sk);
    return { out: { $metadata: meta, ...(input.ReturnValues === 'ALL_OLD' && old ? { Attributes: itemToWire(old) } : {}) }, kb: 0 };
  }

  private query(input: QueryCommand['input']): { out: unknown; kb: number } {
    const ctx = this.ctx(input);
    const pkVal = this.partitionKeyOfQuery(input, ctx);
    const part = this.partition(input.TableName ?? '', pkVal);
    const cond = input.KeyConditionExpression ? parseCondition(input.KeyConditionExpression) : undefined;
    const filter = input.FilterExpression ? parseCondition(input.FilterExpression) : undefined;
    const range = cond ? skRange(cond, input.ExpressionAttributeNames, input.ExpressionAttributeValues) : {};
    const keys = part.items.range(range.lo, range.hi);
    if (input.ScanIndexForward === false) keys.reverse();
    const start = input.ExclusiveStartKey?.[KEY_RANGE]?.S;
    const names = projection(input.ProjectionExpression, input.ExpressionAttributeNames);
    const limit = input.Limit ?? Number.POSITIVE_INFINITY;
    const items: Wire[] = [];
    let bytes = 0;
    let scanned = 0;
    let last: string | undefined;
    for (const sk of keys) {
      if (start !== undefined && (input.ScanIndexForward === false ? sk >= start : sk <= start)) continue;
      const item = part.items.get(sk)!;
      if (cond && !evalCondition(cond, item, ctx)) continue;
      const size = itemSize(item);
      // A page ends at 1 MB read (or Limit items evaluated).
      if (scanned >= limit || (bytes + size > 1024 * 1024 && scanned > 0)) break;
      bytes += size;
      scanned++;
      last = sk;
      if (filter && !evalCondition(filter, item, ctx)) continue;
      items.push(itemToWire(item, names));
    }
    const more = last !== undefined && keys.indexOf(last) < keys.length - 1 && (scanned >= limit || bytes + 1 > 1024 * 1024 || this.moreMatches(keys, last, part, cond, ctx, input.ScanIndexForward === false));
    const units = Math.max(1, Math.ceil(bytes / 4096)) * (input.ConsistentRead ? 1 : 0.5);
    this.charge(part, 'r', units, pkVal);
    const out = {
      $metadata: meta,
      Count: items.length,
      ScannedCount: scanned,
      ...(input.Select === 'COUNT' ? {} : { Items: items }),
      ...(more && last !== undefined ? { LastEvaluatedKey: { [KEY_HASH]: { S: pkVal }, [KEY_RANGE]: { S: last } } } : {}),
    };
    return { out, kb: bytes / 1024 };
  }

  private moreMatches(keys: readonly string[], last: string, part: Partition, cond: Condition | undefined, ctx: ExprContext, reverse: boolean): boolean {
    for (const sk of keys) {
      if (reverse ? sk >= last : sk <= last) continue;
      if (!cond || evalCondition(cond, part.items.get(sk), ctx)) return true;
    }
    return false;
  }

  private partitionKeyOfQuery(input: QueryCommand['input'], ctx: ExprContext): string {
    // The key condition names the partition key with '=': find the value it is compared to.
    const m = /(?:^|\s|\()(#?\w+)\s*=\s*(:\w+)/.exec(input.KeyConditionExpression ?? '');
    const name = m?.[1]?.startsWith('#') ? ctx.names?.[m[1]] : m?.[1];
    const v = m?.[2] ? ctx.values?.[m[2]] : undefined;
    if (name !== KEY_HASH || v?.S === undefined) throw new DynamoValidationError('Query condition missed key schema element: pk');
    return v.S;
  }

  private batchGet(input: BatchGetItemCommand['input']): { out: unknown; kb: number } {
    const Responses: Record<string, Wire[]> = {};
    const Unprocessed: Record<string, { Keys: Wire[]; ConsistentRead?: boolean; ProjectionExpression?: string; ExpressionAttributeNames?: Record<string, string> }> = {};
    let kb = 0;
    const all = Object.entries(input.RequestItems ?? {});
    if (all.reduce((a, [, r]) => a + (r.Keys?.length ?? 0), 0) > 100) throw new DynamoValidationError('Too many items requested for the BatchGetItem call');
    let served = 0;
    for (const [table, req] of all) {
      const names = projection(req.ProjectionExpression, req.ExpressionAttributeNames);
      for (const key of req.Keys ?? []) {
        const { pk, sk } = this.keyOf(key);
        const part = this.partition(table, pk);
        const item = part.items.get(sk);
        const size = item ? itemSize(item) : 0;
        try {
          this.charge(part, 'r', Math.max(1, Math.ceil(size / 4096)) * (req.ConsistentRead ? 1 : 0.5), pk);
        } catch (e) {
          // Throttled keys come back unprocessed; if none was served, the whole call fails.
          const u = (Unprocessed[table] ??= { Keys: [], ...(req.ConsistentRead ? { ConsistentRead: true } : {}), ...(req.ProjectionExpression ? { ProjectionExpression: req.ProjectionExpression } : {}), ...(req.ExpressionAttributeNames ? { ExpressionAttributeNames: req.ExpressionAttributeNames } : {}) });
          u.Keys.push(key);
          if (served === 0 && u.Keys.length === (req.Keys?.length ?? 0) && all.length === 1) throw e;
          continue;
        }
        served++;
        if (!item) continue;
        (Responses[table] ??= []).push(itemToWire(item, names));
        kb += size / 1024;
      }
    }
    return { out: { $metadata: meta, Responses, UnprocessedKeys: Unprocessed }, kb };
  }

  private batchWrite(input: BatchWriteItemCommand['input']): { out: unknown; kb: number } {
    const Unprocessed: Record<string, { DeleteRequest?: { Key: Wire }; PutRequest?: { Item: Wire } }[]> = {};
    let kb = 0;
    const all = Object.entries(input.RequestItems ?? {});
    if (all.reduce((a, [, r]) => a + r.length, 0) > 25) throw new DynamoValidationError('Too many items requested for the BatchWriteItem call');
    let served = 0;
    let total = 0;
    for (const [table, reqs] of all) {
      for (const r of reqs) {
        total++;
        const key = r.DeleteRequest?.Key ?? r.PutRequest?.Item;
        const { pk, sk } = this.keyOf(key);
        const part = this.partition(table, pk);
        const old = part.items.get(sk);
        const next = r.PutRequest?.Item ? itemFromWire(r.PutRequest.Item) : undefined;
        const size = Math.max(old ? itemSize(old) : 0, next ? itemSize(next) : 0);
        try {
          this.charge(part, 'w', Math.max(1, Math.ceil(size / 1024)), pk);
        } catch (e) {
          (Unprocessed[table] ??= []).push(r.DeleteRequest?.Key ? { DeleteRequest: { Key: r.DeleteRequest.Key } } : { PutRequest: { Item: r.PutRequest!.Item! } });
          if (served === 0 && total === reqs.length && all.length === 1 && Unprocessed[table]!.length === reqs.length) throw e;
          continue;
        }
        served++;
        if (next) part.items.set(sk, next);
        else part.items.delete(sk);
        kb += size / 1024;
      }
    }
    return { out: { $metadata: meta, UnprocessedItems: Unprocessed }, kb };
  }

  private transact(input: TransactWriteItemsCommand['input']): { out: unknown; kb: number } {
    const ops = input.TransactItems ?? [];
    if (ops.length > 100) throw new DynamoValidationError('Member must have length less than or equal to 100');
    // Check every condition first; apply all or nothing; each write costs twice its units.
    const plans: { part: Partition; pk: string; sk: string; next: Item | null; units: number }[] = [];
    const reasons: { Code: string; Message?: string }[] = [];
    let failed = false;
    for (const t of ops) {
      const body = t.Put ?? t.Update ?? t.Delete ?? t.ConditionCheck;
      if (!body) throw new DynamoValidationError('TransactItems member is empty');
      const key = t.Put ? t.Put.Item : (t.Update ?? t.Delete ?? t.ConditionCheck)!.Key;
      const { pk, sk } = this.keyOf(key);
      const part = this.partition(body.TableName ?? '', pk);
      const old = part.items.get(sk);
      const ctx = this.ctx(body);
      const ok = body.ConditionExpression === undefined || evalCondition(parseCondition(body.ConditionExpression), old, ctx);
      reasons.push(ok ? { Code: 'None' } : { Code: 'ConditionalCheckFailed', Message: 'The conditional request failed' });
      if (!ok) {
        failed = true;
        continue;
      }
      let next: Item | null = old ?? null;
      if (t.Put) next = itemFromWire(t.Put.Item ?? {});
      else if (t.Update) {
        next = old ? new Map(old) : itemFromWire(t.Update.Key ?? {});
        applyUpdate(parseUpdate(t.Update.UpdateExpression ?? ''), next, ctx);
      } else if (t.Delete) next = null;
      const size = Math.max(old ? itemSize(old) : 0, next ? itemSize(next) : 0);
      if (size > ITEM_LIMIT) throw new DynamoValidationError('Item size has exceeded the maximum allowed size');
      plans.push({ part, pk, sk, next: t.ConditionCheck ? (old ?? null) : next, units: 2 * Math.max(1, Math.ceil(size / 1024)) });
    }
    for (const p of plans) this.charge(p.part, 'w', p.units, p.pk);
    if (failed) {
      throw new TransactionCanceledException({
        message: `Transaction cancelled, please refer cancellation reasons for specific reasons [${reasons.map((r) => r.Code).join(', ')}]`,
        $metadata: { httpStatusCode: 400 },
        CancellationReasons: reasons,
      });
    }
    for (const p of plans) {
      if (p.next) p.part.items.set(p.sk, p.next);
      else p.part.items.delete(p.sk);
    }
    return { out: { $metadata: meta }, kb: 0 };
  }
}

type Condition = ReturnType<typeof parseCondition>;

/** Bounds on the sort key a key condition implies (inclusive; the condition still filters). */
function skRange(cond: Condition, names: Record<string, string> | undefined, values: Wire | undefined): { lo?: string; hi?: string } {
  const isSk = (o: { k: string; name?: string }): boolean => o.k === 'path' && o.name !== undefined && (o.name.startsWith('#') ? names?.[o.name] : o.name) === KEY_RANGE;
  const val = (o: { k: string; ref?: string }): string | undefined => (o.k === 'value' && o.ref !== undefined ? values?.[o.ref]?.S : undefined);
  switch (cond.k) {
    case 'and': {
      const a = skRange(cond.a, names, values);
      const b = skRange(cond.b, names, values);
      return { ...(a.lo ?? b.lo) !== undefined ? { lo: [a.lo, b.lo].filter((x): x is string => x !== undefined).sort().at(-1)! } : {}, ...(a.hi ?? b.hi) !== undefined ? { hi: [a.hi, b.hi].filter((x): x is string => x !== undefined).sort()[0]! } : {} };
    }
    case 'cmp': {
      if (!isSk(cond.a)) return {};
      const v = val(cond.b);
      if (v === undefined) return {};
      if (cond.op === '=') return { lo: v, hi: v };
      if (cond.op === '>' || cond.op === '>=') return { lo: v };
      if (cond.op === '<' || cond.op === '<=') return { hi: v };
      return {};
    }
    case 'between': {
      if (!isSk(cond.a)) return {};
      const lo = val(cond.lo);
      const hi = val(cond.hi);
      return { ...(lo !== undefined ? { lo } : {}), ...(hi !== undefined ? { hi } : {}) };
    }
    case 'call': {
      const [a, b] = cond.args;
      if (cond.fn !== 'begins_with' || !a || !b || !isSk(a)) return {};
      const v = val(b);
      return v === undefined ? {} : { lo: v, hi: `${v}\uffff` };
    }
    default:
      return {};
  }
}

/** Billed size of the values of a request (an upper bound of what an update adds). */
function wireSize(values: Wire | undefined): number {
  if (!values) return 0;
  let n = 0;
  for (const k of Object.keys(values)) n += itemSize(new Map([['', fromWire(values[k]!)]]));
  return n;
}
