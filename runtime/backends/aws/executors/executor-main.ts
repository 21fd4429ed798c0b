/**
 * Entry point of one executor child process (started by ProcessLauncher):
 *
 *   node runtime/backends/aws/executors/executor-entry.mjs    (dist/executor-entry.mjs compiled)
 *
 * Reads the backend configuration (config.ts) and its options (executor-env.ts) from the
 * environment, loads its kernels, says `ready`, runs the executor loop until it is idle, out of
 * time, or sent SIGTERM/SIGINT (then it stops after the current task), and exits 0. It holds no
 * lease between tasks, so an idle exit releases nothing. Over the IPC channel, when there is
 * one, it reports its API call counts every second and at exit, its traces if LAPWING_TRACE=1,
 * and why it stopped; losing the channel (the launcher died) stops it like SIGTERM.
 * It writes a heartbeat (heartbeats.ts) from start-up to exit, as a Lambda executor does.
 * A configuration error is one line on stderr and exit code 2.
 *
 * Fault injection: LAPWING_CRASH_AT=point[:nth][@task], or a `crash-at` IPC message from the
 * launcher (which arms executors already running), makes the process SIGKILL itself at that
 * crash point: no ack, no cleanup, no last report — the closest a test gets to a Lambda that
 * the provider stops, or a machine that dies.
 */
import { writeSync } from 'node:fs';
import { runExecutor, type CrashPoint, type KernelTimes } from '../../../executor/executor.ts';
import type { TaskAttemptTrace } from '../../../core/interfaces.ts';
import { StoreError } from '../../../core/interfaces.ts';
import { loadKernels } from '../../../../kernels/index.ts';
import { loadAwsConfig } from '../config.ts';
import type { Attrs, Block } from '../../../../kernels/index.ts';
import { createKernelPool, kernelThreadsFromEnv } from './kernel-pool.ts';
import { CrashTrigger, executorOptionsFromEnv, heartbeatMsFromEnv, parseCrashSpec } from './executor-env.ts';
import { HeartbeatWriter } from './heartbeats.ts';
import { createAwsBackend } from '../index.ts';
import type { ExecutorExitReason, ExecutorIpcMessage, LauncherIpcMessage } from './process-launcher.ts';

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

/** Dies at a crash point: one line (synchronous: nothing after it runs), then SIGKILL. */
function die(id: string, point: CrashPoint, task: string): void {
  try {
    writeSync(2, `lapwing executor ${id}: injected crash at '${point}' (task ${task}): SIGKILL\n`);
  } finally {
    process.kill(process.pid, 'SIGKILL');
  }
}

async function main(): Promise<number> {
  const config = loadAwsConfig(process.env);
  const options = executorOptionsFromEnv(process.env, `proc-${process.pid}`);
  const heartbeatMs = heartbeatMsFromEnv(process.env);
  const spec = process.env.LAPWING_CRASH_AT ? parseCrashSpec(process.env.LAPWING_CRASH_AT) : null;
  const trigger = new CrashTrigger(spec, (point, task) => die(options.executorId, point, task));
  const backend = await createAwsBackend(config, { executors: 'process', create: false });
  // Process executors run kernels inline unless asked (they stand one per core already).
  const threads = kernelThreadsFromEnv(process.env, 0);
  const pool = threads > 0 ? createKernelPool(options.kernels ?? 'auto', threads) : null;
  const stop = new AbortController();
  // Stopping also cuts a waiting lease short (a long poll can wait 20 s).
  const halt = (): void => {
    stop.abort();
    backend.queue.interrupt();
  };
  for (const sig of ['SIGTERM', 'SIGINT'] as const) process.once(sig, halt);
  if (process.send) process.once('disconnect', halt);
  process.on('message', (m: LauncherIpcMessage) => {
    if (m.type === 'crash-at') trigger.arm(m.spec === null ? null : parseCrashSpec(m.spec));
  });
  const report = (): Promise<void> =>
    send({ type: 'api_calls', counts: backend.clients.counts(), commands: backend.clients.commands(), operations: backend.clients.operations(), latencies: backend.clients.latencies(), capacity: backend.clients.capacity() });
  const timer = setInterval(() => void report(), 1000);
  timer.unref();
  const onTrace = process.env.LAPWING_TRACE === '1' ? (trace: TaskAttemptTrace) => void send({ type: 'trace', trace }) : undefined;
  // Kernels load before `ready`, so that a launcher waiting for readiness gets an executor that
  // leases at once and its start-up is not part of the first task.
  await loadKernels(options.kernels ?? 'auto').catch(() => undefined);
  const heartbeat = new HeartbeatWriter(backend.clients.dynamodb, backend.queue, {
    table: config.names.table,
    executorId: options.executorId,
    retry: config.retry,
    intervalMs: heartbeatMs,
  });
  await heartbeat.start();
  await send({ type: 'ready' });
  const start = Date.now();
  let reason: ExecutorExitReason = 'idle';
  let tasks = 0;
  try {
    const kernelOptions = pool ? { runKernel: (name: string, inputs: readonly Block[], attrs: Attrs, ran?: KernelTimes) => pool.run(name, inputs, attrs, ran), concurrency: Math.max(options.concurrency ?? 1, pool.threads) } : {};
    const stats = await runExecutor(backend, { ...options, ...kernelOptions, maxAttempts: config.maxReceiveCount, signal: stop.signal, crash: trigger.hook, ...(onTrace ? { onTrace } : {}) });
    tasks = stats.tasks;
    if (stop.signal.aborted) reason = 'stopped';
    else if (options.maxRuntimeMs !== undefined && Date.now() - start >= options.maxRuntimeMs) reason = 'max-runtime';
  } finally {
    clearInterval(timer);
    await heartbeat.stop();
    await pool?.close();
    // Reported after close(): the requests it makes (messages held back go back to the queue,
    // outstanding long polls end) are this executor's too.
    try {
      await backend.close();
    } finally {
      await report();
    }
  }
  await send({ type: 'exit', reason, tasks, runtimeMs: Date.now() - start });
  return 0;
}

main().then(exit, (e: unknown) => {
  const known = e instanceof StoreError || (e instanceof Error && 'code' in e);
  process.stderr.write(`lapwing executor ${process.env.LAPWING_EXECUTOR_ID ?? process.pid}: ${e instanceof Error ? (known ? e.message : e.stack) : String(e)}\n`);
  exit(e instanceof StoreError && e.code === 'CONFIG' ? 2 : 1);
});
