/**
 * The deployment-package writer, checked with the system's unzip.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createZip } from '../../runtime/backends/aws/deploy/zip.ts';

describe('createZip', () => {
  it('writes archives unzip accepts, byte for byte, deterministically', (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'lapwing-zip-'));
    try {
      const text = new TextEncoder().encode('export const handler = async () => 42;\n'.repeat(50));
      const random = Uint8Array.from({ length: 4096 }, (_, i) => (i * 2654435761) >>> 24);
      const zip = createZip([{ name: 'handler.mjs', data: text }, { name: 'lib/lapwing.wasm', data: random }, { name: 'empty', data: new Uint8Array(0) }]);
      assert.deepEqual(zip, createZip([{ name: 'handler.mjs', data: text }, { name: 'lib/lapwing.wasm', data: random }, { name: 'empty', data: new Uint8Array(0) }]));
      const file = join(dir, 'p.zip');
      writeFileSync(file, zip);
      let unzipAvailable = true;
      try {
        execFileSync('unzip', ['-v'], { stdio: 'ignore' });
      } catch {
        unzipAvailable = false;
      }
      if (!unzipAvailable) return t.skip('unzip not installed');
      execFileSync('unzip', ['-tq', file]);
      assert.equal(execFileSync('unzip', ['-p', file, 'handler.mjs']).toString(), new TextDecoder().decode(text));
      assert.deepEqual(new Uint8Array(execFileSync('unzip', ['-p', file, 'lib/lapwing.wasm'])), random);
      assert.match(execFileSync('unzip', ['-Z1', file]).toString(), /^handler\.mjs\nlib\/lapwing\.wasm\nempty\n$/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
