/**
 * The prediction of a traced run: the simulation of the setting its trace header records
 * (program, arguments, n, block, backend, workers, memory), for `lapwing report --predict`,
 * which shows it beside what the run measured.
 */
import { params, type Program } from '../../../lang/index.ts';
import { LapwingError } from '../../core/errors.ts';
import type { ReportPrediction } from '../../report/render.ts';
import type { TraceFile } from '../../tracing/trace-file.ts';
import { simJob, type SimAlgorithm } from './jobs.ts';
import type { KernelProfile } from './kernel-rates.ts';
import { PROFILE_NAMES, profileByName } from './profiles.ts';
import { simulate, type SimJob, type SimMatrix } from './simulate.ts';

export interface PredictOptions {
  /** Calibration profile (default: `local` for a local run, `aws` otherwise). */
  readonly profile?: string;
  readonly kernelProfile?: KernelProfile;
  /** How the kernel profile was given, for the reproducing command (e.g. its path). */
  readonly kernelProfileArg?: string;
}

/** A trace whose header does not say enough to simulate its run. */
export class PredictError extends LapwingError {
  constructor(message: string) {
    super('PREDICT_UNSUPPORTED', message, { userFacing: true });
    this.name = 'PredictError';
  }
}

/** The job the trace's run ran: a shipped algorithm by name, else the program it carries. */
function jobOf(trace: TraceFile, n: number, block: number): { job: SimJob; what: string } {
  const h = trace.header;
  const alg = h.algorithm === 'matmul' ? 'gemm' : h.algorithm;
  // The square one-program algorithms are set up from n alone; any other run is simulated from
  // the program its trace carries.
  if (['cholesky', 'gemm', 'trsm'].includes(alg)) return { job: simJob(alg as SimAlgorithm, { n, block }).job, what: alg };
  if (h.program === undefined || h.args === undefined) throw new PredictError(`the trace of '${h.algorithm}' carries no program: it cannot be simulated`);
  const program = h.program as Program;
  const inputs: Record<string, SimMatrix> = {};
  for (const p of params(program)) if (p.kind === 'matrix' && p.role === 'in') inputs[p.name] = { rows: n, cols: n, blockRows: block, blockCols: block };
  return { job: { program, args: h.args, inputs }, what: `${h.algorithm}.lp ${Object.entries(h.args).map(([k, v]) => `--arg ${k}=${v}`).join(' ')}` };
}

/** Simulates the run a trace records; the result is what the report shows beside it. */
export async function predictTrace(trace: TraceFile, o: PredictOptions = {}): Promise<ReportPrediction> {
  const h = trace.header;
  const n = h.n ?? trace.summary?.n;
  const block = h.block ?? trace.summary?.block;
  if (n === undefined || block === undefined) throw new PredictError('the trace records no matrix size and block size: its run cannot be simulated');
  const name = o.profile ?? (h.backend === 'local' ? 'local' : 'aws');
  if (!(PROFILE_NAMES as readonly string[]).includes(name)) throw new PredictError(`--predict must be one of ${PROFILE_NAMES.join(', ')}, got '${name}'`);
  const { job, what } = jobOf(trace, n, block);
  const memoryMb = h.memoryMb ?? 3008;
  const r = await simulate({ job, workers: h.workers, profile: profileByName(name), memoryMb, ...(o.kernelProfile ? { kernelProfile: o.kernelProfile } : {}) });
  const command = `lapwing simulate ${what} --n ${n} --block ${block} --workers ${h.workers} --profile ${name}${name === 'aws' ? ` --memory ${memoryMb}` : ''}${o.kernelProfileArg ? ` --kernel-profile ${o.kernelProfileArg}` : ''}`;
  return {
    profile: name,
    command,
    wallS: r.predictedWallS,
    criticalPathS: r.criticalPathS,
    tasks: r.tasks,
    attempts: r.attempts,
    readS: r.phases.read,
    computeS: r.phases.compute,
    writeS: r.phases.write,
    // The local profile runs no AWS services: it has no cost to compare with the estimate.
    costUsd: name === 'local' ? null : r.costUsd.total,
    bottleneck: `${r.bottleneck.resource} (${r.bottleneck.detail})`,
  };
}
