/**
 * The kernel contract suite, written once and run per backend: every kernel and attribute
 * variant on random, 1×1, odd, rectangular and partial-block shapes, compared with the js
 * reference backend under a relative tolerance (NaN/Inf positions must match exactly), plus
 * structural checks (Q·R = A, exact symmetry of syrk, the failing minor of chol/lu_nopiv).
 *
 * Usage, in test/kernels/<backend>.test.ts:
 *   import { kernelSuite } from './suite.ts';
 *   kernelSuite('wasm');
 *
 * A backend that does not load fails the suite, except openblas, which is skipped with a
 * visible message unless LAPWING_REQUIRE_OPENBLAS=1 (set by CI, which installs OpenBLAS).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { KernelError, kernelSpecs, loadKernels, type Attrs, type Block, type KernelBackendName, type Kernels } from '../../kernels/index.ts';
import {
  assertClose, assertSameNonFinite, at, block, diagDominant, matmul, maxAbs, rand, recordingAlloc, rng, rows, snapshot,
  spd, transpose, triangular, vstack,
} from './helpers.ts';
import { svdKernelSuite } from './svd-suite.ts';

type Attr = Record<string, number | boolean | string>;

/** (m, n, k) triples: 1×1, tiny, odd, rectangular both ways, and past the libraries' blocking thresholds. */
function shapes(seed: number): [number, number, number][] {
  const next = rng(seed);
  const fixed: [number, number, number][] = [[1, 1, 1], [1, 3, 2], [4, 1, 3], [2, 5, 1], [7, 5, 3], [16, 17, 15], [33, 20, 47], [130, 129, 131]];
  const random = Array.from({ length: 3 }, () => [1, 2, 3].map(() => 1 + Math.floor(next() * 90)) as [number, number, number]);
  return [...fixed, ...random];
}

/**
 * Registers the suite for `backendName` under one `describe`. Works whether or not the
 * caller awaits anything: the backend is loaded inside the (async) describe body.
 */
export function kernelSuite(backendName: KernelBackendName): void {
  describe(`kernel suite: ${backendName}`, async () => {
    let k: Kernels;
    try {
      k = await loadKernels(backendName);
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e);
      const required = backendName !== 'openblas' || process.env.LAPWING_REQUIRE_OPENBLAS === '1';
      if (required) {
        it(`loads the ${backendName} backend`, () => assert.fail(`${why}${backendName === 'openblas' ? ' (LAPWING_REQUIRE_OPENBLAS=1)' : ''}`));
      } else {
        it(`${backendName} backend`, { skip: `${backendName} unavailable, kernel tests skipped: ${why}` }, () => {});
      }
      return;
    }
    const ref = await loadKernels('js');
    it(`loaded ${k.backend.name}: ${k.backend.detail}`, () => assert.equal(k.backend.name, backendName));
    it('implements exactly the kernels of specs.ts', () => {
      assert.deepEqual(Object.keys(k.backend.kernels).sort(), [...kernelSpecs.keys()].sort());
    });

    /**
     * Runs `name` on the backend under test and on the reference; checks outputs come from
     * the allocator, inputs are untouched, and each output matches the reference.
     */
    function check(name: string, inputs: Block[], attrs: Attr, label: string, opts: { tol?: number; scale?: number } = {}): Block[] {
      const alloc = recordingAlloc();
      const before = inputs.map(snapshot);
      const out = k.run(name, inputs, attrs, alloc);
      inputs.forEach((b, i) => assert.deepEqual(b.data, before[i], `${label}: input ${i + 1} was modified`));
      out.forEach((b, i) => assert.ok(alloc.handed.has(b.data), `${label}: output ${i + 1} not allocated through the Allocator`));
      const want = ref.run(name, inputs, attrs);
      assert.equal(out.length, want.length, `${label}: output count`);
      const scale = Math.max(opts.scale ?? 0, maxAbs(...inputs));
      out.forEach((b, i) => assertClose(b, want[i]!, `${label} output ${i + 1}`, { ...opts, scale }));
      return out;
    }

    function throwsKernelError(f: () => unknown, code: string, minor?: number): void {
      assert.throws(f, (e: unknown) => {
        assert.ok(e instanceof KernelError, `expected a KernelError, got ${String(e)}`);
        assert.equal(e.code, code, e.message);
        if (minor !== undefined) {
          assert.equal(e.minor, minor, e.message);
          assert.match(e.message, new RegExp(`minor ${minor}\\b`));
        }
        return true;
      });
    }

    it('gemm: transA × transB × alpha/beta, with and without C, on every shape', () => {
      const next = rng(1);
      for (const [m, n, kk] of shapes(11)) {
        for (const transA of [false, true]) {
          for (const transB of [false, true]) {
            const A = transA ? rand(next, kk, m) : rand(next, m, kk);
            const B = transB ? rand(next, n, kk) : rand(next, kk, n);
            const C = rand(next, m, n);
            const l = `gemm ${m}×${n}×${kk} transA=${transA} transB=${transB}`;
            check('gemm', [A, B], { transA, transB }, l);
            check('gemm', [A, B], { transA, transB, alpha: -1.5 }, `${l} alpha`);
            check('gemm', [A, B, C], { transA, transB }, `${l} +C`);
            check('gemm', [A, B, C], { transA, transB, alpha: 0.5, beta: -2 }, `${l} alpha beta +C`);
          }
        }
      }
    });

    it('gemm: beta = 0 does not read C, alpha = 0 does not read A·B (BLAS semantics)', () => {
      const next = rng(2);
      const A = rand(next, 5, 4);
      const B = rand(next, 4, 3);
      const nanC = block(5, 3, () => NaN);
      const [x] = check('gemm', [A, B, nanC], { beta: 0 }, 'gemm beta=0');
      assert.ok(x!.data.every(Number.isFinite));
      const nanA = block(5, 4, () => NaN);
      const C = rand(next, 5, 3);
      const [y] = check('gemm', [nanA, B, C], { alpha: 0, beta: 2 }, 'gemm alpha=0');
      assert.deepEqual(y!.data, C.data.map((v) => 2 * v));
    });

    it('syrk: A ≠ B, A === B (exactly symmetric, C above the diagonal unread), B omitted, equal copies', () => {
      const next = rng(3);
      for (const [r, c, kk] of shapes(13)) {
        check('syrk', [rand(next, r, c), rand(next, r, kk), rand(next, c, kk)], {}, `syrk ${r}×${c}×${kk} A≠B`);
        const A = rand(next, r, kk);
        const C = spd(next, r);
        for (const [inputs, how] of [[[C, A, A], 'A===B'], [[C, A], 'B omitted'], [[C, A, { ...A, data: A.data.slice() }], 'equal copy']] as const) {
          const [out] = check('syrk', [...inputs], {}, `syrk ${r}×${kk} ${how}`);
          for (let j = 0; j < r; j++) for (let i = 0; i < j; i++) assert.equal(at(out!, i, j), at(out!, j, i), `syrk ${how}: not exactly symmetric at (${i}, ${j})`);
        }
        // With A ≡ B only C's lower triangle is read (as in dsyrk): NaN above it must not show.
        const lowerC = block(r, r, (i, j) => (i >= j ? at(C, i, j) + (i === j ? 0 : 0.5) : NaN));
        const [mirrored] = check('syrk', [lowerC, A, A], {}, `syrk ${r}×${kk} A===B, C upper not read`);
        assert.ok(mirrored!.data.every(Number.isFinite), 'syrk A===B: read C above the diagonal');
      }
    });

    it("outputs that start as a copy of an input may come from the allocator's copyOf, with the same values", () => {
      // copyOf hands out recycled memory: here full of NaN where the copy does not reach, so a
      // kernel that relied on zeros, or wrote past the copy's shape, would show it.
      const next = rng(21);
      const copies: Block[] = [];
      const alloc = Object.assign(recordingAlloc(), {
        copyOf(src: Block): Block {
          const data = new Float64Array(new SharedArrayBuffer(Math.max(1, src.data.length) * 8 + 16), 0, src.data.length);
          data.fill(NaN);
          data.set(src.data);
          copies.push(src);
          return { rows: src.rows, cols: src.cols, data };
        },
      });
      const [m, n, kk] = [33, 20, 47];
      const C = rand(next, m, n);
      const calls: [string, Block[], Attr][] = [
        ['gemm', [rand(next, m, kk), rand(next, kk, n), C], { beta: 0.5 }],
        ['syrk', [rand(next, m, m), rand(next, m, kk), rand(next, m, kk)], {}],
        ['trsm', [triangular(next, n, true, false), rand(next, m, n)], { alpha: 2 }],
      ];
      for (const [name, inputs, attrs] of calls) {
        const [viaCopy] = k.run(name, inputs, attrs, alloc);
        const [plain] = k.run(name, inputs, attrs);
        assert.deepEqual(viaCopy!.data, plain!.data, `${name}: copyOf changed the result`);
      }
      if (backendName === 'openblas') assert.deepEqual(copies.map((b) => b.data), [C.data, calls[1]![1][0]!.data, calls[2]![1][1]!.data]);
    });

    it('trsm: side × lower × trans × unit × alpha; the unused triangle is not read', () => {
      const next = rng(4);
      for (const [m, n] of shapes(14)) {
        for (const side of ['right', 'left'] as const) {
          const t = side === 'right' ? n : m;
          for (const lower of [true, false]) {
            for (const unit of [false, true]) {
              const T = triangular(next, t, lower, unit);
              const B = rand(next, m, n);
              for (const trans of [true, false]) {
                for (const alpha of [1, -0.75]) {
                  check('trsm', [T, B], { side, lower, trans, unit, alpha }, `trsm ${m}×${n} side=${side} lower=${lower} trans=${trans} unit=${unit} alpha=${alpha}`, { tol: 1e-10 });
                }
              }
            }
          }
        }
      }
      // The defaults: X·Lᵀ = B.
      const L = triangular(next, 9, true, false);
      const B = rand(next, 4, 9);
      const [X] = check('trsm', [L, B], {}, 'trsm defaults');
      assertClose(matmul(X!, transpose(block(9, 9, (r, c) => (r >= c ? at(L, r, c) : 0)))), B, 'trsm defaults: X·Lᵀ = B');
      const [Z] = check('trsm', [L, B], { alpha: 0 }, 'trsm alpha=0');
      assert.ok(Z!.data.every((v) => v === 0));
    });

    it('chol: matches the reference; upper triangle not read', () => {
      const next = rng(5);
      for (const n of [1, 2, 3, 8, 17, 64, 100, 150]) {
        const A = spd(next, n);
        const lowerOnly = block(n, n, (r, c) => (r >= c ? at(A, r, c) : NaN));
        const [L] = check('chol', [lowerOnly], {}, `chol ${n}`);
        for (let j = 0; j < n; j++) for (let i = 0; i < j; i++) assert.equal(at(L!, i, j), 0, `chol ${n}: upper part not zero`);
        assertClose(matmul(L!, transpose(L!)), A, `chol ${n}: L·Lᵀ = A`, { tol: 1e-12 });
      }
    });

    it('chol: a non-positive-definite block throws NOT_POSITIVE_DEFINITE naming the leading minor', () => {
      const next = rng(6);
      for (const [n, j] of [[1, 0], [5, 0], [5, 3], [5, 4], [100, 0], [100, 57], [150, 149]] as const) {
        const A = spd(next, n);
        A.data[j + j * n] = -1; // leading minors 1…j stay positive definite
        throwsKernelError(() => k.run('chol', [A], {}), 'NOT_POSITIVE_DEFINITE', j + 1);
        throwsKernelError(() => ref.run('chol', [A], {}), 'NOT_POSITIVE_DEFINITE', j + 1);
      }
      // NaN: a NaN pivot counts as not positive, on the diagonal or reached from below it.
      for (const [n, i, j] of [[6, 2, 2], [6, 4, 1], [100, 80, 3]] as const) {
        const A = spd(next, n);
        A.data[i + j * n] = NaN;
        throwsKernelError(() => k.run('chol', [A], {}), 'NOT_POSITIVE_DEFINITE', i + 1);
      }
      const inf = spd(next, 6);
      inf.data[4 + 1 * 6] = Infinity;
      throwsKernelError(() => k.run('chol', [inf], {}), 'NOT_POSITIVE_DEFINITE', 5);
    });

    it('lu_nopiv: matches the reference; L·U = A; zero pivots throw SINGULAR with the minor', () => {
      const next = rng(7);
      for (const n of [1, 2, 5, 16, 17, 40, 100, 150]) {
        const A = diagDominant(next, n);
        const [L, U] = check('lu_nopiv', [A], {}, `lu_nopiv ${n}`);
        for (let j = 0; j < n; j++) {
          assert.equal(at(L!, j, j), 1, 'L has an explicit unit diagonal');
          for (let i = 0; i < j; i++) assert.equal(at(L!, i, j), 0, 'L is lower triangular');
          for (let i = j + 1; i < n; i++) assert.equal(at(U!, i, j), 0, 'U is upper triangular');
        }
        assertClose(matmul(L!, U!), A, `lu_nopiv ${n}: L·U = A`, { tol: 1e-12 });
      }
      // A = L·U in small integers with U(p, p) = 0: elimination is exact, so pivot p is exactly 0.
      for (const [n, p] of [[1, 0], [5, 0], [5, 2], [40, 37], [100, 64]] as const) {
        const Li = block(n, n, (r, c) => (r === c ? 1 : r > c ? Math.floor(next() * 3) - 1 : 0));
        const Ui = block(n, n, (r, c) => (r === c ? (r === p ? 0 : 2 ** Math.floor(next() * 3)) : r < c ? Math.floor(next() * 5) - 2 : 0));
        const A = matmul(Li, Ui);
        throwsKernelError(() => k.run('lu_nopiv', [A], {}), 'SINGULAR', p + 1);
        throwsKernelError(() => ref.run('lu_nopiv', [A], {}), 'SINGULAR', p + 1);
        // With the block's column numbers, the error names the matrix column.
        const cols = block(n, 1, (r) => 1000 + r);
        throwsKernelError(() => k.run('lu_nopiv', [A, cols], {}), 'SINGULAR', p + 1);
        assert.throws(() => k.run('lu_nopiv', [A, cols], {}), new RegExp(`column ${1000 + p}\\b`));
      }
    });

    it('qr_factor / qr_r: F (geqrf layout + tau row) and R match the reference; alone and stacked', () => {
      const next = rng(8);
      const cases: [number, number, number][] = [[1, 0, 1], [1, 1, 1], [5, 0, 3], [3, 0, 5], [2, 2, 5], [17, 0, 17], [40, 0, 13], [20, 20, 13], [7, 9, 16], [150, 0, 140], [130, 130, 130]];
      for (const [m1, m2, n] of cases) {
        const A = rand(next, m1, n);
        const B = m2 > 0 ? rand(next, m2, n) : undefined;
        const inputs = B ? [A, B] : [A];
        const l = `qr ${m1}${B ? `+${m2}` : ''}×${n}`;
        const [F, R] = check('qr_factor', inputs, {}, `${l} qr_factor`, { tol: 1e-10 });
        const [R2] = check('qr_r', inputs, {}, `${l} qr_r`, { tol: 1e-10 });
        assertClose(R2!, R!, `${l}: qr_r = R of qr_factor`);
        const m = m1 + m2;
        for (let j = Math.min(m, n); j < n; j++) assert.equal(at(F!, m, j), 0, `${l}: tau row beyond min(m, n) is zero`);
        for (let j = 0; j < R!.rows; j++) for (let i = j + 1; i < R!.rows; i++) assert.equal(at(R!, i, j), 0, `${l}: R upper`);
      }
    });

    it('qr_apply: Qᵀ·A = [R; 0], Q·(Qᵀ·C) = C, stacked pairs split back, both trans values', () => {
      const next = rng(9);
      for (const [m1, m2, n, c] of [[1, 0, 1, 1], [6, 0, 4, 3], [4, 0, 6, 2], [30, 0, 30, 30], [9, 7, 5, 4], [20, 20, 20, 20], [150, 0, 130, 70], [64, 64, 64, 33]] as const) {
        const A = rand(next, m1, n);
        const B = m2 > 0 ? rand(next, m2, n) : undefined;
        const l = `qr_apply ${m1}${B ? `+${m2}` : ''}×${n} on ${c} columns`;
        const [F, R] = k.run('qr_factor', B ? [A, B] : [A], {});
        const m = m1 + m2;
        const kk = Math.min(m, n);
        const RZ = block(m, n, (r, cc) => (r < kk ? at(R!, r, cc) : 0));
        const QtA = check('qr_apply', B ? [F!, A, B] : [F!, A], {}, `${l} Qᵀ·A`, { tol: 1e-10 });
        assertClose(B ? vstack(QtA[0]!, QtA[1]!) : QtA[0]!, RZ, `${l}: Qᵀ·A = [R; 0]`, { tol: 1e-10, scale: maxAbs(A) });
        const C = rand(next, m1, c);
        const D = m2 > 0 ? rand(next, m2, c) : undefined;
        const Qt = check('qr_apply', D ? [F!, C, D] : [F!, C], {}, `${l} Qᵀ·C`, { tol: 1e-10 });
        const back = check('qr_apply', [F!, ...Qt], { trans: false }, `${l} Q·(Qᵀ·C)`, { tol: 1e-10 });
        assertClose(back[0]!, C, `${l}: top restored`, { tol: 1e-10 });
        if (D) assertClose(back[1]!, D, `${l}: bottom restored`, { tol: 1e-10 });
        const QR = check('qr_apply', D ? [F!, rows(RZ, 0, m1), rows(RZ, m1, m)] : [F!, RZ], { trans: false }, `${l} Q·[R; 0]`, { tol: 1e-10 });
        assertClose(D ? vstack(QR[0]!, QR[1]!) : QR[0]!, B ? vstack(A, B) : A, `${l}: Q·R = A`, { tol: 1e-10 });
      }
    });

    it('qr_r of stacked pairs reduces like TSQR: RᵀR = AᵀA', () => {
      const next = rng(10);
      for (const [m, n] of [[3, 3], [40, 17], [96, 64]] as const) {
        const blocks = [0, 1, 2, 3].map(() => rand(next, m, n));
        const leaves = blocks.map((b) => k.run('qr_r', [b], {})[0]!);
        const [R01] = check('qr_r', [leaves[0]!, leaves[1]!], {}, `tsqr ${m}×${n} level 1`, { tol: 1e-10 });
        const [R23] = k.run('qr_r', [leaves[2]!, leaves[3]!], {});
        const [R] = check('qr_r', [R01!, R23!], {}, `tsqr ${m}×${n} root`, { tol: 1e-10 });
        const A = blocks.reduce((x, y) => vstack(x, y));
        assertClose(matmul(transpose(R!), R!), matmul(transpose(A), A), `tsqr ${m}×${n}: RᵀR = AᵀA`, { tol: 1e-10 });
      }
    });

    it('add (n-ary), sub, copy, identity, zeros, noop', () => {
      const next = rng(11);
      for (const [r, c] of [[1, 1], [3, 7], [64, 33]] as const) {
        const xs = [0, 1, 2, 3, 4].map(() => rand(next, r, c));
        for (const n of [1, 2, 5]) check('add', xs.slice(0, n), {}, `add ${n}× ${r}×${c}`, { tol: 0 });
        check('sub', [xs[0]!, xs[1]!], {}, `sub ${r}×${c}`, { tol: 0 });
        const [cp] = check('copy', [xs[0]!], {}, 'copy', { tol: 0 });
        assert.notEqual(cp!.data, xs[0]!.data);
        check('identity', [xs[0]!], {}, 'identity', { tol: 0 });
        const [z] = check('zeros', [], { rows: r, cols: c }, 'zeros', { tol: 0 });
        assert.ok(z!.data.every((v) => v === 0) && z!.rows === r && z!.cols === c);
      }
      const [nz] = check('noop', [rand(next, 3, 3), rand(next, 2, 2)], {}, 'noop', { tol: 0 });
      assert.deepEqual([nz!.rows, nz!.cols, nz!.data[0]], [1, 1, 0]);
    });

    it('NaN and Inf propagate (no silent zeroing), in the same places as the reference', () => {
      const next = rng(12);
      const withNaN = (b: Block, ...at: [number, number][]): Block => {
        const d = b.data.slice();
        for (const [r, c] of at) d[r + c * b.rows] = NaN;
        return { ...b, data: d };
      };
      const run = (name: string, inputs: Block[], attrs: Attrs, label: string): void => {
        const got = k.run(name, inputs, attrs);
        const want = ref.run(name, inputs, attrs);
        got.forEach((b, i) => {
          assert.ok(b.data.some((v) => !Number.isFinite(v)), `${label}: output ${i + 1} lost the NaN/Inf`);
          assertSameNonFinite(b, want[i]!, `${label} output ${i + 1}`);
        });
      };
      const A = withNaN(rand(next, 9, 7), [2, 3]);
      const B = rand(next, 7, 5);
      B.data[6] = Infinity;
      run('gemm', [A, rand(next, 7, 5)], {}, 'gemm NaN in A');
      run('gemm', [rand(next, 9, 7), B], {}, 'gemm Inf in B');
      run('gemm', [rand(next, 9, 7), rand(next, 7, 5), withNaN(rand(next, 9, 5), [8, 4])], {}, 'gemm NaN in C');
      const S = withNaN(rand(next, 6, 4), [1, 1]);
      run('syrk', [spd(next, 6), S, S], {}, 'syrk A===B NaN');
      run('syrk', [withNaN(spd(next, 6), [0, 5]), rand(next, 6, 4), rand(next, 6, 4)], {}, 'syrk NaN in C');
      for (const side of ['right', 'left'] as const) {
        run('trsm', [triangular(next, 8, true, false), withNaN(rand(next, 8, 8), [3, 2])], { side }, `trsm NaN in B side=${side}`);
        const T = triangular(next, 8, false, false);
        T.data[2 + 5 * 8] = NaN;
        run('trsm', [T, rand(next, 8, 8)], { side, lower: false, trans: false }, `trsm NaN in T side=${side}`);
      }
      run('add', [withNaN(rand(next, 4, 4), [1, 2]), rand(next, 4, 4), block(4, 4, (r) => (r === 3 ? -Infinity : 0))], {}, 'add');
      run('sub', [rand(next, 4, 4), block(4, 4, (r, c) => (r === c ? Infinity : 1))], {}, 'sub');
      run('lu_nopiv', [withNaN(diagDominant(next, 7), [4, 1])], {}, 'lu_nopiv NaN');
      for (const kernel of ['qr_r', 'qr_factor']) {
        for (const out of k.run(kernel, [withNaN(rand(next, 8, 5), [6, 2])], {})) {
          assert.ok(out.data.some(Number.isNaN), `${kernel}: NaN lost`);
        }
      }
      const [F] = k.run('qr_factor', [rand(next, 6, 4)], {});
      const [QtC] = k.run('qr_apply', [F!, withNaN(rand(next, 6, 3), [5, 1])], {});
      assert.ok(QtC!.data.some(Number.isNaN), 'qr_apply: NaN lost');
    });

    it('rejects bad calls with typed KernelErrors', () => {
      const next = rng(13);
      const a = rand(next, 3, 4);
      throwsKernelError(() => k.run('gemm', [a, a], {}), 'SHAPE');
      throwsKernelError(() => k.run('gemm', [a, a, a], { transB: true }), 'SHAPE'); // C is 3×4, A·Aᵀ is 3×3
      throwsKernelError(() => k.run('chol', [a], {}), 'SHAPE');
      throwsKernelError(() => k.run('trsm', [rand(next, 4, 4), a], { side: 'left' }), 'SHAPE');
      throwsKernelError(() => k.run('syrk', [rand(next, 3, 3), a, rand(next, 3, 2)], {}), 'SHAPE');
      throwsKernelError(() => k.run('add', [a, rand(next, 4, 3)], {}), 'SHAPE');
      throwsKernelError(() => k.run('qr_apply', [rand(next, 5, 3), a], {}), 'SHAPE');
      throwsKernelError(() => k.run('chol', [], {}), 'SHAPE');
      throwsKernelError(() => k.run('copy', [{ rows: 2, cols: 2, data: new Float64Array(3) }], {}), 'SHAPE');
      throwsKernelError(() => k.run('gemm', [a, a], { transC: true }), 'BAD_ATTR');
      throwsKernelError(() => k.run('trsm', [rand(next, 4, 4), a], { side: 'up' }), 'BAD_ATTR');
      throwsKernelError(() => k.run('gemm', [a, a], { transB: 1 }), 'BAD_ATTR');
      throwsKernelError(() => k.run('zeros', [], { rows: 2 }), 'BAD_ATTR');
      throwsKernelError(() => k.run('potrf', [a], {}), 'UNKNOWN_KERNEL');
      // Backends hold implementations only: each call is validated once, here, by the loader.
      throwsKernelError(() => k.prepare('gemm', [a, a], {}), 'SHAPE');
    });

    it('flops follow specs.ts', () => {
      const next = rng(14);
      assert.equal(k.flops('gemm', [rand(next, 4, 5), rand(next, 5, 6)], {}), 2 * 4 * 5 * 6);
      assert.equal(k.flops('chol', [spd(next, 6)], {}), 6 ** 3 / 3);
    });

    it('transpose, scale, sumsq, diag: on every shape, against explicit formulas', () => {
      const next = rng(15);
      for (const [m, n] of shapes(16)) {
        const A = rand(next, m, n);
        const [T] = check('transpose', [A], {}, `transpose ${m}×${n}`, { tol: 0 });
        assert.deepEqual(T, transpose(A));
        const s = block(1, 1, [-2.5]);
        const [S] = check('scale', [A, s], {}, `scale ${m}×${n}`);
        assertClose(S!, block(m, n, (r, c) => -2.5 * at(A, r, c)), `scale ${m}×${n}: s·A`);
        let ss = 0;
        for (const v of A.data) ss += v * v;
        const [Q] = check('sumsq', [A], {}, `sumsq ${m}×${n}`);
        assertClose(Q!, block(1, 1, [ss]), `sumsq ${m}×${n}: Σa²`);
        const [Q2] = check('sumsq', [A, block(1, 1, [3])], {}, `sumsq ${m}×${n} + P`);
        assertClose(Q2!, block(1, 1, [ss + 3]), `sumsq ${m}×${n}: Σa² + P`);
        const [D] = check('diag', [A], {}, `diag ${m}×${n}`, { tol: 0 });
        assert.deepEqual(D, block(Math.min(m, n), 1, (r) => at(A, r, r)));
      }
      // Scaling by zero is elementwise: NaN and Inf stay NaN (no BLAS-style zeroing).
      const [Z] = check('scale', [block(1, 3, [1, NaN, Infinity]), block(1, 1, [0])], {}, 'scale by 0');
      assert.deepEqual([...Z!.data].map(Number.isNaN), [false, true, true]);
      throwsKernelError(() => k.run('scale', [rand(next, 2, 2), rand(next, 2, 1)], {}), 'SHAPE');
      throwsKernelError(() => k.run('sumsq', [rand(next, 2, 2), rand(next, 2, 2)], {}), 'SHAPE');
      assert.equal(k.flops('sumsq', [rand(next, 3, 4)], {}), 24);
    });

    it('lu_cand, lu_merge: the pivot rows partial pivoting picks, in pivot order, with their ids', () => {
      const next = rng(17);
      const idsOf = (r: number, base: number): Block => block(r, 1, (i) => base + 3 * i);
      for (const [m, n] of [[1, 1], [5, 3], [3, 5], [16, 16], [40, 17], [130, 64]] as const) {
        const X = rand(next, m, n);
        const I = idsOf(m, 1000);
        const [C] = check('lu_cand', [X, I], {}, `lu_cand ${m}×${n}`, { tol: 0 });
        const kk = Math.min(m, n);
        assert.deepEqual([C!.rows, C!.cols], [kk, n + 1]);
        const chosen = Array.from({ length: kk }, (_, p) => at(C!, p, n));
        assert.equal(new Set(chosen).size, kk, 'distinct rows');
        for (let p = 0; p < kk; p++) {
          const r = (chosen[p]! - 1000) / 3;
          for (let c = 0; c < n; c++) assert.equal(at(C!, p, c), at(X, r, c), 'rows as they are in X');
        }
        let best = 0;
        for (let r = 0; r < m; r++) best = Math.max(best, Math.abs(at(X, r, 0)));
        assert.equal(Math.abs(at(C!, 0, 0)), best, 'the first pivot is the largest of column 0');
        const [C2] = k.run('lu_cand', [rand(next, m + 3, n), idsOf(m + 3, 5000)], {});
        const [M] = check('lu_merge', [C!, C2!], {}, `lu_merge ${m}×${n}`, { tol: 0 });
        assert.deepEqual([M!.rows, M!.cols], [Math.min(kk + C2!.rows, n), n + 1]);
      }
      throwsKernelError(() => k.run('lu_cand', [rand(next, 4, 3), rand(next, 3, 1)], {}), 'SHAPE');
    });

    it('lu_gather and lu_scatter exchange the winners with the top block row, by id', () => {
      // Three blocks of 3 rows, ids 0…8; winners: ids 7, 1, 4 (pivot order).
      const X = [0, 1, 2].map((b) => block(3, 2, (r, c) => 10 * (3 * b + r) + c));
      const I = [0, 1, 2].map((b) => block(3, 1, (r) => 3 * b + r));
      const W = block(3, 3, (r, c) => (c === 2 ? [7, 1, 4][r]! : NaN));
      const parts = [0, 1, 2].map((b) => check('lu_gather', [W, X[b]!, I[b]!], {}, `lu_gather ${b}`, { tol: 0 })[0]!);
      const top = block(3, 2, (r, c) => parts.reduce((s, p) => s + at(p, r, c), 0));
      assert.deepEqual(top, block(3, 2, (r, c) => 10 * [7, 1, 4][r]! + c));
      // Top rows 0 and 2 (ids 0, 2) are displaced: to where ids 7 and 4 were, in W's order.
      const [S1] = check('lu_scatter', [W, X[1]!, I[1]!, X[0]!, I[0]!], {}, 'lu_scatter 1', { tol: 0 });
      const [S2] = check('lu_scatter', [W, X[2]!, I[2]!, X[0]!, I[0]!], {}, 'lu_scatter 2', { tol: 0 });
      assert.deepEqual(S2, block(3, 2, (r, c) => 10 * [6, 0, 8][r]! + c));
      assert.deepEqual(S1, block(3, 2, (r, c) => 10 * [3, 2, 5][r]! + c));
    });

    it('qr_apply_split, qr_expand, eye, zeros(A): the explicit Q and Qᵀ·B of a tree with tall leaves', () => {
      const next = rng(23);
      for (const [m, n, c] of [[9, 4, 3], [40, 17, 23], [4, 4, 2], [3, 5, 4], [1, 1, 1], [130, 64, 70]] as const) {
        const l = `${m}×${n} on ${c} columns`;
        const A = rand(next, m, n);
        const [F, R] = k.run('qr_factor', [A], {});
        const kk = Math.min(m, n);
        const C = rand(next, m, c);
        const [QtC] = ref.run('qr_apply', [F!, C], {});
        const [top, rest] = check('qr_apply_split', [F!, C], {}, `qr_apply_split ${l}`, { tol: 1e-10 });
        assert.deepEqual([top!.rows, rest!.rows, rest!.cols], [kk, m - kk, c], `${l}: split after min(m, n) rows`);
        assertClose(vstack(top!, rest!), QtC!, `${l}: the split parts are Qᵀ·C`, { tol: 1e-10 });
        // Down the tree: C′ = [top; 0] when only the rows that meet R are given.
        const Ck = rand(next, kk, c);
        const padded = vstack(Ck, block(m - kk, c, () => 0));
        const [QC] = ref.run('qr_apply', [F!, padded], { trans: false });
        const down = check('qr_apply_split', [F!, Ck], { trans: false }, `qr_apply_split down ${l}`, { tol: 1e-10 });
        assertClose(vstack(down[0]!, down[1]!), QC!, `${l}: Q·[C; 0] split`, { tol: 1e-10 });
        const [E] = check('qr_expand', [F!, Ck], { trans: false }, `qr_expand ${l}`, { tol: 1e-10 });
        assertClose(E!, QC!, `${l}: qr_expand = Q·[C; 0]`, { tol: 1e-10 });
        const [E2] = check('qr_expand', [F!, C], {}, `qr_expand ${l} m rows`, { tol: 1e-10 });
        assertClose(E2!, QtC!, `${l}: qr_expand of m rows = qr_apply`, { tol: 1e-10 });
        // The explicit thin Q: Q·[I; 0], orthonormal columns, Q·R = A.
        const [I] = check('eye', [R!], {}, `eye ${l}`, { tol: 0 });
        assert.deepEqual(I, block(kk, n, (r, cc) => (r === cc ? 1 : 0)));
        const [Q] = k.run('qr_expand', [F!, block(kk, kk, (r, cc) => (r === cc ? 1 : 0))], { trans: false });
        assertClose(matmul(transpose(Q!), Q!), block(kk, kk, (r, cc) => (r === cc ? 1 : 0)), `${l}: QᵀQ = I`, { tol: 1e-12, scale: 1 });
        assertClose(matmul(Q!, R!), A, `${l}: Q·R = A`, { tol: 1e-10 });
        throwsKernelError(() => k.run('qr_apply_split', [F!, rand(next, m + 1, c)], {}), 'SHAPE');
        throwsKernelError(() => k.run('qr_expand', [F!, rand(next, m + 1, c)], {}), 'SHAPE');
      }
      const [Z] = check('zeros', [rand(next, 3, 7)], {}, 'zeros(A)', { tol: 0 });
      assert.deepEqual(Z, block(3, 7, () => 0));
      throwsKernelError(() => k.run('zeros', [rand(next, 3, 7)], { rows: 3, cols: 7 }), 'BAD_ATTR');
    });
  });
  svdKernelSuite(backendName);
}
