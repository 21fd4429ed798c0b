/**
 * The simulator: the real driver and executors in virtual time against the simulated services.
 * Deterministic for a seed; API calls equal what the DAG implies; limits really throttle (and
 * the real retry code rides them out); killed executors' tasks really run again.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bind, taskKey, type Task } from '../../lang/index.ts';
import { simJob } from '../../runtime/backends/sim/jobs.ts';
import { AWS_PROFILE, LOCAL_PROFILE, EMULATED_PROFILE, type SimProfile } from '../../runtime/backends/sim/profiles.ts';
import { simulate, type SimResult } from '../../runtime/backends/sim/simulate.ts';
import type { TaskAttemptTrace } from '../../runtime/core/interfaces.ts';

const small = simJob('cholesky', { n: 2048, block: 256 }); // 8×8 blocks, 120 tasks

function run(profile: SimProfile, extra: Partial<Parameters<typeof simulate>[0]> = {}): Promise<SimResult> {
  return simulate({ job: small.job, workers: 8, profile, seed: 7, ...extra });
}

test('a simulation is deterministic for its seed', async () => {
  const a = await run(AWS_PROFILE);
  const b = await run(AWS_PROFILE);
  assert.equal(a.status, 'done');
  assert.equal(a.tasks, 120);
  assert.equal(a.predictedWallS, b.predictedWallS);
  assert.deepEqual(a.apiCalls, b.apiCalls);
  assert.deepEqual(a.costUsd, b.costUsd);
  const c = await run(AWS_PROFILE, { seed: 8 });
  assert.notEqual(c.predictedWallS, a.predictedWallS, 'another seed samples other latencies');
});

test('S3 and DynamoDB requests equal what the DAG implies', async () => {
  const r = await run(AWS_PROFILE);
  assert.equal(r.status, 'done');
  assert.equal(r.attempts, r.tasks, 'no task ran twice');
  // Walk the whole DAG: reads, writes, child edges and temporary inputs of every task.
  const bound = bind(small.job.program, small.job.args);
  const seen = new Set<string>();
  let frontier: Task[] = [...bound.starters()];
  let reads = 0, distinctReads = 0, writes = 0, edges = 0, sharedTempReads = 0;
  while (frontier.length > 0) {
    const next: Task[] = [];
    for (const t of frontier) {
      const k = taskKey(t);
      if (seen.has(k)) continue;
      seen.add(k);
      const rs = bound.reads(t);
      reads += rs.length;
      distinctReads += new Set(rs.map((x) => `${x.matrix}/${x.idx.join('_')}`)).size;
      writes += bound.writes(t).length;
      sharedTempReads += new Set(rs.filter((x) => bound.role(x.matrix) === 'temp' && bound.readers(x).length > 1).map((x) => `${x.matrix}/${x.idx.join('_')}`)).size;
      const cs = bound.children(t);
      edges += cs.length;
      next.push(...cs);
    }
    frontier = next;
  }
  assert.equal(seen.size, 120);
  const ops = r.operations;
  // syrk(C, A, A) on the diagonal reads A twice: the executor fetches it once.
  assert.ok(distinctReads < reads);
  // A Lambda executor runs two tasks at once, and two tasks reading a block at once share its
  // GET (S3BlockStore): at most one per distinct block a task reads; exactly that with one task
  // at a time (a process executor).
  assert.ok(ops['s3:GetObject']! <= distinctReads && ops['s3:GetObject']! > 0.8 * distinctReads, `${ops['s3:GetObject']} GETs for ${distinctReads} distinct block reads`);
  const one = await run(EMULATED_PROFILE);
  assert.equal(one.operations['s3:GetObject'], distinctReads, 'one GetObject per distinct input block of a task');
  assert.equal(ops['s3:PutObject'], writes, 'one PutObject per output block');
  // One markEdge per child edge and per temporary input that other tasks read too (a block with
  // one reader needs no reader set), plus the job's end (finishJob); completeTask and putJob are
  // one transaction each.
  assert.equal(ops['dynamodb:UpdateItem'], edges + sharedTempReads + 1);
  assert.equal(ops['dynamodb:TransactWriteItems'], seen.size + 1);
  assert.equal(ops['sqs:DeleteMessageBatch'], seen.size, 'one ack per task');
  assert.equal(ops['lambda:Invoke'], 8, 'one invocation per executor');
});

test('limits throttle with the errors AWS returns, and the retry code rides them out', async () => {
  const free = await run(AWS_PROFILE);
  const tight: SimProfile = {
    ...AWS_PROFILE,
    // The state store spreads its writes over one partition key per task and edge set; its
    // busiest key is the job's status item, which every executor reads.
    dynamodb: { ...AWS_PROFILE.dynamodb, partitionRcu: 10 },
    s3: { ...AWS_PROFILE.s3, putPerPrefix: 4 },
  };
  const r = await run(tight);
  assert.equal(r.status, 'done');
  assert.equal(r.tasks, 120);
  const dynamo = r.throttles.find((t) => t.resource.startsWith('dynamodb partition'));
  const s3 = r.throttles.find((t) => t.resource.startsWith('s3 prefix'));
  assert.ok(dynamo && dynamo.count > 0, 'DynamoDB refused requests beyond the partition capacity');
  assert.ok(s3 && s3.count > 0, 'S3 answered SlowDown beyond the prefix rate');
  assert.equal(free.throttles.length, 0);
  // Refused requests were sent again: more calls than the fault-free run.
  assert.ok(r.apiCalls.dynamodb > free.apiCalls.dynamodb);
  assert.ok(r.predictedWallS > free.predictedWallS);
  assert.match(r.bottleneck.resource, /dynamodb|s3/);
});

test('killed executors stop mid-task and their tasks run again after the lease expires', async () => {
  const attempts: TaskAttemptTrace[] = [];
  const r = await simulate({
    job: simJob('cholesky', { n: 4096, block: 512 }).job,
    workers: 8,
    profile: AWS_PROFILE,
    seed: 3,
    kill: { fraction: 0.5, afterMs: 3000 },
    onTrace: (t) => {
      if (t.type === 'attempt') attempts.push(t);
    },
  });
  assert.equal(r.status, 'done');
  assert.equal(r.tasks, 120);
  assert.ok(attempts.some((a) => a.attempt > 1), 'some task was delivered again');
  assert.ok(r.predictedWallS > 60, 'the lost leases held their tasks for the 60 s visibility timeout');
});

test('the local and emulated profiles run the same job', async () => {
  const local = await run(LOCAL_PROFILE, { workers: 2 });
  assert.equal(local.status, 'done');
  assert.equal(local.tasks, 120);
  assert.equal(local.apiCalls.s3, 0, 'the local backend makes no service calls');
  const emu = await run(EMULATED_PROFILE, { workers: 2 });
  assert.equal(emu.status, 'done');
  assert.equal(emu.apiCalls.lambda, 0, 'emulated executors are processes');
  assert.ok(emu.apiCalls.s3 > 0);
});

test('kernel times: a syrk of two different blocks is timed as the gemm it is, of one block as the symmetric syrk', async () => {
  const { KernelRates } = await import('../../runtime/backends/sim/kernel-rates.ts');
  const rates = new KernelRates({ measured: 'test', command: 'test', machine: 'test', rows: [
    { kernel: 'gemm', backend: 'openblas', n: 512, gflops: 10 },
    { kernel: 'syrk', backend: 'openblas', n: 512, gflops: 20 },
  ] }, 1, 1);
  const block = (): { rows: number; cols: number; data: Float64Array } => ({ rows: 512, cols: 512, data: new Float64Array(512 * 512) });
  const c = block(), a = block(), b = block();
  const flops = 2 * 512 ** 3;
  assert.ok(Math.abs(rates.seconds('syrk', [c, a, b], {}) - flops / 10e9) < 1e-9);
  assert.ok(Math.abs(rates.seconds('syrk', [c, a, a], {}) - flops / 20e9) < 1e-9);
  assert.ok(Math.abs(rates.seconds('syrk', [c, a], {}) - flops / 20e9) < 1e-9);
});
