#!/usr/bin/env node
// Builds the WebAssembly kernels from assembly/*.ts (AssemblyScript, from npm) into two
// binaries next to this file (both gitignored build output):
//   lapwing.wasm          simd128 only: runs on every engine with WebAssembly SIMD (Node ≥ 16.4)
//   lapwing-relaxed.wasm  + relaxed-simd: f64x2.relaxed_madd becomes a hardware FMA where the
//                         engine accepts it (Node 22+; Node 20 only with a V8 flag)
// The loader picks the second when WebAssembly.validate accepts it. Each file is written to a
// temporary name and renamed, so executors that build concurrently never read half a file.
//
// Usage: node kernels/backends/wasm/build.mjs [--quiet]     (run by `npm install` via "prepare")
import { renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import asc from 'assemblyscript/asc';

const here = dirname(fileURLToPath(import.meta.url));
const quiet = process.argv.includes('--quiet');

/** Output file → extra compiler flags. */
const variants = [
  ['lapwing.wasm', []],
  ['lapwing-relaxed.wasm', ['--enable', 'relaxed-simd']],
];

const common = [
  join(here, 'assembly', 'index.ts'),
  '-O3', '--noAssert',
  '--runtime', 'stub',
  '--enable', 'simd',
  // 4 GiB: the whole wasm32 address space; memory grows on demand from a few MiB.
  '--maximumMemory', '65536',
  '--noColors',
];

let failed = false;
for (const [file, flags] of variants) {
  const out = join(here, file);
  const tmp = out.replace(/\.wasm$/, `.${process.pid}.tmp.wasm`); // still matched by .gitignore's *.wasm
  const { error, stderr } = await asc.main([...common, ...flags, '-o', tmp], {});
  if (error) {
    rmSync(tmp, { force: true });
    process.stderr.write(`build.mjs: ${file}: ${error.message}\n${stderr.toString()}\n`);
    failed = true;
    continue;
  }
  renameSync(tmp, out);
  if (!quiet) process.stderr.write(`built ${out}\n`);
}
process.exit(failed ? 1 : 0);
