/**
 * Configuration of the AWS backend, read from the environment (the same variables reach child
 * executors and the Lambda function, see {@link configToEnv}).
 *
 * | variable                                       | meaning                                            |
 * | ---------------------------------------------- | -------------------------------------------------- |
 * | AWS_REGION / AWS_DEFAULT_REGION                | region (required for real AWS)                     |
 * | AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN | credentials (or AWS_PROFILE)          |
 * | AWS_ENDPOINT_URL_S3 / _SQS / _DYNAMODB / _LAMBDA | service endpoints (emulators: `lapwing emulate`) |
 * | AWS_ENDPOINT_URL                               | one endpoint for every service                     |
 * | LAPWING_AWS_PREFIX                             | stack name; resource names derive from it          |
 * | LAPWING_AWS_BUCKET                             | bucket name (S3 names are global: set it on AWS)   |
 * | LAPWING_AWS_INLINE_BYTES                       | blocks below this size live in DynamoDB (0: off)   |
 * | LAPWING_AWS_TTL_SECONDS                        | lifetime of state items (DynamoDB TTL)             |
 * | LAPWING_AWS_MAX_RECEIVE                        | deliveries of a task before its job fails          |
 * | LAPWING_AWS_PRIORITY_CUTS                      | `hi,lo`: priority ≥ hi → high queue, ≥ lo → normal |
 * | LAPWING_AWS_QUEUE_URLS                         | URLs of the high, normal, low and dead-letter queues (set by the launcher: saves the look-ups) |
 *
 * Problems are reported as one line: StoreError('CONFIG').
 */
import { StoreError } from '../../core/interfaces.ts';
import type { RetryPolicy } from '../../core/retry.ts';

/** Names of the deployed resources of one stack. */
export interface AwsResourceNames {
  readonly bucket: string;
  /** Object-key prefix of blocks inside the bucket. */
  readonly keyPrefix: string;
  /** Task queues, highest priority first. */
  readonly queues: readonly [string, string, string];
  readonly deadLetterQueue: string;
  readonly table: string;
  readonly functionName: string;
  readonly roleName: string;
}

export interface AwsEndpoints {
  readonly s3?: string;
  readonly sqs?: string;
  readonly dynamodb?: string;
  readonly lambda?: string;
}

export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

export type { RetryPolicy };

export interface AwsConfig {
  readonly region: string;
  /** Undefined: the SDK's default chain (AWS_PROFILE, SSO, instance role). */
  readonly credentials?: AwsCredentials;
  /** Only when AWS_PROFILE selects the credentials. */
  readonly profile?: string;
  readonly endpoints: AwsEndpoints;
  /** True when the endpoints are loopback emulators (path-style S3, emulator quirks). */
  readonly emulated: boolean;
  /** Stack name (LAPWING_AWS_PREFIX). */
  readonly stack: string;
  readonly names: AwsResourceNames;
  /** Blocks smaller than this (encoded bytes) are stored inline in DynamoDB; 0 disables. */
  readonly inlineThresholdBytes: number;
  /** Lifetime of state items and inline blocks (DynamoDB TTL attribute `expiresAt`). */
  readonly ttlSeconds: number;
  /**
   * Deliveries of a task before the executor gives up on it and fails the job naming it (however
   * the attempts ended: caught errors or dead executors). The SQS redrive to the DLQ is set one
   * higher, as a backstop.
   */
  readonly maxReceiveCount: number;
  /** Priority ≥ cuts[0] → high queue; ≥ cuts[1] → normal; else low. */
  readonly priorityCuts: readonly [number, number];
  readonly retry: RetryPolicy;
  /** URLs of the high, normal, low and dead-letter queues, when known (else looked up by name). */
  readonly queueUrls?: readonly [string, string, string, string];
}

/**
 * Default inline threshold: 4 KB of encoded block (a 22×22 float64 block and smaller), set by
 * cost on real AWS (aws-figures.md prices). A block of s KB written once, read r times and deleted
 * (a temporary) costs in DynamoDB 2⌈s⌉ WRU ($0.625/M: the delete is billed on the item's size
 * too) + r⌈s/4⌉ RRU ($0.125/M), in S3 one PUT ($5/M) + r GETs ($0.4/M), deletes free. For r = 2:
 * 4 KB → $5.25 vs $5.80 per million blocks (inline is cheaper, and 2–2.7× faster on the
 * emulators: README, "Hybrid sharing"); 8 KB → $10.50 vs $5.80; 128 KB → $168 vs $5.80 (29×).
 * Latency alone (`benchHybrid()`) would put the cut at 128 KB; cost puts it where the two meet.
 */
export const DEFAULT_INLINE_BYTES = 4096;
/** DynamoDB's item limit; inline blocks must stay below it with their key. */
export const DYNAMO_ITEM_LIMIT = 400 * 1024;
/** Largest allowed inline threshold (item limit less key and attribute overhead). */
export const MAX_INLINE_BYTES = DYNAMO_ITEM_LIMIT - 4 * 1024;
export const DEFAULT_TTL_SECONDS = 7 * 24 * 3600;
export const DEFAULT_MAX_RECEIVE = 5;
export const DEFAULT_PRIORITY_CUTS: readonly [number, number] = [1, 0];
export const DEFAULT_RETRY: RetryPolicy = { attempts: 8, baseMs: 50, maxMs: 5000 };

type Env = Readonly<Record<string, string | undefined>>;

/** Stack names become bucket, queue and table names: lowercase, digits, dashes. */
const STACK_RE = /^[a-z][a-z0-9-]{0,38}[a-z0-9]$/;

/** Resource names of stack `stack` (pure). */
export function resourceNames(stack: string, bucket?: string): AwsResourceNames {
  return {
    bucket: bucket ?? `${stack}-blocks`,
    keyPrefix: 'blocks',
    queues: [`${stack}-tasks-high`, `${stack}-tasks-normal`, `${stack}-tasks-low`],
    deadLetterQueue: `${stack}-tasks-dlq`,
    table: `${stack}-state`,
    functionName: `${stack}-executor`,
    roleName: `${stack}-executor-role`,
  };
}

function configError(message: string): StoreError {
  return new StoreError('CONFIG', message);
}

function intVar(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw configError(`${name}=${raw} is invalid: expected an integer in ${min}…${max}`);
  return n;
}

function endpointVar(env: Env, name: string): string | undefined {
  const raw = env[name] ?? env.AWS_ENDPOINT_URL;
  if (raw === undefined || raw === '') return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw configError(`${name}=${raw} is not a URL (expected e.g. http://127.0.0.1:4566)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw configError(`${name}=${raw}: only http(s) endpoints are supported`);
  return raw.replace(/\/+$/, '');
}

/** True for 127.0.0.0/8, ::1 and localhost. */
export function isLoopback(endpoint: string): boolean {
  const host = new URL(endpoint).hostname.replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/**
 * Reads the configuration; throws StoreError('CONFIG') with one line naming what is missing.
 * @example
 * const config = loadAwsConfig(process.env, { stack: 'test-1' });
 */
export function loadAwsConfig(env: Env = process.env, overrides: Partial<Pick<AwsConfig, 'stack' | 'inlineThresholdBytes' | 'retry' | 'priorityCuts' | 'ttlSeconds' | 'maxReceiveCount'>> = {}): AwsConfig {
  const stack = overrides.stack ?? env.LAPWING_AWS_PREFIX ?? 'lapwing';
  if (!STACK_RE.test(stack)) {
    throw configError(`stack name '${stack}' (LAPWING_AWS_PREFIX) is invalid: use 2–40 lowercase letters, digits or '-', starting with a letter`);
  }
  const endpoints: AwsEndpoints = {
    s3: endpointVar(env, 'AWS_ENDPOINT_URL_S3'),
    sqs: endpointVar(env, 'AWS_ENDPOINT_URL_SQS'),
    dynamodb: endpointVar(env, 'AWS_ENDPOINT_URL_DYNAMODB'),
    lambda: endpointVar(env, 'AWS_ENDPOINT_URL_LAMBDA'),
  };
  // Either all three data services are redirected (emulators) or none (real AWS): a partial set
  // would silently send some traffic to AWS.
  const core = { AWS_ENDPOINT_URL_S3: endpoints.s3, AWS_ENDPOINT_URL_SQS: endpoints.sqs, AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb };
  const set = Object.entries(core).filter(([, v]) => v !== undefined).map(([k]) => k);
  if (set.length > 0 && set.length < 3) {
    const missing = Object.keys(core).filter((k) => !set.includes(k));
    throw configError(`${missing.join(' and ')} not set while ${set.join(' and ')} is: set all three (\`lapwing emulate\` prints them) or none for real AWS`);
  }
  const emulated = set.length === 3 && [endpoints.s3, endpoints.sqs, endpoints.dynamodb].every((e) => e !== undefined && isLoopback(e));

  const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? (set.length === 3 ? 'us-east-1' : undefined);
  if (region === undefined || region === '') {
    throw configError('AWS region missing: set AWS_REGION (or the AWS_ENDPOINT_URL_* variables printed by `lapwing emulate`)');
  }
  const keyId = env.AWS_ACCESS_KEY_ID;
  const secret = env.AWS_SECRET_ACCESS_KEY;
  let credentials: AwsCredentials | undefined;
  let profile: string | undefined;
  if (keyId && secret) {
    credentials = { accessKeyId: keyId, secretAccessKey: secret, ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}) };
  } else if (keyId || secret) {
    throw configError(`${keyId ? 'AWS_SECRET_ACCESS_KEY' : 'AWS_ACCESS_KEY_ID'} missing: set both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY`);
  } else if (env.AWS_PROFILE) {
    profile = env.AWS_PROFILE;
  } else {
    throw configError('AWS credentials missing: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE); for the emulators use the lines `lapwing emulate` prints');
  }

  const inlineThresholdBytes = overrides.inlineThresholdBytes ?? intVar(env, 'LAPWING_AWS_INLINE_BYTES', DEFAULT_INLINE_BYTES, 0, MAX_INLINE_BYTES);
  if (inlineThresholdBytes < 0 || inlineThresholdBytes > MAX_INLINE_BYTES) {
    throw configError(`inline threshold ${inlineThresholdBytes} is invalid: expected 0…${MAX_INLINE_BYTES} bytes (DynamoDB items are limited to 400 KB)`);
  }
  let priorityCuts = overrides.priorityCuts ?? DEFAULT_PRIORITY_CUTS;
  const cutsRaw = env.LAPWING_AWS_PRIORITY_CUTS;
  if (overrides.priorityCuts === undefined && cutsRaw) {
    const parts = cutsRaw.split(',').map(Number);
    const [hi, lo] = parts;
    if (parts.length !== 2 || hi === undefined || lo === undefined || !Number.isFinite(hi) || !Number.isFinite(lo) || hi < lo) {
      throw configError(`LAPWING_AWS_PRIORITY_CUTS=${cutsRaw} is invalid: expected 'hi,lo' with hi ≥ lo`);
    }
    priorityCuts = [hi, lo];
  }
  const bucket = env.LAPWING_AWS_BUCKET;
  if (bucket !== undefined && !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
    throw configError(`LAPWING_AWS_BUCKET=${bucket} is not a valid bucket name`);
  }
  let queueUrls: [string, string, string, string] | undefined;
  const urlsRaw = env.LAPWING_AWS_QUEUE_URLS;
  if (urlsRaw) {
    const urls = urlsRaw.split(',');
    if (urls.length !== 4 || urls.some((u) => !/^https?:\/\/\S+$/.test(u))) throw configError(`LAPWING_AWS_QUEUE_URLS=${urlsRaw} is invalid: expected four comma-separated queue URLs`);
    queueUrls = urls as [string, string, string, string];
  }
  return {
    region,
    ...(credentials ? { credentials } : {}),
    ...(queueUrls ? { queueUrls } : {}),
    ...(profile ? { profile } : {}),
    endpoints,
    emulated,
    stack,
    names: resourceNames(stack, bucket),
    inlineThresholdBytes,
    ttlSeconds: overrides.ttlSeconds ?? intVar(env, 'LAPWING_AWS_TTL_SECONDS', DEFAULT_TTL_SECONDS, 60, 10 * 365 * 24 * 3600),
    maxReceiveCount: overrides.maxReceiveCount ?? intVar(env, 'LAPWING_AWS_MAX_RECEIVE', DEFAULT_MAX_RECEIVE, 1, 1000),
    priorityCuts,
    retry: overrides.retry ?? DEFAULT_RETRY,
  };
}

/**
 * The environment variables that reproduce `config` in another process (child executors, the
 * Lambda function). Credentials are included only when `withCredentials` (child processes);
 * Lambda gets its own from the execution role.
 */
export function configToEnv(config: AwsConfig, withCredentials: boolean): Record<string, string> {
  const env: Record<string, string> = {
    AWS_REGION: config.region,
    LAPWING_AWS_PREFIX: config.stack,
    LAPWING_AWS_BUCKET: config.names.bucket,
    LAPWING_AWS_INLINE_BYTES: String(config.inlineThresholdBytes),
    LAPWING_AWS_TTL_SECONDS: String(config.ttlSeconds),
    LAPWING_AWS_MAX_RECEIVE: String(config.maxReceiveCount),
    LAPWING_AWS_PRIORITY_CUTS: config.priorityCuts.join(','),
    ...(config.queueUrls ? { LAPWING_AWS_QUEUE_URLS: config.queueUrls.join(',') } : {}),
  };
  const { s3, sqs, dynamodb, lambda } = config.endpoints;
  if (s3) env.AWS_ENDPOINT_URL_S3 = s3;
  if (sqs) env.AWS_ENDPOINT_URL_SQS = sqs;
  if (dynamodb) env.AWS_ENDPOINT_URL_DYNAMODB = dynamodb;
  if (lambda) env.AWS_ENDPOINT_URL_LAMBDA = lambda;
  if (withCredentials && config.credentials) {
    env.AWS_ACCESS_KEY_ID = config.credentials.accessKeyId;
    env.AWS_SECRET_ACCESS_KEY = config.credentials.secretAccessKey;
    if (config.credentials.sessionToken) env.AWS_SESSION_TOKEN = config.credentials.sessionToken;
  }
  if (withCredentials && config.profile) env.AWS_PROFILE = config.profile;
  return env;
}

/** Default longest wait of one executor lease call: SQS's longest long poll. */
export const DEFAULT_POLL_MS = 20_000;
/** Default executor heartbeat interval: a crashed executor is noticed within a minute (heartbeats.ts). */
export const DEFAULT_HEARTBEAT_MS = 15_000;
