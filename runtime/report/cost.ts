/**
 * What the traced run would cost on AWS: usage derived from the trace, priced with
 * {@link Prices}. An estimate, for comparing runs and configurations, not a bill.
 *
 * Usage model (the trace records time and bytes, not API calls):
 * - Lambda GB-seconds = executor-seconds × memory. Executor-seconds integrate the sampled
 *   executor count over time (billed duration includes idle polling), or, without samples, sum
 *   each executor's first-lease→last-step span. One invocation per distinct executor id.
 *   Memory: --memory, else the header's memoryMb, else `defaultMemoryMb`.
 * - S3: each attempt reads/writes whole blocks, so GETs ≈ bytesRead / (block² × 8) and
 *   PUTs ≈ bytesWritten / (block² × 8), rounded, at least one per attempt that moved bytes
 *   (one per attempt when the header has no block size). Uploading the inputs and fetching the
 *   result are not in the trace and not counted.
 * - SQS: `sqsRequestsPerAttempt` per attempt (send, receive, delete); empty polls and lease
 *   renewals are not counted.
 * - DynamoDB: `dynamoReadsPerAttempt` read units per attempt (the done check) and
 *   `dynamoWritesPerOkAttempt` write units per successful attempt (complete + edge marks).
 */
import type { RunAnalysis } from './analysis.ts';
import type { Prices } from './prices.ts';

/** Billed quantities of a run. */
export interface Usage {
  readonly executorSeconds: number;
  readonly memoryMb: number;
  readonly invocations: number;
  readonly s3Gets: number;
  readonly s3Puts: number;
  readonly sqsRequests: number;
  readonly dynamoReads: number;
  readonly dynamoWrites: number;
}

export interface CostLine {
  readonly service: 'Lambda' | 'S3' | 'SQS' | 'DynamoDB';
  readonly item: string;
  readonly quantity: number;
  readonly unit: string;
  /** USD per unit. */
  readonly unitPrice: number;
  readonly usd: number;
}

export interface CostEstimate {
  readonly usage: Usage;
  readonly lines: readonly CostLine[];
  readonly totalUsd: number;
  readonly prices: Prices;
}

/** Requests to move `bytes` in blocks of `blockBytes` (see the module comment). */
export function blockRequests(bytes: number, blockBytes: number): number {
  if (bytes <= 0) return 0;
  if (!(blockBytes > 0) || !Number.isFinite(blockBytes)) return 1;
  return Math.max(1, Math.round(bytes / blockBytes));
}

/** Usage of the analysed run under the model above. */
export function usageOf(run: RunAnalysis, prices: Prices, options: { memoryMb?: number } = {}): Usage {
  const block = run.header.block;
  const blockBytes = block !== undefined && block > 0 ? block * block * 8 : 0;
  let s3Gets = 0;
  let s3Puts = 0;
  for (const a of run.attempts) {
    s3Gets += blockRequests(a.rec.bytesRead, blockBytes);
    s3Puts += blockRequests(a.rec.bytesWritten, blockBytes);
  }
  const n = run.attempts.length;
  return {
    executorSeconds: run.executorSeconds,
    memoryMb: options.memoryMb ?? run.header.memoryMb ?? prices.defaultMemoryMb,
    invocations: run.executors.length,
    s3Gets,
    s3Puts,
    sqsRequests: n * prices.sqsRequestsPerAttempt,
    dynamoReads: n * prices.dynamoReadsPerAttempt,
    dynamoWrites: run.okAttempts * prices.dynamoWritesPerOkAttempt,
  };
}

/** Prices `usage`: one line per billed unit and the total in USD. */
export function priceUsage(usage: Usage, prices: Prices): CostEstimate {
  const gbSeconds = usage.executorSeconds * (usage.memoryMb / 1024);
  const line = (service: CostLine['service'], item: string, quantity: number, unit: string, unitPrice: number): CostLine =>
    ({ service, item, quantity, unit, unitPrice, usd: quantity * unitPrice });
  const lines = [
    line('Lambda', `compute (${fmtQty(usage.executorSeconds)} executor-s × ${usage.memoryMb} MB)`, gbSeconds, 'GB-s', prices.lambdaGbSecond),
    line('Lambda', 'invocations', usage.invocations, 'requests', prices.lambdaRequest),
    line('S3', 'GET (block reads)', usage.s3Gets, 'requests', prices.s3Get),
    line('S3', 'PUT (block writes)', usage.s3Puts, 'requests', prices.s3Put),
    line('SQS', 'send / receive / delete', usage.sqsRequests, 'requests', prices.sqsRequest),
    line('DynamoDB', 'read request units', usage.dynamoReads, 'RRU', prices.dynamoRead),
    line('DynamoDB', 'write request units', usage.dynamoWrites, 'WRU', prices.dynamoWrite),
  ];
  return { usage, lines, totalUsd: lines.reduce((s, l) => s + l.usd, 0), prices };
}

/** Usage and price of an analysed run in one call. */
export function estimateCost(run: RunAnalysis, prices: Prices, options: { memoryMb?: number } = {}): CostEstimate {
  return priceUsage(usageOf(run, prices, options), prices);
}

function fmtQty(x: number): string {
  return x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2);
}
