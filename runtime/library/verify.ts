/**
 * Residuals of results, computed from the blocks in O(n²) per probe so that even n = 8192 checks
 * in well under a second. The Frobenius norm of a residual E is estimated with Gaussian probes
 * x ~ N(0, I): E‖Ex‖² = ‖E‖_F², so sqrt(mean ‖E x_i‖²) estimates ‖E‖_F without forming E
 * (exact in expectation; with 4 probes the relative spread is about ±35%, ample for checking
 * that a residual is ~1e-15 rather than ~1e-3).
 */
import type { BlockMatrix } from './matrix.ts';
import type { Block } from '../core/interfaces.ts';
import { seededRandom } from '../../kernels/index.ts';

const PROBES = 4;

/**
 * Y = M·X (or Mᵀ·X) for a few vectors X at once, missing blocks count as zero; symmetric storage
 * is expanded. Every block is read once for all the vectors (the probes of a residual), while
 * it is in cache; each vector sees the same arithmetic, in the same order, as on its own.
 */
export async function matvec(m: BlockMatrix, xs: readonly Float64Array[], transpose = false): Promise<Float64Array[]> {
  const ys = xs.map(() => new Float64Array(transpose ? m.cols : m.rows));
  const [gr, gc] = m.grid;
  const sym = m.symmetric === 'lower';
  for (let bi = 0; bi < gr; bi++) {
    for (let bj = 0; bj < (sym ? Math.min(gc, bi + 1) : gc); bj++) {
      const b = await m.block(bi, bj);
      if (!b) continue;
      const r0 = bi * m.blockRows, c0 = bj * m.blockCols;
      // A symmetric matrix is its own transpose: y += B·x for the stored block, and Bᵀ·x for its mirror.
      if (!transpose || sym) gemvN(b, xs, ys, r0, c0);
      if (transpose || (sym && bi !== bj)) gemvT(b, xs, ys, r0, c0);
    }
  }
  return ys;
}

// The kernels below take the vectors four at a time (one load of a block entry serves four
// products); every y entry still receives its terms in the same order as with one vector.

/** y[r0…] += B · x[c0…] for each (x, y) */
function gemvN(b: Block, xs: readonly Float64Array[], ys: readonly Float64Array[], r0: number, c0: number): void {
  const d = b.data, rows = b.rows;
  let v = 0;
  for (; v + 4 <= xs.length; v += 4) {
    const [x0, x1, x2, x3] = [xs[v]!, xs[v + 1]!, xs[v + 2]!, xs[v + 3]!];
    const [y0, y1, y2, y3] = [ys[v]!, ys[v + 1]!, ys[v + 2]!, ys[v + 3]!];
    for (let j = 0; j < b.cols; j++) {
      const a0 = x0[c0 + j]!, a1 = x1[c0 + j]!, a2 = x2[c0 + j]!, a3 = x3[c0 + j]!;
      const col = j * rows;
      if (a0 === 0 || a1 === 0 || a2 === 0 || a3 === 0) {
        // A zero x entry adds nothing (no 0·Inf = NaN): this column one vector at a time.
        for (const [a, y] of [[a0, y0], [a1, y1], [a2, y2], [a3, y3]] as const) {
          if (a !== 0) for (let i = 0; i < rows; i++) y[r0 + i] = y[r0 + i]! + d[col + i]! * a;
        }
        continue;
      }
      for (let i = 0; i < rows; i++) {
        const m = d[col + i]!, r = r0 + i;
        y0[r] = y0[r]! + m * a0;
        y1[r] = y1[r]! + m * a1;
        y2[r] = y2[r]! + m * a2;
        y3[r] = y3[r]! + m * a3;
      }
    }
  }
  for (; v < xs.length; v++) {
    const x = xs[v]!, y = ys[v]!;
    for (let j = 0; j < b.cols; j++) {
      const xj = x[c0 + j]!;
      if (xj === 0) continue;
      const col = j * rows;
      for (let i = 0; i < rows; i++) y[r0 + i] = y[r0 + i]! + d[col + i]! * xj;
    }
  }
}

/** y[c0…] += Bᵀ · x[r0…] for each (x, y) */
function gemvT(b: Block, xs: readonly Float64Array[], ys: readonly Float64Array[], r0: number, c0: number): void {
  const d = b.data, rows = b.rows;
  let v = 0;
  for (; v + 4 <= xs.length; v += 4) {
    const [x0, x1, x2, x3] = [xs[v]!, xs[v + 1]!, xs[v + 2]!, xs[v + 3]!];
    const [y0, y1, y2, y3] = [ys[v]!, ys[v + 1]!, ys[v + 2]!, ys[v + 3]!];
    for (let j = 0; j < b.cols; j++) {
      const col = j * rows;
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (let i = 0; i < rows; i++) {
        const m = d[col + i]!, r = r0 + i;
        s0 += m * x0[r]!;
        s1 += m * x1[r]!;
        s2 += m * x2[r]!;
        s3 += m * x3[r]!;
      }
      y0[c0 + j] = y0[c0 + j]! + s0;
      y1[c0 + j] = y1[c0 + j]! + s1;
      y2[c0 + j] = y2[c0 + j]! + s2;
      y3[c0 + j] = y3[c0 + j]! + s3;
    }
  }
  for (; v < xs.length; v++) {
    const x = xs[v]!, y = ys[v]!;
    for (let j = 0; j < b.cols; j++) {
      const col = j * rows;
      let s = 0;
      for (let i = 0; i < rows; i++) s += d[col + i]! * x[r0 + i]!;
      y[c0 + j] = y[c0 + j]! + s;
    }
  }
}

/** ‖M‖_F from the blocks (mirrored blocks of symmetric storage counted twice). */
export async function frobenius(m: BlockMatrix): Promise<number> {
  let s = 0;
  const [gr, gc] = m.grid;
  for (let bi = 0; bi < gr; bi++) {
    for (let bj = 0; bj < gc; bj++) {
      if (m.symmetric === 'lower' && bj > bi) continue;
      const b = await m.block(bi, bj);
      let t = 0;
      // Indexed, not for…of: a typed array's iterator ran at a third of the speed here.
      if (b) {
        const d = b.data;
        for (let i = 0; i < d.length; i++) t += d[i]! * d[i]!;
      }
      s += m.symmetric === 'lower' && bi !== bj ? 2 * t : t;
    }
  }
  return Math.sqrt(s);
}

function gaussian(n: number, seed: number): Float64Array {
  // Box–Muller over a seeded generator: deterministic probes, reproducible residuals.
  const uniform = seededRandom(seed);
  const next = (): number => 1 - uniform(); // in (0, 1]: log() stays finite
  const x = new Float64Array(n);
  for (let i = 0; i < n; i++) x[i] = Math.sqrt(-2 * Math.log(next())) * Math.cos(2 * Math.PI * next());
  return x;
}

function norm2sq(v: Float64Array): number {
  let s = 0;
  for (const x of v) s += x * x;
  return s;
}

function sub(as: readonly Float64Array[], bs: readonly Float64Array[]): Float64Array[] {
  return as.map((a, v) => {
    const b = bs[v]!;
    const out = new Float64Array(a.length);
    for (let i = 0; i < a.length; i++) out[i] = a[i]! - b[i]!;
    return out;
  });
}

/** The Gaussian probes of length n. */
function probes(n: number): Float64Array[] {
  return Array.from({ length: PROBES }, (_, p) => gaussian(n, p + 1));
}

/** sqrt(mean ‖y‖²) over the probes' images. */
function rms(ys: readonly Float64Array[]): number {
  let acc = 0;
  for (const y of ys) acc += norm2sq(y);
  return Math.sqrt(acc / PROBES);
}

/** Estimates ‖lhs(x) − rhs(x)‖_F-style residual norms with Gaussian probes of length n (all at once). */
async function probe(n: number, f: (xs: Float64Array[]) => Promise<Float64Array[]>): Promise<number> {
  return rms(await f(probes(n)));
}

/** ‖A − L·Lᵀ‖_F / ‖A‖_F (estimated). */
export async function choleskyResidual(a: BlockMatrix, l: BlockMatrix): Promise<number> {
  return choleskyResidualOf(a)(l);
}

/**
 * {@link choleskyResidual} in two steps: what needs only A (A·x for the probes, ‖A‖_F) starts
 * now, e.g. while the factorisation runs or its executors start; the returned function finishes
 * with L. Same probes, same arithmetic, same result.
 */
export function choleskyResidualOf(a: BlockMatrix): ((l: BlockMatrix) => Promise<number>) & { readonly started: Promise<void> } {
  const xs = probes(a.cols);
  const ax = matvec(a, xs);
  const fa = frobenius(a);
  // Awaited by the returned function, which reports a failure; never an unhandled rejection.
  ax.catch(() => undefined);
  fa.catch(() => undefined);
  // `started`: the half that reads A is done (settled either way).
  return Object.assign(async (l: BlockMatrix) => rms(sub(await ax, await matvec(l, await matvec(l, xs, true)))) / (await fa), {
    started: Promise.allSettled([ax, fa]).then(() => undefined),
  });
}

/** ‖C − A·B‖_F / (‖A‖_F ‖B‖_F) (estimated). */
export async function matmulResidual(a: BlockMatrix, b: BlockMatrix, c: BlockMatrix): Promise<number> {
  const e = await probe(b.cols, async (x) => sub(await matvec(c, x), await matvec(a, await matvec(b, x))));
  return e / ((await frobenius(a)) * (await frobenius(b)));
}

/** ‖L·X − B‖_F / (‖L‖_F ‖X‖_F) (estimated): the backward error of a triangular solve. */
export async function solveResidual(l: BlockMatrix, x: BlockMatrix, b: BlockMatrix): Promise<number> {
  const e = await probe(b.cols, async (v) => sub(await matvec(l, await matvec(x, v)), await matvec(b, v)));
  return e / ((await frobenius(l)) * (await frobenius(x)));
}

/** ‖AᵀA − RᵀR‖_F / ‖AᵀA‖_F (estimated): R is a valid QR factor of A up to row signs. */
export async function qrResidual(a: BlockMatrix, r: BlockMatrix): Promise<number> {
  const gram = async (m: BlockMatrix, x: Float64Array[]): Promise<Float64Array[]> => matvec(m, await matvec(m, x), true);
  const e = await probe(a.cols, async (x) => sub(await gram(a, x), await gram(r, x)));
  const g = await probe(a.cols, (x) => gram(a, x));
  return e / g;
}

/** ‖A[perm] − L·U‖_F / ‖A‖_F (estimated): `perm` (n × 1) lists A's row for each row of L·U. */
export async function luResidual(a: BlockMatrix, perm: BlockMatrix, l: BlockMatrix, u: BlockMatrix): Promise<number> {
  const p = await perm.toArray();
  const e = await probe(a.cols, async (x) => {
    const pax = (await matvec(a, x)).map((ax) => Float64Array.from(p, (r) => ax[r]!));
    return sub(pax, await matvec(l, await matvec(u, x)));
  });
  return e / (await frobenius(a));
}

/**
 * max(‖A − Q·R‖_F / ‖A‖_F, ‖QᵀQ − I‖_F / √n) (estimated): Q and R are a QR factorization of A
 * with orthonormal columns.
 */
export async function qrFactorsResidual(a: BlockMatrix, q: BlockMatrix, r: BlockMatrix): Promise<number> {
  const fit = await probe(a.cols, async (x) => sub(await matvec(a, x), await matvec(q, await matvec(r, x))));
  const orth = await probe(q.cols, async (x) => sub(await matvec(q, await matvec(q, x), true), x));
  return Math.max(fit / (await frobenius(a)), orth / Math.sqrt(q.cols));
}

/**
 * ‖Aᵀ(A·X − B)‖_F / (‖A‖_F (‖A‖_F ‖X‖_F + ‖A·X − B‖_F)) (estimated): the normal equations'
 * residual, scaled so that a backward-stable least-squares solution scores about ε whatever
 * A's condition and however large the residual A·X − B itself is.
 */
export async function lstsqResidual(a: BlockMatrix, x: BlockMatrix, b: BlockMatrix): Promise<number> {
  const resid = async (v: Float64Array[]): Promise<Float64Array[]> => sub(await matvec(a, await matvec(x, v)), await matvec(b, v));
  const e = await probe(b.cols, async (v) => matvec(a, await resid(v), true));
  const r = await probe(b.cols, resid);
  const na = await frobenius(a);
  return e / (na * (na * (await frobenius(x)) + r));
}

/** Columns of an n × k matrix handle, as k vectors. */
async function columns(m: BlockMatrix): Promise<Float64Array[]> {
  const rowMajor = await m.toArray();
  return Array.from({ length: m.cols }, (_, j) => Float64Array.from({ length: m.rows }, (_, i) => rowMajor[i * m.cols + j]!));
}

/**
 * Checks an SVD (s descending; vectors optional), relative to ‖A‖_F²: |Σσ² − ‖A‖_F²|
 * (orthogonal transformations keep the Frobenius norm, so a wrong reduction shows here); with
 * V ‖AᵀA·V − V·diag(σ²)‖_F, with U ‖A·Aᵀ·U − U·diag(σ²)‖_F, with both also ‖A·V − U·diag(σ)‖_F
 * / ‖A‖_F. Returns the largest. Exact sums over the vectors' columns (at most a block's worth).
 */
export async function svdResidual(a: BlockMatrix, s: BlockMatrix, vectors: { readonly U?: BlockMatrix; readonly V?: BlockMatrix } = {}): Promise<number> {
  const sv = await s.toArray();
  const fro2 = (await frobenius(a)) ** 2;
  if (fro2 === 0) return sv.every((x) => x === 0) ? 0 : Infinity;
  for (let i = 1; i < sv.length; i++) if (!(sv[i]! <= sv[i - 1]!)) return Infinity; // not descending (or NaN)
  let sum = 0;
  for (const x of sv) sum += x * x;
  let worst = Math.abs(sum - fro2) / fro2;
  const fro = (ys: readonly Float64Array[]): number => Math.sqrt(ys.reduce((acc, y) => acc + norm2sq(y), 0));
  /** ‖M·x_j − σ_j²·x_j‖ over the columns x_j of `x`, M = AᵀA (right) or A·Aᵀ (left). */
  const eigen = async (x: BlockMatrix, right: boolean): Promise<{ xs: Float64Array[]; ax: Float64Array[] }> => {
    const xs = await columns(x);
    const ax = await matvec(a, xs, !right);
    const m = await matvec(a, ax, right);
    worst = Math.max(worst, fro(m.map((y, j) => y.map((yi, i) => yi - sv[j]! ** 2 * xs[j]![i]!))) / fro2);
    return { xs, ax };
  };
  const v = vectors.V ? await eigen(vectors.V, true) : undefined;
  const u = vectors.U ? await eigen(vectors.U, false) : undefined;
  if (v && u) worst = Math.max(worst, fro(v.ax.map((y, j) => y.map((yi, i) => yi - sv[j]! * u.xs[j]![i]!))) / Math.sqrt(fro2));
  return worst;
}
