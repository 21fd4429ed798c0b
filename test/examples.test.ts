/** Every example runs as a user would run it: `lapwing run examples/X.ts`. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const root = fileURLToPath(new URL('..', import.meta.url));

for (const f of readdirSync(join(root, 'examples')).filter((x) => x.endsWith('.ts'))) {
  test(`example ${f}`, () => {
    const r = spawnSync(process.execPath, [join(root, 'runtime/cli/lapwing.mjs'), 'run', join(root, 'examples', f)], { encoding: 'utf8', timeout: 120_000 });
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
    assert.ok(r.stdout.trim().length > 0);
  });
}
