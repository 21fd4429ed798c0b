/**
 * The runtime's errors, all in the one hierarchy rooted at {@link LapwingError}
 * (kernels/errors.ts): `code`, `retryable`, `userFacing`. The executor and the CLI decide from
 * those fields only.
 *
 * Backends translate their own errors (SDK exceptions, injected faults) into {@link StoreError}
 * at their edge, and retry the retryable ones there, once (core/retry.ts); nothing above a
 * store retries a call again.
 */
import { LapwingError, isLapwingError, isRetryable, type ErrorTraits } from '../../kernels/errors.ts';

export { LapwingError, isLapwingError, isRetryable, type ErrorTraits };

export type StoreErrorCode =
  | 'NOT_FOUND'    // block or item does not exist
  | 'CORRUPT'      // block failed its checksum or header check
  | 'THROTTLED'    // transient: retry with backoff
  | 'UNAVAILABLE'  // transient: service unreachable
  | 'CONFIG';      // permanent: missing credentials, endpoint, bucket …

/**
 * A storage failure, already translated from the backend's own error types. THROTTLED and
 * UNAVAILABLE are retryable; every store error's message is fit for the user.
 */
export class StoreError extends LapwingError {
  declare readonly code: StoreErrorCode;
  constructor(code: StoreErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, { retryable: code === 'THROTTLED' || code === 'UNAVAILABLE', userFacing: true, cause: options?.cause });
    this.name = 'StoreError';
  }
}

/**
 * A task cannot run for a reason that will not change on a retry: an input block that is
 * missing (and not because the task is a late duplicate), a matrix the job does not bind, a
 * kernel that returned a wrong number of blocks (a bug: not user-facing). The job fails at
 * once; the message names the task and its kernel.
 */
export class TaskError extends LapwingError {
  declare readonly code: 'MISSING_INPUT' | 'UNBOUND_MATRIX' | 'BAD_OUTPUTS';
  constructor(code: TaskError['code'], message: string, options?: { cause?: unknown }) {
    super(code, message, { userFacing: code !== 'BAD_OUTPUTS', cause: options?.cause });
    this.name = 'TaskError';
  }
}
