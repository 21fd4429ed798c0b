/**
 * A kernel thread of the local backend: runs kernels on shared-memory blocks for one executor.
 * Messages: `{ id, name, inputs, attrs }` → `{ id, outputs }` or `{ id, error }`. Inputs and
 * outputs are SharedArrayBuffer-backed, so only references cross the thread boundary.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { KernelError, loadKernels, type Allocator, type Attrs, type Block } from '../../../kernels/index.ts';
import { sharedAlloc } from './memory-block-store.ts';
import { Reclaimer } from './reclaim.ts';
import { errorMessage } from '../../core/util.ts';

export interface KernelRequest {
  readonly id: number;
  readonly name: string;
  readonly inputs: readonly Block[];
  readonly attrs: Attrs;
  /** Shared buffers of deleted blocks, given back for reuse as outputs. */
  readonly recycle?: readonly SharedArrayBuffer[];
}
export interface KernelReply {
  readonly id: number;
  /** Epoch milliseconds when this thread started and ended the kernel. */
  readonly ran?: readonly [number, number];
  readonly outputs?: Block[];
  readonly error?: { readonly message: string; readonly code?: string; readonly minor?: number };
}
export type KernelThreadMessage = { readonly kind: 'ready'; readonly backend: string } | { readonly kind: 'reply'; readonly reply: KernelReply };

const port = parentPort;
if (!port) throw new Error('kernel-thread.ts must run in a worker thread');
const { kernels: choice } = workerData as { kernels: string };
const kernels = await loadKernels(choice);
// Wrappers of the blocks this thread sees keep their shared memory alive until collected.
const reclaimer = new Reclaimer();
// Recycled buffers by byte length. Bounded: beyond it buffers are left to the collector.
const pool = new Map<number, SharedArrayBuffer[]>();
let pooled = 0;
const POOL_LIMIT = 64;
/** A recycled buffer of `bytes`, if the pool has one. */
const recycled = (bytes: number): SharedArrayBuffer | undefined => {
  const sab = pool.get(bytes)?.pop();
  if (sab) pooled--;
  return sab;
};
const alloc: Allocator = (rows, cols) => {
  const sab = recycled(rows * cols * 8);
  if (!sab) return sharedAlloc(rows, cols);
  const data = new Float64Array(sab);
  data.fill(0);
  return { rows, cols, data };
};
// Outputs that start as a copy of an input skip the zero-fill (V8 fills shared memory at a
// third of memset's speed: ~0.3 ms per 2 MB block, 5 % of a 512 gemm).
alloc.copyOf = (src) => {
  const sab = recycled(src.data.byteLength);
  const out = sab ? { rows: src.rows, cols: src.cols, data: new Float64Array(sab) } : sharedAlloc(src.rows, src.cols);
  out.data.set(src.data);
  return out;
};
port.on('message', (req: KernelRequest) => {
  for (const b of req.recycle ?? []) {
    if (pooled >= POOL_LIMIT) break;
    let list = pool.get(b.byteLength);
    if (!list) pool.set(b.byteLength, (list = []));
    list.push(b);
    pooled++;
  }
  let reply: KernelReply;
  const start = performance.timeOrigin + performance.now();
  try {
    const outputs = kernels.run(req.name, req.inputs, req.attrs, alloc);
    reply = { id: req.id, outputs, ran: [start, performance.timeOrigin + performance.now()] };
    for (const b of reply.outputs!) reclaimer.freedBytes(b.data.byteLength);
  } catch (e) {
    reply = {
      id: req.id,
      error: e instanceof KernelError
        ? { message: e.message, code: e.code, ...(e.minor !== undefined ? { minor: e.minor } : {}) }
        : { message: errorMessage(e) },
    };
  }
  port.postMessage({ kind: 'reply', reply } satisfies KernelThreadMessage);
});
port.postMessage({ kind: 'ready', backend: kernels.backend.name } satisfies KernelThreadMessage);
