// The openblas backend loaded in several worker threads at once (one per executor), running
// kernels concurrently on SharedArrayBuffer blocks: results must match the main thread's.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadKernels, type Block } from '../../kernels/index.ts';
import { assertClose, diagDominant, rand, rng, spd, runKernelWorker, toShared } from './helpers.ts';

const runWorker = (calls: { kernel: string; inputs: Block[] }[]) => runKernelWorker('openblas', 3, calls);

describe('openblas in concurrent worker threads', async () => {
  const k = await loadKernels('openblas').catch((e: unknown) => e);
  if (!(k && typeof k === 'object' && 'run' in k)) {
    const why = k instanceof Error ? k.message : String(k);
    if (process.env.LAPWING_REQUIRE_OPENBLAS === '1') it('loads openblas', () => assert.fail(why));
    else it('openblas workers', { skip: `openblas unavailable: ${why}` }, () => {});
    return;
  }
  const kernels = k as Awaited<ReturnType<typeof loadKernels>>;

  it('two workers computing at once agree with the main thread', async () => {
    const next = rng(99);
    const A = toShared(rand(next, 160, 150));
    const S = toShared(spd(next, 150));
    const D = toShared(diagDominant(next, 150));
    const calls = [
      { kernel: 'gemm', inputs: [A, toShared(rand(next, 150, 140))] },
      { kernel: 'syrk', inputs: [S, toShared(rand(next, 150, 90)), toShared(rand(next, 150, 90))] },
      { kernel: 'chol', inputs: [S] },
      { kernel: 'qr_r', inputs: [A, A] },
      { kernel: 'lu_nopiv', inputs: [D] },
    ];
    const [w1, w2] = await Promise.all([runWorker(calls), runWorker(calls)]);
    calls.forEach((c, i) => {
      const want = kernels.run(c.kernel, c.inputs, {});
      for (const w of [w1, w2]) {
        assert.equal(w.backend, 'openblas');
        want.forEach((b, j) => assertClose(w.outputs[i]![j]!, b, `${c.kernel} output ${j + 1} in a worker`, { tol: 1e-13 }));
      }
    });
  });
});
