// Direct checks of the wasm backend against straightforward formulas (naive products, L·Lᵀ = A,
// Q·R = A), at the sizes that cross its internal blocking: gemm's KC = 256 / MC = 128 /
// NC = 2048 panels and 4×4 edge tiles, the recursive splits of chol / trsm / lu_nopiv, and
// QR's 32-column panels. The shared suite (wasm.test.ts) compares with the js reference.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { loadWasmBackend } from '../../kernels/backends/wasm/index.ts';
import { kernelsFor, type Attrs, type Block, type KernelBackend } from '../../kernels/index.ts';
import { assertClose, at, block, matmul, rand, recordingAlloc, rng, spd, transpose, vstack } from './helpers.ts';

let wasm: KernelBackend;
const run = (name: string, inputs: Block[], attrs: Attrs = {}): Block[] => kernelsFor(wasm).run(name, inputs, attrs, recordingAlloc());

/** The explicit matrix of op(T) for a triangle stored in T (the other triangle ignored). */
function opTri(T: Block, lower: boolean, trans: boolean, unit: boolean): Block {
  const t = block(T.rows, T.cols, (r, c) => (r === c ? (unit ? 1 : at(T, r, c)) : (lower ? r > c : r < c) ? at(T, r, c) : 0));
  return trans ? transpose(t) : t;
}

const scaled = (b: Block, s: number): Block => ({ ...b, data: b.data.map((v) => v * s) });

describe('wasm backend, direct', () => {
  before(async () => {
    wasm = await loadWasmBackend();
  });

  it('names itself', () => {
    assert.equal(wasm.name, 'wasm');
    assert.match(wasm.detail, /^wasm simd128/);
  });

  it('gemm = naive product at 1, 3, 17, 64, 130 and rectangular shapes', () => {
    const next = rng(101);
    const dims: [number, number, number][] = [[1, 1, 1], [3, 3, 3], [17, 17, 17], [64, 64, 64], [130, 130, 130], [5, 130, 3], [130, 2, 64], [9, 17, 1]];
    for (const [m, n, k] of dims) {
      const A = rand(next, m, k);
      const B = rand(next, k, n);
      assertClose(run('gemm', [A, B])[0]!, matmul(A, B), `gemm ${m}×${n}×${k}`);
      const [At] = run('gemm', [transpose(A), transpose(B)], { transA: true, transB: true });
      assertClose(At!, matmul(A, B), `gemm ${m}×${n}×${k} transA transB`);
    }
  });

  it('gemm crosses every cache block: k > KC, m > MC, n > NC, with C and alpha/beta', () => {
    const next = rng(102);
    const [m, n, k] = [133, 2051, 261];
    const A = rand(next, k, m); // used transposed
    const B = rand(next, k, n);
    const C = rand(next, m, n);
    const [X] = run('gemm', [A, B, C], { transA: true, alpha: -0.5, beta: 2 });
    const want = matmul(transpose(A), B);
    const expect = block(m, n, (r, c) => -0.5 * at(want, r, c) + 2 * at(C, r, c));
    assertClose(X!, expect, 'gemm 133×2051×261', { tol: 1e-12 });
  });

  it('syrk = C − A·Bᵀ, symmetric and not, past the blocking thresholds', () => {
    const next = rng(103);
    for (const [n, k] of [[1, 1], [3, 2], [131, 260], [300, 17]] as const) {
      const A = rand(next, n, k);
      const C = spd(next, n);
      const [S] = run('syrk', [C, A]);
      const AAt = matmul(A, transpose(A));
      const want = block(n, n, (r, c) => at(C, r, c) - at(AAt, r, c));
      assertClose(S!, want, `syrk ${n}×${k}`);
      for (let j = 0; j < n; j++) for (let i = 0; i < j; i++) assert.equal(at(S!, i, j), at(S!, j, i), `syrk ${n}: symmetric`);
      const B = rand(next, 70, k);
      const C2 = rand(next, n, 70);
      const [S2] = run('syrk', [C2, A, B]);
      const AB = matmul(A, transpose(B));
      assertClose(S2!, block(n, 70, (r, c) => at(C2, r, c) - at(AB, r, c)), `syrk ${n}×70×${k} A≠B`);
    }
  });

  it('trsm: op(T)·X = alpha·B or X·op(T) = alpha·B for all 16 variants at recursive sizes', () => {
    const next = rng(104);
    const [m, n] = [150, 37];
    for (const side of ['left', 'right'] as const) {
      for (const lower of [true, false]) {
        for (const trans of [true, false]) {
          for (const unit of [true, false]) {
            const t = side === 'left' ? m : n;
            const T = block(t, t, (r, c) => (r === c ? 2 + next() : (2 * next() - 1) / Math.sqrt(t)));
            const B = rand(next, m, n);
            const [X] = run('trsm', [T, B], { side, lower, trans, unit, alpha: 1.25 });
            const op = opTri(T, lower, trans, unit);
            const lhs = side === 'left' ? matmul(op, X!) : matmul(X!, op);
            assertClose(lhs, scaled(B, 1.25), `trsm side=${side} lower=${lower} trans=${trans} unit=${unit}`, { tol: 1e-12 });
          }
        }
      }
    }
  });

  it('chol: L·Lᵀ = A at 1, 3, 17, 64, 130, 300', () => {
    const next = rng(105);
    for (const n of [1, 3, 17, 64, 130, 300]) {
      const A = spd(next, n);
      const [L] = run('chol', [A]);
      for (let j = 0; j < n; j++) for (let i = 0; i < j; i++) assert.equal(at(L!, i, j), 0);
      assertClose(matmul(L!, transpose(L!)), A, `chol ${n}`, { tol: 1e-13 });
    }
  });

  it('chol reports the failing leading minor inside a recursive split', () => {
    const next = rng(106);
    const n = 300;
    const A = spd(next, n);
    A.data[233 + 233 * n] = -5;
    assert.throws(() => run('chol', [A]), (e: unknown) => (e as { code?: string; minor?: number }).code === 'NOT_POSITIVE_DEFINITE' && (e as { minor?: number }).minor === 234);
  });

  it('lu_nopiv: L·U = A at 1, 3, 17, 64, 130, 257', () => {
    const next = rng(107);
    for (const n of [1, 3, 17, 64, 130, 257]) {
      const A = block(n, n, (r, c) => (r === c ? n + next() : 2 * next() - 1));
      const [L, U] = run('lu_nopiv', [A]);
      assertClose(matmul(L!, U!), A, `lu ${n}`, { tol: 1e-13 });
    }
  });

  it('qr: Q·R = A and QᵀQ = I, alone and stacked, square and rectangular, across panels', () => {
    const next = rng(108);
    const cases: [number, number, number][] = [[1, 0, 1], [3, 0, 3], [17, 0, 17], [64, 0, 64], [130, 0, 130], [200, 0, 70], [40, 0, 90], [96, 96, 96], [5, 3, 64]];
    for (const [m1, m2, n] of cases) {
      const A = rand(next, m1, n);
      const Bk = m2 > 0 ? rand(next, m2, n) : undefined;
      const inputs = Bk ? [A, Bk] : [A];
      const full = Bk ? vstack(A, Bk) : A;
      const m = m1 + m2;
      const k = Math.min(m, n);
      const [F, R] = run('qr_factor', inputs);
      assert.equal(F!.rows, m + 1);
      const [R2] = run('qr_r', inputs);
      assert.deepEqual(R2!.data, R!.data, 'qr_r computes the same R');
      // Q·[R; 0] = A, with Q applied to the whole stacked height at once.
      const RZ = block(m, n, (r, c) => (r < k ? at(R!, r, c) : 0));
      const [QR] = run('qr_apply', [F!, RZ], { trans: false });
      assertClose(QR!, full, `qr ${m1}+${m2}×${n}: Q·R = A`, { tol: 1e-13 });
      // Qᵀ·(Q·I) = I.
      const I = block(m, m, (r, c) => (r === c ? 1 : 0));
      const [Q] = run('qr_apply', [F!, I], { trans: false });
      const [QtQ] = run('qr_apply', [F!, Q!]);
      assertClose(QtQ!, I, `qr ${m1}+${m2}×${n}: QᵀQ = I`, { tol: 1e-13 });
      // dlarfg's convention: tau ∈ [1, 2] or 0 for every reflector.
      for (let j = 0; j < k; j++) {
        const tau = at(F!, m, j);
        assert.ok(tau === 0 || (tau >= 1 && tau <= 2), `tau ${tau}`);
      }
    }
  });

  it('add (n-ary) and sub stream across chunk boundaries, summing left to right', () => {
    const next = rng(111);
    const xs = [0, 1, 2, 3, 4].map(() => rand(next, 201, 99)); // 19,899 entries: more than one 16,384 chunk
    const [sum] = run('add', xs);
    const want = xs[0]!.data.slice();
    for (const x of xs.slice(1)) for (let i = 0; i < want.length; i++) want[i] = want[i]! + x.data[i]!;
    assert.deepEqual(sum!.data, want);
    const [d] = run('sub', [xs[0]!, xs[1]!]);
    assert.deepEqual(d!.data, xs[0]!.data.map((v, i) => v - xs[1]!.data[i]!));
  });

  it('empty blocks give empty (or zero) results of the right shape', () => {
    const e = (r: number, c: number): Block => block(r, c, () => 1);
    const shape = (b: Block): string => `${b.rows}×${b.cols}`;
    assert.deepEqual(run('gemm', [e(0, 3), e(3, 4)]).map(shape), ['0×4']);
    assert.deepEqual(Array.from(run('gemm', [e(3, 0), e(0, 4), e(3, 4)], { beta: 2 })[0]!.data), new Array(12).fill(2));
    assert.deepEqual(run('trsm', [e(3, 3), e(0, 3)]).map(shape), ['0×3']);
    assert.deepEqual(run('chol', [e(0, 0)]).map(shape), ['0×0']);
    assert.deepEqual(run('lu_nopiv', [e(0, 0)]).map(shape), ['0×0', '0×0']);
    assert.deepEqual(Array.from(run('syrk', [e(3, 3), e(3, 0)])[0]!.data), new Array(9).fill(1));
    assert.deepEqual(run('qr_factor', [e(0, 3)]).map(shape), ['1×3', '0×3']);
    assert.deepEqual(run('qr_factor', [e(3, 0)]).map(shape), ['4×0', '0×0']);
    assert.deepEqual(run('qr_apply', [e(4, 3), e(3, 0)]).map(shape), ['3×0']);
  });

  it('reuses its memory: a large call then small ones stay correct, and results are reproducible', () => {
    const next = rng(109);
    const big = rand(next, 400, 400);
    const small = rand(next, 5, 7);
    const s2 = rand(next, 7, 3);
    const first = run('gemm', [small, s2])[0]!;
    run('gemm', [big, big]);
    const again = run('gemm', [small, s2])[0]!;
    assert.deepEqual(again.data, first.data);
    assertClose(first, matmul(small, s2), 'small gemm after a large one');
  });

  it('reads SharedArrayBuffer-backed inputs', () => {
    const next = rng(110);
    const A = rand(next, 9, 9);
    const shared = new Float64Array(new SharedArrayBuffer(81 * 8));
    shared.set(A.data);
    const [X] = run('gemm', [{ rows: 9, cols: 9, data: shared }, A]);
    assertClose(X!, matmul(A, A), 'gemm on shared memory');
  });

  it('the relaxed-SIMD (FMA) binary computes the same, where the engine accepts it', () => {
    // Node 20 validates relaxed SIMD only behind a flag: run a child process with it.
    const script = `
      const { loadWasmBackend } = await import(${JSON.stringify(new URL('../../kernels/backends/wasm/index.ts', import.meta.url).href)});
      const { heapAlloc } = await import(${JSON.stringify(new URL('../../kernels/types.ts', import.meta.url).href)});
      const w = await loadWasmBackend();
      const n = 67, A = { rows: n, cols: n, data: Float64Array.from({ length: n * n }, (_, i) => Math.sin(i)) };
      const [C] = w.kernels.gemm([A, A], { transB: true }, heapAlloc);
      let err = 0;
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
        let s = 0; for (let p = 0; p < n; p++) s += A.data[i + p * n] * A.data[j + p * n];
        err = Math.max(err, Math.abs(s - C.data[i + j * n]));
      }
      console.log(JSON.stringify({ detail: w.detail, err }));`;
    const res = spawnSync(process.execPath, ['--experimental-wasm-relaxed-simd', '--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: fileURLToPath(new URL('../..', import.meta.url)),
      encoding: 'utf8',
    });
    assert.equal(res.status, 0, res.stderr);
    const out = JSON.parse(res.stdout.trim().split('\n').pop()!) as { detail: string; err: number };
    assert.match(out.detail, /relaxed/);
    assert.ok(out.err < 1e-12, `max error ${out.err}`);
  });
});
