/**
 * StateStore on one DynamoDB table (keys `pk`, `sk`; on demand; TTL attribute `expiresAt` on
 * every item). Every item is small and of a size fixed by the program, never by the job's
 * progress, and the items of a job are spread over many partition keys:
 *
 *   pk                     sk      attributes                    written by
 *   J#{job}                job     rec (JSON of the JobRecord)   putJob
 *   J#{job}                status  st, err, c#{name}             putJob, finishJob, incr
 *   J#{job}#c{00…15}       c       tasks, flops, term            putJob (zeros), completeTask
 *   {job}#{h(d:task)}      d       (the task's done-marker)      completeTask
 *   {job}#{h(node)}        e       members (set of h(member)), n markEdge
 *
 * h() is 96 bits of SHA-256 in base64url (16 characters): uniform partition keys, and members of
 * bounded size whatever the task names.
 *
 * - completeTask is ONE TransactWriteItems: put the done-marker on condition it is absent, and add
 *   the task to a counter shard on condition the shard exists (it is removed by deleteJob: a late
 *   duplicate can neither count twice nor bring a deleted job back). The shard is a hash of the
 *   task, the next one on each retry, so that concurrent completions rarely meet on one item (a
 *   transaction conflict is retried on another shard). Cost: 4 WCU whatever the job's size.
 * - markEdge is ONE conditional UpdateItem (add the member and count it, on condition it is not
 *   in the set yet); when it is, DynamoDB returns the item with the failed condition
 *   (ReturnValuesOnConditionCheckFailure), which carries the count.
 * - getJobState (the driver's poll) is ONE BatchGetItem of the status and the 16 shards: 17 RCU,
 *   whatever the job's size. getJobStatus (executors' status checks) is ONE eventually
 *   consistent GetItem of the status item: ½ RCU.
 * - deleteJob is ONE BatchWriteItem of the record, the status and the shards: every reader then
 *   sees no job, and completeTask, finishJob and incr fail their conditions, so a late duplicate
 *   cannot count or bring the job back. Done-markers and edge sets are left to DynamoDB's TTL,
 *   which deletes for free: enumerating them would cost one write per item (and time: a
 *   128-block Cholesky has ~700,000).
 *
 * Reads are strongly consistent except getJobStatus: an executor must see the effects of
 * completed tasks, while a job's end reaching an executor a moment late only costs a duplicate.
 */
import { createHash } from 'node:crypto';
import {
  BatchGetItemCommand,
  GetItemCommand,
  TransactWriteItemsCommand,
  UpdateItemCommand,
  type AttributeValue,
  type CancellationReason,
  type DynamoDBClient,
  type TransactWriteItem,
} from '@aws-sdk/client-dynamodb';
import type { JobRecord, JobState, JobStatus, StateStore, TaskStats } from '../../../core/interfaces.ts';
import { StoreError } from '../../../core/interfaces.ts';
import { errorName, withRetry } from '../aws-errors.ts';
import { DYNAMO_ITEM_LIMIT, type RetryPolicy } from '../config.ts';
import { batchDelete, batchGet, type Item } from './dynamo-batch.ts';

export interface DynamoStateStoreOptions {
  readonly table: string;
  readonly ttlSeconds: number;
  readonly retry: RetryPolicy;
}

/** Counter shards per job: completions spread over this many items. */
export const COUNTER_SHARDS = 16;

const JOB_SK = 'job';
const STATUS_SK = 'status';
/** Name of the TTL attribute (enable TTL on it at deploy time). */
export const TTL_ATTRIBUTE = 'expiresAt';

const isConditionFailed = (e: unknown): boolean => errorName(e) === 'ConditionalCheckFailedException';
const isCancelled = (e: unknown): e is { CancellationReasons?: CancellationReason[] } => errorName(e) === 'TransactionCanceledException';

/** Cancellation reasons that a later attempt can overcome. */
const TRANSIENT_REASONS = new Set(['TransactionConflict', 'ThrottlingError', 'ProvisionedThroughputExceeded', 'RequestLimitExceeded']);

/** Partition key of job `jobId`'s record and status. */
export const jobPk = (jobId: string): string => `J#${jobId}`;

/** 96 bits of SHA-256 of `name`, base64url (16 characters). */
export function nameHash(name: string): string {
  return createHash('sha256').update(name).digest().subarray(0, 12).toString('base64url');
}

/** Partition key of the item of `name` (a done-marker `d:{task}`, or an edge set) of job `jobId`. */
export const nodePk = (jobId: string, name: string): string => `${jobId}#${nameHash(name)}`;

const shardPk = (jobId: string, shard: number): string => `J#${jobId}#c${String(shard).padStart(2, '0')}`;
const SHARD_SK = 'c';
const DONE_SK = 'd';
const EDGE_SK = 'e';

const num = (v: AttributeValue | undefined): number => (v?.N === undefined ? 0 : Number(v.N));

export class DynamoStateStore implements StateStore {
  constructor(private readonly ddb: DynamoDBClient, private readonly o: DynamoStateStoreOptions) {}

  private ttl(): AttributeValue {
    return { N: String(Math.floor(Date.now() / 1000) + this.o.ttlSeconds) };
  }

  private key(pk: string, sk: string): Item {
    return { pk: { S: pk }, sk: { S: sk } };
  }

  private call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    return withRetry(this.o.retry, `DynamoDB ${what} ${this.o.table}`, fn, (e) => isConditionFailed(e) || isCancelled(e));
  }

  /** Runs a conditional write; false when its condition failed. */
  private async conditional(what: string, fn: () => Promise<unknown>): Promise<boolean> {
    try {
      await this.call(what, fn);
      return true;
    } catch (e) {
      if (isConditionFailed(e)) return false;
      throw e;
    }
  }

  /**
   * Runs a transaction (built afresh per attempt); resolves to null on success, else to the
   * codes of its cancellation reasons (one per item, 'None' for items that were fine). Transient
   * reasons (a conflict with a concurrent transaction, throttling) are retried.
   */
  private async transact(what: string, items: () => TransactWriteItem[]): Promise<string[] | null> {
    try {
      await this.call(`TransactWriteItems ${what}`, async () => {
        try {
          return await this.ddb.send(new TransactWriteItemsCommand({ TransactItems: items() }));
        } catch (e) {
          if (isCancelled(e) && (e.CancellationReasons ?? []).some((r) => TRANSIENT_REASONS.has(r.Code ?? ''))) {
            throw new StoreError('THROTTLED', `DynamoDB TransactWriteItems ${what}: ${(e.CancellationReasons ?? []).map((r) => r.Code).join(',')}`, { cause: e });
          }
          throw e;
        }
      });
      return null;
    } catch (e) {
      if (isCancelled(e)) return (e.CancellationReasons ?? []).map((r) => r.Code ?? 'None');
      throw e;
    }
  }

  async putJob(job: JobRecord): Promise<void> {
    const { status: _status, error: _error, ...record } = job;
    const rec = JSON.stringify(record);
    const bytes = Buffer.byteLength(rec) + 200;
    if (bytes > DYNAMO_ITEM_LIMIT) {
      throw new StoreError(
        'CONFIG',
        `job ${job.id}: its record (program IR and bindings) is ${Math.ceil(bytes / 1024)} KB, over DynamoDB's 400 KB item limit`,
      );
    }
    // All or nothing, first write wins: a re-run of the driver keeps the record and the counts.
    const ttl = this.ttl();
    const reasons = await this.transact('putJob', () => [
      { Put: { TableName: this.o.table, Item: { ...this.key(jobPk(job.id), JOB_SK), rec: { S: rec }, [TTL_ATTRIBUTE]: ttl }, ConditionExpression: 'attribute_not_exists(pk)' } },
      { Put: { TableName: this.o.table, Item: { ...this.key(jobPk(job.id), STATUS_SK), st: { S: 'running' }, [TTL_ATTRIBUTE]: ttl } } },
      ...Array.from({ length: COUNTER_SHARDS }, (_, i): TransactWriteItem => ({
        Put: {
          TableName: this.o.table,
          Item: { ...this.key(shardPk(job.id, i), SHARD_SK), tasks: { N: '0' }, flops: { N: '0' }, term: { N: '0' }, [TTL_ATTRIBUTE]: ttl },
        },
      })),
    ]);
    if (reasons === null || reasons[0] === 'ConditionalCheckFailed') return;
    throw new StoreError('CONFIG', `DynamoDB TransactWriteItems putJob ${this.o.table}: cancelled (${reasons.join(',')})`);
  }

  async getJob(jobId: string): Promise<JobRecord | null> {
    const items = await batchGet(this.ddb, this.o.table, [{ pk: jobPk(jobId), sk: JOB_SK }, { pk: jobPk(jobId), sk: STATUS_SK }], this.o.retry);
    const recItem = items.find((i) => i.sk?.S === JOB_SK);
    const statusItem = items.find((i) => i.sk?.S === STATUS_SK);
    if (!recItem?.rec?.S || !statusItem) return null;
    let record: JobRecord;
    try {
      record = JSON.parse(recItem.rec.S) as JobRecord;
    } catch {
      throw new StoreError('CORRUPT', `job ${jobId}: stored record is not valid JSON`);
    }
    const status = statusItem.st?.S as JobStatus | undefined;
    const error = statusItem.err?.S;
    return { ...record, ...(status ? { status } : {}), ...(error !== undefined ? { error } : {}) };
  }

  async getJobState(jobId: string): Promise<JobState | null> {
    const keys = [{ pk: jobPk(jobId), sk: STATUS_SK }, ...Array.from({ length: COUNTER_SHARDS }, (_, i) => ({ pk: shardPk(jobId, i), sk: SHARD_SK }))];
    const items = await batchGet(this.ddb, this.o.table, keys, this.o.retry);
    const status = items.find((i) => i.sk?.S === STATUS_SK);
    const st = status?.st?.S as JobStatus | undefined;
    if (!status || !st) return null;
    const counters: Record<string, number> = {};
    for (const [name, v] of Object.entries(status)) if (name.startsWith('c#')) counters[name.slice(2)] = num(v);
    let terminalDone = 0;
    let tasks = 0;
    let flops = 0;
    for (const i of items) {
      if (i.sk?.S !== SHARD_SK) continue;
      terminalDone += num(i.term);
      tasks += num(i.tasks);
      flops += num(i.flops);
    }
    counters.tasks = (counters.tasks ?? 0) + tasks;
    counters.flops = (counters.flops ?? 0) + flops;
    return { status: st, ...(status.err?.S !== undefined ? { error: status.err.S } : {}), terminalDone, counters };
  }

  /**
   * The job's status alone, from one item read eventually consistently (½ RCU): what executors
   * poll. It may lag a finishJob by a moment; getJobState does not.
   */
  async getJobStatus(jobId: string): Promise<Pick<JobState, 'status' | 'error'> | null> {
    const res = await this.call('GetItem', () =>
      this.ddb.send(
        new GetItemCommand({
          TableName: this.o.table,
          Key: this.key(jobPk(jobId), STATUS_SK),
          ProjectionExpression: 'st, err',
        }),
      ),
    );
    const st = res.Item?.st?.S as JobStatus | undefined;
    if (!st) return null;
    return { status: st, ...(res.Item?.err?.S !== undefined ? { error: res.Item.err.S } : {}) };
  }

  async finishJob(jobId: string, status: Exclude<JobStatus, 'running'>, error?: string): Promise<boolean> {
    return this.conditional('UpdateItem', () =>
      this.ddb.send(
        new UpdateItemCommand({
          TableName: this.o.table,
          Key: this.key(jobPk(jobId), STATUS_SK),
          UpdateExpression: error !== undefined ? 'SET #st = :s, #err = :e' : 'SET #st = :s',
          ConditionExpression: '#st = :running',
          ExpressionAttributeNames: { '#st': 'st', ...(error !== undefined ? { '#err': 'err' } : {}) },
          ExpressionAttributeValues: {
            ':s': { S: status },
            ':running': { S: 'running' },
            ...(error !== undefined ? { ':e': { S: error.slice(0, 64 * 1024) } } : {}),
          },
        }),
      ),
    );
  }

  async isTaskDone(jobId: string, task: string): Promise<boolean> {
    // With the status: a deleted job has no done tasks, though its markers wait for their TTL.
    const items = await batchGet(
      this.ddb,
      this.o.table,
      [{ pk: nodePk(jobId, `d:${task}`), sk: DONE_SK }, { pk: jobPk(jobId), sk: STATUS_SK }],
      this.o.retry,
      'pk, sk',
    );
    return items.some((i) => i.sk?.S === STATUS_SK) && items.some((i) => i.sk?.S === DONE_SK);
  }

  async completeTask(jobId: string, task: string, terminal: boolean, stats?: TaskStats): Promise<boolean> {
    const flops = stats?.flops ?? 0;
    const ttl = this.ttl();
    // The task's own shard first, the next one on each retry: spread, and reproducible (no
    // randomness of its own, so a simulation replays the same calls).
    let shard = createHash('sha256').update(task).digest().readUInt16BE(0);
    const reasons = await this.transact('completeTask', () => [
      {
        Put: {
          TableName: this.o.table,
          Item: { ...this.key(nodePk(jobId, `d:${task}`), DONE_SK), [TTL_ATTRIBUTE]: ttl },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
      {
        Update: {
          TableName: this.o.table,
          Key: this.key(shardPk(jobId, shard++ % COUNTER_SHARDS), SHARD_SK),
          UpdateExpression: 'ADD #tasks :one, #flops :flops, #term :term',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeNames: { '#tasks': 'tasks', '#flops': 'flops', '#term': 'term' },
          ExpressionAttributeValues: {
            ':one': { N: '1' },
            ':flops': { N: String(Number.isFinite(flops) ? flops : 0) },
            ':term': { N: terminal ? '1' : '0' },
          },
        },
      },
    ]);
    if (reasons === null) return true;
    // Already done (the marker exists), or the job was deleted (its shard is gone).
    if (reasons.includes('ConditionalCheckFailed')) return false;
    throw new StoreError('CONFIG', `DynamoDB TransactWriteItems completeTask ${this.o.table}: cancelled (${reasons.join(',')})`);
  }

  async markEdge(jobId: string, node: string, member: string): Promise<number> {
    const m = nameHash(member);
    try {
      const res = await this.call('UpdateItem', () =>
        this.ddb.send(
          new UpdateItemCommand({
            TableName: this.o.table,
            Key: this.key(nodePk(jobId, node), EDGE_SK),
            // ONE conditional update adds the member and counts it: no crash can separate them.
            UpdateExpression: 'ADD #members :m, #n :one SET #ttl = if_not_exists(#ttl, :ttl)',
            ConditionExpression: 'attribute_not_exists(#n) OR NOT contains(#members, :member)',
            ExpressionAttributeNames: { '#members': 'members', '#n': 'n', '#ttl': TTL_ATTRIBUTE },
            ExpressionAttributeValues: { ':m': { SS: [m] }, ':member': { S: m }, ':one': { N: '1' }, ':ttl': this.ttl() },
            ReturnValues: 'UPDATED_NEW',
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        ),
      );
      return num(res.Attributes?.n);
    } catch (e) {
      if (!isConditionFailed(e)) throw e;
      // Already a member: the item returned with the failed condition holds the current size.
      const old = (e as { Item?: Item }).Item;
      if (old?.n === undefined) throw new StoreError('CORRUPT', `edge set ${node} of job ${jobId}: condition failed without the item`);
      return num(old.n);
    }
  }

  async incr(jobId: string, counter: string, by: number): Promise<void> {
    await this.conditional('UpdateItem', () =>
      this.ddb.send(
        new UpdateItemCommand({
          TableName: this.o.table,
          Key: this.key(jobPk(jobId), STATUS_SK),
          UpdateExpression: 'ADD #c :by',
          // Statistics of an unknown (deleted) job are dropped rather than resurrecting it.
          ConditionExpression: 'attribute_exists(#st)',
          ExpressionAttributeNames: { '#c': `c#${counter}`, '#st': 'st' },
          ExpressionAttributeValues: { ':by': { N: String(by) } },
        }),
      ),
    );
  }

  async deleteJob(jobId: string): Promise<void> {
    // One batch: with the status gone every reader sees no job, and with the shards gone no late
    // completion can count. Done-markers and edge sets expire by TTL.
    const keys = [
      { pk: jobPk(jobId), sk: STATUS_SK },
      { pk: jobPk(jobId), sk: JOB_SK },
      ...Array.from({ length: COUNTER_SHARDS }, (_, i) => ({ pk: shardPk(jobId, i), sk: SHARD_SK })),
    ];
    await batchDelete(this.ddb, this.o.table, keys, this.o.retry);
  }
}
