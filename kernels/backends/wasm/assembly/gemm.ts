// Packed, register-tiled matrix multiply: the engine of every level-3 kernel here.
//
// Goto/BLIS structure. C (m×n) is cut into NC-wide column slabs; k into KC-deep slices; for
// each slice op(B) is packed into NR-wide panels (kc × NC, contiguous per k step) and, for each
// MC-tall row block, op(A) into MR-tall panels (mc × kc, scaled by alpha while packing). The
// 4×4 micro-kernel keeps the whole C tile in eight f64x2 accumulators and streams one A panel
// and one B panel, both contiguous, so transposes cost nothing after packing. Edge tiles are
// computed into a zero-padded scratch tile and only the valid part is added to C.
//
// `lower` restricts the update to tiles that touch the lower triangle (row ≥ column) of a C
// whose diagonal starts at (0, 0): the symmetric rank-k update of Cholesky and syrk then costs
// half a gemm. Elements above the diagonal in a straddling tile are written too (callers
// ignore or clear them).

import { madd, imin, at, scaleMatrix } from './simd';
import { arenaAlloc } from './arena';

const MR = 4;
const NR = 4;
/** Depth of a packed slice: an A and a B micro-panel (2 × 4·KC doubles = 16 KiB) stay in L1. */
const KC = 256;
/** Rows of A packed at once: MC·KC doubles = 256 KiB, sized for L2. */
const MC = 128;
/** Columns of B packed at once: KC·NC doubles = 4 MiB, sized for L3. */
const NC = 2048;

let packA: usize = 0;
let packB: usize = 0;
let edge: usize = 0;

/** Allocates the permanent packing buffers; call once before the arena is reset for use. */
export function gemmInit(): void {
  packA = arenaAlloc(<usize>(MC * KC) << 3);
  packB = arenaAlloc(<usize>(KC * NC) << 3);
  edge = arenaAlloc(<usize>(MR * NR) << 3);
}

/**
 * C = alpha·op(A)·op(B) + beta·C, with op(A) m×k and op(B) k×n (BLAS dgemm semantics: beta = 0
 * does not read C, alpha = 0 does not read A or B).
 */
export function gemm(
  transA: bool, transB: bool, m: i32, n: i32, k: i32, alpha: f64,
  a: usize, lda: i32, b: usize, ldb: i32, beta: f64, c: usize, ldc: i32, lower: bool,
): void {
  if (m <= 0 || n <= 0) return;
  if (beta != 1) scaleMatrix(m, n, beta, c, ldc);
  if (k <= 0 || alpha == 0) return;
  for (let jc = 0; jc < n; jc += NC) {
    const nc = imin(NC, n - jc);
    for (let pc = 0; pc < k; pc += KC) {
      const kc = imin(KC, k - pc);
      packPanelsB(transB, b, ldb, pc, jc, kc, nc);
      for (let ic = 0; ic < m; ic += MC) {
        const mc = imin(MC, m - ic);
        if (lower && ic + mc <= jc) continue; // block entirely above the diagonal
        packPanelsA(transA, a, lda, ic, pc, mc, kc, alpha);
        macroKernel(mc, nc, kc, ic, jc, c, ldc, lower);
      }
    }
  }
}

function macroKernel(mc: i32, nc: i32, kc: i32, ic: i32, jc: i32, c: usize, ldc: i32, lower: bool): void {
  const panelA = <usize>(MR * kc) << 3;
  const panelB = <usize>(NR * kc) << 3;
  for (let jr = 0; jr < nc; jr += NR) {
    const nr = imin(NR, nc - jr);
    const pb = packB + (<usize>(jr / NR)) * panelB;
    let ir = 0;
    // Skip whole tiles above the diagonal: a tile touches row ≥ col iff its last row ≥ first col.
    if (lower) {
      const first = jc + jr - ic - (MR - 1);
      if (first > 0) ir = ((first + MR - 1) / MR) * MR;
    }
    for (; ir < mc; ir += MR) {
      const mr = imin(MR, mc - ir);
      const pa = packA + (<usize>(ir / MR)) * panelA;
      const ct = at(c, ldc, ic + ir, jc + jr);
      if (mr == MR && nr == NR) {
        micro4x4(kc, pa, pb, ct, ldc);
      } else {
        memory.fill(edge, 0, <usize>(MR * NR) << 3);
        micro4x4(kc, pa, pb, edge, MR);
        for (let j = 0; j < nr; j++) {
          for (let i = 0; i < mr; i++) {
            const p = at(ct, ldc, i, j);
            store<f64>(p, load<f64>(p) + load<f64>(edge + (<usize>(i + j * MR) << 3)));
          }
        }
      }
    }
  }
}

/** C tile (4×4, ldc) += packed A panel (4 × kc) · packed B panel (kc × 4). */
// @ts-ignore: decorator
@inline function micro4x4(kc: i32, pa: usize, pb: usize, c: usize, ldc: i32): void {
  let c00 = f64x2.splat(0), c10 = f64x2.splat(0), c01 = f64x2.splat(0), c11 = f64x2.splat(0);
  let c02 = f64x2.splat(0), c12 = f64x2.splat(0), c03 = f64x2.splat(0), c13 = f64x2.splat(0);
  for (let p = 0; p < kc; p++) {
    const a0 = v128.load(pa), a1 = v128.load(pa, 16);
    let bv = v128.load64_splat(pb);
    c00 = madd(a0, bv, c00); c10 = madd(a1, bv, c10);
    bv = v128.load64_splat(pb, 8);
    c01 = madd(a0, bv, c01); c11 = madd(a1, bv, c11);
    bv = v128.load64_splat(pb, 16);
    c02 = madd(a0, bv, c02); c12 = madd(a1, bv, c12);
    bv = v128.load64_splat(pb, 24);
    c03 = madd(a0, bv, c03); c13 = madd(a1, bv, c13);
    pa += 32;
    pb += 32;
  }
  const l = <usize>ldc << 3;
  v128.store(c, f64x2.add(v128.load(c), c00));
  v128.store(c, f64x2.add(v128.load(c, 16), c10), 16);
  c += l;
  v128.store(c, f64x2.add(v128.load(c), c01));
  v128.store(c, f64x2.add(v128.load(c, 16), c11), 16);
  c += l;
  v128.store(c, f64x2.add(v128.load(c), c02));
  v128.store(c, f64x2.add(v128.load(c, 16), c12), 16);
  c += l;
  v128.store(c, f64x2.add(v128.load(c), c03));
  v128.store(c, f64x2.add(v128.load(c, 16), c13), 16);
}

/** Packs op(A)[ic:ic+mc, pc:pc+kc]·alpha into MR-row panels, each kc steps of MR values. */
function packPanelsA(transA: bool, a: usize, lda: i32, ic: i32, pc: i32, mc: i32, kc: i32, alpha: f64): void {
  const va = f64x2.splat(alpha);
  let dst = packA;
  for (let ir = 0; ir < mc; ir += MR) {
    const mr = imin(MR, mc - ir);
    const i0 = ic + ir;
    if (!transA && mr == MR) {
      // op(A)[i0..i0+3, p] is contiguous in column p of A.
      let src = at(a, lda, i0, pc);
      const step = <usize>lda << 3;
      for (let p = 0; p < kc; p++) {
        v128.store(dst, f64x2.mul(v128.load(src), va));
        v128.store(dst, f64x2.mul(v128.load(src, 16), va), 16);
        src += step;
        dst += 32;
      }
    } else if (transA && mr == MR) {
      // op(A)[i, p] = A[p, i]: four columns of A, each contiguous in p.
      const s0 = at(a, lda, pc, i0), s1 = at(a, lda, pc, i0 + 1);
      const s2 = at(a, lda, pc, i0 + 2), s3 = at(a, lda, pc, i0 + 3);
      for (let p = 0; p < kc; p++) {
        const o = <usize>p << 3;
        store<f64>(dst, load<f64>(s0 + o) * alpha);
        store<f64>(dst, load<f64>(s1 + o) * alpha, 8);
        store<f64>(dst, load<f64>(s2 + o) * alpha, 16);
        store<f64>(dst, load<f64>(s3 + o) * alpha, 24);
        dst += 32;
      }
    } else {
      for (let p = 0; p < kc; p++) {
        for (let i = 0; i < MR; i++) {
          let v: f64 = 0;
          if (i < mr) v = (transA ? load<f64>(at(a, lda, pc + p, i0 + i)) : load<f64>(at(a, lda, i0 + i, pc + p))) * alpha;
          store<f64>(dst + (<usize>i << 3), v);
        }
        dst += 32;
      }
    }
  }
}

/** Packs op(B)[pc:pc+kc, jc:jc+nc] into NR-column panels, each kc steps of NR values. */
function packPanelsB(transB: bool, b: usize, ldb: i32, pc: i32, jc: i32, kc: i32, nc: i32): void {
  let dst = packB;
  for (let jr = 0; jr < nc; jr += NR) {
    const nr = imin(NR, nc - jr);
    const j0 = jc + jr;
    if (!transB && nr == NR) {
      // op(B)[p, j] = B[p, j]: four columns of B, each contiguous in p.
      const s0 = at(b, ldb, pc, j0), s1 = at(b, ldb, pc, j0 + 1);
      const s2 = at(b, ldb, pc, j0 + 2), s3 = at(b, ldb, pc, j0 + 3);
      for (let p = 0; p < kc; p++) {
        const o = <usize>p << 3;
        store<f64>(dst, load<f64>(s0 + o));
        store<f64>(dst, load<f64>(s1 + o), 8);
        store<f64>(dst, load<f64>(s2 + o), 16);
        store<f64>(dst, load<f64>(s3 + o), 24);
        dst += 32;
      }
    } else if (transB && nr == NR) {
      // op(B)[p, j0..j0+3] = B[j0..j0+3, p]: contiguous in column p of B.
      let src = at(b, ldb, j0, pc);
      const step = <usize>ldb << 3;
      for (let p = 0; p < kc; p++) {
        v128.store(dst, v128.load(src));
        v128.store(dst, v128.load(src, 16), 16);
        src += step;
        dst += 32;
      }
    } else {
      for (let p = 0; p < kc; p++) {
        for (let j = 0; j < NR; j++) {
          let v: f64 = 0;
          if (j < nr) v = transB ? load<f64>(at(b, ldb, j0 + j, pc + p)) : load<f64>(at(b, ldb, pc + p, j0 + j));
          store<f64>(dst + (<usize>j << 3), v);
        }
        dst += 32;
      }
    }
  }
}
