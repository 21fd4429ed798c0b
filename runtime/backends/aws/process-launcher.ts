/**
 * ExecutorLauncher that runs executors as local child processes
 * (`node --import tsx runtime/backends/aws/executor-main.ts`) against the same AWS endpoints —
 * how the tests and fault experiments run the AWS backend without Lambda.
 *
 * Children talk back over Node's IPC channel: their API call counts (so the driver's
 * `api_calls` covers every executor) and, when `onTrace` is set, one record per task attempt.
 * A child's stdout goes to our stderr, so executors never mix into the CLI's JSON output.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ExecutorLauncher, TaskAttemptTrace } from '../../interfaces.ts';
import type { CallCounts } from './clients.ts';
import { executorEnv, type ExecutorSettings } from './executor-env.ts';

/** Messages an executor process sends to its launcher. */
export type ExecutorIpcMessage =
  | { readonly type: 'api_calls'; readonly counts: CallCounts }
  | { readonly type: 'trace'; readonly trace: TaskAttemptTrace };

export interface ProcessLauncherOptions {
  /** Environment of the backend (configToEnv with credentials). */
  readonly env: Readonly<Record<string, string>>;
  readonly executor?: ExecutorSettings;
  /** Called when a child exits (code or signal). */
  readonly onExit?: (executorId: string, code: number | null, signal: NodeJS.Signals | null) => void;
  /** Receives the children's task-attempt traces (enables LAPWING_TRACE in them). */
  readonly onTrace?: (trace: TaskAttemptTrace) => void;
  /** Grace period between SIGTERM and SIGKILL in close(). */
  readonly killGraceMs?: number;
}

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const MAIN = fileURLToPath(new URL('./executor-main.ts', import.meta.url));

interface Child {
  readonly id: string;
  readonly proc: ChildProcess;
  readonly exited: Promise<void>;
  alive: boolean;
  counts: CallCounts;
}

let launcherSeq = 0;

export class ProcessLauncher implements ExecutorLauncher {
  private readonly children: Child[] = [];
  private readonly tag = `${process.pid}-${++launcherSeq}`;
  private seq = 0;

  constructor(private readonly o: ProcessLauncherOptions) {}

  async launch(count: number): Promise<void> {
    for (let i = 0; i < count; i++) this.spawnOne();
  }

  private spawnOne(): void {
    const id = `proc-${this.tag}-${++this.seq}`;
    const proc = spawn(process.execPath, ['--import', 'tsx', MAIN], {
      cwd: ROOT,
      env: {
        ...process.env,
        ...this.o.env,
        ...executorEnv(this.o.executor ?? {}),
        LAPWING_EXECUTOR_ID: id,
        ...(this.o.onTrace ? { LAPWING_TRACE: '1' } : {}),
      },
      stdio: ['ignore', 2, 'inherit', 'ipc'],
    });
    const child: Child = {
      id,
      proc,
      alive: true,
      counts: { s3: 0, sqs: 0, dynamodb: 0, lambda: 0 },
      exited: new Promise<void>((resolve) => {
        proc.once('exit', (code, signal) => {
          child.alive = false;
          this.o.onExit?.(id, code, signal);
          resolve();
        });
        proc.once('error', () => {
          child.alive = false;
          resolve();
        });
      }),
    };
    proc.on('message', (m: ExecutorIpcMessage) => {
      if (m.type === 'api_calls') child.counts = m.counts;
      else if (m.type === 'trace') this.o.onTrace?.(m.trace);
    });
    this.children.push(child);
  }

  running(): number {
    return this.children.filter((c) => c.alive).length;
  }

  /** Process ids of the live executors (fault experiments kill them). */
  pids(): number[] {
    return this.children.filter((c) => c.alive && c.proc.pid !== undefined).map((c) => c.proc.pid!);
  }

  /** API calls reported by every executor this launcher started (live ones: as of their last report). */
  apiCalls(): CallCounts {
    const sum: CallCounts = { s3: 0, sqs: 0, dynamodb: 0, lambda: 0 };
    for (const c of this.children) for (const k of Object.keys(sum) as (keyof CallCounts)[]) sum[k] += c.counts[k];
    return sum;
  }

  /** Stops every live executor: SIGTERM (they finish the current task), then SIGKILL. */
  async close(): Promise<void> {
    const live = this.children.filter((c) => c.alive);
    for (const c of live) c.proc.kill('SIGTERM');
    const grace = this.o.killGraceMs ?? 5000;
    const timer = setTimeout(() => {
      for (const c of live) if (c.alive) c.proc.kill('SIGKILL');
    }, grace);
    await Promise.all(live.map((c) => c.exited));
    clearTimeout(timer);
  }
}
