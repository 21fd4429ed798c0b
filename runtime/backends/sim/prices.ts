/**
 * Prices the simulator charges, in one dated table: the report's defaults (runtime/report/prices.ts,
 * us-east-1) plus what a simulation needs beyond them. Sources: aws-figures.md, "Prices,
 * us-east-1" (secondary pages quoting AWS, 2024–2026).
 */
import { DEFAULT_PRICES } from '../../report/prices.ts';

export interface SimPrices {
  readonly date: string;
  readonly region: string;
  /** USD per GB-second of Lambda duration, by architecture. */
  readonly lambdaGbSecond: { readonly x86: number; readonly arm64: number };
  readonly lambdaRequest: number;
  readonly s3Get: number;
  /** PUT, COPY, POST, LIST. */
  readonly s3Put: number;
  /** USD per GB-month of S3 Standard storage. */
  readonly s3GbMonth: number;
  /** Per billed SQS request (64 KiB chunks; empty receives count). */
  readonly sqsRequest: number;
  readonly dynamoRead: number;
  readonly dynamoWrite: number;
}

export const SIM_PRICES: SimPrices = Object.freeze({
  date: '2026-01',
  region: DEFAULT_PRICES.region,
  lambdaGbSecond: { x86: DEFAULT_PRICES.lambdaGbSecond, arm64: 0.0000133334 },
  lambdaRequest: DEFAULT_PRICES.lambdaRequest,
  s3Get: DEFAULT_PRICES.s3Get,
  s3Put: DEFAULT_PRICES.s3Put,
  s3GbMonth: 0.023,
  sqsRequest: DEFAULT_PRICES.sqsRequest,
  dynamoRead: DEFAULT_PRICES.dynamoRead,
  dynamoWrite: DEFAULT_PRICES.dynamoWrite,
});
