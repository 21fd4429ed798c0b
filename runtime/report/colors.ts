/**
 * Colours of the report. Kernels get fixed colours (the same kernel looks the same in every
 * report); unknown kernel names take the next free palette colour. Red is kept for
 * re-executed attempts, so no kernel is red.
 */

/** Outline of re-executed attempts (retries, errors, duplicates). */
export const RETRY_COLOR = '#d62728';

/** Phases in the per-kernel breakdown. */
export const PHASE_COLORS = {
  read: '#8cc5e3',
  compute: '#3f6fa6',
  write: '#f2a541',
  other: '#b9b4ad',
} as const;

const KNOWN: Readonly<Record<string, string>> = {
  gemm: '#4e79a7',
  syrk: '#76b7b2',
  trsm: '#f28e2b',
  chol: '#8e5ea2',
  qr_factor: '#59a14f',
  qr_r: '#b6992d',
  qr_apply: '#9c755f',
  lu_nopiv: '#ff9da7',
  add: '#86bcb6',
  sub: '#d4a6c8',
  copy: '#a0a0a0',
  identity: '#a0a0a0',
  zeros: '#c8c8c8',
  noop: '#7f7f7f',
};

const EXTRA = ['#edc948', '#499894', '#f1ce63', '#b07aa1', '#8cd17d', '#79706e', '#fabfd2', '#a0cbe8', '#ffbe7d', '#d37295'];

/** A colour for each kernel name, stable for known kernels. */
export function kernelColors(kernels: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  let next = 0;
  for (const k of kernels) {
    const known = KNOWN[k];
    out.set(k, known ?? EXTRA[next++ % EXTRA.length]!);
  }
  return out;
}
