/**
 * The wasm backend's kernels: each copies its inputs into the instance's memory, calls one
 * export of lapwing.wasm and copies the outputs out (see heap.ts for the per-call protocol).
 * Inputs have passed specs.ts's checkCall.
 */
import { KernelError, type Allocator, type Attrs, type Block } from '../../types.ts';
import { gemmOptions, qrApplyTrans, sameData, trsmOptions } from '../../specs.ts';
import type { WasmKernelExports } from './exports.ts';
import { candidates, luGather, luScatter, stackCandidates } from '../js/pivot.ts';
import { luSingular } from '../js/factor.ts';
import { eye, qrTreeKernels } from '../js/qr-tree.ts';
import type { WasmHeap } from './heap.ts';
import { lqKernels } from '../js/lq.ts';
import { bandPack, bandSvals } from '../js/band.ts';
import { svd } from '../js/jacobi.ts';

/** One kernel of this backend. */
export type WasmKernel = (ex: WasmKernelExports, heap: WasmHeap, inputs: readonly Block[], attrs: Attrs, alloc: Allocator) => Block[];

const flag = (b: boolean): number => (b ? 1 : 0);

const gemm: WasmKernel = (ex, heap, inputs, attrs, alloc) => {
  const [A, B, C] = inputs as readonly [Block, Block, Block?];
  const { transA, transB, alpha, beta } = gemmOptions(attrs);
  const m = transA ? A.cols : A.rows;
  const k = transA ? A.rows : A.cols;
  const n = transB ? B.rows : B.cols;
  heap.reset();
  const pa = heap.put(A);
  const pb = heap.put(B);
  const pc = C ? heap.put(C) : heap.alloc(m * n);
  ex.gemm(flag(transA), flag(transB), m, n, k, alpha, pa, A.rows, pb, B.rows, C ? beta : 0, pc);
  return [heap.take(pc, m, n, alloc)];
};

const syrk: WasmKernel = (ex, heap, inputs, _attrs, alloc) => {
  const [C, A, B] = inputs as readonly [Block, Block, Block?];
  heap.reset();
  const pc = heap.put(C);
  const pa = heap.put(A);
  // The symmetric path (half the flops, exactly symmetric output) whenever B is A.
  const pb = B && !sameData(A, B) ? heap.put(B) : 0;
  ex.syrk(pc, pa, pb, C.rows, C.cols, A.cols);
  return [heap.take(pc, C.rows, C.cols, alloc)];
};

const trsm: WasmKernel = (ex, heap, inputs, attrs, alloc) => {
  const [T, B] = inputs as readonly [Block, Block];
  const o = trsmOptions(attrs);
  heap.reset();
  const pt = heap.put(T);
  const px = heap.put(B);
  ex.trsm(flag(o.side === 'left'), flag(o.lower), flag(o.trans), flag(o.unit), o.alpha, pt, px, B.rows, B.cols);
  return [heap.take(px, B.rows, B.cols, alloc)];
};

const chol: WasmKernel = (ex, heap, inputs, _attrs, alloc) => {
  const A = inputs[0]!;
  const n = A.rows;
  heap.reset();
  const pa = heap.put(A);
  const info = ex.chol(pa, n);
  if (info !== 0) {
    throw KernelError.notPositiveDefinite(info, n);
  }
  return [heap.take(pa, n, n, alloc)];
};

const luNopiv: WasmKernel = (ex, heap, inputs, _attrs, alloc) => {
  const A = inputs[0]!;
  const n = A.rows;
  heap.reset();
  const pa = heap.put(A);
  const pl = heap.alloc(n * n);
  const pu = heap.alloc(n * n);
  const info = ex.luNopiv(pa, n, pl, pu);
  if (info !== 0) throw luSingular(info, n, inputs[1]);
  return [heap.take(pl, n, n, alloc), heap.take(pu, n, n, alloc)];
};

/** qr_factor (withFactor) and qr_r share one wasm call. */
function qr(withFactor: boolean): WasmKernel {
  return (ex, heap, inputs, _attrs, alloc) => {
    const [A, B] = inputs as readonly [Block, Block?];
    const m = A.rows + (B?.rows ?? 0);
    const n = A.cols;
    const k = Math.min(m, n);
    heap.reset();
    const pa = heap.put(A);
    const pb = B ? heap.put(B) : 0;
    const pf = withFactor ? heap.alloc((m + 1) * n) : 0;
    const pr = heap.alloc(k * n);
    ex.qrFactor(pa, A.rows, pb, B?.rows ?? 0, n, pf, pr);
    const R = heap.take(pr, k, n, alloc);
    return withFactor ? [heap.take(pf, m + 1, n, alloc), R] : [R];
  };
}

const qrApply: WasmKernel = (ex, heap, inputs, attrs, alloc) => {
  const [F, C, D] = inputs as readonly [Block, Block, Block?];
  heap.reset();
  const pf = heap.put(F);
  const pc = heap.put(C);
  const pd = D ? heap.put(D) : 0;
  ex.qrApply(flag(qrApplyTrans(attrs)), pf, F.rows - 1, F.cols, pc, C.rows, pd, D?.rows ?? 0, C.cols);
  const top = heap.take(pc, C.rows, C.cols, alloc);
  return D ? [top, heap.take(pd, D.rows, D.cols, alloc)] : [top];
};

// Elementwise kernels run in wasm too: on this class of machine a JS typed-array loop costs
// ~3 ns per element, a memcpy into wasm memory and a SIMD pass well under 1. They stream
// through two cache-sized buffers, so each input is read once and the output written once.
const CHUNK = 16384;

/** out = inputs[0] ∘ inputs[1] ∘ …, chunk by chunk, with `op(acc, x, n)` folding x into acc. */
function elementwise(ex: WasmKernelExports, heap: WasmHeap, inputs: readonly Block[], alloc: Allocator, op: (acc: number, x: number, n: number) => void): Block[] {
  const first = inputs[0]!;
  const out = alloc(first.rows, first.cols);
  const total = first.data.length;
  heap.reset();
  const acc = heap.alloc(Math.min(CHUNK, total));
  const tmp = heap.alloc(Math.min(CHUNK, total));
  for (let at = 0; at < total; at += CHUNK) {
    const end = Math.min(at + CHUNK, total);
    heap.write(acc, first.data.subarray(at, end));
    for (let q = 1; q < inputs.length; q++) {
      heap.write(tmp, inputs[q]!.data.subarray(at, end));
      op(acc, tmp, end - at);
    }
    heap.read(acc, out.data, at, end - at);
  }
  return [out];
}

const add: WasmKernel = (ex, heap, inputs, _attrs, alloc) => elementwise(ex, heap, inputs, alloc, (acc, x, n) => ex.add(x, acc, n));
const sub: WasmKernel = (ex, heap, inputs, _attrs, alloc) => elementwise(ex, heap, inputs, alloc, (acc, x, n) => ex.sub(acc, x, n));

// copy is a memcpy into the output: nothing to gain in wasm.
const copy: WasmKernel = (_ex, _heap, inputs, _attrs, alloc) => {
  const A = inputs[0]!;
  const out = alloc(A.rows, A.cols);
  out.data.set(A.data);
  return [out];
};

// The Allocator contract gives zero-filled blocks.
const zeros: WasmKernel = (_ex, _heap, inputs, attrs, alloc) => {
  const like = inputs[0];
  return [like ? alloc(like.rows, like.cols) : alloc(Number(attrs.rows), Number(attrs.cols))];
};
const noop: WasmKernel = (_ex, _heap, _inputs, _attrs, alloc) => [alloc(1, 1)];

const transposeK: WasmKernel = (ex, heap, inputs, _attrs, alloc) => {
  const A = inputs[0]!;
  heap.reset();
  const pa = heap.put(A);
  const po = heap.alloc(A.rows * A.cols);
  ex.transposeBlock(pa, A.rows, A.cols, po);
  return [heap.take(po, A.cols, A.rows, alloc)];
};

const scale: WasmKernel = (ex, heap, inputs, _attrs, alloc) => {
  const [A, s] = inputs as readonly [Block, Block];
  heap.reset();
  const pa = heap.put(A);
  ex.scaleBlock(pa, A.data.length, s.data[0]!);
  return [heap.take(pa, A.rows, A.cols, alloc)];
};

const sumsq: WasmKernel = (ex, heap, inputs, _attrs, alloc) => {
  const [A, P] = inputs as readonly [Block, Block?];
  heap.reset();
  const s = ex.sumsq(heap.put(A), A.data.length);
  const out = alloc(1, 1);
  out.data[0] = P ? s + P.data[0]! : s;
  return [out];
};

const diag: WasmKernel = (ex, heap, inputs, _attrs, alloc) => {
  const A = inputs[0]!;
  const k = Math.min(A.rows, A.cols);
  heap.reset();
  const pa = heap.put(A);
  const po = heap.alloc(k);
  ex.diag(pa, A.rows, A.cols, po);
  return [heap.take(po, k, 1, alloc)];
};

/** The pivot rows of the m × n column-major `rows` (getrf's choice), eliminated in wasm. */
function wasmPivotOrder(ex: WasmKernelExports, heap: WasmHeap, rows: Float64Array, m: number, n: number): number[] {
  heap.reset();
  const pa = heap.alloc(m * n);
  heap.write(pa, rows.subarray(0, m * n));
  const po = heap.alloc(Math.ceil(m / 2)); // m i32s
  ex.luPivotOrder(pa, m, n, po);
  const order = new Int32Array(ex.memory.buffer, po, m);
  return Array.from(order.subarray(0, Math.min(m, n)));
}

const luCand: WasmKernel = (ex, heap, inputs, _attrs, alloc) => {
  const [X, I] = inputs as readonly [Block, Block];
  return [candidates(X.data, X.rows, X.cols, I.data, wasmPivotOrder(ex, heap, X.data, X.rows, X.cols), alloc)];
};

const luMerge: WasmKernel = (ex, heap, inputs, _attrs, alloc) => {
  const { data, m, n } = stackCandidates(inputs);
  return [candidates(data, m, n, data.subarray(m * n), wasmPivotOrder(ex, heap, data, m, n), alloc)];
};

// Row exchanges by id are data movement, the same loops as the reference.
const byReference = (f: (inputs: readonly Block[], attrs: Attrs, alloc: Allocator) => Block[]): WasmKernel =>
  (_ex, _heap, inputs, attrs, alloc) => f(inputs, attrs, alloc);

// The tree kernels move rows around wasm's own qr_apply (shared with the other backends).
const treeKernels = (name: 'qr_apply_split' | 'qr_expand'): WasmKernel =>
  (ex, heap, inputs, attrs, alloc) => qrTreeKernels((i, a, al) => qrApply(ex, heap, i, a, al))[name](inputs, attrs, alloc);

// LQ is this backend's SIMD QR on transposed blocks; the band and Jacobi SVD stages are the
// reference's scalar loops (rotations on pairs of rows and columns, little for SIMD to win).
const lq = (ex: WasmKernelExports, heap: WasmHeap) => lqKernels(
  (inputs, attrs, alloc) => qr(true)(ex, heap, inputs, attrs, alloc),
  (inputs, attrs, alloc) => qrApply(ex, heap, inputs, attrs, alloc),
);
const lqFactor: WasmKernel = (ex, heap, inputs, attrs, alloc) => lq(ex, heap).lq_factor(inputs, attrs, alloc);
const lqApply: WasmKernel = (ex, heap, inputs, attrs, alloc) => lq(ex, heap).lq_apply(inputs, attrs, alloc);

/** Every kernel of specs.ts, by name. */
export const WASM_KERNELS: Readonly<Record<string, WasmKernel>> = {
  chol, trsm, syrk, gemm, add, sub, copy, identity: copy, zeros,
  qr_factor: qr(true), qr_r: qr(false), qr_apply: qrApply, lu_nopiv: luNopiv, noop,
  transpose: transposeK, scale, sumsq, diag,
  lu_cand: luCand, lu_merge: luMerge, lu_gather: byReference(luGather), lu_scatter: byReference(luScatter),
  qr_apply_split: treeKernels('qr_apply_split'), qr_expand: treeKernels('qr_expand'), eye: byReference(eye),
  lq_factor: lqFactor, lq_apply: lqApply, band_pack: byReference(bandPack), band_svals: byReference(bandSvals), svd: byReference(svd),
};
