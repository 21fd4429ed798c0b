/**
 * Singular values of a random matrix by band reduction (alternating QR and LQ sweeps in the
 * DAG, then the band on one task), checked by Σσ² = ‖A‖_F²; then U, s and V of a tall-skinny
 * matrix (TSQR, the SVD of R, U = Q·U_R back down the tree), checked by A·V = U·diag(σ).
 *   npx lapwing run examples/svd.ts [rows] [cols] [block]
 */
import { lapwing } from '../runtime/index.ts';

const m = Number(process.argv[2] ?? 600);
const n = Number(process.argv[3] ?? 400);
const block = Number(process.argv[4] ?? 128);

const lw = await lapwing({ workers: 2 });
try {
  const A = await lw.random(m, n, { block });
  const { s } = await lw.svd(A);
  const sv = await s.toArray();
  const r = await lw.residual.svd(A, s);
  console.log(`svd ${m}×${n} block=${block}: ${lw.last!.tasks} tasks in ${lw.last!.wallS.toFixed(3)} s; σ_max ${sv[0]!.toFixed(6)}, σ_min ${sv[sv.length - 1]!.toExponential(4)}, |Σσ² − ‖A‖²|/‖A‖² ≈ ${r.toExponential(2)}`);

  const T = await lw.random(20 * block, Math.min(block, 64), { block });
  const t = await lw.svd(T, { vectors: true });
  const rt = await lw.residual.svd(T, t.s, t);
  console.log(`svd ${T.rows}×${T.cols} with U and V: ${lw.last!.tasks} tasks, ‖A·V − U·diag(σ)‖/‖A‖ ≈ ${rt.toExponential(2)}`);
  if (!(r < 1e-10 && rt < 1e-10)) process.exitCode = 1;
} finally {
  await lw.close();
}
