/**
 * AWS prices and usage assumptions for the report's cost estimate.
 *
 * Defaults are public on-demand list prices for us-east-1 (N. Virginia), as published on the
 * AWS pricing pages in 2025 (checked 2025-06; DynamoDB's after its 2024-11-01 on-demand price
 * cut). Free tiers are ignored. Override any of them with `lapwing report --prices prices.json`,
 * a flat JSON object with some of the keys below, e.g. `{ "lambdaGbSecond": 0.0000133334 }`
 * for arm64 Lambdas.
 */
import { readFile } from 'node:fs/promises';
import { LapwingError } from '../core/errors.ts';

/** USD prices of the billed units a run consumes. */
export interface Prices {
  /** When the defaults were taken from the public price lists. */
  readonly date: string;
  readonly region: string;
  /** Lambda compute, USD per GB-second (x86_64). */
  readonly lambdaGbSecond: number;
  /** Lambda invocations, USD per request. */
  readonly lambdaRequest: number;
  /** S3 Standard GET, USD per request. */
  readonly s3Get: number;
  /** S3 Standard PUT, USD per request. */
  readonly s3Put: number;
  /** SQS standard queue, USD per request (each 64 KiB chunk of a batch counts as one). */
  readonly sqsRequest: number;
  /** DynamoDB on-demand, USD per read request unit. */
  readonly dynamoRead: number;
  /** DynamoDB on-demand, USD per write request unit. */
  readonly dynamoWrite: number;
  /**
   * Usage the trace does not record, per task attempt (see cost.ts):
   * SQS requests (send + receive + delete), DynamoDB read units (the done check) and write
   * units per successful attempt (complete-task plus edge marks).
   */
  readonly sqsRequestsPerAttempt: number;
  readonly dynamoReadsPerAttempt: number;
  readonly dynamoWritesPerOkAttempt: number;
  /** Executor memory in MB when neither the trace header nor --memory gives one. */
  readonly defaultMemoryMb: number;
}

/** Public us-east-1 list prices (2025) and the usage assumptions documented in cost.ts. */
export const DEFAULT_PRICES: Prices = Object.freeze({
  date: '2025-06',
  region: 'us-east-1',
  lambdaGbSecond: 0.0000166667,
  lambdaRequest: 0.20 / 1e6,
  s3Get: 0.0004 / 1000,
  s3Put: 0.005 / 1000,
  sqsRequest: 0.40 / 1e6,
  dynamoRead: 0.125 / 1e6,
  dynamoWrite: 0.625 / 1e6,
  sqsRequestsPerAttempt: 3,
  dynamoReadsPerAttempt: 1,
  dynamoWritesPerOkAttempt: 3,
  defaultMemoryMb: 3008,
});

/** A prices file that cannot be used: a one-line message for the user. */
export class PricesError extends LapwingError {
  declare readonly code: 'PRICES_INVALID';
  constructor(message: string, options?: { cause?: unknown }) {
    super('PRICES_INVALID', message, { userFacing: true, cause: options?.cause });
    this.name = 'PricesError';
  }
}

/** Applies overrides (already parsed JSON) to `base`; unknown keys and non-numbers are errors. */
export function mergePrices(overrides: unknown, base: Prices = DEFAULT_PRICES, source = 'prices'): Prices {
  if (typeof overrides !== 'object' || overrides === null || Array.isArray(overrides)) {
    throw new PricesError(`${source}: expected a JSON object like {"lambdaGbSecond": 0.0000166667}`);
  }
  let out: Prices = base;
  for (const [key, value] of Object.entries(overrides)) {
    if (!isPriceKey(key, base)) throw new PricesError(`${source}: unknown key "${key}" (known: ${Object.keys(base).join(', ')})`);
    if (key === 'date' || key === 'region') {
      if (typeof value !== 'string') throw new PricesError(`${source}: "${key}" must be a string`);
      out = { ...out, [key]: value };
    } else if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new PricesError(`${source}: "${key}" must be a non-negative number, found ${JSON.stringify(value)}`);
    } else {
      out = { ...out, [key]: value };
    }
  }
  return out;
}

function isPriceKey(key: string, base: Prices): key is keyof Prices {
  return Object.hasOwn(base, key);
}

/** Reads a prices JSON file and merges it over the defaults. */
export async function loadPrices(path: string): Promise<Prices> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new PricesError(`cannot read prices file ${path}: ${(e as Error).message}`, { cause: e });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new PricesError(`${path}: not valid JSON (${(e as Error).message})`, { cause: e });
  }
  return mergePrices(value, DEFAULT_PRICES, path);
}
