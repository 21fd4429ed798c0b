/**
 * What-if: which block size makes a Cholesky on Lambda fastest, and cheapest? Each point is a
 * simulation (the real driver and executors in virtual time against simulated AWS services).
 *   npx lapwing run examples/sim-block-size.ts [n] [workers]
 */
import { AWS_PROFILE, simJob, simulate } from '../runtime/backends/sim/index.ts';

const n = Number(process.argv[2] ?? 4096);
const workers = Number(process.argv[3] ?? 8);

console.log(`cholesky n=${n} on ${workers} Lambdas (3008 MB), simulated`);
console.log('block   tasks   wall (s)   core-s    cost ($)   bottleneck');
for (const block of [512, 1024, 2048]) {
  if (block > n) continue;
  const { job } = simJob('cholesky', { n, block });
  const r = await simulate({ job, workers, profile: AWS_PROFILE });
  if (r.status !== 'done') throw new Error(`block ${block}: ${r.status} ${r.error ?? ''}`);
  const bar = '#'.repeat(Math.max(1, Math.round(r.predictedWallS / 10)));
  console.log(`${String(block).padStart(5)} ${String(r.tasks).padStart(7)} ${r.predictedWallS.toFixed(1).padStart(10)} ${r.coreS.toFixed(0).padStart(9)} ${r.costUsd.total.toFixed(4).padStart(11)}   ${r.bottleneck.resource}  ${bar}`);
}
