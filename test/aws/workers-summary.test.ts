/**
 * On the AWS backend (emulated, process executors) the summary counts the executors that ran:
 * two by default, as the progress line shows.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

test('cholesky --backend aws --emulate: the summary says 2 executors, as the progress does', () => {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AWS_') && !k.startsWith('LAPWING_AWS_')));
  const r = spawnSync(process.execPath, [join(root, 'runtime/cli/lapwing.mjs'), 'cholesky', '--backend', 'aws', '--emulate', '--executors', 'process',
    '--n', '256', '--block', '128', '--json'], { cwd: root, env, encoding: 'utf8', timeout: 180_000 });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { workers: number; ok: boolean };
  assert.equal(out.ok, true);
  assert.equal(out.workers, 2);
});
