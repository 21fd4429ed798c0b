/**
 * The functions lapwing.wasm exports (see assembly/index.ts for their contracts). Pointers are
 * byte addresses in the instance's memory, handed out by `alloc` after `reset`; flags are 0/1;
 * matrices are column-major with leading dimension = rows unless an ld is passed.
 */
import type { WasmMemory } from './wasm-api.ts';

export interface WasmKernelExports {
  readonly memory: WasmMemory;
  init(): void;
  reset(): void;
  alloc(bytes: number): number;
  gemm(transA: number, transB: number, m: number, n: number, k: number, alpha: number,
    a: number, lda: number, b: number, ldb: number, beta: number, c: number): void;
  syrk(c: number, a: number, b: number, m: number, n: number, k: number): void;
  trsm(left: number, lower: number, trans: number, unit: number, alpha: number, t: number, x: number, m: number, n: number): void;
  chol(a: number, n: number): number;
  luNopiv(a: number, n: number, l: number, u: number): number;
  qrFactor(a: number, mA: number, b: number, mB: number, n: number, f: number, r: number): void;
  add(x: number, y: number, n: number): void;
  sub(a: number, b: number, n: number): void;
  qrApply(transQ: number, f: number, m: number, nf: number, c: number, mC: number, d: number, mD: number, nc: number): void;
  transposeBlock(a: number, m: number, n: number, out: number): void;
  scaleBlock(x: number, n: number, s: number): void;
  sumsq(x: number, n: number): number;
  diag(a: number, m: number, n: number, out: number): void;
  luPivotOrder(a: number, m: number, n: number, order: number): void;
}
