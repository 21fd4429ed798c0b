/**
 * Public API of the kernel layer; lang/ and runtime/ import only this module.
 *
 * Blocks are column-major float64 (types.ts); every kernel, its attributes and its shape rules
 * are in specs.ts. Load a backend once, then run kernels through it:
 *
 * @example
 * import { loadKernels, heapAlloc } from './index.ts';
 * const k = await loadKernels('auto');            // openblas if it loads, else wasm
 * const [L] = k.run('chol', [a], {}, heapAlloc);  // KernelError NOT_POSITIVE_DEFINITE if not SPD
 * console.log(k.backend.name, k.flops('chol', [a], {}));
 */
export * from './types.ts';
export { LapwingError, isLapwingError, isRetryable, type ErrorTraits } from './errors.ts';
export { kernelSpecs, kernelSpec } from './specs.ts';
export { loadKernels, kernelsFor, KernelLoadError, KERNEL_CHOICES, type Kernels, type KernelCall } from './loader.ts';
export { checkCall, sameData, trsmOptions, gemmOptions, qrApplyTrans, type CheckedCall, type TrsmOptions, type GemmOptions } from './specs.ts';
export { seededRandom } from './random.ts';
