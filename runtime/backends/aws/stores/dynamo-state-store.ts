/**
 * StateStore on one DynamoDB table (keys `pk`, `sk`; on-demand; TTL attribute `expiresAt` on
 * every item). All items of job J share the partition `J#{J}`:
 *
 *   sk            attributes                         written by
 *   job           rec (JSON of the JobRecord)          putJob (first write wins)
 *   status        st, err, c#{name} counters           putJob, finishJob, incr
 *   k#00 … k#15   done (set of task ids), tasks,       completeTask: ONE conditional UpdateItem
 *                 flops, term (terminal count)         per task, on shard hash(task) mod 16
 *   e#{node}      members (set), n (its size)          markEdge: ONE conditional UpdateItem
 *
 * Why the shards: completeTask must mark the task done *and* count it (tasks, flops, terminal)
 * in one atomic step. dynalite has no TransactWriteItems, and a put followed by a counter update
 * loses a count if the executor dies in between — so the done-set and the counters live in the
 * same item, and one conditional update (`NOT contains(done, :id)`) does both. Task ids in the
 * set are 96-bit hashes (16 base64url chars) to keep items small; 16 shards hold ~400k tasks
 * per job before the 400 KB item limit.
 *
 * Calls: completeTask 1, isTaskDone 1 (GetItem of the shard), markEdge 1 (2 on dynalite when
 * the member was already there: it lacks ReturnValuesOnConditionCheckFailure), getJobState 1
 * (a Query of `status` and the shards), finishJob 1, incr 1, getJob 1, putJob 2,
 * deleteJob 1 Query page + ⌈items/25⌉ BatchWriteItem.
 *
 * Reads are strongly consistent: an executor must see the effects of completed tasks.
 */
import { createHash } from 'node:crypto';
import {
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import type { JobRecord, JobState, JobStatus, StateStore, TaskStats } from '../../../core/interfaces.ts';
import { StoreError } from '../../../core/interfaces.ts';
import { errorName, withRetry } from '../aws-errors.ts';
import { DYNAMO_ITEM_LIMIT, type RetryPolicy } from '../config.ts';
import { batchDelete, batchGet, queryAll, type Item } from './dynamo-batch.ts';

export interface DynamoStateStoreOptions {
  readonly table: string;
  readonly ttlSeconds: number;
  readonly retry: RetryPolicy;
}

/** Number of completion shards per job. */
export const TASK_SHARDS = 16;

const JOB_SK = 'job';
const STATUS_SK = 'status';
/** Name of the TTL attribute (enable TTL on it at deploy time). */
export const TTL_ATTRIBUTE = 'expiresAt';

const isConditionFailed = (e: unknown): boolean => errorName(e) === 'ConditionalCheckFailedException';

/** Partition key of job `jobId`. */
export const jobPk = (jobId: string): string => `J#${jobId}`;

/** The id of `task` in a done-set: 96 bits of SHA-256, base64url. */
export function taskId(task: string): string {
  return createHash('sha256').update(task).digest().subarray(0, 12).toString('base64url');
}

/** Sort key of the completion shard of `task`. */
export function shardSk(task: string): string {
  const shard = createHash('sha256').update(task).digest()[12]! % TASK_SHARDS;
  return `k#${String(shard).padStart(2, '0')}`;
}

const num = (v: AttributeValue | undefined): number => (v?.N === undefined ? 0 : Number(v.N));

export class DynamoStateStore implements StateStore {
  constructor(private readonly ddb: DynamoDBClient, private readonly o: DynamoStateStoreOptions) {}

  private ttl(): AttributeValue {
    return { N: String(Math.floor(Date.now() / 1000) + this.o.ttlSeconds) };
  }

  private key(jobId: string, sk: string): Item {
    return { pk: { S: jobPk(jobId) }, sk: { S: sk } };
  }

  private call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    return withRetry(this.o.retry, `DynamoDB ${what} ${this.o.table}`, fn, isConditionFailed);
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
    // First write wins, like every other transition: a re-run of the driver keeps the record.
    await this.conditional('PutItem', () =>
      this.ddb.send(
        new PutItemCommand({
          TableName: this.o.table,
          Item: { ...this.key(job.id, JOB_SK), rec: { S: rec }, [TTL_ATTRIBUTE]: this.ttl() },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      ),
    );
    await this.call('UpdateItem', () =>
      this.ddb.send(
        new UpdateItemCommand({
          TableName: this.o.table,
          Key: this.key(job.id, STATUS_SK),
          UpdateExpression: 'SET #st = if_not_exists(#st, :running), #ttl = if_not_exists(#ttl, :ttl)',
          ExpressionAttributeNames: { '#st': 'st', '#ttl': TTL_ATTRIBUTE },
          ExpressionAttributeValues: { ':running': { S: 'running' }, ':ttl': this.ttl() },
        }),
      ),
    );
  }

  async getJob(jobId: string): Promise<JobRecord | null> {
    const items = await batchGet(this.ddb, this.o.table, [{ pk: jobPk(jobId), sk: JOB_SK }, { pk: jobPk(jobId), sk: STATUS_SK }], this.o.retry);
    const recItem = items.find((i) => i.sk?.S === JOB_SK);
    const statusItem = items.find((i) => i.sk?.S === STATUS_SK);
    if (!recItem?.rec?.S) return null;
    let record: JobRecord;
    try {
      record = JSON.parse(recItem.rec.S) as JobRecord;
    } catch {
      throw new StoreError('CORRUPT', `job ${jobId}: stored record is not valid JSON`);
    }
    const status = statusItem?.st?.S as JobStatus | undefined;
    const error = statusItem?.err?.S;
    return { ...record, ...(status ? { status } : {}), ...(error !== undefined ? { error } : {}) };
  }

  async getJobState(jobId: string): Promise<JobState | null> {
    // One Query returns the shards (k#…) and the status item: they sort after 'k#', while 'job'
    // and the edges ('e#…') sort before it.
    const { items } = await queryAll(
      this.ddb,
      {
        TableName: this.o.table,
        KeyConditionExpression: 'pk = :pk AND sk >= :k',
        ExpressionAttributeValues: { ':pk': { S: jobPk(jobId) }, ':k': { S: 'k#' } },
        ConsistentRead: true,
      },
      this.o.retry,
    );
    const status = items.find((i) => i.sk?.S === STATUS_SK);
    const st = status?.st?.S as JobStatus | undefined;
    if (!status || !st) return null;
    const counters: Record<string, number> = {};
    for (const [name, v] of Object.entries(status)) if (name.startsWith('c#')) counters[name.slice(2)] = num(v);
    let terminalDone = 0;
    let tasks = 0;
    let flops = 0;
    for (const i of items) {
      if (!i.sk?.S?.startsWith('k#')) continue;
      terminalDone += num(i.term);
      tasks += num(i.tasks);
      flops += num(i.flops);
    }
    counters.tasks = (counters.tasks ?? 0) + tasks;
    counters.flops = (counters.flops ?? 0) + flops;
    return { status: st, ...(status.err?.S !== undefined ? { error: status.err.S } : {}), terminalDone, counters };
  }

  async finishJob(jobId: string, status: Exclude<JobStatus, 'running'>, error?: string): Promise<boolean> {
    return this.conditional('UpdateItem', () =>
      this.ddb.send(
        new UpdateItemCommand({
          TableName: this.o.table,
          Key: this.key(jobId, STATUS_SK),
          UpdateExpression: error !== undefined ? 'SET #st = :s, #err = :e' : 'SET #st = :s',
          ConditionExpression: '#st = :running',
          ExpressionAttributeNames: { '#st': 'st', ...(error !== undefined ? { '#err': 'err' } : {}) },
          ExpressionAttributeValues: {
            ':s': { S: status },
            ':running': { S: 'running' },
            // dynalite rejects empty strings (DynamoDB no longer does): keep one character.
            ...(error !== undefined ? { ':e': { S: error === '' ? ' ' : error.slice(0, 64 * 1024) } } : {}),
          },
        }),
      ),
    );
  }

  async isTaskDone(jobId: string, task: string): Promise<boolean> {
    const res = await this.call('GetItem', () =>
      this.ddb.send(
        new GetItemCommand({
          TableName: this.o.table,
          Key: this.key(jobId, shardSk(task)),
          ProjectionExpression: '#done',
          ExpressionAttributeNames: { '#done': 'done' },
          ConsistentRead: true,
        }),
      ),
    );
    return res.Item?.done?.SS?.includes(taskId(task)) ?? false;
  }

  async completeTask(jobId: string, task: string, terminal: boolean, stats?: TaskStats): Promise<boolean> {
    const id = taskId(task);
    const flops = stats?.flops ?? 0;
    return this.conditional('UpdateItem', () =>
      this.ddb.send(
        new UpdateItemCommand({
          TableName: this.o.table,
          Key: this.key(jobId, shardSk(task)),
          UpdateExpression: 'ADD #done :ids, #tasks :one, #flops :flops, #term :term SET #ttl = :ttl',
          ConditionExpression: 'attribute_not_exists(#done) OR NOT contains(#done, :id)',
          ExpressionAttributeNames: { '#done': 'done', '#tasks': 'tasks', '#flops': 'flops', '#term': 'term', '#ttl': TTL_ATTRIBUTE },
          ExpressionAttributeValues: {
            ':ids': { SS: [id] },
            ':id': { S: id },
            ':one': { N: '1' },
            ':flops': { N: String(Number.isFinite(flops) ? flops : 0) },
            ':term': { N: terminal ? '1' : '0' },
            ':ttl': this.ttl(),
          },
        }),
      ),
    );
  }

  async markEdge(jobId: string, node: string, member: string): Promise<number> {
    const Key = this.key(jobId, `e#${node}`);
    try {
      const res = await this.call('UpdateItem', () =>
        this.ddb.send(
          new UpdateItemCommand({
            TableName: this.o.table,
            Key,
            // ONE conditional update adds the member and counts it: no crash can separate them.
            UpdateExpression: 'ADD #members :m, #n :one SET #ttl = :ttl',
            ConditionExpression: 'attribute_not_exists(#n) OR NOT contains(#members, :member)',
            ExpressionAttributeNames: { '#members': 'members', '#n': 'n', '#ttl': TTL_ATTRIBUTE },
            ExpressionAttributeValues: { ':m': { SS: [member] }, ':member': { S: member }, ':one': { N: '1' }, ':ttl': this.ttl() },
            ReturnValues: 'UPDATED_NEW',
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        ),
      );
      return num(res.Attributes?.n);
    } catch (e) {
      if (!isConditionFailed(e)) throw e;
      // Already a member: the outcome is the current size. DynamoDB returns the item with the
      // failure; dynalite does not, so read it.
      const old = (e as { Item?: Item }).Item;
      if (old?.n) return num(old.n);
      const cur = await this.call('GetItem', () =>
        this.ddb.send(new GetItemCommand({ TableName: this.o.table, Key, ProjectionExpression: '#n', ExpressionAttributeNames: { '#n': 'n' }, ConsistentRead: true })),
      );
      return num(cur.Item?.n);
    }
  }

  async incr(jobId: string, counter: string, by: number): Promise<void> {
    await this.conditional('UpdateItem', () =>
      this.ddb.send(
        new UpdateItemCommand({
          TableName: this.o.table,
          Key: this.key(jobId, STATUS_SK),
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
    const { items } = await queryAll(
      this.ddb,
      {
        TableName: this.o.table,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': { S: jobPk(jobId) } },
        ProjectionExpression: 'pk, sk',
        ConsistentRead: true,
      },
      this.o.retry,
    );
    const keys = items.flatMap((i) => (i.pk?.S && i.sk?.S ? [{ pk: i.pk.S, sk: i.sk.S }] : []));
    await batchDelete(this.ddb, this.o.table, keys, this.o.retry);
  }
}
