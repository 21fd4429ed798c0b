/**
 * Capacity metering of a DynamoDB client: a middleware that asks every data-plane call for
 * `ReturnConsumedCapacity: TOTAL` and adds what DynamoDB reports to running totals (the
 * `dynamodb_capacity` of the bench JSON, and `lapwing bench state`). Asking costs nothing.
 *
 * Calls that fail (a failed condition, a cancelled transaction) report no capacity although
 * DynamoDB bills them: the totals are a lower bound where conditions fail. DynamoDB Local reports
 * a transaction's items at the price of plain writes and reads, where DynamoDB bills twice that:
 * with `transactionsReportedAtHalf` (emulators) they are counted as DynamoDB bills them.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

/** Read and write capacity units consumed. */
export interface Capacity {
  rcu: number;
  wcu: number;
}

const READS = new Set(['GetItemCommand', 'QueryCommand', 'ScanCommand', 'BatchGetItemCommand', 'TransactGetItemsCommand']);
const WRITES = new Set(['PutItemCommand', 'UpdateItemCommand', 'DeleteItemCommand', 'BatchWriteItemCommand', 'TransactWriteItemsCommand']);

interface Consumed {
  readonly CapacityUnits?: number;
}
type Middleware = (
  next: (args: { input: Record<string, unknown> }) => Promise<{ output: { ConsumedCapacity?: Consumed | Consumed[] } }>,
  context: { commandName?: string },
) => (args: { input: Record<string, unknown> }) => Promise<{ output: { ConsumedCapacity?: Consumed | Consumed[] } }>;
interface Stack {
  middlewareStack: { add(mw: Middleware, options: { step: 'initialize'; name: string }): void };
}

/** Totals of one client, and per-scope totals for whoever runs calls inside {@link CapacityMeter.scope}. */
export interface CapacityMeter {
  /** Everything consumed so far (a copy). */
  total(): Capacity;
  /** Runs `fn`; calls made inside it (across awaits) are also added to the returned figure. */
  scope<T>(fn: () => Promise<T>): Promise<{ result: T; capacity: Capacity }>;
}

let installed = 0;

/** Starts metering `client`'s consumed capacity. */
export function meterCapacity(client: DynamoDBClient, options: { readonly transactionsReportedAtHalf?: boolean } = {}): CapacityMeter {
  const total: Capacity = { rcu: 0, wcu: 0 };
  const scopes = new AsyncLocalStorage<Capacity>();
  (client as unknown as Stack).middlewareStack.add(
    (next, context) => async (args) => {
      const name = context.commandName ?? '';
      const read = READS.has(name);
      if (!read && !WRITES.has(name)) return next(args);
      const res = await next({ ...args, input: { ...args.input, ReturnConsumedCapacity: 'TOTAL' } });
      const c = res.output.ConsumedCapacity;
      const reported = (Array.isArray(c) ? c : c ? [c] : []).reduce((s, x) => s + (x.CapacityUnits ?? 0), 0);
      const units = options.transactionsReportedAtHalf && name.startsWith('Transact') ? 2 * reported : reported;
      const scoped = scopes.getStore();
      for (const t of scoped ? [total, scoped] : [total]) {
        if (read) t.rcu += units;
        else t.wcu += units;
      }
      return res;
    },
    // Several meters may watch one client (the backend's, a benchmark's): names must differ.
    { step: 'initialize', name: `lapwingCapacity${++installed}` },
  );
  return {
    total: () => ({ ...total }),
    async scope(fn) {
      const capacity: Capacity = { rcu: 0, wcu: 0 };
      const result = await scopes.run(capacity, fn);
      return { result, capacity };
    },
  };
}
