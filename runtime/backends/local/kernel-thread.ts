/**
 * A kernel thread of the local backend: runs kernels on shared-memory blocks for one executor.
 * Messages: `{ id, name, inputs, attrs }` → `{ id, outputs }` or `{ id, error }`. Inputs and
 * outputs are SharedArrayBuffer-backed, so only references cross the thread boundary.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { KernelError, loadKernels, type Attrs, type Block } from '../../../kernels/index.ts';
import { sharedAlloc } from './memory-block-store.ts';
import { Reclaimer } from './reclaim.ts';

export interface KernelRequest { readonly id: number; readonly name: string; readonly inputs: readonly Block[]; readonly attrs: Attrs }
export interface KernelReply {
  readonly id: number;
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
port.on('message', (req: KernelRequest) => {
  let reply: KernelReply;
  try {
    reply = { id: req.id, outputs: kernels.run(req.name, req.inputs, req.attrs, sharedAlloc) };
    for (const b of reply.outputs!) reclaimer.freedBytes(b.data.byteLength);
  } catch (e) {
    reply = {
      id: req.id,
      error: e instanceof KernelError
        ? { message: e.message, code: e.code, ...(e.minor !== undefined ? { minor: e.minor } : {}) }
        : { message: e instanceof Error ? e.message : String(e) },
    };
  }
  port.postMessage({ kind: 'reply', reply } satisfies KernelThreadMessage);
});
port.postMessage({ kind: 'ready', backend: kernels.backend.name } satisfies KernelThreadMessage);
