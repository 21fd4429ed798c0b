import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { formatNpy, parseNpy, readNpy, writeNpy, NpyError } from '../../runtime/library/npy.ts';

test('npy round trip keeps shape and values', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'lw-npy-'));
  const data = Float64Array.from({ length: 12 }, (_, i) => i * 1.5 - 3);
  await writeNpy(join(dir, 'a.npy'), { rows: 3, cols: 4, data });
  const m = await readNpy(join(dir, 'a.npy'));
  assert.equal(m.rows, 3);
  assert.equal(m.cols, 4);
  assert.deepEqual([...m.data], [...data]);
});

test('header is 64-byte aligned as NumPy writes it', () => {
  const buf = formatNpy({ rows: 2, cols: 2, data: new Float64Array(4) });
  assert.equal((buf.length - 32) % 64, 0);
});

test('Fortran-order files are read as row-major', () => {
  // 2x3 matrix [[1,2,3],[4,5,6]] stored column-major.
  const header = "{'descr': '<f8', 'fortran_order': True, 'shape': (2, 3), }";
  const pad = 64 - ((10 + header.length + 1) % 64);
  const h = header + ' '.repeat(pad) + '\n';
  const buf = new Uint8Array(10 + h.length + 48);
  buf.set([0x93, ...Buffer.from('NUMPY'), 1, 0]);
  new DataView(buf.buffer).setUint16(8, h.length, true);
  buf.set(Buffer.from(h, 'latin1'), 10);
  new Float64Array(buf.buffer, 10 + h.length, 6).set([1, 4, 2, 5, 3, 6]);
  const m = parseNpy(buf);
  assert.deepEqual([...m.data], [1, 2, 3, 4, 5, 6]);
});

test('wrong dtype, wrong rank, truncation and bad magic are clear errors', async () => {
  const mk = (descr: string, shape: string, extra = 0): Uint8Array => {
    const h = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }\n`;
    const buf = new Uint8Array(10 + h.length + extra);
    buf.set([0x93, ...Buffer.from('NUMPY'), 1, 0]);
    new DataView(buf.buffer).setUint16(8, h.length, true);
    buf.set(Buffer.from(h, 'latin1'), 10);
    return buf;
  };
  assert.throws(() => parseNpy(mk('<f4', '(2, 2)', 16), 'x.npy'), (e: unknown) => e instanceof NpyError && /float64/.test(e.message));
  assert.throws(() => parseNpy(mk('<f8', '(4,)', 32), 'x.npy'), /2-D/);
  assert.throws(() => parseNpy(mk('<f8', '(2, 2)', 8), 'x.npy'), /truncated/);
  assert.throws(() => parseNpy(new Uint8Array(20), 'x.npy'), /not a \.npy/);
  const dir = await mkdtemp(join(tmpdir(), 'lw-npy-'));
  await assert.rejects(readNpy(join(dir, 'missing.npy')), /no such file/);
  await writeFile(join(dir, 'junk.npy'), 'hello');
  await assert.rejects(readNpy(join(dir, 'junk.npy')), /not a \.npy/);
});

test('files written by NumPy read back (when python3 has numpy)', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'lw-npy-'));
  const p = join(dir, 'np.npy');
  try {
    execFileSync('python3', ['-c', `import numpy as np; np.save('${p}', np.arange(6, dtype=np.float64).reshape(2, 3))`], { stdio: 'ignore' });
  } catch {
    t.skip('numpy not available');
    return;
  }
  const m = await readNpy(p);
  assert.deepEqual([m.rows, m.cols, [...m.data]], [2, 3, [0, 1, 2, 3, 4, 5]]);
});
