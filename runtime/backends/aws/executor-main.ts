/**
 * Entry point of one executor child process (started by ProcessLauncher):
 *
 *   node --import tsx runtime/backends/aws/executor-main.ts
 *
 * Reads the backend configuration (config.ts) and its options (executor-env.ts) from the
 * environment, runs the executor loop until it is idle, out of time, or sent SIGTERM/SIGINT
 * (then it stops after the current task), and exits 0. Over the IPC channel, when there is one,
 * it reports its API call counts every second and at exit, and its traces if LAPWING_TRACE=1.
 * A configuration error is one line on stderr and exit code 2.
 */
import { runExecutor } from '../../executor.ts';
import type { TaskAttemptTrace } from '../../interfaces.ts';
import { StoreError } from '../../interfaces.ts';
import { loadAwsConfig } from './config.ts';
import { crashHookFromEnv, executorOptionsFromEnv } from './executor-env.ts';
import { createAwsBackend } from './index.ts';
import type { ExecutorIpcMessage } from './process-launcher.ts';

function send(m: ExecutorIpcMessage): Promise<void> {
  return new Promise((resolve) => {
    if (process.send && process.connected) process.send(m, undefined, {}, () => resolve());
    else resolve();
  });
}

/** Exits once the last IPC message is out (kernel thread pools may hold the loop open). */
function exit(code: number): void {
  if (process.connected) process.disconnect();
  process.exit(code);
}

async function main(): Promise<number> {
  const config = loadAwsConfig(process.env);
  const options = executorOptionsFromEnv(process.env, `proc-${process.pid}`);
  const backend = await createAwsBackend(config, { executors: 'process', create: false });
  const stop = new AbortController();
  for (const sig of ['SIGTERM', 'SIGINT'] as const) process.once(sig, () => stop.abort());
  const report = (): Promise<void> => send({ type: 'api_calls', counts: backend.clients.counts() });
  const timer = setInterval(() => void report(), 1000);
  timer.unref();
  const crash = crashHookFromEnv(process.env);
  const onTrace = process.env.LAPWING_TRACE === '1' ? (trace: TaskAttemptTrace) => void send({ type: 'trace', trace }) : undefined;
  try {
    await runExecutor(backend, { ...options, signal: stop.signal, ...(crash ? { crash } : {}), ...(onTrace ? { onTrace } : {}) });
  } finally {
    clearInterval(timer);
    await report();
    await backend.close();
  }
  return 0;
}

main().then(exit, (e: unknown) => {
  const known = e instanceof StoreError || (e instanceof Error && 'code' in e);
  process.stderr.write(`lapwing executor ${process.env.LAPWING_EXECUTOR_ID ?? process.pid}: ${e instanceof Error ? (known ? e.message : e.stack) : String(e)}\n`);
  exit(e instanceof StoreError && e.code === 'CONFIG' ? 2 : 1);
});
