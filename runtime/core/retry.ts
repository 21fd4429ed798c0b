/**
 * The one retry loop. Each backend calls it at its edge — where its own errors are translated
 * into the hierarchy of errors.ts — and nowhere else: the executor and the driver above the
 * stores never retry a store call again (stacked layers would multiply the sends of one
 * throttled call, attempts × tries, just when a service asks for fewer).
 *
 * Backoff is exponential with full jitter: before attempt k+1 a uniform wait in
 * 0…min(maxMs, baseMs·2^k). Only errors whose `retryable` field is set are retried.
 */
import { isRetryable } from './errors.ts';
import { sleep } from './util.ts';

/** How often and how patiently one call is retried. */
export interface RetryPolicy {
  /** Attempts of one call in all, the first included (≥ 1). */
  readonly attempts: number;
  /** First backoff; doubles per attempt, with full jitter. */
  readonly baseMs: number;
  /** Largest backoff. */
  readonly maxMs: number;
}

export interface RetryOptions {
  /**
   * Turns a failure into the error to throw (e.g. an SDK exception into a StoreError); the
   * result is retried if it is retryable. Default: the failure itself.
   */
  readonly translate?: (e: unknown) => unknown;
  /** Waits between attempts (a simulated clock injects its own). */
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
}

/** Backoff before attempt `attempt + 1` (attempt counts from 0 for the first call). */
export function backoffMs(policy: RetryPolicy, attempt: number, random: () => number = Math.random): number {
  return Math.floor(random() * Math.min(policy.maxMs, policy.baseMs * 2 ** attempt));
}

/**
 * Runs `call` until it succeeds, fails with a non-retryable error, or `policy.attempts` calls
 * failed; the last error's message then says how many attempts were made.
 * @example
 * const item = await retrying(policy, () => ddb.send(cmd), { translate: (e) => toStoreError(e, 'GetItem') });
 */
export async function retrying<T>(policy: RetryPolicy, call: () => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const wait = options.sleep ?? sleep;
  for (let attempt = 0; ; attempt++) {
    try {
      return await call();
    } catch (e) {
      const err = options.translate ? options.translate(e) : e;
      if (!isRetryable(err)) throw err;
      if (attempt + 1 >= policy.attempts) {
        if (err instanceof Error) err.message = `${err.message} (gave up after ${attempt + 1} attempts)`;
        throw err;
      }
      await wait(backoffMs(policy, attempt, options.random));
    }
  }
}
