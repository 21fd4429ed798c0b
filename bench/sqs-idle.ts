/**
 * Idle cost of AWS executors: SQS requests per second of executor processes that wait for work
 * on empty queues (SQS bills empty receives). Runs on the emulators; the figure is the same on
 * AWS, where a long poll returns after its full wait when nothing arrives.
 *
 *   node --import tsx bench/sqs-idle.ts [--executors 2] [--seconds 60]
 *
 * Last line: `{"executors":2,"seconds":60,"sqs_requests":…,"sqs_requests_per_s_per_executor":…}`.
 */
import { parseArgs } from 'node:util';
import { emulatorEnv, startEmulators } from '../runtime/backends/aws/dev/emulators.ts';
import { loadAwsConfig } from '../runtime/backends/aws/config.ts';
import { createAwsBackend } from '../runtime/backends/aws/index.ts';
import type { ProcessLauncher } from '../runtime/backends/aws/executors/process-launcher.ts';
import { destroyDataResources } from '../runtime/backends/aws/deploy/provision.ts';

const { values } = parseArgs({ options: { executors: { type: 'string', default: '2' }, seconds: { type: 'string', default: '60' } } });
const executors = Number(values.executors);
const seconds = Number(values.seconds);
const emu = await startEmulators();
const config = loadAwsConfig(emulatorEnv(emu.endpoints, `idle-${process.pid}`));
// The executors' own defaults (poll wait included); only the idle timeout outlasts the window.
const backend = await createAwsBackend(config, { executors: 'process', executor: { idleTimeoutMs: (seconds + 60) * 1000 } });
const launcher = backend.launcher as unknown as ProcessLauncher;
try {
  await launcher.launch(executors);
  await launcher.ready();
  // Counts arrive over IPC once a second: skip the start-up (queue URLs) and take the window.
  await new Promise((r) => setTimeout(r, 3000));
  const before = launcher.apiCalls().sqs;
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const after = launcher.apiCalls().sqs;
  const n = after - before;
  console.log(JSON.stringify({ executors, seconds, sqs_requests: n, sqs_requests_per_s_per_executor: Math.round((1000 * n) / seconds / executors) / 1000 }));
} finally {
  await backend.close();
  await destroyDataResources(backend.clients, config).catch(() => undefined);
  await emu.stop();
}
