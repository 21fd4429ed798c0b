// The wasm backend loaded in several worker threads at once (one instance and one wasm memory
// per executor thread), running kernels concurrently on SharedArrayBuffer blocks: results
// must equal the main thread's bit for bit (same binary, same code path).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadKernels, type Block } from '../../kernels/index.ts';
import { diagDominant, rand, rng, spd, runKernelWorker, toShared } from './helpers.ts';

const runWorker = (calls: { kernel: string; inputs: Block[] }[]) => runKernelWorker('wasm', 2, calls);

describe('wasm in concurrent worker threads', () => {
  it('two workers computing at once agree exactly with the main thread', async () => {
    const kernels = await loadKernels('wasm');
    const next = rng(98);
    const A = toShared(rand(next, 160, 150));
    const S = toShared(spd(next, 150));
    const D = toShared(diagDominant(next, 150));
    const calls = [
      { kernel: 'gemm', inputs: [A, toShared(rand(next, 150, 140))] },
      { kernel: 'syrk', inputs: [S, toShared(rand(next, 150, 90))] },
      { kernel: 'chol', inputs: [S] },
      { kernel: 'trsm', inputs: [S, A] },
      { kernel: 'qr_factor', inputs: [A, A] },
      { kernel: 'lu_nopiv', inputs: [D] },
      { kernel: 'add', inputs: [A, A, A] },
    ];
    const [w1, w2] = await Promise.all([runWorker(calls), runWorker(calls)]);
    calls.forEach((c, i) => {
      const want = kernels.run(c.kernel, c.inputs, {});
      for (const w of [w1, w2]) {
        assert.equal(w.backend, 'wasm');
        want.forEach((b, j) => assert.deepEqual(w.outputs[i]![j]!.data, b.data, `${c.kernel} output ${j + 1} in a worker`));
      }
    });
  });
});
