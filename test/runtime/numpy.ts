/**
 * NumPy as an oracle: runs a short Python snippet with /usr/bin/python3 on .npy inputs and
 * reads its .npy outputs back. NumPy is a test-time reference only, never a dependency:
 * {@link numpyAvailable} lets a test skip visibly where it is not installed.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readNpy, writeNpy, type NpyMatrix } from '../../runtime/library/npy.ts';

const PYTHON = process.env.LAPWING_TEST_PYTHON ?? '/usr/bin/python3';

/** Why NumPy cannot serve as the oracle here, or undefined if it can. */
export function numpyMissing(): string | undefined {
  const r = spawnSync(PYTHON, ['-c', 'import numpy, scipy'], { encoding: 'utf8' });
  return r.status === 0 ? undefined : `${PYTHON} with numpy and scipy not available`;
}

/**
 * Runs `code` with `np`, `sp` (scipy.linalg) and each input bound to a variable of its name;
 * returns each name of `outputs` as the matrix the code assigned to it (1-D arrays become a column).
 */
export async function numpy(code: string, inputs: Record<string, NpyMatrix>, outputs: readonly string[]): Promise<Record<string, NpyMatrix>> {
  const dir = mkdtempSync(join(tmpdir(), 'lw-numpy-'));
  try {
    for (const [k, m] of Object.entries(inputs)) await writeNpy(join(dir, `${k}.npy`), m);
    const load = Object.keys(inputs).map((k) => `${k} = np.load(${JSON.stringify(join(dir, `${k}.npy`))})`).join('\n');
    const save = outputs.map((k) => `_x = np.asarray(${k}, dtype=np.float64)\nnp.save(${JSON.stringify(join(dir, `${k}.out.npy`))}, _x.reshape(-1, 1) if _x.ndim < 2 else _x)`).join('\n');
    const script = `import numpy as np\nimport scipy.linalg as sp\n${load}\n${code}\n${save}\n`;
    const r = spawnSync(PYTHON, ['-c', script], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`numpy oracle failed: ${r.stderr}`);
    const out: Record<string, NpyMatrix> = {};
    for (const k of outputs) out[k] = await readNpy(join(dir, `${k}.out.npy`));
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
