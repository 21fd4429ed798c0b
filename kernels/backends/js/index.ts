/**
 * The `js` backend: plain TypeScript reference kernels, the oracle of the kernel test suite.
 * Clarity over speed (about 1 GFLOP/s); never chosen by `auto`.
 */
import type { KernelBackend } from '../../types.ts';
import { gemm, syrk, trsm } from './blas.ts';
import { chol, luNopiv } from './factor.ts';
import { qrApply, qrFactor, qrR } from './householder.ts';
import { add, copy, noop, sub, zeros } from './elementwise.ts';
import { diag, scale, sumsq, transpose } from './reshape.ts';
import { eye, qrTreeKernels } from './qr-tree.ts';
import { luCand, luGather, luMerge, luScatter } from './pivot.ts';
import { lqKernels } from './lq.ts';
import { bandPack, bandSvals } from './band.ts';
import { svd } from './jacobi.ts';

/** Creates the reference backend (stateless, so one instance can be shared). */
export function createJsBackend(): KernelBackend {
  return {
    name: 'js',
    detail: 'TypeScript reference kernels',
    kernels: {
      chol, trsm, syrk, gemm, add, sub, copy, identity: copy, zeros,
      qr_factor: qrFactor, qr_r: qrR, qr_apply: qrApply, lu_nopiv: luNopiv, noop,
      transpose, scale, sumsq, diag,
      lu_cand: luCand, lu_merge: luMerge, lu_gather: luGather, lu_scatter: luScatter,
      ...qrTreeKernels(qrApply), eye,
      ...lqKernels(qrFactor, qrApply), band_pack: bandPack, band_svals: bandSvals, svd,
    },
  };
}
