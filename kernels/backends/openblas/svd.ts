/**
 * The SVD kernels on LAPACK: `band_svals` is dgbbrd (band to bidiagonal, no vectors) then
 * dbdsqr (singular values only: the dqds algorithm, to high relative accuracy), or dgesdd on
 * the band expanded to a dense matrix where that is faster (a wide band: see
 * {@link denseIsCheaper}); `svd` is
 * dgesdd (divide and conquer, economy vectors). `lq_factor` and `lq_apply` are this backend's
 * dgeqrf/dormqr kernels on transposed blocks (see js/lq.ts). Without the SVD routines in the
 * library, the band and svd kernels fall back to the portable reference.
 */
import { KernelError, type Allocator, type Attrs, type Block, type KernelImpl } from '../../types.ts';
import type { SvdLapack } from './library.ts';
import type { Scratch } from './scratch.ts';
import { lqKernels } from '../js/lq.ts';
import { bandPack, bandSvals as bandSvalsRef } from '../js/band.ts';
import { svd as svdRef } from '../js/jacobi.ts';

const char = (c: string): Uint8Array => Uint8Array.of(c.charCodeAt(0));
const N = char('N');
const U = char('U');
const S = char('S');
const i32 = (v: number): Int32Array => Int32Array.of(v);

function notConverged(routine: string, info: number): never {
  if (info < 0) throw new Error(`${routine} rejected argument ${-info}`);
  throw new KernelError('NO_CONVERGENCE', `${routine}: ${info} superdiagonal${info === 1 ? '' : 's'} did not converge to zero`);
}

/**
 * Whether expanding an n × n band of width ku to a dense matrix and running dgesdd beats
 * dgbbrd on the band. dgbbrd's rotations cost about 8n²·ku flops at a few hundred MFLOP/s;
 * dgesdd's bidiagonalisation 8/3·n³ at BLAS-2/3 speed: measured here (n = 2048), dense wins
 * once ku > n/10 or so. The dense copy is capped at 8192² doubles (512 MiB); past that the
 * band is the only choice an executor's memory allows.
 */
export function denseIsCheaper(n: number, ku: number): boolean {
  return n <= 8192 && 10 * ku > n;
}

/** lq_factor, lq_apply, band_pack, band_svals and svd for the openblas backend. */
export function svdKernels(lib: SvdLapack | undefined, qr: Readonly<Record<string, KernelImpl>>, scratch: Scratch): Record<string, KernelImpl> {
  const lq = lqKernels(qr.qr_factor!, qr.qr_apply!);
  if (!lib) return { ...lq, band_pack: bandPack, band_svals: bandSvalsRef, svd: svdRef };
  const f = lib;
  const info = new Int32Array(1);
  const one = i32(1);
  const zero = i32(0);

  function bandSvals(inputs: readonly Block[], _attrs: Attrs, alloc: Allocator): Block[] {
    const P = inputs[0]!;
    const n = P.cols;
    const out = alloc(n, 1);
    if (n === 0) return [out];
    const ku = P.rows - 1;
    const kuEff = Math.min(ku, n - 1);
    if (denseIsCheaper(n, kuEff)) {
      denseSvals(P.data, ku, n, out.data);
      return [out];
    }
    const ab = scratch.f64('band', P.data.length);
    ab.set(P.data); // dgbbrd overwrites its band
    const d = out.data;
    const e = scratch.f64('band-e', n);
    const work = scratch.f64('band-work', 4 * n);
    const dummy = scratch.f64('band-dummy', 1);
    // A band wider than the matrix: only its last min(ku, n − 1) + 1 rows can be non-zero.
    f.dgbbrd(N, i32(n), i32(n), zero, zero, i32(kuEff), ab.subarray(ku - kuEff), i32(ku + 1), d, e, dummy, one, dummy, one, dummy, one, work, info, 1);
    if (info[0] !== 0) notConverged('dgbbrd', info[0]!);
    f.dbdsqr(U, i32(n), zero, zero, zero, d, e, dummy, one, dummy, one, dummy, one, work, info, 1);
    if (info[0] !== 0) notConverged('dbdsqr', info[0]!);
    return [out];
  }

  /** Singular values (into `s`) of the band in `ab` expanded to a dense n × n matrix: dgesdd('N'). */
  function denseSvals(ab: Float64Array, ku: number, n: number, s: Float64Array): void {
    const a = scratch.f64('band-dense', n * n);
    a.fill(0, 0, n * n);
    for (let j = 0; j < n; j++) for (let i = Math.max(0, j - ku); i <= j; i++) a[i + j * n] = ab[ku + i - j + j * (ku + 1)]!;
    const iwork = new Int32Array(8 * n);
    const query = new Float64Array(1);
    const dummy = scratch.f64('band-dummy', 1);
    f.dgesdd(N, i32(n), i32(n), a, i32(n), s, dummy, one, dummy, one, query, i32(-1), iwork, info, 1);
    const lwork = Math.max(1, Math.ceil(query[0]!));
    f.dgesdd(N, i32(n), i32(n), a, i32(n), s, dummy, one, dummy, one, scratch.f64('band-dense-work', lwork), i32(lwork), iwork, info, 1);
    if (info[0] !== 0) notConverged('dgesdd', info[0]!);
  }

  function svd(inputs: readonly Block[], _attrs: Attrs, alloc: Allocator): Block[] {
    const A = inputs[0]!;
    const { rows: m, cols: n } = A;
    const k = Math.min(m, n);
    const Uo = alloc(m, k);
    const s = alloc(k, 1);
    const V = alloc(n, k);
    if (k === 0) return [Uo, s, V];
    const a = scratch.f64('svd-a', m * n);
    a.set(A.data);
    const vt = scratch.f64('svd-vt', k * n);
    const iwork = new Int32Array(8 * k);
    const query = new Float64Array(1);
    f.dgesdd(S, i32(m), i32(n), a, i32(m), s.data, Uo.data, i32(m), vt, i32(k), query, i32(-1), iwork, info, 1);
    const lwork = Math.max(1, Math.ceil(query[0]!));
    f.dgesdd(S, i32(m), i32(n), a, i32(m), s.data, Uo.data, i32(m), vt, i32(k), scratch.f64('svd-work', lwork), i32(lwork), iwork, info, 1);
    if (info[0] !== 0) notConverged('dgesdd', info[0]!);
    for (let j = 0; j < k; j++) for (let i = 0; i < n; i++) V.data[i + j * n] = vt[j + i * k]!;
    return [Uo, s, V];
  }

  return { ...lq, band_pack: bandPack, band_svals: bandSvals, svd };
}
