/**
 * What-if: autoscaling policies and a failure, on simulated Lambdas. NumPyWren's provisioner
 * (every 60 s: add executors while running < ½ of the queued tasks) against lapwing's
 * queue-depth policy and a fixed pool; then the fixed pool losing 25% of its executors 60 s in
 * (NumPyWren's failure experiment; the small default kills at 8 s instead).
 *   npx lapwing run examples/sim-autoscale.ts [n] [block] [workers] [kill-after-s] [autoscale.html]
 * Given a file name ending in .html it also writes the table and its plots (executors over time per policy, wall
 * time, cost) as one self-contained page.
 */
import { AWS_PROFILE, simJob, simulate, type SimulateOptions } from '../runtime/backends/sim/index.ts';
import { barChart, executorsOverTime, htmlOption, writeWhatIf } from '../runtime/backends/sim/what-if-page.ts';
import type { SampleTrace } from '../runtime/core/interfaces.ts';

const argv = process.argv.slice(2);
const html = htmlOption(argv);
const n = Number(argv[0] ?? 8192);
const block = Number(argv[1] ?? 1024);
const workers = Number(argv[2] ?? 16);
const killAfterS = Number(argv[3] ?? 8);
const { job } = simJob('cholesky', { n, block });

const fixed = { min: workers, max: workers, pipelineWidth: 1, cooldownMs: 0 };
const cases: [string, string, Partial<SimulateOptions>][] = [
  ['fixed pool', 'fixed', { scale: fixed }],
  ['lapwing autoscaler (default)', 'lapwing', {}],
  ['numpywren provisioner', 'numpywren', { scale: { kind: 'numpywren', max: workers, pipelineWidth: 1, everyMs: 60_000 } }],
  [`fixed, kill 25% at ${killAfterS} s`, 'kill 25%', { scale: fixed, kill: { fraction: 0.25, afterMs: killAfterS * 1000 } }],
];
console.log(`cholesky n=${n} block=${block}, at most ${workers} Lambdas, simulated`);
console.log('policy                      wall (s)   core-s   cost ($)   re-runs   peak');
const rows: (string | number)[][] = [];
const timelines: { name: string; samples: SampleTrace[] }[] = [];
for (const [name, , extra] of cases) {
  const samples: SampleTrace[] = [];
  const r = await simulate({ job, workers, profile: AWS_PROFILE, ...extra, onTrace: (t) => { if (t.type === 'sample') samples.push(t); } });
  if (r.status !== 'done') throw new Error(`${name}: ${r.status} ${r.error ?? ''}`);
  console.log(`${name.padEnd(26)} ${r.predictedWallS.toFixed(1).padStart(9)} ${r.coreS.toFixed(0).padStart(8)} ${r.costUsd.total.toFixed(4).padStart(10)} ${String(r.redelivered).padStart(9)} ${String(r.peakConcurrency).padStart(6)}`);
  rows.push([name, r.predictedWallS, r.coreS, r.costUsd.total, r.redelivered, r.peakConcurrency]);
  timelines.push({ name, samples });
}
if (html) {
  const bars = (col: number) => rows.map((r, i) => ({ name: cases[i]![1], value: Number(r[col]) }));
  await writeWhatIf(html, {
    title: `What if: autoscaling and failures, Cholesky n=${n} block=${block}, at most ${workers} Lambdas`,
    intro: `Each case is a simulation (lapwing simulate, profile aws, 3008 MB x86): the real driver, autoscaler and executors in virtual time against models of Lambda, SQS, S3 and DynamoDB. Reproduce: npx lapwing run examples/sim-autoscale.ts ${n} ${block} ${workers} ${killAfterS} FILE.html.`,
    columns: ['case', 'predicted wall (s)', 'core-s', 'cost ($)', 're-run attempts', 'peak executors'],
    rows,
    charts: [
      { title: 'Executors over time (driver samples)', svg: executorsOverTime(timelines), wide: true },
      { title: 'Predicted wall time', svg: barChart({ className: 'wall', label: 'predicted wall time per policy', yLabel: 's', bars: bars(1), format: (v) => `${v.toFixed(1)} s` }) },
      { title: 'Cost', svg: barChart({ className: 'cost', label: 'cost per policy', yLabel: '$', bars: bars(3), format: (v) => `$${v.toPrecision(2)}` }) },
    ],
  });
  console.log(`wrote ${html}`);
}
