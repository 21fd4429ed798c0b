/**
 * `lapwing chaos cholesky --backend aws --emulate` as a user runs it (a child process of the real
 * CLI, with its own emulators): executor processes SIGKILLed at random times, replacements
 * launched by the driver's autoscaling loop, a correct result, exit code 0.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { runCli, type CliResult } from '../cli.ts';

/** Runs the CLI without any AWS variable of the test runner's environment. */
function lapwing(args: string[]): Promise<CliResult> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AWS_') && !k.startsWith('LAPWING_AWS_')));
  return runCli(args, { env, timeoutMs: 120_000 });
}

describe('lapwing chaos --backend aws', () => {
  it('survives a SIGKILLed executor process and exits 0 with ok: true', async () => {
    const r = await lapwing([
      'chaos', 'cholesky', '--backend', 'aws', '--emulate',
      '--n', '512', '--block', '128', '--workers', '3', '--kill-fraction', '0.34',
      '--after', '200ms', '--lease', '1s', '--json',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
    assert.equal(out.ok, true);
    assert.equal(out.backend, 'aws');
    assert.equal(out.killed, 1, 'one of three executors killed (round(0.34 × 3))');
    for (const k of ['reexecuted', 'recovery_s', 'wasted_core_s', 'wall_s', 'residual']) assert.equal(typeof out[k], 'number', k);
    assert.ok((out.residual as number) < 1e-10);
  });

  it('--emulate without --backend aws is a one-line usage error', async () => {
    const r = await lapwing(['chaos', 'cholesky', '--emulate']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^lapwing: --emulate goes with --backend aws\n$/);
  });
});
