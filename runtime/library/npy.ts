/**
 * NumPy `.npy` files (format versions 1–3) holding 2-D float64 arrays, in either C or Fortran
 * order. Anything else is a clear error: lapwing works on float64 matrices only.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { LapwingError } from '../core/errors.ts';

export interface NpyMatrix {
  readonly rows: number;
  readonly cols: number;
  /** Row-major (C order) values. */
  readonly data: Float64Array;
  /** Written as a 1-D array of `rows` values (cols must be 1): a permutation, singular values. */
  readonly vector?: boolean;
}

export class NpyError extends LapwingError {
  declare readonly code: 'NPY';
  constructor(message: string, options?: { cause?: unknown }) {
    super('NPY', message, { userFacing: true, cause: options?.cause });
    this.name = 'NpyError';
  }
}

const MAGIC = '\x93NUMPY';

/** Parses a .npy buffer; `name` appears in error messages. */
export function parseNpy(buf: Uint8Array, name = 'array'): NpyMatrix {
  const text = (a: number, b: number): string => String.fromCharCode(...buf.subarray(a, b));
  if (buf.length < 10 || text(0, 6) !== MAGIC) throw new NpyError(`${name} is not a .npy file (bad magic)`);
  const major = buf[6]!;
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let headerLen: number;
  let start: number;
  if (major === 1) {
    headerLen = dv.getUint16(8, true);
    start = 10;
  } else if (major === 2 || major === 3) {
    if (buf.length < 12) throw new NpyError(`${name}: truncated .npy header`);
    headerLen = dv.getUint32(8, true);
    start = 12;
  } else throw new NpyError(`${name}: unsupported .npy version ${major}`);
  if (start + headerLen > buf.length) throw new NpyError(`${name}: truncated .npy header`);
  const header = text(start, start + headerLen);
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) throw new NpyError(`${name}: malformed .npy header`);
  const shape = shapeText.split(',').map((s) => s.trim()).filter((s) => s.length > 0).map(Number);
  if (descr !== '<f8' && descr !== '=f8' && descr !== 'f8') {
    throw new NpyError(`${name} has dtype ${descr}; lapwing needs float64 ('<f8'): convert with a.astype(np.float64)`);
  }
  if (shape.length !== 2 || shape.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new NpyError(`${name} has shape (${shape.join(', ')}); lapwing needs a 2-D matrix`);
  }
  const [rows, cols] = shape as [number, number];
  const offset = start + headerLen;
  const need = rows * cols * 8;
  if (buf.length - offset < need) throw new NpyError(`${name}: truncated data (${buf.length - offset} of ${need} bytes)`);
  // Copy into an aligned buffer (the data offset is only 16-byte aligned by the format's promise).
  const raw = new Float64Array(rows * cols);
  new Uint8Array(raw.buffer).set(buf.subarray(offset, offset + need));
  if (fortran === 'False') return { rows, cols, data: raw };
  const data = new Float64Array(rows * cols);
  for (let j = 0; j < cols; j++) for (let i = 0; i < rows; i++) data[i * cols + j] = raw[i + j * rows]!;
  return { rows, cols, data };
}

/** Serialises a row-major matrix as a version 1.0, C-order, '<f8' .npy buffer. */
export function formatNpy(m: NpyMatrix): Uint8Array {
  const shape = m.vector === true && m.cols === 1 ? `${m.rows},` : `${m.rows}, ${m.cols}`;
  let header = `{'descr': '<f8', 'fortran_order': False, 'shape': (${shape}), }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const out = new Uint8Array(10 + header.length + m.data.byteLength);
  for (let i = 0; i < 6; i++) out[i] = MAGIC.charCodeAt(i);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  out.set(new Uint8Array(m.data.buffer, m.data.byteOffset, m.data.byteLength), 10 + header.length);
  return out;
}

export async function readNpy(path: string): Promise<NpyMatrix> {
  let buf: Buffer;
  try {
    buf = await readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? '';
    throw new NpyError(code === 'ENOENT' ? `${path}: no such file` : `${path}: cannot read (${code || String(e)})`, { cause: e });
  }
  return parseNpy(buf, path);
}

export async function writeNpy(path: string, m: NpyMatrix): Promise<void> {
  try {
    await writeFile(path, formatNpy(m));
  } catch (e) {
    throw new NpyError(`${path}: cannot write (${(e as NodeJS.ErrnoException).code ?? String(e)})`, { cause: e });
  }
}
