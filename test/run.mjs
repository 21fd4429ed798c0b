#!/usr/bin/env node
// Runs every test/**/*.test.ts with Node's test runner (TypeScript through tsx).
// Node 20's --test has no globs, so the files are listed here. Output ends with the runner's
// "# pass N / # fail N" summary.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const only = process.argv.slice(2);
function walk(dir) {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith('.test.ts') ? [p] : [];
  });
}
const files = walk(join(root, 'test')).sort().filter((f) => only.length === 0 || only.some((o) => f.includes(o)));
// Files that start the AWS emulators share one DynamoDB Local (a JVM, slow to start) for the run.
let dynamo;
const env = { ...process.env };
if (!env.LAPWING_EMULATOR_DYNAMODB && files.some((f) => /emulat/i.test(readFileSync(f, 'utf8')))) {
  const { register } = await import('tsx/esm/api');
  register();
  const { startDynamoDbLocal } = await import('../runtime/backends/aws/dev/dynamodb-local.ts');
  try {
    dynamo = await startDynamoDbLocal();
    env.LAPWING_EMULATOR_DYNAMODB = `http://127.0.0.1:${dynamo.port}`;
  } catch (e) {
    process.stderr.write(`test/run.mjs: ${e.message}\n`);
  }
}
const res = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=tap', ...files], {
  cwd: root,
  stdio: 'inherit',
  env,
});
await dynamo?.stop();
process.exit(res.status ?? 1);
