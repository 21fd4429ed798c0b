#!/usr/bin/env node
// The `lapwing` command: runs the compiled CLI (dist/cli.mjs, built by runtime/cli/build.mjs at
// install). In a checkout whose sources changed since that build (or that was never built) it
// runs the sources through tsx instead, so that what runs is always what is in the tree;
// `npm run build` makes it fast again. Published packages carry one mtime for every file, so
// the comparison never picks the sources there.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** Whether a source file is newer than the start of the last build (no build: true). */
function sourcesChanged() {
  let started;
  try {
    started = JSON.parse(readFileSync(join(root, 'dist/build.json'), 'utf8')).started;
  } catch {
    return true;
  }
  const newer = (dir) => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return false;
    }
    return entries.some((e) => {
      const p = join(dir, e.name);
      if (e.isDirectory()) return e.name !== 'node_modules' && newer(p);
      return /\.(ts|mts|mjs|lp|wasm)$/.test(e.name) && statSync(p).mtimeMs > started;
    });
  };
  return ['lang', 'kernels', 'runtime', 'bench'].some((d) => newer(join(root, d)));
}

let main;
if (sourcesChanged()) {
  if (process.stderr.isTTY) process.stderr.write('lapwing: sources changed since the last build, running them through tsx (npm run build to rebuild)\n');
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('./main.ts'));
} else {
  ({ main } = await import('../../dist/cli.mjs'));
}
process.exitCode = await main(process.argv.slice(2));
