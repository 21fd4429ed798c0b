/**
 * Launch tokens make the fan-out idempotent: before an executor invokes its share of a launch
 * (handler.ts), it claims the token of its node — one conditional PutItem of
 * `pk = L#{base}-{first}`, `sk = launch` — and invokes only if the claim is new. A retried or
 * duplicated event (Lambda's async invocation is at-least-once) then starts one executor, not a
 * second copy of its whole sub-tree. The token expires by TTL after a day (events expire after
 * MaximumEventAgeInSeconds, 300 s by default). Cost: 1 WRU per executor that has a share.
 *
 * A claim that cannot be made (DynamoDB unreachable after retries) launches anyway: a duplicate
 * sub-tree costs idle executors for a while, a missing one slows the job down until the
 * autoscaler notices.
 */
import { PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { errorName, withRetry } from '../aws-errors.ts';
import type { RetryPolicy } from '../config.ts';
import type { ExecutorEvent } from './lambda-launcher.ts';

/** How long a token is kept (TTL). */
const TOKEN_TTL_S = 24 * 3600;

/** Claims a launch token: true if it is new (this caller launches), false if already claimed. */
export type ClaimLaunch = (token: string) => Promise<boolean>;

/** The token of the fan-out node an event makes its receiver (null without a fan-out). */
export function launchToken(event: Partial<ExecutorEvent>): string | null {
  const f = event.fanout;
  return f ? `${f.base}-${f.first}` : null;
}

/** A {@link ClaimLaunch} on the stack's table. */
export function dynamoClaim(ddb: DynamoDBClient, table: string, retry: RetryPolicy): ClaimLaunch {
  return async (token) => {
    try {
      await withRetry(
        retry,
        `DynamoDB PutItem ${table} (launch token)`,
        () =>
          ddb.send(
            new PutItemCommand({
              TableName: table,
              Item: { pk: { S: `L#${token}` }, sk: { S: 'launch' }, expiresAt: { N: String(Math.floor(Date.now() / 1000) + TOKEN_TTL_S) } },
              ConditionExpression: 'attribute_not_exists(pk)',
            }),
          ),
        (e) => errorName(e) === 'ConditionalCheckFailedException',
      );
      return true;
    } catch (e) {
      if (errorName(e) === 'ConditionalCheckFailedException') return false;
      throw e;
    }
  };
}
