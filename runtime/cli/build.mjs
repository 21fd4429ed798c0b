#!/usr/bin/env node
// Compiles lapwing ahead of time into dist/ (gitignored build output), so that neither the CLI,
// nor a kernel thread, nor an executor process compiles TypeScript when it starts.
//
//   dist/cli.mjs, index.mjs, lang.mjs, kernels.mjs   the CLI's main() and the package's exports
//   dist/kernel-thread-entry.mjs, executor-entry.mjs  worker-thread and child-process entries
//   dist/<name>-<hash>.mjs                             chunks shared by the entries (code splitting:
//                                                      the AWS SDK, koffi, the report, … load only
//                                                      when a command needs them)
//   dist/programs/*.lp, dist/*.wasm                    files the code reads next to its own module
//   dist/types/**.d.ts                                 declarations of the exports (--types: tsc)
//   dist/build.json                                    when the build started (runtime/cli/lapwing.mjs
//                                                      runs the sources instead when one is newer),
//                                                      and each file's static and dynamic imports
//
// One flat directory on purpose: code that finds a file or an entry relative to its own module
// (`new URL('./kernel-thread-entry.mjs', import.meta.url)`) finds it from whichever chunk it
// ends up in. In the source tree the same names are tsx bootstraps of the .ts entries.
//
// Usage: node runtime/cli/build.mjs [--types [--strict]] [--quiet]   (--strict: fail on type errors in the declarations)
//   run with --types by `npm install` ("prepare") and `npm pack`; without it by `npm test`
//   ("pretest", about a second: esbuild only).
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const dist = join(root, 'dist');
const quiet = process.argv.includes('--quiet');
const types = process.argv.includes('--types');
const strict = process.argv.includes('--strict');
const log = (s) => { if (!quiet) process.stderr.write(`${s}\n`); };

/** Entry name in dist/ → source. */
const ENTRIES = {
  cli: 'runtime/cli/main.ts',
  index: 'runtime/index.ts',
  lang: 'lang/index.ts',
  kernels: 'kernels/index.ts',
  'kernel-thread-entry': 'runtime/backends/local/kernel-thread.ts',
};

/**
 * The executor process, built on its own with its dependencies inside: Node loads the AWS
 * SDK's ~300 CommonJS files through its ESM loader at ~2 ms each (format detection, export
 * lexing), which alone was most of an executor's start-up; bundled, they are one file. koffi
 * stays outside (a native addon, loaded only when the openblas kernels are).
 */
const EXECUTOR = { 'executor-entry': 'runtime/backends/aws/executors/executor-main.ts' };

// The wasm kernels first: a checkout whose kernel sources changed since they were built would
// otherwise ship (and keep using) the old binaries.
const wasmDir = join(root, 'kernels/backends/wasm');
const WASM = ['lapwing.wasm', 'lapwing-relaxed.wasm'];
const wasmSources = [join(wasmDir, 'build.mjs'), ...readdirSync(join(wasmDir, 'assembly')).map((f) => join(wasmDir, 'assembly', f))];
const builtAt = (f) => (existsSync(f) ? statSync(f).mtimeMs : -Infinity);
if (WASM.some((w) => wasmSources.some((s) => statSync(s).mtimeMs > builtAt(join(wasmDir, w))))) {
  execFileSync(process.execPath, [join(wasmDir, 'build.mjs'), ...(quiet ? ['--quiet'] : [])], { stdio: 'inherit' });
}

// Sources changed after this instant are newer than the build (the wasm binaries just written are not).
const started = Date.now();

// Build next to dist/ and swap it in, so a CLI started during a build never sees half of one.
const tmp = join(root, `dist.${process.pid}.tmp`);
rmSync(tmp, { recursive: true, force: true });
const common = {
  absWorkingDir: root,
  outdir: tmp,
  outExtension: { '.js': '.mjs' },
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  legalComments: 'none',
  logLevel: 'warning',
};
const entries = (m) => Object.fromEntries(Object.entries(m).map(([k, v]) => [k, join(root, v)]));
const [main] = await Promise.all([
  build({
    ...common,
    entryPoints: entries(ENTRIES),
    chunkNames: '[name]-[hash]',
    // Dependencies stay in node_modules, as for any library (koffi is native; the SDK is large).
    packages: 'external',
    metafile: true,
  }),
  build({
    ...common,
    entryPoints: entries(EXECUTOR),
    chunkNames: 'executor-[name]-[hash]',
    // Less to parse at every start; names are kept for stack traces.
    minifyWhitespace: true,
    minifySyntax: true,
    external: ['koffi'],
    // The SDK's CommonJS calls require() for Node's built-ins.
    banner: { js: "import { createRequire as __lapwingCreateRequire } from 'node:module';\nconst require = __lapwingCreateRequire(import.meta.url);" },
  }),
]);
mkdirSync(join(tmp, 'programs'));
for (const f of readdirSync(join(root, 'lang/programs'))) copyFileSync(join(root, 'lang/programs', f), join(tmp, 'programs', f));
for (const w of WASM) if (existsSync(join(wasmDir, w))) copyFileSync(join(wasmDir, w), join(tmp, w));

if (types) {
  // Declarations only: the JavaScript is esbuild's. ~20 s, hence not part of `npm test`.
  const tsc = join(root, 'node_modules/typescript/bin/tsc');
  try {
    execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json'), '--outDir', join(tmp, 'types')], { stdio: 'inherit', cwd: root });
  } catch (e) {
    // tsc still wrote what it could. A type error must not make `npm install` fail: the
    // JavaScript is fine, `npm run typecheck` names the error, the package test (--strict) fails.
    if (strict) throw e;
    process.stderr.write('build.mjs: the declarations have type errors (above); the JavaScript is built\n');
  }
} else if (existsSync(join(dist, 'types'))) {
  renameSync(join(dist, 'types'), join(tmp, 'types')); // keep the last declarations
}
// What each file imports at load (static imports) and on demand (dynamic): what a start loads.
const imports = Object.fromEntries(Object.entries(main.metafile.outputs).filter(([f]) => f.endsWith('.mjs')).map(([f, o]) => [
  f.split('/').pop(),
  {
    static: o.imports.filter((i) => i.kind === 'import-statement').map((i) => (i.external ? i.path : i.path.split('/').pop())),
    dynamic: o.imports.filter((i) => i.kind === 'dynamic-import').map((i) => (i.external ? i.path : i.path.split('/').pop())),
  },
]));
writeFileSync(join(tmp, 'build.json'), `${JSON.stringify({ started, imports }, null, 1)}\n`);

const old = join(root, `dist.${process.pid}.old`);
if (existsSync(dist)) renameSync(dist, old);
renameSync(tmp, dist);
rmSync(old, { recursive: true, force: true });
log(`built ${dist} in ${((Date.now() - started) / 1000).toFixed(1)} s${types ? ' (with declarations)' : ''}`);
