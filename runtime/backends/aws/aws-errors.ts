/**
 * The edge where SDK errors become StoreErrors (the core never sees SDK types), and where the
 * retryable ones are retried — the only retry layer of the AWS backend (core/retry.ts holds the
 * loop; nothing above the stores retries again). The SDK's own retries are turned off
 * (clients.ts) so that this is the single place deciding backoff, and so that api_calls counts
 * every request sent.
 *
 *   throttling (SlowDown, ProvisionedThroughputExceeded, 429, 503 …) → retried, then THROTTLED
 *   server/network errors (5xx, ECONNRESET, timeouts)                 → retried, then UNAVAILABLE
 *   missing resources, bad credentials, validation errors             → CONFIG at once (permanent)
 *   errors the caller expects (NoSuchKey, ConditionalCheckFailed …)   → rethrown untouched for the
 *                                                                       caller to turn into an outcome
 */
import { StoreError, type StoreErrorCode } from '../../core/errors.ts';
import { retrying, type RetryPolicy } from '../../core/retry.ts';

export { backoffMs } from '../../core/retry.ts';

/** The fields of an SDK v3 service exception this module looks at (no SDK import needed). */
interface SdkErrorShape {
  readonly name?: string;
  readonly code?: string;
  readonly message?: string;
  readonly $fault?: 'client' | 'server';
  readonly $metadata?: { readonly httpStatusCode?: number };
}

const THROTTLE_NAMES = new Set([
  'SlowDown',
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'TooManyRequestsException',
  'TransactionInProgressException',
  'OverLimit',
  'KMSThrottlingException',
  'EC2ThrottledException',
]);

const UNAVAILABLE_NAMES = new Set([
  'InternalError',
  'InternalServerError',
  'InternalFailure',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ResourceInUseException',
]);

/** Permanent problems a user can fix: say what to do. */
const CONFIG_HINTS: Readonly<Record<string, string>> = {
  NoSuchBucket: 'the bucket does not exist: run `lapwing deploy` (or `lapwing emulate`)',
  'AWS.SimpleQueueService.NonExistentQueue': 'the queue does not exist: run `lapwing deploy` (or `lapwing emulate`)',
  QueueDoesNotExist: 'the queue does not exist: run `lapwing deploy` (or `lapwing emulate`)',
  ResourceNotFoundException: 'the table or function does not exist: run `lapwing deploy` (or `lapwing emulate`)',
  InvalidAccessKeyId: 'the AWS access key is not valid',
  SignatureDoesNotMatch: 'the AWS secret key does not match the access key',
  UnrecognizedClientException: 'the AWS credentials are not valid',
  InvalidClientTokenId: 'the AWS credentials are not valid',
  ExpiredToken: 'the AWS session token expired',
  ExpiredTokenException: 'the AWS session token expired',
  AccessDenied: 'access denied: the role or user lacks a permission',
  AccessDeniedException: 'access denied: the role or user lacks a permission',
  CredentialsProviderError: 'no AWS credentials found',
};

function shape(e: unknown): SdkErrorShape {
  return typeof e === 'object' && e !== null ? (e as SdkErrorShape) : {};
}

/** The SDK error name (or Node error code) of `e`, e.g. 'NoSuchKey'. */
export function errorName(e: unknown): string {
  const s = shape(e);
  return s.name && s.name !== 'Error' ? s.name : (s.code ?? s.name ?? 'Error');
}

/** HTTP status of an SDK error, if any. */
export function httpStatus(e: unknown): number | undefined {
  return shape(e).$metadata?.httpStatusCode;
}

/** The transient class of `e`, or null when retrying cannot help. */
export function transientCode(e: unknown): Extract<StoreErrorCode, 'THROTTLED' | 'UNAVAILABLE'> | null {
  if (e instanceof StoreError) return e.retryable ? (e.code as 'THROTTLED' | 'UNAVAILABLE') : null;
  const name = errorName(e);
  const status = httpStatus(e);
  if (THROTTLE_NAMES.has(name) || status === 429 || status === 503) return 'THROTTLED';
  if (UNAVAILABLE_NAMES.has(name) || shape(e).code !== undefined && UNAVAILABLE_NAMES.has(shape(e).code ?? '')) return 'UNAVAILABLE';
  if (shape(e).$fault === 'server' || (status !== undefined && status >= 500)) return 'UNAVAILABLE';
  return null;
}

/**
 * Translates any error of an SDK call into a StoreError (already-translated ones pass through).
 * `what` names the call for the message, e.g. `S3 GetObject blocks/j1/A/0_0`.
 */
export function toStoreError(e: unknown, what: string): StoreError {
  if (e instanceof StoreError) return e;
  const name = errorName(e);
  const message = shape(e).message ?? String(e);
  const transient = transientCode(e);
  if (transient) return new StoreError(transient, `${what}: ${name}: ${message}`, { cause: e });
  const hint = CONFIG_HINTS[name];
  if (hint) return new StoreError('CONFIG', `${what}: ${hint} (${name})`, { cause: e });
  // Validation errors, item too large and the like: permanent, and retrying cannot help.
  return new StoreError('CONFIG', `${what}: ${name}: ${message}`, { cause: e });
}

/**
 * Runs `call`, retrying transient failures with exponential backoff; every other error is
 * translated (or, when `passthrough` accepts it, rethrown untouched for the caller).
 * @example
 * await withRetry(policy, 'S3 PutObject k', () => s3.send(cmd), (e) => errorName(e) === 'NoSuchKey');
 */
export function withRetry<T>(
  policy: RetryPolicy,
  what: string,
  call: () => Promise<T>,
  passthrough: (e: unknown) => boolean = () => false,
): Promise<T> {
  return retrying(policy, call, { translate: (e) => (passthrough(e) ? e : toStoreError(e, what)) });
}
