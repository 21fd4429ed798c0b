/**
 * QR of a tall random matrix by CAQR (a TSQR tree per block column, the trailing columns
 * updated through it), checked by RᵀR = AᵀA.
 *   npx lapwing run examples/qr.ts [rows] [cols] [block]
 */
import { lapwing } from '../runtime/index.ts';

const m = Number(process.argv[2] ?? 800);
const n = Number(process.argv[3] ?? 300);
const block = Number(process.argv[4] ?? 128);

const lw = await lapwing({ workers: 2 });
try {
  const A = await lw.random(m, n, { block });
  const { R } = await lw.qr(A);
  const r = await lw.residual.qr(A, R);
  console.log(`qr ${m}×${n} block=${block}: ${lw.last!.tasks} tasks in ${lw.last!.wallS.toFixed(3)} s, ‖AᵀA − RᵀR‖/‖AᵀA‖ ≈ ${r.toExponential(2)}`);
  if (!(r < 1e-10)) process.exitCode = 1;
} finally {
  await lw.close();
}
