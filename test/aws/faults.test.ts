/**
 * Fault tolerance on the emulated AWS backend: an executor PROCESS killed with SIGKILL at every
 * step of the task protocol (no ack, no cleanup, its lease simply expires) leaves a Cholesky and
 * a TSQR bit-identical to a fault-free run on the same backend, loses no task, and leaves nothing
 * behind: no temporary block (S3 or inline), no state item, no queue message, no dead letter.
 *
 * One emulator set, one stack and two long-lived executor processes serve the whole file. Before
 * each job every live executor is armed over IPC (`crashOne`), so the first one to reach the
 * point is sure to die there — with only healthy executors alive until that first crash, the job
 * cannot finish without hitting it; the launcher then disarms the survivor, which carries on
 * while the driver's autoscaling loop starts a replacement. The hit is asserted from the exit
 * records (armed, SIGKILL, not killed from outside). A last test covers the LAPWING_CRASH_AT
 * environment path: one executor launched armed, its replacement finishing the job.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { QueryCommand } from '@aws-sdk/client-dynamodb';
import type { Emulators } from '../../runtime/backends/aws/dev/emulators.ts';
import { createAwsBackend, type AwsBackend } from '../../runtime/backends/aws/index.ts';
import type { ProcessLauncher } from '../../runtime/backends/aws/executors/process-launcher.ts';
import { destroyDataResources } from '../../runtime/backends/aws/deploy/provision.ts';
import type { AwsConfig } from '../../runtime/backends/aws/config.ts';
import { jobPk } from '../../runtime/backends/aws/stores/dynamo-state-store.ts';
import { CRASH_POINTS, type CrashPoint } from '../../runtime/executor/executor.ts';
import { CrashTrigger, formatCrashSpec, parseCrashSpec } from '../../runtime/backends/aws/executors/executor-env.ts';
import { lapwing, type Lapwing } from '../../runtime/library/session.ts';
import type { BlockMatrix } from '../../runtime/library/matrix.ts';
import { emulatorConfig, emulators, releaseEmulators } from './emulated.ts';

const KERNELS = process.env.LAPWING_KERNELS ?? 'js';
/** SQS's smallest visibility timeout: a killed executor's task is back after a second. */
const VISIBILITY_MS = 1000;

let emu: Emulators;
let config: AwsConfig;
let backend: AwsBackend;
let launcher: ProcessLauncher;
let lw: Lapwing;
let A: BlockMatrix;
let T: BlockMatrix;
const clean: { cholesky?: Float64Array; tsqr?: Float64Array } = {};

type Algorithm = 'cholesky' | 'tsqr';

before(async () => {
  emu = await emulators();
  // Full 16×16 blocks (2 KB) go to S3, the ragged edge blocks inline: both stores take part.
  config = emulatorConfig(emu, { inlineThresholdBytes: 2000 });
  backend = await createAwsBackend(config, {
    executors: 'process',
    executor: { idleTimeoutMs: 300_000, kernels: KERNELS, visibilityMs: VISIBILITY_MS, pollMs: 200 },
  });
  launcher = backend.launcher as unknown as ProcessLauncher;
  lw = await lapwing({ backend, workers: 2, kernels: KERNELS, block: 16 });
  A = await lw.randomSpd(3 * 16 + 5, { block: 16, seed: 7 }); // 4×4 blocks: 20 tasks
  T = await lw.random(5 * 16 + 5, 12, { block: 16, blockCols: 12, seed: 9 }); // 6 leaves: 12 tasks
  await ensureExecutors();
  clean.cholesky = await run('cholesky');
  clean.tsqr = await run('tsqr');
});

after(async () => {
  try {
    await lw?.close();
  } finally {
    if (backend) await destroyDataResources(backend.clients, config).catch(() => undefined);
    await releaseEmulators();
  }
});

/** Two executors running and able to lease (replacing those that died). */
async function ensureExecutors(): Promise<void> {
  await lw.start();
  await launcher.ready();
}

/** Runs the job, checks that nothing of it is left, returns its result. */
async function run(alg: Algorithm): Promise<Float64Array> {
  const out = alg === 'cholesky' ? await lw.cholesky(A) : await lw.tsqr(T);
  const result = await out.toArray();
  const jobId = lw.last!.jobId;
  await assertNothingLeft(jobId);
  // The output is the caller's; delete it so that the bucket stays small.
  await backend.blocks.delete(await backend.blocks.list(`${out.prefix}/`));
  return result;
}

async function assertNothingLeft(jobId: string): Promise<void> {
  assert.deepEqual(await backend.blocks.list(`jobs/${jobId}/tmp/`), [], 'temporary blocks left');
  const items = await backend.clients.dynamodb.send(
    new QueryCommand({ TableName: config.names.table, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': { S: jobPk(jobId) } }, ConsistentRead: true }),
  );
  assert.deepEqual(items.Items?.map((i) => i.sk?.S) ?? [], [], 'state items left');
  // Duplicates a re-run enqueued may outlive the job by a moment: executors drop them (the job
  // is gone). Wait for that, bounded; what must not happen is a message that stays.
  const until = Date.now() + 20_000;
  let depth = await backend.queue.depth();
  while (depth.visible + depth.inFlight > 0 && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 200));
    depth = await backend.queue.depth();
  }
  assert.deepEqual(depth, { visible: 0, inFlight: 0 }, 'queue messages left');
  assert.deepEqual(await backend.queue.peekDeadLetters(), [], 'dead letters');
}

/** Runs `alg` with every live executor armed at `point`: one dies there, the result is unchanged. */
async function runWithCrash(alg: Algorithm, point: CrashPoint): Promise<void> {
  await ensureExecutors();
  const seen = launcher.exits.length;
  await launcher.crashOne({ point, nth: 1 });
  const got = await run(alg);
  const crashes = launcher.exits.slice(seen).filter((e) => e.crash !== undefined);
  assert.ok(crashes.length >= 1, `an executor died at '${point}' (exits: ${JSON.stringify(launcher.exits.slice(seen))})`);
  for (const c of crashes) {
    assert.equal(c.crash?.point, point);
    assert.equal(c.signal, 'SIGKILL');
  }
  assert.deepEqual(got, clean[alg], `${alg}: bit-identical to the fault-free run`);
  // Disarm whoever survived armed (a job can end before its second executor got a task).
  await launcher.disarm();
}

test('LAPWING_CRASH_AT syntax: point[:nth][~stallMs][@task], and the trigger fires on the nth hit only', () => {
  assert.deepEqual(parseCrashSpec('acked'), { point: 'acked', nth: 1 });
  assert.deepEqual(parseCrashSpec('edge-marked:3@1:0,2'), { point: 'edge-marked', nth: 3, task: '1:0,2' });
  for (const p of CRASH_POINTS) assert.deepEqual(parseCrashSpec(formatCrashSpec({ point: p, nth: 2, task: '0:' })), { point: p, nth: 2, task: '0:' });
  assert.throws(() => parseCrashSpec('nowhere'), /point one of leased, inputs-read/);
  assert.throws(() => parseCrashSpec('acked:0'), /nth/);
  assert.throws(() => parseCrashSpec('acked:x'), /nth/);
  assert.throws(() => parseCrashSpec('acked@'), /empty task/);
  assert.deepEqual(parseCrashSpec('kernel-done:5~20000@2:1,1'), { point: 'kernel-done', nth: 5, task: '2:1,1', stallMs: 20000 });
  assert.equal(formatCrashSpec({ point: 'acked', nth: 1, stallMs: 5 }), 'acked:1~5');
  assert.throws(() => parseCrashSpec('acked~x'), /stall/);
  const died: string[] = [];
  const t = new CrashTrigger({ point: 'kernel-done', nth: 2, task: '1:1' }, (p, task) => died.push(`${p} ${task}`));
  for (const [p, task] of [['kernel-done', '1:2'], ['kernel-done', '1:1'], ['acked', '1:1'], ['kernel-done', '1:1'], ['kernel-done', '1:1']] as const) t.hook(p, task);
  assert.deepEqual(died, ['kernel-done 1:1'], 'once, at the second hit of that task');
  assert.equal(t.armed, null);
});

for (const point of CRASH_POINTS) {
  test(`executor process SIGKILLed at '${point}': cholesky and tsqr bit-identical, nothing lost or left`, async () => {
    await runWithCrash('cholesky', point);
    await runWithCrash('tsqr', point);
  });
}

test('LAPWING_CRASH_AT goes to one executor only: it dies there and its replacement finishes', async () => {
  await launcher.close(); // start from no executor at all
  const seen = launcher.exits.length;
  await launcher.launch(1, { crashAt: { point: 'outputs-written', nth: 2 } });
  await launcher.ready();
  // One executor wanted: the armed one works alone until it dies; the driver replaces it.
  const solo = await lapwing({ backend, workers: 1, kernels: KERNELS, block: 16 });
  const l = await (await solo.cholesky(A)).toArray();
  assert.deepEqual(l, clean.cholesky);
  await assertNothingLeft(solo.last!.jobId);
  const exits = launcher.exits.slice(seen);
  assert.deepEqual(exits.map((e) => [e.crash?.point, e.crash?.nth, e.signal]), [['outputs-written', 2, 'SIGKILL']]);
  assert.equal(launcher.running(), 1, 'the replacement, unarmed, is still serving');
});
