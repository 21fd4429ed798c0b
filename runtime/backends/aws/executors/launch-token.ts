/**
 * Launch tokens make a launch idempotent: an invocation first claims its executor id — one
 * conditional PutItem of `pk = L#{executorId}`, `sk = launch` — and goes on (invokes its share of
 * the fan-out, runs its executor) only if the claim is new. A retried or duplicated event
 * (Lambda's asynchronous invocation is at-least-once) then starts nothing: not a second executor
 * with the same id, not a second copy of its whole sub-tree. Fan-out ids `{base}-{first}` are
 * unique per launch, so an id is a node of one fan-out. The token expires by TTL after a day
 * (events expire after MaximumEventAgeInSeconds, 300 s by default). Cost: 1 WRU per executor.
 *
 * A claim that cannot be made (DynamoDB unreachable after retries) goes on anyway: a duplicate
 * costs idle executors for a while, a missing sub-tree slows the job down until the autoscaler
 * notices.
 */
import { PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { errorName, withRetry } from '../aws-errors.ts';
import type { RetryPolicy } from '../config.ts';
import { errorMessage } from '../../../core/util.ts';

/** How long a token is kept (TTL). */
const TOKEN_TTL_S = 24 * 3600;

/** Claims a launch token: true if it is new (this caller launches), false if already claimed. */
export type ClaimLaunch = (token: string) => Promise<boolean>;

/** Claims `token` with `claim`; true if this caller goes on (a new claim, or one that failed: warned). */
export async function claimOnce(claim: ClaimLaunch, token: string, warn: (message: string) => void): Promise<boolean> {
  try {
    return await claim(token);
  } catch (e) {
    warn(`lapwing executor ${token}: claiming its launch failed (going on): ${errorMessage(e)}`);
    return true;
  }
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
