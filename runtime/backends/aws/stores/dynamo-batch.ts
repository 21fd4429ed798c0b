/**
 * DynamoDB batch helpers shared by the state store and the inline block store: BatchGetItem and
 * BatchWriteItem with their "unprocessed" leftovers (partial throttling inside a 200) retried
 * with backoff, and a paginated Query. Keys are the table's `pk`/`sk` pair.
 */
import {
  BatchGetItemCommand,
  BatchWriteItemCommand,
  QueryCommand,
  type AttributeValue,
  type DynamoDBClient,
  type QueryCommandInput,
} from '@aws-sdk/client-dynamodb';
import { StoreError } from '../../../core/interfaces.ts';
import { toStoreError, withRetry } from '../aws-errors.ts';
import { retrying } from '../../../core/retry.ts';
import type { RetryPolicy } from '../config.ts';

export type Item = Record<string, AttributeValue>;
export interface ItemKey {
  readonly pk: string;
  readonly sk: string;
}

/** The key attributes of `k`. */
export const keyOf = (k: ItemKey): Item => ({ pk: { S: k.pk }, sk: { S: k.sk } });

/** Strongly consistent BatchGetItem of `keys` (any number; 100 per call). */
export async function batchGet(ddb: DynamoDBClient, table: string, keys: readonly ItemKey[], retry: RetryPolicy, projection?: string): Promise<Item[]> {
  const out: Item[] = [];
  for (let i = 0; i < keys.length; i += 100) {
    let pending: Item[] = keys.slice(i, i + 100).map(keyOf);
    // Unprocessed keys count as a throttled attempt of the same call: one retry loop, one budget.
    const what = `DynamoDB BatchGetItem ${table}`;
    await retrying(retry, async () => {
      const res = await ddb.send(
        new BatchGetItemCommand({
          RequestItems: { [table]: { Keys: pending, ConsistentRead: true, ...(projection ? { ProjectionExpression: projection } : {}) } },
        }),
      );
      out.push(...(res.Responses?.[table] ?? []));
      pending = res.UnprocessedKeys?.[table]?.Keys ?? [];
      if (pending.length > 0) throw new StoreError('THROTTLED', `${what}: ${pending.length} keys unprocessed`);
    }, { translate: (e) => toStoreError(e, what) });
  }
  return out;
}

/** BatchWriteItem calls of one batchDelete in flight at once. */
const DELETE_CONCURRENCY = 8;

/** BatchWriteItem deletes of `keys` (25 per call, several calls at once). Missing items are no error. */
export async function batchDelete(ddb: DynamoDBClient, table: string, keys: readonly ItemKey[], retry: RetryPolicy): Promise<void> {
  // A batch may not name the same key twice.
  const unique = [...new Map(keys.map((k) => [`${k.pk}\u0000${k.sk}`, k])).values()];
  const batches: ItemKey[][] = [];
  for (let i = 0; i < unique.length; i += 25) batches.push(unique.slice(i, i + 25));
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < batches.length) await deleteBatch(ddb, table, batches[next++]!, retry);
  };
  await Promise.all(Array.from({ length: Math.min(DELETE_CONCURRENCY, batches.length) }, worker));
}

async function deleteBatch(ddb: DynamoDBClient, table: string, keys: readonly ItemKey[], retry: RetryPolicy): Promise<void> {
  let pending = keys.map((k) => ({ DeleteRequest: { Key: keyOf(k) } }));
  const what = `DynamoDB BatchWriteItem ${table}`;
  await retrying(retry, async () => {
    const res = await ddb.send(new BatchWriteItemCommand({ RequestItems: { [table]: pending } }));
    pending = (res.UnprocessedItems?.[table] ?? []).flatMap((r) => (r.DeleteRequest?.Key ? [{ DeleteRequest: { Key: r.DeleteRequest.Key } }] : []));
    if (pending.length > 0) throw new StoreError('THROTTLED', `${what}: ${pending.length} deletes unprocessed`);
  }, { translate: (e) => toStoreError(e, what) });
}

/** Every page of a Query (or only the count with `Select: 'COUNT'`). */
export async function queryAll(
  ddb: DynamoDBClient,
  input: QueryCommandInput,
  retry: RetryPolicy,
): Promise<{ items: Item[]; count: number }> {
  const items: Item[] = [];
  let count = 0;
  let start: Item | undefined;
  do {
    const res = await withRetry(retry, `DynamoDB Query ${input.TableName}`, () =>
      ddb.send(new QueryCommand({ ...input, ...(start ? { ExclusiveStartKey: start } : {}) })),
    );
    items.push(...(res.Items ?? []));
    count += res.Count ?? 0;
    start = res.LastEvaluatedKey;
  } while (start);
  return { items, count };
}
