/** Errors meant for the user: printed as one line, no stack trace (unless --verbose). */
export class UserError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 2) {
    super(message);
    this.name = 'UserError';
    this.exitCode = exitCode;
  }
}

/** One line for known errors (anything with a `code` or a UserError), the stack otherwise. */
export function formatError(e: unknown, verbose: boolean): string {
  if (!(e instanceof Error)) return `lapwing: ${String(e)}`;
  if (verbose) return e.stack ?? e.message;
  const known = e instanceof UserError || 'code' in e || 'diagnostics' in e;
  return known ? `lapwing: ${e.message}` : `lapwing: ${e.message}\n(internal error; run with --verbose for the stack trace)`;
}
