/**
 * C = A·B from dense arrays, compared with a plain triple loop.
 *   npx lapwing run examples/gemm.ts
 */
import { lapwing } from '../runtime/index.ts';

const m = 300, k = 200, n = 250, block = 64;
const a = Float64Array.from({ length: m * k }, (_, i) => Math.sin(i));
const b = Float64Array.from({ length: k * n }, (_, i) => Math.cos(i));

const lw = await lapwing({ workers: 2 });
try {
  const A = await lw.fromArray(a, m, k, { block });
  const B = await lw.fromArray(b, k, n, { block });
  const C = await (await lw.matmul(A, B)).toArray();
  let err = 0, norm = 0;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += a[i * k + p]! * b[p * n + j]!;
      err = Math.max(err, Math.abs(s - C[i * n + j]!));
      norm = Math.max(norm, Math.abs(s));
    }
  }
  console.log(`gemm ${m}x${k} · ${k}x${n} (block ${block}): ${lw.last!.tasks} tasks, max relative error ${(err / norm).toExponential(2)}`);
  if (!(err / norm < 1e-12)) process.exitCode = 1;
} finally {
  await lw.close();
}
