/**
 * LU with tournament pivoting of a random matrix, checked (A[perm] = L·U), then a general
 * solve A·X = B through it.
 *   npx lapwing run examples/lu.ts [n] [block]
 */
import { lapwing } from '../runtime/index.ts';

const n = Number(process.argv[2] ?? 600);
const block = Number(process.argv[3] ?? 128);

const lw = await lapwing({ workers: 2 });
try {
  const A = await lw.random(n, n, { block });
  const { perm, L, U } = await lw.lu(A);
  const r = await lw.residual.lu(A, perm, L, U);
  console.log(`lu n=${n} block=${block}: ${lw.last!.tasks} tasks in ${lw.last!.wallS.toFixed(3)} s, ‖A[perm] − LU‖/‖A‖ ≈ ${r.toExponential(2)}`);
  const B = await lw.random(n, 4, { block, seed: 9 });
  const X = await lw.solve(A, B);
  const s = await lw.residual.solve(A, X, B);
  console.log(`solve A·X = B (general): residual ${s.toExponential(2)}`);
  if (!(r < 1e-10 && s < 1e-10)) process.exitCode = 1;
} finally {
  await lw.close();
}
