/**
 * Solve A·X = B for a symmetric positive-definite A in one job (Cholesky and both triangular
 * solves in one DAG), then a few library operations on the result.
 *   npx lapwing run examples/solve.ts [n] [block]
 */
import { lapwing } from '../runtime/index.ts';

const n = Number(process.argv[2] ?? 1000);
const block = Number(process.argv[3] ?? 256);

const lw = await lapwing({ workers: 2 });
try {
  const A = await lw.randomSpd(n, { block });
  const B = await lw.random(n, 8, { block, seed: 2 });
  const X = await lw.solve(A, B, { assume: 'spd' });
  const r = await lw.residual.solve(A, X, B);
  console.log(`solve (spd) n=${n} block=${block}: ${lw.last!.tasks} tasks in ${lw.last!.wallS.toFixed(3)} s, residual ${r.toExponential(2)}`);
  // ‖Xᵀ·X‖_F and ‖2X − X‖_F = ‖X‖_F, computed in the DAG (only a 1×1 block comes back).
  const gram = await lw.matmul(X, X, { transA: true });
  const twice = await lw.sub(await lw.scale(X, 2), X);
  console.log(`‖XᵀX‖_F = ${(await lw.norm(gram)).toExponential(4)}, ‖2X − X‖_F = ${(await lw.norm(twice)).toExponential(4)} = ‖X‖_F = ${(await lw.norm(X)).toExponential(4)}`);
  if (!(r < 1e-10)) process.exitCode = 1;
} finally {
  await lw.close();
}
