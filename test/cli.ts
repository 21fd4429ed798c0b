/**
 * The `lapwing` command as a user runs it: a child process of the real CLI
 * (runtime/cli/lapwing.mjs). Asynchronous, so that emulators living in the test process keep
 * serving while it runs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** The CLI's entry point. */
export const CLI = fileURLToPath(new URL('../runtime/cli/lapwing.mjs', import.meta.url));

/** How a CLI run ended, with everything it printed. */
export interface CliResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CliOptions {
  /** The environment (default: the test runner's). */
  readonly env?: NodeJS.ProcessEnv;
  /** Working directory (default: the repository root). */
  readonly cwd?: string;
  /** SIGKILL the run after this long (default: never), so that a hung CLI fails its test. */
  readonly timeoutMs?: number;
}

/** Starts `lapwing ARGS…`; `child` can be signalled, `done` settles when it has exited. */
export function startCli(args: readonly string[], o: CliOptions = {}): { child: ChildProcess; done: Promise<CliResult> } {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: o.cwd ?? ROOT, env: o.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = o.timeoutMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), o.timeoutMs);
  const done = new Promise<CliResult>((resolve) => {
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
  return { child, done };
}

/** Runs `lapwing ARGS…` to its end. */
export function runCli(args: readonly string[], o: CliOptions = {}): Promise<CliResult> {
  return startCli(args, o).done;
}

/** The JSON object on the last line of a `--json` run's output. */
export function lastJson(stdout: string): Record<string, unknown> {
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
}
