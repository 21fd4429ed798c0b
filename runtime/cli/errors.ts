/**
 * How the CLI reports an error: one line when the error says it is meant for the user
 * (`userFacing`, set by the layer that raised it), an internal error otherwise. Nothing else
 * about the error is looked at: a Node error such as ENOENT that no edge translated is a bug.
 */
import { LapwingError } from '../core/errors.ts';

/** A wrong command line: printed as one line, no stack trace (unless --verbose); exit code 2. */
export class UserError extends LapwingError {
  readonly exitCode: number;
  constructor(message: string, exitCode = 2) {
    super('USAGE', message, { userFacing: true });
    this.name = 'UserError';
    this.exitCode = exitCode;
  }
}

/** One line for user-facing errors, the message and a pointer to --verbose otherwise. */
export function formatError(e: unknown, verbose: boolean): string {
  if (!(e instanceof Error)) return `lapwing: ${String(e)}`;
  if (verbose) return e.stack ?? e.message;
  const userFacing = e instanceof LapwingError && e.userFacing;
  return userFacing ? `lapwing: ${e.message}` : `lapwing: ${e.message}\n(internal error; run with --verbose for the stack trace)`;
}
