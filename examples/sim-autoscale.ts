/**
 * What-if: autoscaling policies and a failure, on simulated Lambdas. NumPyWren's provisioner
 * (every 60 s: add executors while running < ½ of the queued tasks) against lapwing's
 * queue-depth policy and a fixed pool; then the fixed pool losing 25% of its executors 60 s in
 * (NumPyWren's failure experiment; the small default kills at 8 s instead).
 *   npx lapwing run examples/sim-autoscale.ts [n] [block] [workers] [kill-after-s]
 */
import { AWS_PROFILE, simJob, simulate, type SimulateOptions } from '../runtime/backends/sim/index.ts';

const n = Number(process.argv[2] ?? 8192);
const block = Number(process.argv[3] ?? 1024);
const workers = Number(process.argv[4] ?? 16);
const killAfterS = Number(process.argv[5] ?? 8);
const { job } = simJob('cholesky', { n, block });

const cases: [string, Partial<SimulateOptions>][] = [
  ['fixed pool', {}],
  ['lapwing autoscaler', { scale: { min: 0, max: workers, pipelineWidth: 1, cooldownMs: 10_000 } }],
  ['numpywren provisioner', { scale: { kind: 'numpywren', max: workers, pipelineWidth: 1, everyMs: 60_000 } }],
  [`fixed, kill 25% at ${killAfterS} s`, { kill: { fraction: 0.25, afterMs: killAfterS * 1000 } }],
];
console.log(`cholesky n=${n} block=${block}, at most ${workers} Lambdas, simulated`);
console.log('policy                      wall (s)   core-s   cost ($)   re-runs   peak');
for (const [name, extra] of cases) {
  const r = await simulate({ job, workers, profile: AWS_PROFILE, ...extra });
  if (r.status !== 'done') throw new Error(`${name}: ${r.status} ${r.error ?? ''}`);
  console.log(`${name.padEnd(26)} ${r.predictedWallS.toFixed(1).padStart(9)} ${r.coreS.toFixed(0).padStart(8)} ${r.costUsd.total.toFixed(4).padStart(10)} ${String(r.redelivered).padStart(9)} ${String(r.peakConcurrency).padStart(6)}`);
}
