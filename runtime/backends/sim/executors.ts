/**
 * Simulated executors: the real executor loop (runExecutor) with a kernel runner that takes
 * virtual time instead of computing, and a kill switch for fault experiments. Two launchers for
 * the executors that are not Lambda functions (those run inside LambdaModel, started by the
 * real LambdaLauncher): child processes of the emulated AWS backend and worker threads of the
 * local backend, both sharing the host's cores.
 */
import { checkCall, type Attrs, type Block } from '../../../kernels/index.ts';
import type { ExecutorLauncher, TaskAttemptTrace } from '../../core/interfaces.ts';
import { ExecutorCrash, runExecutor, type ExecutorBackend, type ExecutorOptions } from '../../executor/executor.ts';
import type { KernelRates } from './kernel-rates.ts';
import { sampler, type Latency } from './latency.ts';
import { placeholder } from './placeholder.ts';
import type { VirtualTime } from './virtual-time.ts';

/** Cores shared by executors on one host: a kernel waits for a free one (FIFO). */
export class Cpu {
  private free: number;
  private readonly waiting: (() => void)[] = [];
  /** Virtual ms during which all cores were busy and someone waited (contention). */
  constructor(private readonly clock: VirtualTime, readonly cores: number) {
    this.free = cores;
  }

  async run(ms: number): Promise<void> {
    return this.hold(() => this.clock.sleep(ms));
  }

  /** Runs `work` on one core (waiting for a free one first). */
  async hold<T>(work: () => Promise<T>): Promise<T> {
    if (this.free > 0) this.free--;
    else await new Promise<void>((r) => this.waiting.push(r));
    try {
      return await work();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.free++;
    }
  }
}

/**
 * One simulated executor's kill switch, and its stop signal: `kill()` is a SIGKILL (its requests
 * never leave, nothing is cleaned up), `stop()` a SIGTERM (it finishes its current task and
 * exits as executor-main.ts does on SIGTERM).
 */
export class KillSwitch {
  killed = false;
  private fire: (() => void) | null = null;
  /** Resolves when the executor is killed. */
  readonly dead = new Promise<void>((r) => (this.fire = r));
  private readonly stopping = new AbortController();
  /** Aborted by `stop()`. */
  readonly stopSignal: AbortSignal = this.stopping.signal;
  kill(): void {
    if (this.killed) return;
    this.killed = true;
    this.fire?.();
  }
  stop(): void {
    this.stopping.abort();
  }
}

export interface SimExecutorEnv {
  readonly clock: VirtualTime;
  readonly rates: KernelRates;
  /** Shared host cores (process/thread executors); absent for Lambda (own vCPUs). */
  readonly cpu?: Cpu;
  /** Relative spread of kernel times (log-normal p90 / median − 1), e.g. 0.05. */
  readonly jitter: number;
  readonly onTrace?: (t: TaskAttemptTrace) => void;
  /** Kernel-seconds spent, summed over executors. */
  kernelMs: number;
}

/** A kernel runner that advances virtual time and returns shape-correct placeholders. */
export function simKernelRunner(env: SimExecutorEnv, kill: KillSwitch): (name: string, inputs: readonly Block[], attrs: Attrs) => Promise<Block[]> {
  const spread = sampler({ medianMs: 1, p90Ms: 1 + env.jitter }, env.clock.random);
  return async (name, inputs, attrs) => {
    const shapes = checkCall(name, inputs, attrs).outputs;
    const ms = env.rates.seconds(name, inputs, attrs) * 1000 * spread();
    const work = env.cpu ? env.cpu.run(ms) : env.clock.sleep(ms);
    await Promise.race([work, kill.dead]);
    if (kill.killed) throw new ExecutorCrash('killed');
    env.kernelMs += ms;
    return shapes.map(([r, c]) => placeholder(r, c));
  };
}

/** Runs the real executor loop as a simulated executor until it ends or is killed. */
export async function runSimExecutor(
  env: SimExecutorEnv,
  stores: ExecutorBackend,
  options: Omit<ExecutorOptions, 'runKernel' | 'crash' | 'onTrace'>,
  kill: KillSwitch,
): Promise<void> {
  const run = runExecutor(stores, {
    ...options,
    signal: kill.stopSignal,
    runKernel: simKernelRunner(env, kill),
    // A killed executor stops at its next protocol step, as a dead process would.
    crash: () => {
      if (kill.killed) throw new ExecutorCrash('killed');
    },
    ...(env.onTrace ? { onTrace: env.onTrace } : {}),
  }).then(
    () => undefined,
    () => undefined,
  );
  await Promise.race([run, kill.dead]);
}

/** What a launcher needs to start one executor. */
export type StartExecutor = (executorId: string, kill: KillSwitch) => Promise<void>;

/**
 * Executors as processes (emulated AWS backend) or threads (local backend): started after a
 * sampled start-up time; `running()` counts the live ones, as ProcessLauncher and LocalLauncher do.
 */
export class SimHostLauncher implements ExecutorLauncher {
  private readonly live = new Map<string, KillSwitch>();
  private seq = 0;
  private readonly startLat: () => number;
  /** Executors started so far. */
  started = 0;
  /** Executor-milliseconds of life, summed. */
  lifeMs = 0;

  constructor(private readonly clock: VirtualTime, startup: Latency, private readonly start: StartExecutor, private readonly prefix: string) {
    this.startLat = sampler(startup, clock.random);
  }

  async launch(count: number): Promise<void> {
    for (let i = 0; i < count; i++) {
      const id = `${this.prefix}-${++this.seq}`;
      const kill = new KillSwitch();
      this.live.set(id, kill);
      const t0 = this.clock.now();
      void this.clock.sleep(this.startLat()).then(async () => {
        this.started++;
        if (!kill.killed) await this.start(id, kill);
        this.lifeMs += this.clock.now() - t0;
        this.live.delete(id);
      });
    }
  }

  running(): number {
    return this.live.size;
  }

  /** Ids of the live executors. */
  ids(): string[] {
    return [...this.live.keys()];
  }

  async kill(id: string): Promise<boolean> {
    const k = this.live.get(id);
    if (!k) return false;
    k.kill();
    return true;
  }

  /** Stops every live executor as ProcessLauncher.close() does (SIGTERM: after the current task). */
  async close(): Promise<void> {
    for (const k of this.live.values()) k.stop();
  }

  /** Kills every live executor at once (SIGKILL). */
  killAll(): void {
    for (const k of this.live.values()) k.kill();
  }
}
