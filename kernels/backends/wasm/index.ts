/**
 * The `wasm` kernel backend: portable kernels compiled from AssemblyScript (assembly/*.ts) to
 * WebAssembly with 128-bit SIMD — packed, register-tiled gemm, with chol, trsm, syrk, QR and
 * LU built on it. It needs nothing but Node, so it is what `auto` falls back to where no
 * OpenBLAS is installed (a fresh machine, a bare Lambda).
 *
 * Each backend instance owns one module instance and so one WebAssembly.Memory, which grows on
 * demand and is reused by every call (inputs, outputs and scratch live in a per-call arena).
 * Instances are not re-entrant, which matches the runtime: one executor runs one kernel at a
 * time per thread.
 *
 * @example
 * const wasm = await loadWasmBackend();
 * const [C] = wasm.kernels.gemm!([A, B], { transB: true }, heapAlloc); // unchecked: use loadKernels('wasm')
 */
import { basename } from 'node:path';
import type { KernelBackend, KernelImpl } from '../../types.ts';
import type { WasmKernelExports } from './exports.ts';
import { WasmHeap } from './heap.ts';
import { WASM_KERNELS, type WasmKernel } from './kernels.ts';
import { wasmKernelModule } from './module.ts';
import { webAssembly } from './wasm-api.ts';

/** Loads (building on first use if needed) and instantiates the wasm kernels. */
export async function loadWasmBackend(): Promise<KernelBackend> {
  const { module, file, relaxed } = await wasmKernelModule();
  const instance = await webAssembly.instantiate(module, {});
  const ex = instance.exports as unknown as WasmKernelExports;
  ex.init();
  const heap = new WasmHeap(ex);
  const bind = (name: string, kernel: WasmKernel): KernelImpl => (inputs, attrs, alloc) => {
    try {
      return kernel(ex, heap, inputs, attrs, alloc);
    } catch (e) {
      // A trap inside the module: in practice memory.grow refused (the 4 GiB wasm32 limit).
      if (e instanceof webAssembly.RuntimeError) throw new Error(`wasm kernel ${name} trapped (${e.message}): out of wasm memory?`);
      throw e;
    }
  };
  return {
    name: 'wasm',
    detail: `wasm ${relaxed ? 'simd128+relaxed-fma' : 'simd128'} (${basename(file)})`,
    kernels: Object.fromEntries(Object.entries(WASM_KERNELS).map(([name, k]) => [name, bind(name, k)])),
  };
}
