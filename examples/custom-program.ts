/**
 * A user-written program: B = 2·A + A·Aᵀ, block by block, compiled from source and run on the
 * local backend. Shows the language from TypeScript: loops, a reduction (`sum`, compiled to a
 * tree of add tasks), kernel attributes, a temporary matrix.
 *   npx lapwing run examples/custom-program.ts
 */
import { lapwing, compile } from '../runtime/index.ts';

const program = compile(`
# P[i, j] = sum_k A[i, k]·A[j, k]ᵀ, then B[i, j] = A[i, j] + A[i, j] + P[i, j]
def sym(in A: matrix, out B: matrix, P: matrix, N: int) {
  for i in 0..N {
    for j in 0..N {
      P[i, j] = sum k in 0..N: gemm(A[i, k], A[j, k], transB=true)
      B[i, j] = add(A[i, j], A[i, j], P[i, j])
    }
  }
}`);

const n = 96, block = 32;
const a = Float64Array.from({ length: n * n }, (_, i) => ((i * 7919) % 101) / 101 - 0.5);
const lw = await lapwing({ workers: 2 });
try {
  const A = await lw.fromArray(a, n, n, { block });
  const res = await lw.run(program, { ints: { N: n / block }, inputs: { A } });
  const B = await lw.output(res, 'B', n, n, block, block).toArray();
  let err = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 2 * a[i * n + j]!;
      for (let k = 0; k < n; k++) s += a[i * n + k]! * a[j * n + k]!;
      err = Math.max(err, Math.abs(s - B[i * n + j]!));
    }
  }
  console.log(`custom program '${program.name}': ${res.tasks} tasks, max error ${err.toExponential(2)}`);
  if (!(err < 1e-10)) process.exitCode = 1;
} finally {
  await lw.close();
}
