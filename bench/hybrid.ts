/**
 * Hybrid block sharing benchmark (`lapwing bench hybrid`): put+get latency of one block, inline
 * in DynamoDB versus an S3 object, for block sizes from 1 KB to 256 KB — the measurement behind
 * DEFAULT_INLINE_BYTES (config.ts). Runs against the emulators it starts on loopback, unless
 * `config` points it at other endpoints.
 */
import { performance } from 'node:perf_hooks';
import type { Block, BlockStore } from '../runtime/core/interfaces.ts';
import { encodedBytes } from '../runtime/backends/aws/stores/block-codec.ts';
import { createClients } from '../runtime/backends/aws/clients.ts';
import { loadAwsConfig, MAX_INLINE_BYTES, type AwsConfig } from '../runtime/backends/aws/config.ts';
import { DynamoBlockStore } from '../runtime/backends/aws/stores/dynamo-block-store.ts';
import { emulatorEnv, startEmulators } from '../runtime/backends/aws/dev/emulators.ts';
import { createDataResources, destroyDataResources } from '../runtime/backends/aws/deploy/provision.ts';
import { S3BlockStore } from '../runtime/backends/aws/stores/s3-block-store.ts';
import { median } from '../runtime/core/util.ts';

export interface PathTiming {
  /** Median milliseconds of one put. */
  readonly put_ms: number;
  /** Median milliseconds of one get. */
  readonly get_ms: number;
  /** Median of put + get (one producer → one consumer hand-off). */
  readonly total_ms: number;
}

export interface HybridSample {
  /** Encoded block size (header + data). */
  readonly bytes: number;
  readonly inline: PathTiming;
  readonly s3: PathTiming;
  /** s3.total_ms / inline.total_ms (> 1: inline is faster). */
  readonly speedup: number;
}

export interface HybridBenchResult {
  readonly bench: 'hybrid';
  readonly emulated: boolean;
  readonly repetitions: number;
  readonly samples: readonly HybridSample[];
  /** Largest measured size up to which inline was faster at every size (0: never). */
  readonly recommended_threshold_bytes: number;
}

export interface HybridBenchOptions {
  /** Backend configuration; default: fresh emulators on free loopback ports. */
  readonly config?: AwsConfig;
  /** Timed repetitions per size and path (after 3 warm-ups), the two paths interleaved. */
  readonly repetitions?: number;
  /** Data sizes to measure, in KB (default 1, 4, 16, 64, 128, 256). */
  readonly sizesKb?: readonly number[];
}

const round = (x: number): number => Math.round(x * 1000) / 1000;

interface Series {
  readonly puts: number[];
  readonly gets: number[];
  readonly totals: number[];
}

async function once(store: BlockStore, block: Block, key: string, into: Series | null): Promise<void> {
  const t0 = performance.now();
  await store.put(key, block);
  const t1 = performance.now();
  await store.get(key);
  const t2 = performance.now();
  if (into) {
    into.puts.push(t1 - t0);
    into.gets.push(t2 - t1);
    into.totals.push(t2 - t0);
  }
}

const summary = (s: Series): PathTiming => ({ put_ms: round(median(s.puts)), get_ms: round(median(s.gets)), total_ms: round(median(s.totals)) });

/**
 * Times both paths for one block, interleaved (alternating which goes first) so that both see
 * the same background load on a shared machine.
 */
async function timeBoth(inline: BlockStore, s3: BlockStore, block: Block, tag: string, reps: number): Promise<{ inline: PathTiming; s3: PathTiming }> {
  const a: Series = { puts: [], gets: [], totals: [] };
  const b: Series = { puts: [], gets: [], totals: [] };
  for (let i = -3; i < reps; i++) {
    const keep = i >= 0;
    const runs = [() => once(inline, block, `bench/${tag}/inline/${i + 3}`, keep ? a : null), () => once(s3, block, `bench/${tag}/s3/${i + 3}`, keep ? b : null)];
    if (i % 2 !== 0) runs.reverse();
    for (const r of runs) await r();
  }
  return { inline: summary(a), s3: summary(b) };
}

/**
 * Measures both paths per size.
 * @example
 * const r = await benchHybrid({ repetitions: 10 });
 * console.log(r.recommended_threshold_bytes);
 */
export async function benchHybrid(options: HybridBenchOptions = {}): Promise<HybridBenchResult> {
  const emu = options.config ? null : await startEmulators();
  const config =
    options.config ??
    loadAwsConfig(
      emulatorEnv(emu!.endpoints),
      { stack: `bench-${Date.now().toString(36)}` },
    );
  const clients = createClients(config);
  const reps = options.repetitions ?? 15;
  try {
    await createDataResources(clients, config);
    const { names, retry, ttlSeconds } = config;
    const inline = new DynamoBlockStore(clients.dynamodb, { table: names.table, ttlSeconds, retry });
    const s3 = new S3BlockStore(clients.s3, { bucket: names.bucket, keyPrefix: names.keyPrefix, retry });
    const samples: HybridSample[] = [];
    for (const kb of options.sizesKb ?? [1, 4, 16, 64, 128, 256]) {
      const n = Math.max(1, Math.floor((kb * 1024) / 8));
      const block: Block = { rows: n, cols: 1, data: Float64Array.from({ length: n }, (_, i) => i * 0.5) };
      const bytes = encodedBytes(n, 1);
      if (bytes + 200 > MAX_INLINE_BYTES + 4 * 1024) continue;
      const t = await timeBoth(inline, s3, block, `${kb}k`, reps);
      samples.push({ bytes, inline: t.inline, s3: t.s3, speedup: round(t.s3.total_ms / t.inline.total_ms) });
    }
    let threshold = 0;
    for (const s of samples) {
      if (s.inline.total_ms >= s.s3.total_ms) break;
      threshold = s.bytes + 1; // placement is "encoded size < threshold"
    }
    return {
      bench: 'hybrid',
      emulated: config.emulated,
      repetitions: reps,
      samples,
      recommended_threshold_bytes: Math.min(threshold, MAX_INLINE_BYTES),
    };
  } finally {
    await destroyDataResources(clients, config).catch(() => undefined);
    clients.destroy();
    await emu?.stop();
  }
}
