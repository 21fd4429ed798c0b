/**
 * The Lambda bundle: it builds, loads without node_modules (as in Lambda), and its handler runs
 * a real job against the emulators — invoked the way Lambda invokes it, with a context whose
 * remaining time bounds the executor.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Emulators } from '../../runtime/backends/aws/dev/emulators.ts';
import type { ExecutorLauncher } from '../../runtime/core/interfaces.ts';
import { bundleHandler, type HandlerBundle } from '../../runtime/backends/aws/deploy/bundle.ts';
import { createAwsBackend } from '../../runtime/backends/aws/index.ts';
import { configToEnv, type AwsConfig } from '../../runtime/backends/aws/config.ts';
import { destroyDataResources } from '../../runtime/backends/aws/deploy/provision.ts';
import { lapwing } from '../../runtime/library/session.ts';
import { emulatorConfig, emulators, releaseEmulators } from './emulated.ts';

let emu: Emulators;
let dir: string;
let bundle: HandlerBundle;
before(async () => {
  emu = await emulators();
  dir = mkdtempSync(join(tmpdir(), 'lapwing-bundle-'));
  bundle = await bundleHandler(dir);
});
after(async () => {
  rmSync(dir, { recursive: true, force: true });
  await releaseEmulators();
});

/** Runs `code` (an ES module body) in a child whose cwd has no node_modules; resolves its stdout. */
let scripts = 0;

function runInLambdaLikeDir(code: string, env: Record<string, string>, onSpawn?: (c: ChildProcess) => void): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    // A script file rather than `-e`: the kernel threads inherit the command-line flags, and
    // `--input-type` is refused outside `-e`.
    const script = join(dir, `run-${++scripts}.mjs`);
    writeFileSync(script, code);
    const child = spawn(process.execPath, [script], { cwd: dir, env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    onSpawn?.(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('close', (c) => resolve({ code: c, stdout, stderr }));
  });
}

/** Invokes the bundled handler in child processes, as Lambda would (test launcher). */
class BundleLauncher implements ExecutorLauncher {
  readonly results: Promise<{ code: number | null; stdout: string; stderr: string }>[] = [];
  private live = 0;
  private readonly children: ChildProcess[] = [];
  constructor(private readonly config: AwsConfig) {}
  async launch(count: number): Promise<void> {
    for (let i = 0; i < count; i++) {
      const code = `const { handler } = await import(${JSON.stringify(pathToFileURL(bundle.file).href)});
        const r = await handler({ executorId: 'bundle-${i}' }, { getRemainingTimeInMillis: () => 180000, awsRequestId: 'req-${i}' });
        console.log(JSON.stringify(r)); process.exit(0);`;
      this.live++;
      const p = runInLambdaLikeDir(code, { ...configToEnv(this.config, true), LAPWING_IDLE_TIMEOUT_MS: '3000', LAPWING_POLL_MS: '500' }, (c) => this.children.push(c));
      void p.then(() => this.live--);
      this.results.push(p);
    }
  }
  running(): number {
    return this.live;
  }
  async close(): Promise<void> {
    for (const c of this.children) if (c.exitCode === null) c.kill('SIGKILL');
  }
}

describe('Lambda handler bundle', () => {
  it('builds the handler, its kernel thread and the wasm kernels', () => {
    assert.ok(bundle.file.endsWith('handler.mjs'));
    assert.ok(existsSync(join(dir, 'lapwing.wasm')), 'wasm kernels next to the bundle');
    assert.ok(existsSync(join(dir, 'kernel-thread-entry.mjs')), 'the kernel thread next to the bundle');
    assert.ok(statSync(bundle.file).size > 100_000);
    assert.equal(bundle.bytes, bundle.files.reduce((n, f) => n + statSync(f).size, 0));
  });

  it('imports without node_modules and exports handler()', async () => {
    const r = await runInLambdaLikeDir(`const m = await import(${JSON.stringify(pathToFileURL(bundle.file).href)}); console.log(typeof m.handler);`, {});
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'function');
  });

  it('runs a Cholesky job with the wasm kernels, as a Lambda invocation', async () => {
    const config = emulatorConfig(emu);
    const base = await createAwsBackend(config, { executors: 'process' });
    const launcher = new BundleLauncher(config);
    const backend = { ...base, launcher, close: async () => { await launcher.close(); await base.close(); } };
    try {
      const lw = await lapwing({ backend, workers: 1, kernels: 'auto', block: 32 });
      const a = await lw.randomSpd(96, { block: 32 });
      const l = await lw.cholesky(a);
      assert.equal(lw.last?.status, 'done');
      assert.ok((await lw.residual.cholesky(a, l)) < 1e-12);
      const [r] = await Promise.all(launcher.results);
      assert.equal(r?.code, 0, r?.stderr);
      const out = JSON.parse(r!.stdout.trim().split('\n').at(-1)!) as { executorId: string; tasks: number; apiCalls: Record<string, number> };
      assert.equal(out.executorId, 'bundle-0');
      assert.equal(out.tasks, 10, '3×3 blocks: 10 tasks');
      assert.ok(out.apiCalls.dynamodb! > 0 && out.apiCalls.sqs! > 0);
    } finally {
      await backend.close();
      await destroyDataResources(base.clients, config).catch(() => undefined);
    }
  });
});
