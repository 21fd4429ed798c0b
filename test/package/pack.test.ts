/**
 * The published package: built from the current sources (with declarations), packed with
 * `npm pack`, unpacked into a new project, and used from plain `node` — no tsx, no TypeScript
 * sources on the import path: `import { lapwing } from 'lapwing'` runs a small Cholesky on
 * kernel threads, the `lapwing` bin prints its help, and a TypeScript consumer typechecks
 * against the shipped .d.ts files.
 *
 * Offline by construction: the tarball is unpacked as npm would install it, and each of its
 * `dependencies` is linked from this checkout's node_modules — only those, so a module the
 * build needs but package.json does not declare fails here. tsx (a dependency, used only by
 * `lapwing run script.ts`) is left out on purpose: nothing else may need it.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  exports: Record<string, string | { types: string; default: string }>;
  bin: Record<string, string>;
};
let dir: string;
let pkg: string;

/** Links node_modules/<name> of the temporary project to this checkout's copy. */
function link(name: string): void {
  const to = join(dir, 'node_modules', name);
  mkdirSync(dirname(to), { recursive: true });
  symlinkSync(join(root, 'node_modules', name), to, 'dir');
}

function node(args: string[], env: Record<string, string> = {}): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, args, { cwd: dir, encoding: 'utf8', timeout: 300_000, env: { ...process.env, ...env } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'lapwing-pack-'));
  execFileSync(process.execPath, [join(root, 'runtime/cli/build.mjs'), '--types', '--strict', '--quiet'], { cwd: root, stdio: 'inherit' });
  // The build just ran; the scripts (prepare) would only run it again.
  const out = execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], { cwd: root, encoding: 'utf8' });
  const tarball = join(dir, (JSON.parse(out) as { filename: string }[])[0]!.filename);
  pkg = join(dir, 'node_modules', 'lapwing');
  mkdirSync(pkg, { recursive: true });
  execFileSync('tar', ['xzf', tarball, '-C', pkg, '--strip-components=1']);
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module', dependencies: { lapwing: `file:${tarball}` } }));
  for (const dep of Object.keys(manifest.dependencies)) if (dep !== 'tsx') link(dep);
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('npm pack → install → plain node', () => {
  it('ships every export target and the bin, and no tests', () => {
    for (const [key, target] of Object.entries(manifest.exports)) {
      const files = typeof target === 'string' ? [target] : [target.default, target.types];
      for (const f of files) assert.ok(existsSync(join(pkg, f)), `exports['${key}'] → ${f} is not in the tarball`);
    }
    for (const f of Object.values(manifest.bin)) assert.ok(existsSync(join(pkg, f)), `bin ${f} is not in the tarball`);
    assert.ok(existsSync(join(pkg, 'dist/lapwing.wasm')), 'the wasm kernels are not in the tarball');
    assert.equal(existsSync(join(pkg, 'test')), false);
  });

  it("import { lapwing } from 'lapwing' runs a Cholesky on kernel threads", () => {
    const script = `
      import { lapwing } from 'lapwing';
      import { compile, programSource } from 'lapwing/lang';
      import { loadKernels } from 'lapwing/kernels';
      const lw = await lapwing({ workers: 2, kernels: 'wasm' });
      try {
        const A = await lw.randomSpd(256, { block: 64 });
        const L = await lw.cholesky(A);
        const residual = await lw.residual.cholesky(A, L);
        const program = compile(programSource('cholesky')).name;
        const backend = (await loadKernels('js')).backend.name;
        console.log(JSON.stringify({ residual, tasks: lw.last.tasks, program, backend }));
      } finally {
        await lw.close();
      }`;
    writeFileSync(join(dir, 'use.mjs'), script);
    const r = node(['use.mjs']);
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as { residual: number; tasks: number; program: string; backend: string };
    assert.ok(out.residual < 1e-10, `residual ${out.residual}`);
    assert.equal(out.tasks, 20); // N = 4 blocks: 4 chol + 6 trsm + 10 syrk
    assert.equal(out.program, 'cholesky');
    assert.equal(out.backend, 'js');
  });

  it('the lapwing bin runs the compiled CLI', () => {
    const r = node([join(pkg, manifest.bin.lapwing!), '--help']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /Usage: lapwing/);
    assert.match(r.stdout, /cholesky/);
  });

  it('a TypeScript consumer typechecks against the shipped declarations', () => {
    link('@types/node');
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
      compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', strict: true, noEmit: true, skipLibCheck: false, types: ['node'] },
      files: ['consumer.ts'],
    }));
    writeFileSync(join(dir, 'consumer.ts'), `
      import { lapwing, type BlockMatrix } from 'lapwing';
      import { compile } from 'lapwing/lang';
      export async function factor(n: number): Promise<number> {
        const lw = await lapwing({ workers: 1 });
        const A: BlockMatrix = await lw.randomSpd(n, { block: 64 });
        const L = await lw.cholesky(A);
        const r: number = await lw.residual.cholesky(A, L);
        await lw.close();
        return r + compile('def f(in A: matrix, out B: matrix) { B[0, 0] = copy(A[0, 0]) }').statements.length;
      }
      // @ts-expect-error: the declarations are precise enough to reject this
      export const wrong: string = lapwing;
    `);
    const r = node([join(root, 'node_modules/typescript/bin/tsc'), '-p', dir]);
    assert.equal(r.status, 0, r.stdout + r.stderr);
  });
});
