/**
 * Job control from the state store: `lapwing status JOB`, `lapwing resume JOB`,
 * `lapwing cancel JOB`. They need a backend whose state outlives a process (aws): the local
 * backend's state lives in the process that runs the job.
 */
import { Command } from 'commander';
import { bind, type Program } from '../../../lang/index.ts';
import { cancelJob, countTasks, resumeJob } from '../../scheduling/driver.ts';
import { openAws, positiveInt, printSummary } from '../common.ts';
import { UserError } from '../errors.ts';

interface ControlOptions { backend: string; executors?: string; workers?: string; json?: boolean }

function backendOption(cmd: Command): Command {
  return cmd
    .option('--backend <name>', 'aws (endpoints and credentials from the environment)', 'aws')
    .option('--executors <kind>', 'process or lambda (resume)')
    .option('--json', 'one JSON object on the last line');
}

async function open(o: ControlOptions) {
  if (o.backend !== 'aws') {
    throw new UserError(`${o.backend} jobs live only in the process that runs them; status, resume and cancel work with --backend aws`);
  }
  return openAws(o.executors ? { executors: o.executors } : {}, { kernels: process.env.LAPWING_KERNELS ?? 'auto' }, undefined);
}

export function register(cli: Command): void {
  backendOption(cli.command('status').description('progress of a job from its state store').argument('<job>', 'job id'))
    .action(async (job: string, o: ControlOptions) => {
      const { backend, stop } = await open(o);
      try {
        const rec = await backend.state.getJob(job);
        const st = await backend.state.getJobState(job);
        if (!rec || !st) throw new UserError(`job ${job} not found (finished jobs are cleaned up)`);
        const total = countTasks(bind(rec.program as Program, rec.args));
        const tasks = st.counters.tasks ?? 0;
        const s = { job, status: st.status, tasks, total_tasks: total, terminal: st.terminalDone, terminal_total: rec.terminalTasks, gflop: (st.counters.flops ?? 0) / 1e9, age_s: (Date.now() - rec.createdAt) / 1000, ...(st.error ? { error: st.error } : {}) };
        printSummary(o.json === true, s, [
          `job ${job}: ${st.status}${st.error ? ` (${st.error})` : ''}`,
          `  tasks     ${tasks}/${total} (${total ? ((100 * tasks) / total).toFixed(1) : '0'}%)`,
          `  terminal  ${st.terminalDone}/${rec.terminalTasks}`,
          `  started   ${s.age_s.toFixed(1)} s ago`,
        ]);
      } finally {
        await backend.close();
        await stop();
      }
    });
  backendOption(cli.command('resume').description('continue a job whose driver died').argument('<job>', 'job id').option('--workers <n>', 'executors', '2'))
    .action(async (job: string, o: ControlOptions) => {
      const { backend, stop } = await open(o);
      try {
        const res = await resumeJob(backend, job, { workers: positiveInt(o.workers, '--workers'), pollMs: 200 });
        printSummary(o.json === true, { ...res }, [`job ${job}: ${res.status}${res.error ? ` (${res.error})` : ''}, ${res.tasks} tasks, ${res.wallS.toFixed(2)} s`]);
        if (res.status !== 'done') process.exitCode = 1;
      } finally {
        await backend.close();
        await stop();
      }
    });
  backendOption(cli.command('cancel').description('stop a job: its tasks are dropped, its temporaries and state removed').argument('<job>', 'job id'))
    .action(async (job: string, o: ControlOptions) => {
      const { backend, stop } = await open(o);
      try {
        const changed = await cancelJob(backend, job);
        if (!changed) throw new UserError(`job ${job} is not running (or not found)`);
        process.stdout.write(`job ${job}: cancelled\n`);
      } finally {
        await backend.close();
        await stop();
      }
    });
}
