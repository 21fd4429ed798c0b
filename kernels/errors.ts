/**
 * The base class of every error lapwing throws on purpose, in every layer.
 *
 * Callers decide from its fields, never from messages or ad-hoc codes:
 * - `retryable`: the same call may succeed later (throttling, a service briefly unavailable).
 *   Only the layer that translated the error retries it (the store edge); an error that
 *   reaches the executor still retryable releases the task to run again later.
 * - `userFacing`: the message alone tells the user what is wrong (a bad program, a missing
 *   file, a matrix that is not positive definite); the CLI prints it as one line. Anything else
 *   is a bug and is printed as an internal error.
 * - `code`: a stable name for tests and tooling, e.g. `NOT_POSITIVE_DEFINITE`, `THROTTLED`.
 *
 * An error that is neither a LapwingError nor retryable is unexpected (a bug, a crashed thread).
 *
 * This module lives in kernels/ because kernels/ is the bottom layer: lang/ and runtime/ both
 * import it (through kernels/index.ts) without importing each other.
 *
 * @example
 * class NpyError extends LapwingError {
 *   constructor(message: string) { super('NPY', message, { userFacing: true }); this.name = 'NpyError'; }
 * }
 */
export interface ErrorTraits {
  /** Retrying the same call later may succeed (default false). */
  readonly retryable?: boolean;
  /** The message is meant for the user as it is (default false). */
  readonly userFacing?: boolean;
  readonly cause?: unknown;
}

/** An error with a code, and whether to retry it and whether to show it to the user as it is. */
export class LapwingError extends Error {
  readonly code: string;
  readonly retryable: boolean;
  readonly userFacing: boolean;
  constructor(code: string, message: string, traits: ErrorTraits = {}) {
    super(message, traits.cause !== undefined ? { cause: traits.cause } : undefined);
    this.name = 'LapwingError';
    this.code = code;
    this.retryable = traits.retryable ?? false;
    this.userFacing = traits.userFacing ?? false;
  }
}

/** True for errors of the hierarchy (any layer). */
export function isLapwingError(e: unknown): e is LapwingError {
  return e instanceof LapwingError;
}

/** True when `e` says that retrying the same call later may succeed. */
export function isRetryable(e: unknown): boolean {
  return e instanceof LapwingError && e.retryable;
}
