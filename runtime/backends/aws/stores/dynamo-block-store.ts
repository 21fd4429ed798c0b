/**
 * BlockStore of small blocks inline in the state table (hybrid sharing, see
 * hybrid-block-store.ts): item `pk = B#{group}#{shard}`, `sk = {key}`, attribute `data` (B)
 * holding the same encoding as S3 objects (block-codec.ts: header + checksum), plus the TTL.
 *
 * The group is the key's first two segments (`jobs/j-…`: one job's blocks), the shard a hash of
 * the whole key among {@link BLOCK_SHARDS}: a job's blocks spread over that many partition keys,
 * and different jobs never share one. list() of a prefix that names a whole group Queries its
 * shards in parallel; a shorter prefix Scans (cleanup checks only).
 */
import {
  GetItemCommand,
  PutItemCommand,
  ScanCommand,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { StoreError, type Block, type BlockStore } from '../../../core/interfaces.ts';
import { decodeBlock, encodeBlock } from './block-codec.ts';
import { withRetry } from '../aws-errors.ts';
import { createHash } from 'node:crypto';
import { DYNAMO_ITEM_LIMIT, type RetryPolicy } from '../config.ts';
import { batchDelete, queryAll, type Item } from './dynamo-batch.ts';
import { TTL_ATTRIBUTE } from './dynamo-state-store.ts';

export interface DynamoBlockStoreOptions {
  readonly table: string;
  readonly ttlSeconds: number;
  readonly retry: RetryPolicy;
}

/** Partition keys per group of blocks. */
export const BLOCK_SHARDS = 64;

/** The group of a key or of a prefix: its first two segments when they are whole, else null. */
function groupOf(key: string): string | null {
  const parts = key.split('/');
  return parts.length >= 3 ? `${parts[0]}/${parts[1]}` : null;
}

const shardPk = (group: string, shard: number): string => `B#${group}#${shard.toString(16).padStart(2, '0')}`;

/** Partition of block `key`. */
export function blockPk(key: string): string {
  const shard = createHash('sha256').update(key).digest().readUInt16BE(0) % BLOCK_SHARDS;
  // Keys of one or two segments are rare (user inputs named so): their first segment groups them.
  return shardPk(groupOf(key) ?? (key.split('/', 1)[0] ?? ''), shard);
}

export class DynamoBlockStore implements BlockStore {
  constructor(private readonly ddb: DynamoDBClient, private readonly o: DynamoBlockStoreOptions) {}

  async get(key: string): Promise<Block> {
    const res = await withRetry(this.o.retry, `DynamoDB GetItem ${this.o.table} block ${key}`, () =>
      this.ddb.send(
        new GetItemCommand({ TableName: this.o.table, Key: { pk: { S: blockPk(key) }, sk: { S: key } }, ConsistentRead: true }),
      ),
    );
    const data = res.Item?.data?.B;
    if (!res.Item) throw new StoreError('NOT_FOUND', `block ${key} not found (DynamoDB table ${this.o.table})`);
    if (!data) throw new StoreError('CORRUPT', `block ${key} is corrupt: inline item has no data attribute`);
    return decodeBlock(data, key);
  }

  async put(key: string, block: Block): Promise<void> {
    const data = encodeBlock(block);
    // Key bytes count towards the item size as well (pk + sk + attribute names).
    const size = data.byteLength + 2 * Buffer.byteLength(key) + 64;
    if (size > DYNAMO_ITEM_LIMIT) {
      throw new StoreError('CONFIG', `block ${key} (${Math.ceil(size / 1024)} KB) is too large to store inline in DynamoDB (400 KB limit)`);
    }
    const item: Item = {
      pk: { S: blockPk(key) },
      sk: { S: key },
      data: { B: data },
      [TTL_ATTRIBUTE]: { N: String(Math.floor(Date.now() / 1000) + this.o.ttlSeconds) },
    };
    await withRetry(this.o.retry, `DynamoDB PutItem ${this.o.table} block ${key}`, () =>
      this.ddb.send(new PutItemCommand({ TableName: this.o.table, Item: item })),
    );
  }

  async delete(keys: readonly string[]): Promise<void> {
    await batchDelete(this.ddb, this.o.table, keys.map((k) => ({ pk: blockPk(k), sk: k })), this.o.retry);
  }

  async list(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    const group = groupOf(prefix);
    if (group !== null) {
      const shards = await Promise.all(
        Array.from({ length: BLOCK_SHARDS }, (_, shard) =>
          queryAll(
            this.ddb,
            {
              TableName: this.o.table,
              KeyConditionExpression: 'pk = :pk AND begins_with(sk, :p)',
              ExpressionAttributeValues: { ':pk': { S: shardPk(group, shard) }, ':p': { S: prefix } },
              ProjectionExpression: 'sk',
              ConsistentRead: true,
            },
            this.o.retry,
          ),
        ),
      );
      for (const { items } of shards) for (const i of items) if (i.sk?.S !== undefined) keys.push(i.sk.S);
    } else {
      // The prefix does not fix a partition: scan the block items (cleanup checks only).
      let start: Item | undefined;
      do {
        const res = await withRetry(this.o.retry, `DynamoDB Scan ${this.o.table}`, () =>
          this.ddb.send(
            new ScanCommand({
              TableName: this.o.table,
              // An empty string is not a valid expression value: no sk filter for prefix ''.
              FilterExpression: prefix === '' ? 'begins_with(pk, :b)' : 'begins_with(pk, :b) AND begins_with(sk, :p)',
              ExpressionAttributeValues: { ':b': { S: 'B#' }, ...(prefix === '' ? {} : { ':p': { S: prefix } }) },
              ProjectionExpression: 'sk',
              ConsistentRead: true,
              ...(start ? { ExclusiveStartKey: start } : {}),
            }),
          ),
        );
        for (const i of res.Items ?? []) if (i.sk?.S !== undefined) keys.push(i.sk.S);
        start = res.LastEvaluatedKey;
      } while (start);
    }
    return keys.sort();
  }
}
