/**
 * The simulated backend: the real driver and executors in virtual time against calibrated
 * models of Lambda, SQS, S3 and DynamoDB (see simulate.ts).
 *
 * @example
 * import { simulate, simJob, AWS_PROFILE } from './runtime/backends/sim/index.ts';
 * const { job } = simJob('cholesky', { n: 65536, block: 4096 });
 * const r = await simulate({ job, workers: 100, profile: AWS_PROFILE });
 * console.log(r.predictedWallS, r.costUsd.total, r.bottleneck.resource);
 */
export { simulate, cost, type SimulateOptions, type SimResult, type SimJob, type SimJobResult, type SimMatrix, type SimOutputRef, type SimCost, type Bottleneck, type NumpywrenScaling } from './simulate.ts';
export { simJob, simJobsOf, SIM_ALGORITHMS, type SimAlgorithm, type SimJobOptions, type SimJobPlan } from './jobs.ts';
export { AWS_PROFILE, EMULATED_PROFILE, LOCAL_PROFILE, PROFILE_NAMES, profileByName, lambdaVcpus, type SimProfile, type ProfileName } from './profiles.ts';
export { KernelRates, DEFAULT_KERNEL_PROFILE, type KernelProfile, type KernelRow } from './kernel-rates.ts';
export { SIM_PRICES, type SimPrices } from './prices.ts';
export { VirtualTime, SimDeadlockError } from './virtual-time.ts';
export { predictTrace, PredictError, type PredictOptions } from './predict.ts';
