/**
 * The programs shipped with lapwing (lang/programs/<name>.lp).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const PROGRAMS = ['cholesky', 'gemm', 'trsm', 'tsqr', 'spd_solve', 'gemm_tn', 'gemm_nt', 'gemm_tt', 'transpose', 'add', 'sub', 'scale', 'norm', 'diag', 'lu', 'lu_solve', 'qr', 'qr_q', 'qr_qtb', 'lstsq', 'svd', 'tsvd'] as const;
export type ProgramName = (typeof PROGRAMS)[number];

export function isProgramName(name: string): name is ProgramName {
  return (PROGRAMS as readonly string[]).includes(name);
}

/** Absolute path of a shipped program's source file. */
export function programPath(name: ProgramName): string {
  return fileURLToPath(new URL(`./programs/${name}.lp`, import.meta.url));
}

/** Source text of a shipped program. */
export function programSource(name: ProgramName): string {
  return readFileSync(programPath(name), 'utf8');
}
