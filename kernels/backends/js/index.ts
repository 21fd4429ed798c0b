/**
 * The `js` backend: plain TypeScript reference kernels, the oracle of the kernel test suite.
 * Clarity over speed (about 1 GFLOP/s); never chosen by `auto`.
 */
import { KernelError, type Allocator, type Attrs, type Block, type KernelBackend } from '../../types.ts';
import { checkCall, type KernelImpl } from '../../checks.ts';
import { gemm, syrk, trsm } from './blas.ts';
import { chol, luNopiv } from './factor.ts';
import { qrApply, qrFactor, qrR } from './householder.ts';
import { add, copy, noop, sub, zeros } from './elementwise.ts';

const IMPLS: Readonly<Record<string, KernelImpl>> = {
  chol, trsm, syrk, gemm, add, sub, copy, identity: copy, zeros,
  qr_factor: qrFactor, qr_r: qrR, qr_apply: qrApply, lu_nopiv: luNopiv, noop,
};

/** Creates the reference backend (stateless, so one instance can be shared). */
export function createJsBackend(): KernelBackend {
  return {
    name: 'js',
    detail: 'TypeScript reference kernels',
    run(name: string, inputs: readonly Block[], attrs: Attrs, alloc: Allocator): Block[] {
      checkCall(name, inputs, attrs);
      const impl = IMPLS[name];
      if (!impl) throw new KernelError('UNKNOWN_KERNEL', `js backend has no kernel '${name}'`);
      return impl(inputs, attrs, alloc);
    },
  };
}
