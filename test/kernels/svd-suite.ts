/**
 * The SVD kernels' part of the kernel contract suite (run per backend by suite.ts): lq_factor
 * and lq_apply against the reference and by their defining identities, band_pack against
 * explicit band storage, band_svals against the dense Jacobi SVD of the same band (two
 * independent algorithms), and svd by A = U·diag(s)·Vᵀ with orthonormal U and V.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadKernels, type Block, type KernelBackendName, type Kernels } from '../../kernels/index.ts';
import { assertClose, at, block, matmul, maxAbs, rand, recordingAlloc, rng, snapshot, transpose } from './helpers.ts';

type Attr = Record<string, number | boolean | string>;

const hstack = (a: Block, b: Block): Block => block(a.rows, a.cols + b.cols, (r, c) => (c < a.cols ? at(a, r, c) : at(b, r, c - a.cols)));
const eye = (n: number): Block => block(n, n, (r, c) => (r === c ? 1 : 0));

/** A random n × n upper band matrix of band width ku, dense, built from blocks as svd.lp's band is. */
function bandBlocks(next: () => number, ku: number, sizes: readonly number[]): { D: Block[]; E: Block[]; dense: Block } {
  const D = sizes.map((s) => block(s, s, (r, c) => (r <= c ? 2 * next() - 1 : 0)));
  const E = sizes.slice(1).map((s) => block(ku, s, (r, c) => (r >= c ? 2 * next() - 1 : 0)));
  const n = sizes.reduce((x, y) => x + y, 0);
  const dense = block(n, n, () => 0);
  let o = 0;
  sizes.forEach((s, k) => {
    for (let j = 0; j < s; j++) for (let i = 0; i < s; i++) dense.data[o + i + (o + j) * n] = at(D[k]!, i, j);
    if (k > 0) for (let j = 0; j < s; j++) for (let i = 0; i < ku; i++) dense.data[o - ku + i + (o + j) * n] = at(E[k - 1]!, i, j);
    o += s;
  });
  return { D, E, dense };
}

/** Registers the SVD kernels' tests for `backendName` (skipped like the main suite if it does not load). */
export function svdKernelSuite(backendName: KernelBackendName): void {
  describe(`kernel suite (SVD kernels): ${backendName}`, async () => {
    let k: Kernels;
    try {
      k = await loadKernels(backendName);
    } catch (e) {
      it(`${backendName} backend`, { skip: `${backendName} unavailable: ${e instanceof Error ? e.message : String(e)}` }, () => {});
      return;
    }
    const ref = await loadKernels('js');

    /** Runs on the backend under test: outputs from the allocator, inputs untouched; compared with the reference unless `compare` is false. */
    function check(name: string, inputs: Block[], attrs: Attr, label: string, opts: { tol?: number; compare?: boolean } = {}): Block[] {
      const alloc = recordingAlloc();
      const before = inputs.map(snapshot);
      const out = k.run(name, inputs, attrs, alloc);
      inputs.forEach((b, i) => assert.deepEqual(b.data, before[i], `${label}: input ${i + 1} was modified`));
      out.forEach((b, i) => assert.ok(alloc.handed.has(b.data), `${label}: output ${i + 1} not allocated through the Allocator`));
      if (opts.compare !== false) {
        const want = ref.run(name, inputs, attrs);
        const scale = maxAbs(...inputs);
        out.forEach((b, i) => assertClose(b, want[i]!, `${label} output ${i + 1}`, { tol: opts.tol ?? 1e-10, scale }));
      }
      return out;
    }

    it('lq_factor / lq_apply: [A B] = [L 0]·Q, L lower triangular, L·Lᵀ = [A B]·[A B]ᵀ, Q·(Qᵀ·C) = C', () => {
      const next = rng(31);
      for (const [r, c1, c2] of [[1, 1, 0], [3, 5, 0], [5, 3, 0], [4, 4, 4], [7, 2, 3], [16, 16, 9], [40, 13, 0], [33, 33, 33], [64, 64, 64]] as const) {
        const A = rand(next, r, c1);
        const B = c2 > 0 ? rand(next, r, c2) : undefined;
        const AB = B ? hstack(A, B) : A;
        const l = `lq ${r}×${c1}${B ? `+${c2}` : ''}`;
        const [F, L] = check('lq_factor', B ? [A, B] : [A], {}, `${l} lq_factor`);
        const kk = Math.min(r, c1 + c2);
        assert.deepEqual([L!.rows, L!.cols, F!.rows, F!.cols], [r, kk, c1 + c2 + 1, r]);
        for (let j = 1; j < kk; j++) for (let i = 0; i < j; i++) assert.equal(at(L!, i, j), 0, `${l}: L lower`);
        assertClose(matmul(L!, transpose(L!)), matmul(AB, transpose(AB)), `${l}: L·Lᵀ = [A B]·[A B]ᵀ`, { tol: 1e-12 });
        const parts = check('lq_apply', B ? [F!, A, B] : [F!, A], {}, `${l} [A B]·Qᵀ`);
        const applied = B ? hstack(parts[0]!, parts[1]!) : parts[0]!;
        assertClose(applied, block(r, c1 + c2, (i, j) => (j < kk ? at(L!, i, j) : 0)), `${l}: [A B]·Qᵀ = [L 0]`, { tol: 1e-12, scale: maxAbs(A) });
        const C = rand(next, 6, c1);
        const D = B ? rand(next, 6, c2) : undefined;
        const there = check('lq_apply', D ? [F!, C, D] : [F!, C], {}, `${l} C·Qᵀ`);
        const back = check('lq_apply', [F!, ...there], { trans: false }, `${l} (C·Qᵀ)·Q`);
        assertClose(back[0]!, C, `${l}: left part restored`, { tol: 1e-12 });
        if (D) assertClose(back[1]!, D, `${l}: right part restored`, { tol: 1e-12 });
        const Q = check('lq_apply', [F!, eye(c1 + c2)], { trans: false }, `${l} Q`)[0]!;
        assertClose(matmul(Q, transpose(Q)), eye(c1 + c2), `${l}: Q orthogonal`, { tol: 1e-12, scale: 1 });
      }
      assert.throws(() => k.run('lq_factor', [rand(next, 3, 3), rand(next, 4, 3)], {}), /equal row counts/);
      assert.throws(() => k.run('lq_apply', [rand(next, 5, 3), rand(next, 2, 3)], {}), /applied to 3 columns/);
    });

    it('band_pack: LAPACK band storage, reading only E\'s lower and D\'s upper triangles', () => {
      const next = rng(32);
      for (const [ku, sizes] of [[1, [1]], [3, [3]], [4, [4, 4, 2]], [5, [5, 5, 5, 5]], [16, [16, 16, 7]]] as const) {
        const { D, E, dense } = bandBlocks(next, ku, sizes);
        // Garbage outside the triangles that are read must not show.
        const junk = (b: Block, keepLower: boolean): Block => block(b.rows, b.cols, (r, c) => ((keepLower ? r >= c : r <= c) ? at(b, r, c) : NaN));
        let [P] = check('band_pack', [junk(D[0]!, false)], {}, `band_pack ku=${ku} start`, { tol: 0 });
        for (let t = 1; t < sizes.length; t++) [P] = check('band_pack', [P!, junk(E[t - 1]!, true), junk(D[t]!, false)], {}, `band_pack ku=${ku} +${t}`, { tol: 0 });
        const n = dense.rows;
        assert.deepEqual([P!.rows, P!.cols], [ku + 1, n]);
        const want = block(ku + 1, n, (r, j) => {
          const i = r + j - ku;
          return i >= 0 ? at(dense, i, j) : 0;
        });
        assert.deepEqual(P, want, `band_pack ku=${ku}: band storage`);
      }
      assert.throws(() => k.run('band_pack', [rand(next, 4, 8), rand(next, 2, 3), rand(next, 3, 3)], {}), /E must be 3×3/);
    });

    it('band_svals: the singular values of the band, descending, as the dense Jacobi SVD finds them', () => {
      const next = rng(33);
      for (const [ku, sizes] of [[1, [1]], [2, [2, 1]], [4, [4, 4, 4, 3]], [8, [8, 8, 8, 8, 8]], [12, [12, 5]], [24, [24, 24, 24, 17]], [6, [6, 6, 6, 6, 6, 6, 6, 6, 6, 6]]] as const) {
        const { D, E, dense } = bandBlocks(next, ku, sizes);
        let [P] = ref.run('band_pack', [D[0]!], {});
        for (let t = 1; t < sizes.length; t++) [P] = ref.run('band_pack', [P!, E[t - 1]!, D[t]!], {});
        const [s] = check('band_svals', [P!], {}, `band_svals ku=${ku} n=${dense.rows}`, { tol: 1e-12 });
        const [, sJacobi] = ref.run('svd', [dense], {});
        const top = sJacobi!.data[0]!;
        s!.data.forEach((v, i) => {
          assert.ok(Math.abs(v - sJacobi!.data[i]!) <= 1e-12 * top, `band_svals ku=${ku}: σ${i} = ${v}, Jacobi ${sJacobi!.data[i]}`);
          if (i > 0) assert.ok(v <= s!.data[i - 1]!, 'descending');
        });
      }
      // A diagonal band with a zero: exact values, sorted.
      const [P] = k.run('band_pack', [block(3, 3, [3, 0, 0, 0, 0, 0, 0, 0, -5])], {});
      assert.deepEqual(Array.from(k.run('band_svals', [P!], {})[0]!.data), [5, 3, 0]);
    });

    it('svd: A = U·diag(s)·Vᵀ, orthonormal U and V, s descending and equal to the reference', () => {
      const next = rng(34);
      const rankTwo = matmul(rand(next, 9, 2), rand(next, 2, 6));
      const cases: Block[] = [rand(next, 1, 1), rand(next, 5, 3), rand(next, 3, 5), rand(next, 17, 17), rand(next, 64, 20), rand(next, 20, 64), rand(next, 100, 100), rankTwo, block(4, 3, () => 0)];
      for (const A of cases) {
        const l = `svd ${A.rows}×${A.cols}`;
        const [U, s, V] = check('svd', [A], {}, l, { compare: false });
        const kk = Math.min(A.rows, A.cols);
        assert.deepEqual([U!.rows, U!.cols, s!.rows, s!.cols, V!.rows, V!.cols], [A.rows, kk, kk, 1, A.cols, kk]);
        const [, sRef] = ref.run('svd', [A], {});
        const top = Math.max(sRef!.data[0]!, Number.MIN_VALUE);
        s!.data.forEach((v, i) => {
          assert.ok(Math.abs(v - sRef!.data[i]!) <= 1e-12 * top, `${l}: σ${i} = ${v}, reference ${sRef!.data[i]}`);
          if (i > 0) assert.ok(v <= s!.data[i - 1]!, `${l}: descending`);
        });
        const US = block(A.rows, kk, (r, c) => at(U!, r, c) * s!.data[c]!);
        assertClose(matmul(US, transpose(V!)), A, `${l}: U·diag(s)·Vᵀ = A`, { tol: 1e-12, scale: Math.max(1, maxAbs(A)) });
        assertClose(matmul(transpose(U!), U!), eye(kk), `${l}: UᵀU = I`, { tol: 1e-12, scale: 1 });
        assertClose(matmul(transpose(V!), V!), eye(kk), `${l}: VᵀV = I`, { tol: 1e-12, scale: 1 });
      }
    });

    it('SVD kernels\' flops follow specs.ts', () => {
      const next = rng(35);
      assert.equal(k.flops('lq_factor', [rand(next, 4, 6)], {}), k.flops('qr_factor', [rand(next, 6, 4)], {}));
      assert.equal(k.flops('band_pack', [rand(next, 3, 3)], {}), 0);
    });
  });
}
