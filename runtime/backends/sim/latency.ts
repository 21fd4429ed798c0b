/**
 * Latency distributions of the simulated services: log-normal, given by their median and 90th
 * percentile (the two figures public measurements usually quote), sampled from the simulation's
 * seeded generator so a run is reproducible.
 */

/** A latency distribution in milliseconds. */
export interface Latency {
  readonly medianMs: number;
  /** 90th percentile; equal to the median for a fixed latency. */
  readonly p90Ms: number;
}

/** z of the 90th percentile of the standard normal. */
const Z90 = 1.2815515655446004;

/** A sampler of `l` drawing uniforms from `random`. */
export function sampler(l: Latency, random: () => number): () => number {
  const sigma = l.p90Ms > l.medianMs && l.medianMs > 0 ? Math.log(l.p90Ms / l.medianMs) / Z90 : 0;
  if (sigma === 0) return () => l.medianMs;
  return () => {
    // Box–Muller; 1 − u keeps the log finite.
    const z = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
    return l.medianMs * Math.exp(sigma * z);
  };
}

/**
 * How a simulated service spends a request's time: by default it just passes (the service's
 * own machines serve it); emulators on the simulated host serve it on the host's cores.
 */
export type Serve = (ms: number) => Promise<void>;

/** A fixed latency. */
export const fixed = (ms: number): Latency => ({ medianMs: ms, p90Ms: ms });
