/**
 * The stored form of a block (S3 object or inline DynamoDB attribute): a 32-byte header, then
 * the float64 column-major data in little-endian order.
 *
 *   offset  size  field
 *   0       4     magic "LWBK"
 *   4       2     format version (1)
 *   6       2     dtype (1 = float64)
 *   8       4     rows
 *   12      4     cols
 *   16      4     CRC-32 of the data bytes
 *   20      8     reserved (zero)
 *   28      4     CRC-32 of bytes 0…27 (the header itself)
 *   32      8·rows·cols  data
 *
 * A corrupt or truncated object is a StoreError('CORRUPT'), never a wrong result: the length
 * must match the shape exactly and both checksums must match.
 */
import { crc32 } from 'node:zlib';
import { endianness } from 'node:os';
import { StoreError, type Block } from '../../../core/interfaces.ts';

export const BLOCK_MAGIC = 0x4b42574c; // "LWBK" read as a little-endian u32
export const BLOCK_VERSION = 1;
export const DTYPE_FLOAT64 = 1;
export const HEADER_BYTES = 32;

// Float64Array views use the host's byte order; every platform Node supports today is LE.
if (endianness() !== 'LE') throw new Error('lapwing: the AWS block codec needs a little-endian host');

/** Encoded size of a rows×cols block. */
export function encodedBytes(rows: number, cols: number): number {
  return HEADER_BYTES + 8 * rows * cols;
}

/** Encodes a block into one buffer (header + data). */
export function encodeBlock(block: Block): Uint8Array {
  const { rows, cols, data } = block;
  if (data.length !== rows * cols) throw new Error(`block data has ${data.length} values for shape ${rows}×${cols}`);
  const out = new Uint8Array(encodedBytes(rows, cols));
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  out.set(bytes, HEADER_BYTES);
  const view = new DataView(out.buffer);
  view.setUint32(0, BLOCK_MAGIC, true);
  view.setUint16(4, BLOCK_VERSION, true);
  view.setUint16(6, DTYPE_FLOAT64, true);
  view.setUint32(8, rows, true);
  view.setUint32(12, cols, true);
  view.setUint32(16, crc32(bytes), true);
  view.setUint32(28, crc32(out.subarray(0, 28)), true);
  return out;
}

/**
 * Decodes and verifies a stored block; `key` is named in errors.
 * @throws StoreError('CORRUPT') on any mismatch (magic, version, length, checksums).
 */
export function decodeBlock(buf: Uint8Array, key: string): Block {
  const bad = (why: string): StoreError => new StoreError('CORRUPT', `block ${key} is corrupt: ${why}`);
  if (buf.byteLength < HEADER_BYTES) throw bad(`${buf.byteLength} bytes, shorter than the ${HEADER_BYTES}-byte header`);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (view.getUint32(0, true) !== BLOCK_MAGIC) throw bad('bad magic (not a lapwing block)');
  if (view.getUint32(28, true) !== crc32(buf.subarray(0, 28))) throw bad('header checksum mismatch');
  const version = view.getUint16(4, true);
  if (version !== BLOCK_VERSION) throw bad(`unsupported format version ${version}`);
  const dtype = view.getUint16(6, true);
  if (dtype !== DTYPE_FLOAT64) throw bad(`unsupported dtype ${dtype}`);
  const rows = view.getUint32(8, true);
  const cols = view.getUint32(12, true);
  const expected = encodedBytes(rows, cols);
  if (buf.byteLength !== expected) throw bad(`${buf.byteLength} bytes for a ${rows}×${cols} block (expected ${expected}: truncated?)`);
  const payload = buf.subarray(HEADER_BYTES);
  if (crc32(payload) !== view.getUint32(16, true)) throw bad('data checksum mismatch');
  // Copy into a fresh, aligned buffer: the input may be a view at any offset of a pooled buffer.
  // Shared memory, so that a kernel thread (executors/kernel-pool.ts) reads it without a copy.
  const data = new Float64Array(new SharedArrayBuffer(rows * cols * 8));
  new Uint8Array(data.buffer).set(payload);
  return { rows, cols, data };
}
