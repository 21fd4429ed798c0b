// The js reference backend: the shared suite (which compares it with itself, so what it adds
// here is its structural checks), and checks against naive formulas and hand-worked values.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadKernels, type Block } from '../../kernels/index.ts';
import { kernelSuite } from './suite.ts';
import { assertClose, at, block, diagDominant, matmul, rand, rng, spd, transpose, triangular } from './helpers.ts';

kernelSuite('js');

/** The triangle a trsm call reads, as an explicit matrix (unit diagonal when asked). */
function explicitTriangle(T: Block, lower: boolean, unit: boolean): Block {
  return block(T.rows, T.cols, (r, c) => (r === c ? (unit ? 1 : at(T, r, c)) : (lower ? r > c : r < c) ? at(T, r, c) : 0));
}

const scale = (b: Block, s: number): Block => ({ ...b, data: b.data.map((v) => v * s) });

describe('js backend against naive formulas', async () => {
  const k = await loadKernels('js');
  const next = rng(42);

  it('gemm = alpha·op(A)·op(B) + beta·C with explicit transposes', () => {
    const A = rand(next, 6, 4);
    const B = rand(next, 4, 5);
    const C = rand(next, 6, 5);
    const want = block(6, 5, (r, c) => 0.5 * at(matmul(A, B), r, c) - 2 * at(C, r, c));
    assertClose(k.run('gemm', [transpose(A), transpose(B), C], { transA: true, transB: true, alpha: 0.5, beta: -2 })[0]!, want, 'gemm tt');
    assertClose(k.run('gemm', [A, transpose(B)], { transB: true })[0]!, matmul(A, B), 'gemm nt');
  });

  it('syrk = C − A·Bᵀ', () => {
    const C = rand(next, 5, 3);
    const A = rand(next, 5, 4);
    const B = rand(next, 3, 4);
    const AB = matmul(A, transpose(B));
    assertClose(k.run('syrk', [C, A, B], {})[0]!, block(5, 3, (r, c) => at(C, r, c) - at(AB, r, c)), 'syrk');
  });

  it('trsm solves op(T)·X = alpha·B and X·op(T) = alpha·B for every variant', () => {
    for (const side of ['left', 'right'] as const) {
      for (const lower of [true, false]) {
        for (const trans of [true, false]) {
          for (const unit of [true, false]) {
            const T = triangular(next, 6, lower, unit);
            const B = rand(next, 6, 6);
            const [X] = k.run('trsm', [T, B], { side, lower, trans, unit, alpha: 2 });
            const S = explicitTriangle(T, lower, unit);
            const opT = trans ? transpose(S) : S;
            const lhs = side === 'left' ? matmul(opT, X!) : matmul(X!, opT);
            assertClose(lhs, scale(B, 2), `trsm side=${side} lower=${lower} trans=${trans} unit=${unit}`);
          }
        }
      }
    }
  });

  it('chol: L·Lᵀ = A; lu_nopiv: L·U = A', () => {
    const A = spd(next, 12);
    const [L] = k.run('chol', [A], {});
    assertClose(matmul(L!, transpose(L!)), A, 'L·Lᵀ');
    const D = diagDominant(next, 12);
    const [Lu, U] = k.run('lu_nopiv', [D], {});
    assertClose(matmul(Lu!, U!), D, 'L·U');
  });

  it('Householder QR follows LAPACK dgeqrf/dlarfg: worked 2×1 example', () => {
    // alpha = 3, ‖x‖ = 4: beta = −sign(3)·5 = −5, tau = (beta − alpha)/beta = 1.6, v = 4/(3 + 5) = 0.5.
    const [F, R] = k.run('qr_factor', [block(2, 1, [3, 4])], {});
    assert.deepEqual(Array.from(F!.data), [-5, 0.5, 1.6]);
    assert.deepEqual(Array.from(R!.data), [-5]);
    // A negative alpha gives a positive beta; a zero x gives tau = 0 and keeps the sign.
    assert.deepEqual(Array.from(k.run('qr_r', [block(2, 1, [-3, 4])], {})[0]!.data), [5]);
    assert.deepEqual(Array.from(k.run('qr_factor', [block(2, 1, [-3, 0])], {})[0]!.data), [-3, 0, 0]);
  });

  it('Q from qr_apply is orthogonal and Qᵀ·A = [R; 0]', () => {
    const A = rand(next, 7, 4);
    const [F, R] = k.run('qr_factor', [A], {});
    const I = block(7, 7, (r, c) => (r === c ? 1 : 0));
    const [Q] = k.run('qr_apply', [F!, I], { trans: false });
    assertClose(matmul(transpose(Q!), Q!), I, 'QᵀQ = I');
    const QtA = matmul(transpose(Q!), A);
    assertClose(QtA, block(7, 4, (r, c) => (r < 4 ? at(R!, r, c) : 0)), 'Qᵀ·A = [R; 0]', { scale: 1 });
  });

  it('add/sub/copy/zeros/noop', () => {
    const a = block(2, 2, [1, 2, 3, 4]);
    const b = block(2, 2, [10, 20, 30, 40]);
    assert.deepEqual(Array.from(k.run('add', [a, b, b], {})[0]!.data), [21, 42, 63, 84]);
    assert.deepEqual(Array.from(k.run('sub', [a, b], {})[0]!.data), [-9, -18, -27, -36]);
    assert.deepEqual(Array.from(k.run('copy', [a], {})[0]!.data), [1, 2, 3, 4]);
    assert.deepEqual(k.run('zeros', [], { rows: 2, cols: 3 })[0]!.data, new Float64Array(6));
    assert.deepEqual(Array.from(k.run('noop', [a, b], {})[0]!.data), [0]);
  });
});
