/**
 * Measured service latencies (`lapwing bench services --json`, its `profile`) as the simulator
 * takes them: checked field by field, merged over a profile, and used — slower services and a
 * slower executor start make a slower prediction; `simulate --service-profile` reads the file
 * and says in one line what is wrong with a bad one.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { simJob } from '../../runtime/backends/sim/jobs.ts';
import { EMULATED_PROFILE, parseServiceProfile, withServiceProfile, type ServiceProfile } from '../../runtime/backends/sim/profiles.ts';
import { simulate } from '../../runtime/backends/sim/simulate.ts';

const cli = fileURLToPath(new URL('../../runtime/cli/lapwing.mjs', import.meta.url));
const lapwing = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 120_000 });

const slow: ServiceProfile = {
  s3: { getFirstByte: { medianMs: 40, p90Ms: 60 }, downloadMBps: 20 },
  sqs: { send: { medianMs: 30, p90Ms: 40 } },
  dynamodb: { ops: { TransactWriteItems: { medianMs: 200, p90Ms: 300 } } },
  processStart: { medianMs: 6000, p90Ms: 6000 },
};

test('a service profile is checked field by field', () => {
  assert.deepEqual(parseServiceProfile(slow), slow);
  assert.throws(() => parseServiceProfile({ s3: { getFirstByte: { medianMs: 5 } } }), /s3\.getFirstByte: expected/);
  assert.throws(() => parseServiceProfile({ sqs: { sned: { medianMs: 1, p90Ms: 2 } } }), /sqs\.sned: unknown field/);
  assert.throws(() => parseServiceProfile({ dynamodb: { ops: { Query: { medianMs: 9, p90Ms: 3 } } } }), /dynamodb\.ops\.Query/);
  assert.throws(() => parseServiceProfile({ lambda: {} }), /unknown section 'lambda'/);
  assert.throws(() => parseServiceProfile({ s3: { downloadMBps: -1 } }), /s3\.downloadMBps/);
});

test('measured figures replace the profile\'s own; DynamoDB operations merge', () => {
  const p = withServiceProfile(EMULATED_PROFILE, slow);
  assert.deepEqual(p.s3.getFirstByte, { medianMs: 40, p90Ms: 60 });
  assert.equal(p.s3.downloadMBps, 20);
  assert.deepEqual(p.s3.put, EMULATED_PROFILE.s3.put, 'what was not measured stays');
  assert.deepEqual(p.sqs.send, { medianMs: 30, p90Ms: 40 });
  assert.deepEqual(p.dynamodb.ops?.TransactWriteItems, { medianMs: 200, p90Ms: 300 });
  for (const [op, l] of Object.entries(EMULATED_PROFILE.dynamodb.ops ?? {})) if (op !== 'TransactWriteItems') assert.deepEqual(p.dynamodb.ops?.[op], l);
  assert.deepEqual(p.processStart, { medianMs: 6000, p90Ms: 6000 });
});

test('the simulation uses them: slower services and start, a slower prediction with the same calls', async () => {
  const { job } = simJob('cholesky', { n: 1024, block: 256 });
  const base = await simulate({ job, workers: 2, profile: EMULATED_PROFILE, seed: 3 });
  const slower = await simulate({ job, workers: 2, profile: withServiceProfile(EMULATED_PROFILE, slow), seed: 3 });
  assert.equal(base.status, 'done');
  assert.equal(slower.status, 'done');
  // 20 tasks: one completion each (TransactWriteItems) at +200 ms; the start 6 s instead of ≈ 2.
  assert.ok(slower.predictedWallS > base.predictedWallS + 3 + 20 * 0.1, `${slower.predictedWallS} s vs ${base.predictedWallS} s`);
  assert.equal(slower.operations['dynamodb:TransactWriteItems'], base.operations['dynamodb:TransactWriteItems']);
  assert.equal(slower.apiCalls.s3, base.apiCalls.s3);
});

test('simulate --service-profile reads `bench services --json` output; a bad file is one line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lapwing-svc-'));
  const good = join(dir, 'services.json');
  writeFileSync(good, `some progress line\n${JSON.stringify({ bench: 'services', profile: slow })}\n`);
  const args = ['simulate', 'cholesky', '--n', '1024', '--block', '256', '--workers', '2', '--profile', 'emulated', '--json'];
  const plain = lapwing(...args);
  const measured = lapwing(...args, '--service-profile', good);
  assert.equal(plain.status, 0, plain.stderr);
  assert.equal(measured.status, 0, measured.stderr);
  const wall = (r: { stdout: string }): number => (JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { predicted_wall_s: number }).predicted_wall_s;
  assert.ok(wall(measured) > wall(plain) + 3, `${wall(measured)} vs ${wall(plain)}`);
  const badFile = join(dir, 'bad.json');
  writeFileSync(badFile, JSON.stringify({ profile: { sqs: { send: 5 } } }));
  const bad = lapwing(...args, '--service-profile', badFile);
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /--service-profile .*bad\.json: .*sqs\.send: expected/);
  assert.equal(bad.stderr.trim().split('\n').length, 1);
});

test('emulators on the host queue their requests on its cores: slower than the same latencies served apart', async () => {
  const { job } = simJob('cholesky', { n: 1024, block: 256 });
  assert.deepEqual(parseServiceProfile({ services: 'remote' }), { services: 'remote' });
  assert.throws(() => parseServiceProfile({ services: 'cloud' }), /services: expected 'host' or 'remote'/);
  const host = await simulate({ job, workers: 2, profile: EMULATED_PROFILE, seed: 5 });
  const apart = await simulate({ job, workers: 2, profile: withServiceProfile(EMULATED_PROFILE, { services: 'remote' }), seed: 5 });
  assert.equal(EMULATED_PROFILE.services, 'host');
  assert.ok(host.predictedWallS > apart.predictedWallS, `${host.predictedWallS} s on the host, ${apart.predictedWallS} s apart`);
  assert.deepEqual(host.apiCalls.s3, apart.apiCalls.s3);
});
