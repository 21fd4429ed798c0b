/**
 * Least squares and the explicit Q of a tall matrix by CAQR: lstsq takes B's columns through
 * the same TSQR trees as A's (Qᵀ·B, never forming Q), then solves R·X = Qᵀ·B; qr with
 * { q: true } walks the trees back down to build the thin Q. The block size leaves a last
 * block column narrower than its blocks.
 *   npx lapwing run examples/lstsq.ts [rows] [cols] [block]
 */
import { lapwing, lstsq, qr } from '../runtime/index.ts';

const m = Number(process.argv[2] ?? 700);
const n = Number(process.argv[3] ?? 230);
const block = Number(process.argv[4] ?? 100);

const lw = await lapwing({ workers: 2 });
try {
  const A = await lw.random(m, n, { block });
  const B = await lw.random(m, 3, { block, seed: 2 });
  const { X, residual } = await lstsq(A, B);
  const ne = await lw.residual.lstsq(A, X, B);
  console.log(`lstsq ${m}×${n} block=${block}: ${lw.last!.tasks} tasks in ${lw.last!.wallS.toFixed(3)} s, ‖A·X − B‖_F = ${residual.toFixed(6)}, normal equations ≈ ${ne.toExponential(2)}`);
  const { Q, R } = await qr(A, { q: true });
  const f = await lw.residual.qrFactors(A, Q, R);
  console.log(`qr with Q: ${lw.last!.tasks} tasks in ${lw.last!.wallS.toFixed(3)} s, max(‖A − QR‖/‖A‖, ‖QᵀQ − I‖/√n) ≈ ${f.toExponential(2)}`);
  if (!(ne < 1e-12 && f < 1e-12)) process.exitCode = 1;
} finally {
  await lw.close();
}
