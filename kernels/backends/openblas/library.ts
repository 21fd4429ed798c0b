/**
 * Binds the system BLAS/LAPACK through koffi: CBLAS level-1/2/3 entry points and the LAPACK
 * Fortran symbols (arguments by pointer, plus gfortran's hidden character-length arguments,
 * passed as size_t at the end). Typed arrays, heap or SharedArrayBuffer-backed, are passed as
 * pointers without a copy; a `subarray` passes a pointer to its first element.
 *
 * Integers are 32-bit (LP64): an ILP64 OpenBLAS build (USE64BITINT) is refused at load time.
 */
import koffi from 'koffi';
import { LapwingError } from '../../errors.ts';

type F64 = Float64Array;
type I32 = Int32Array;
type Chr = Uint8Array;

/** CBLAS enum values (cblas.h). */
export const CBLAS = {
  colMajor: 102, noTrans: 111, trans: 112, upper: 121, lower: 122, nonUnit: 131, unit: 132, left: 141, right: 142,
} as const;

/** The CBLAS entry points the backend uses (column-major order is always passed). */
export interface Cblas {
  dgemm(order: number, ta: number, tb: number, m: number, n: number, k: number, alpha: number, a: F64, lda: number, b: F64, ldb: number, beta: number, c: F64, ldc: number): void;
  dsyrk(order: number, uplo: number, trans: number, n: number, k: number, alpha: number, a: F64, lda: number, beta: number, c: F64, ldc: number): void;
  dtrsm(order: number, side: number, uplo: number, trans: number, diag: number, m: number, n: number, alpha: number, a: F64, lda: number, b: F64, ldb: number): void;
  dger(order: number, m: number, n: number, alpha: number, x: F64, incx: number, y: F64, incy: number, a: F64, lda: number): void;
  daxpy(n: number, alpha: number, x: F64, incx: number, y: F64, incy: number): void;
  dscal(n: number, alpha: number, x: F64, incx: number): void;
  ddot(n: number, x: F64, incx: number, y: F64, incy: number): number;
}

interface LapackSymbols {
  dpotrf(uplo: Chr, n: I32, a: F64, lda: I32, info: I32, uploLen: number): void;
  dgeqrf(m: I32, n: I32, a: F64, lda: I32, tau: F64, work: F64, lwork: I32, info: I32): void;
  dormqr(side: Chr, trans: Chr, m: I32, n: I32, k: I32, a: F64, lda: I32, tau: F64, c: F64, ldc: I32, work: F64, lwork: I32, info: I32, sideLen: number, transLen: number): void;
  dlacpy(uplo: Chr, m: I32, n: I32, a: F64, lda: I32, b: F64, ldb: I32, uploLen: number): void;
  dgetrf(m: I32, n: I32, a: F64, lda: I32, ipiv: I32, info: I32): void;
}

const DECLS = {
  cblas: {
    dgemm: 'void cblas_dgemm(int order, int ta, int tb, int m, int n, int k, double alpha, double *a, int lda, double *b, int ldb, double beta, double *c, int ldc)',
    dsyrk: 'void cblas_dsyrk(int order, int uplo, int trans, int n, int k, double alpha, double *a, int lda, double beta, double *c, int ldc)',
    dtrsm: 'void cblas_dtrsm(int order, int side, int uplo, int trans, int diag, int m, int n, double alpha, double *a, int lda, double *b, int ldb)',
    dger: 'void cblas_dger(int order, int m, int n, double alpha, double *x, int incx, double *y, int incy, double *a, int lda)',
    daxpy: 'void cblas_daxpy(int n, double alpha, double *x, int incx, double *y, int incy)',
    dscal: 'void cblas_dscal(int n, double alpha, double *x, int incx)',
    ddot: 'double cblas_ddot(int n, double *x, int incx, double *y, int incy)',
  },
  lapack: {
    dpotrf: 'void dpotrf_(uint8_t *uplo, int *n, double *a, int *lda, int *info, size_t uplo_len)',
    dgeqrf: 'void dgeqrf_(int *m, int *n, double *a, int *lda, double *tau, double *work, int *lwork, int *info)',
    dormqr: 'void dormqr_(uint8_t *side, uint8_t *trans, int *m, int *n, int *k, double *a, int *lda, double *tau, double *c, int *ldc, double *work, int *lwork, int *info, size_t side_len, size_t trans_len)',
    dlacpy: 'void dlacpy_(uint8_t *uplo, int *m, int *n, double *a, int *lda, double *b, int *ldb, size_t uplo_len)',
    dgetrf: 'void dgetrf_(int *m, int *n, double *a, int *lda, int *ipiv, int *info)',
  },
} as const;

/**
 * The SVD routines: optional, so that a BLAS without them still loads (the backend then runs
 * the portable reference for the kernels that need them).
 */
export interface SvdLapack {
  dgbbrd(vect: Chr, m: I32, n: I32, ncc: I32, kl: I32, ku: I32, ab: F64, ldab: I32, d: F64, e: F64, q: F64, ldq: I32, pt: F64, ldpt: I32, c: F64, ldc: I32, work: F64, info: I32, vectLen: number): void;
  dbdsqr(uplo: Chr, n: I32, ncvt: I32, nru: I32, ncc: I32, d: F64, e: F64, vt: F64, ldvt: I32, u: F64, ldu: I32, c: F64, ldc: I32, work: F64, info: I32, uploLen: number): void;
  dgesdd(jobz: Chr, m: I32, n: I32, a: F64, lda: I32, s: F64, u: F64, ldu: I32, vt: F64, ldvt: I32, work: F64, lwork: I32, iwork: I32, info: I32, jobzLen: number): void;
}

const SVD_DECLS = {
  dgbbrd: 'void dgbbrd_(uint8_t *vect, int *m, int *n, int *ncc, int *kl, int *ku, double *ab, int *ldab, double *d, double *e, double *q, int *ldq, double *pt, int *ldpt, double *c, int *ldc, double *work, int *info, size_t vect_len)',
  dbdsqr: 'void dbdsqr_(uint8_t *uplo, int *n, int *ncvt, int *nru, int *ncc, double *d, double *e, double *vt, int *ldvt, double *u, int *ldu, double *c, int *ldc, double *work, int *info, size_t uplo_len)',
  dgesdd: 'void dgesdd_(uint8_t *jobz, int *m, int *n, double *a, int *lda, double *s, double *u, int *ldu, double *vt, int *ldvt, double *work, int *lwork, int *iwork, int *info, size_t jobz_len)',
} as const;

function bindSvd(libs: readonly Lib[]): SvdLapack | undefined {
  try {
    return bindAll(libs, SVD_DECLS) as unknown as SvdLapack;
  } catch {
    return undefined;
  }
}

/** Why a set of libraries could not serve as the BLAS. */
export class BlasLoadError extends LapwingError {
  /** One entry per library set tried: its paths and why it failed. */
  readonly tried: readonly string[];
  constructor(tried: readonly string[]) {
    super('BLAS_UNAVAILABLE', `no usable BLAS/LAPACK library (tried ${tried.join('; ')})`, { userFacing: true });
    this.name = 'BlasLoadError';
    this.tried = tried;
  }
}

const char = (c: string): Chr => Uint8Array.of(c.charCodeAt(0));
const CH = { L: char('L'), U: char('U'), A: char('A'), N: char('N'), T: char('T') } as const;

/** LAPACK calls with numbers in, `info` out; the by-pointer scalars are preallocated once. */
export class Lapack {
  private readonly m = new Int32Array(1);
  private readonly n = new Int32Array(1);
  private readonly k = new Int32Array(1);
  private readonly lda = new Int32Array(1);
  private readonly ldb = new Int32Array(1);
  private readonly lwork = new Int32Array(1);
  private readonly info = new Int32Array(1);
  private readonly query = new Float64Array(1);

  constructor(private readonly f: LapackSymbols) {}

  /** dpotrf('L'): returns info (0, or the order of the leading minor that is not positive). */
  potrfLower(n: number, a: F64, lda: number): number {
    this.n[0] = n;
    this.lda[0] = lda;
    this.f.dpotrf(CH.L, this.n, a, this.lda, this.info, 1);
    return this.info[0]!;
  }

  /** Optimal workspace length of dgeqrf for an m × n matrix. */
  geqrfWork(m: number, n: number, lda: number): number {
    this.set(m, n, 0, lda, 1, -1);
    this.f.dgeqrf(this.m, this.n, this.query, this.lda, this.query, this.query, this.lwork, this.info);
    return Math.max(1, Math.ceil(this.query[0]!));
  }

  /** dgeqrf in place; `work` must hold `lwork` doubles. */
  geqrf(m: number, n: number, a: F64, lda: number, tau: F64, work: F64, lwork: number): number {
    this.set(m, n, 0, lda, 1, lwork);
    this.f.dgeqrf(this.m, this.n, a, this.lda, tau, work, this.lwork, this.info);
    return this.info[0]!;
  }

  /** Optimal workspace length of dormqr('L', trans) on an m × n C with k reflectors. */
  ormqrWork(trans: boolean, m: number, n: number, k: number, lda: number, ldc: number): number {
    this.set(m, n, k, lda, ldc, -1);
    this.f.dormqr(CH.L, trans ? CH.T : CH.N, this.m, this.n, this.k, this.query, this.lda, this.query, this.query, this.ldb, this.query, this.lwork, this.info, 1, 1);
    return Math.max(1, Math.ceil(this.query[0]!));
  }

  /** dormqr('L', 'T' or 'N'): C ← Qᵀ·C or Q·C in place. */
  ormqr(trans: boolean, m: number, n: number, k: number, a: F64, lda: number, tau: F64, c: F64, ldc: number, work: F64, lwork: number): number {
    this.set(m, n, k, lda, ldc, lwork);
    this.f.dormqr(CH.L, trans ? CH.T : CH.N, this.m, this.n, this.k, a, this.lda, tau, c, this.ldb, work, this.lwork, this.info, 1, 1);
    return this.info[0]!;
  }

  /** dlacpy: copies the upper ('U'), lower ('L') or whole ('A') m × n part of a into b. */
  lacpy(part: 'U' | 'L' | 'A', m: number, n: number, a: F64, lda: number, b: F64, ldb: number): void {
    this.set(m, n, 0, lda, ldb, 0);
    this.f.dlacpy(CH[part], this.m, this.n, a, this.lda, b, this.ldb, 1);
  }

  /** dgetrf in place (partial pivoting); ipiv (min(m, n) entries) gets the 1-based row swaps. Returns info. */
  getrf(m: number, n: number, a: F64, lda: number, ipiv: I32): number {
    this.set(m, n, 0, lda, 0, 0);
    this.f.dgetrf(this.m, this.n, a, this.lda, ipiv, this.info);
    return this.info[0]!;
  }

  private set(m: number, n: number, k: number, lda: number, ldb: number, lwork: number): void {
    this.m[0] = m;
    this.n[0] = n;
    this.k[0] = k;
    this.lda[0] = lda;
    this.ldb[0] = ldb;
    this.lwork[0] = lwork;
  }
}

/** A loaded BLAS: its CBLAS and LAPACK entry points and what was loaded. */
export interface BlasLibrary {
  readonly paths: readonly string[];
  readonly cblas: Cblas;
  readonly lapack: Lapack;
  /** OpenBLAS's build description (openblas_get_config), if the library has one. */
  readonly config?: string;
  /** dgbbrd, dbdsqr and dgesdd, where the library has them. */
  readonly svd?: SvdLapack;
  /** Sets the library's thread count; undefined when the library has no such control. */
  readonly setThreads?: (n: number) => void;
}

type Lib = ReturnType<typeof koffi.load>;

/** The first library in `libs` that has `decl`'s symbol, bound; throws if none has it. */
function bind(libs: readonly Lib[], decl: string): (...args: never[]) => unknown {
  for (const lib of libs) {
    try {
      return lib.func(decl);
    } catch {
      // not in this library: try the next one
    }
  }
  throw new Error(`missing symbol ${/ (\w+)\(/.exec(decl)?.[1] ?? decl}`);
}

function tryBind(libs: readonly Lib[], decl: string): ((...args: never[]) => unknown) | undefined {
  try {
    return bind(libs, decl);
  } catch {
    return undefined;
  }
}

function bindAll<T extends Record<string, string>>(libs: readonly Lib[], decls: T): Record<keyof T, (...args: never[]) => unknown> {
  const out = {} as Record<keyof T, (...args: never[]) => unknown>;
  for (const key of Object.keys(decls) as (keyof T)[]) out[key] = bind(libs, decls[key]!);
  return out;
}

function loadSet(paths: readonly string[]): BlasLibrary {
  const libs = paths.map((p) => {
    try {
      return koffi.load(p);
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e);
      throw new Error(paths.length > 1 ? `${p}: ${why}` : why);
    }
  });
  const getConfig = tryBind(libs, 'const char *openblas_get_config()') as (() => string) | undefined;
  const config = getConfig?.();
  if (config?.includes('USE64BITINT')) throw new Error(`64-bit integer (ILP64) build is not supported (${config})`);
  const cblas = bindAll(libs, DECLS.cblas) as unknown as Cblas;
  const lapack = new Lapack(bindAll(libs, DECLS.lapack) as unknown as LapackSymbols);
  const setThreads = tryBind(libs, 'void openblas_set_num_threads(int n)') as ((n: number) => void) | undefined;
  const svd = bindSvd(libs);
  return { paths, cblas, lapack, config, setThreads, ...(svd ? { svd } : {}) };
}

/**
 * Loads the first usable library set of `candidates` (each set is searched in order for every
 * symbol, e.g. `['libblas.so.3', 'liblapack.so.3']`). Throws {@link BlasLoadError} listing
 * every set tried and why it failed.
 */
export function loadBlasLibrary(candidates: readonly (readonly string[])[]): BlasLibrary {
  const tried: string[] = [];
  for (const paths of candidates) {
    try {
      return loadSet(paths);
    } catch (e) {
      tried.push(`${paths.join(' + ')} (${e instanceof Error ? e.message : String(e)})`);
    }
  }
  throw new BlasLoadError(tried);
}
