/**
 * An executor thread of the local backend: the shared executor loop over RPC proxies of the
 * main thread's stores. Fault injection (`crashAt`) terminates this thread at a protocol step,
 * as a killed Lambda would stop: no cleanup, no ack.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { runExecutor, type CrashPoint, type ExecutorOptions } from '../../executor.ts';
import { RpcClient, type ExitMessage, type ReadyMessage, type TraceMessage } from './rpc.ts';
import { loadKernels } from '../../../kernels/index.ts';

export interface WorkerConfig {
  readonly executorId: string;
  readonly options: Omit<ExecutorOptions, 'executorId' | 'onTrace' | 'crash' | 'signal'>;
  readonly trace: boolean;
  /**
   * Crash (end this thread) the `nth` time (1-based) the executor reaches `point`; with
   * `stallMs`, freeze the thread that long instead (an executor that stalls past its lease).
   */
  readonly crashAt?: { readonly point: CrashPoint; readonly nth: number; readonly stallMs?: number };
}

const port = parentPort;
if (!port) throw new Error('worker.ts must run in a worker thread');
const cfg = workerData as WorkerConfig;
const client = new RpcClient(port);
let hits = 0;
// Load the kernels before saying ready, so that start-up is not part of the first job.
await loadKernels(cfg.options.kernels ?? 'auto').catch(() => undefined);
port.postMessage({ kind: 'ready' } satisfies ReadyMessage);
const stats = await runExecutor(client.stores(), {
  ...cfg.options,
  executorId: cfg.executorId,
  onTrace: cfg.trace ? (record) => port.postMessage({ kind: 'trace', record } satisfies TraceMessage) : undefined,
  crash: cfg.crashAt
    ? (point) => {
        const c = cfg.crashAt!;
        if (point !== c.point || ++hits !== c.nth) return;
        if (c.stallMs === undefined) process.exit(86);
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, c.stallMs);
      }
    : undefined,
});
port.postMessage({ kind: 'exit', stats } satisfies ExitMessage);
port.close();
