/**
 * What-if: which block size makes a Cholesky on Lambda fastest, and cheapest? Each point is a
 * simulation (the real driver and executors in virtual time against simulated AWS services).
 *   npx lapwing run examples/sim-block-size.ts [n] [workers] [block-size.html]
 * Given a file name ending in .html it also writes the table and its plots (wall time, cost, core-seconds per block
 * size) as one self-contained page.
 */
import { AWS_PROFILE, simJob, simulate } from '../runtime/backends/sim/index.ts';
import { barChart, htmlOption, writeWhatIf } from '../runtime/backends/sim/what-if-page.ts';

const argv = process.argv.slice(2);
const html = htmlOption(argv);
const n = Number(argv[0] ?? 4096);
const workers = Number(argv[1] ?? 8);

console.log(`cholesky n=${n} on ${workers} Lambdas (3008 MB), simulated`);
console.log('block   tasks   wall (s)   core-s    cost ($)   bottleneck');
const rows: (string | number)[][] = [];
for (const block of [512, 1024, 2048]) {
  if (block > n) continue;
  const { job } = simJob('cholesky', { n, block });
  const r = await simulate({ job, workers, profile: AWS_PROFILE });
  if (r.status !== 'done') throw new Error(`block ${block}: ${r.status} ${r.error ?? ''}`);
  const bar = '#'.repeat(Math.max(1, Math.round(r.predictedWallS / 10)));
  console.log(`${String(block).padStart(5)} ${String(r.tasks).padStart(7)} ${r.predictedWallS.toFixed(1).padStart(10)} ${r.coreS.toFixed(0).padStart(9)} ${r.costUsd.total.toFixed(4).padStart(11)}   ${r.bottleneck.resource}  ${bar}`);
  rows.push([`block ${block}`, r.tasks, r.predictedWallS, r.coreS, r.costUsd.total, r.bottleneck.resource]);
}
if (html) {
  const bars = (col: number) => rows.map((r) => ({ name: String(r[0]), value: Number(r[col]) }));
  await writeWhatIf(html, {
    title: `What if: block size of a Cholesky n=${n} on ${workers} Lambdas`,
    intro: `Each case is a simulation (lapwing simulate, profile aws, 3008 MB x86): the real driver and executors in virtual time against models of Lambda, SQS, S3 and DynamoDB. Reproduce: npx lapwing run examples/sim-block-size.ts ${n} ${workers} FILE.html.`,
    columns: ['case', 'tasks', 'predicted wall (s)', 'core-s', 'cost ($)', 'bottleneck'],
    rows,
    charts: [
      { title: 'Predicted wall time', svg: barChart({ className: 'wall', label: 'predicted wall time per block size', yLabel: 's', bars: bars(2), format: (v) => `${v.toFixed(1)} s` }) },
      { title: 'Cost', svg: barChart({ className: 'cost', label: 'cost per block size', yLabel: '$', bars: bars(4), format: (v) => `$${v.toPrecision(2)}` }) },
      { title: 'Core-seconds', svg: barChart({ className: 'core', label: 'core-seconds per block size', yLabel: 'core-s', bars: bars(3), format: (v) => v.toFixed(0) }) },
    ],
  });
  console.log(`wrote ${html}`);
}
