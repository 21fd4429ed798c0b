/**
 * Cholesky of a random SPD matrix on the local backend, checked against the input.
 *   npx lapwing run examples/cholesky.ts [n] [block]
 */
import { lapwing } from '../runtime/index.ts';

const n = Number(process.argv[2] ?? 1024);
const block = Number(process.argv[3] ?? 256);

const lw = await lapwing({ workers: 2 });
try {
  const A = await lw.randomSpd(n, { block });
  const L = await lw.cholesky(A);
  const r = await lw.residual.cholesky(A, L);
  const run = lw.last!;
  console.log(`cholesky n=${n} block=${block}: ${run.tasks} tasks in ${run.wallS.toFixed(3)} s, residual ${r.toExponential(2)}`);
  if (!(r < 1e-10)) process.exitCode = 1;
} finally {
  await lw.close();
}
