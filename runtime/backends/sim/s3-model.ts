/**
 * Simulated S3 behind a real `S3Client` whose `send` is replaced, and the block store that uses
 * it. Objects carry no bytes — only their size and block shape — so a 45,000-task job of
 * 128 MiB blocks fits in a few megabytes.
 *
 * Time of a request: a sampled first-byte latency, then size / bandwidth of the caller's
 * network link (each executor has its own: concurrent transfers of one function share it).
 * Limits: 3,500 PUT/COPY/POST/DELETE and 5,500 GET/HEAD requests per second per prefix, beyond
 * which S3 answers 503 SlowDown (aws-figures.md); a prefix here is the key up to its last '/'
 * (one matrix), the partitioning a fresh bucket has before S3 splits hot prefixes.
 * Billing: requests by class (GET, PUT/LIST/DELETE), and byte-time stored.
 */
import {
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { StoreError, type Block, type BlockStore } from '../../core/interfaces.ts';
import { errorName, httpStatus, withRetry } from '../aws/aws-errors.ts';
import type { RetryPolicy } from '../aws/config.ts';
import { blockKeyOf, listingPrefixes, objectKey } from '../aws/stores/object-keys.ts';
import { sampler, type Latency, type Serve } from './latency.ts';
import type { Meter } from './meter.ts';
import { placeholder } from './placeholder.ts';
import { TokenBucket } from './token-bucket.ts';
import type { VirtualTime } from './virtual-time.ts';
import { singleFlight } from '../../core/util.ts';

export interface S3Profile {
  readonly getFirstByte: Latency;
  readonly put: Latency;
  readonly other: Latency;
  /** Per executor, MB/s (10⁶ bytes). */
  readonly downloadMBps: number;
  readonly uploadMBps: number;
  readonly putPerPrefix: number;
  readonly getPerPrefix: number;
  /**
   * Blocks whose encoding is smaller than this live inline in DynamoDB, as the aws backend's
   * hybrid store puts them (0: every block in S3).
   */
  readonly inlineBytes: number;
}

interface StoredObject {
  readonly bytes: number;
  readonly rows: number;
  readonly cols: number;
}

/** One executor's network link: transfers queue behind each other. */
export class Link {
  private downUntil = 0;
  private upUntil = 0;
  constructor(private readonly clock: VirtualTime, private readonly p: S3Profile) {}

  /** Virtual ms (from now) until a transfer of `bytes` that can start `afterMs` from now completes. */
  transfer(bytes: number, dir: 'down' | 'up', afterMs = 0): number {
    const now = this.clock.now() + afterMs;
    const bw = (dir === 'down' ? this.p.downloadMBps : this.p.uploadMBps) * 1e6 / 1000; // bytes per ms
    const start = Math.max(now, dir === 'down' ? this.downUntil : this.upUntil);
    const end = start + bytes / bw;
    if (dir === 'down') this.downUntil = end;
    else this.upUntil = end;
    return end - this.clock.now();
  }
}

const dirOf = (key: string): string => key.slice(0, Math.max(0, key.lastIndexOf('/')));
const meta = { httpStatusCode: 200 };

/** The simulated S3 service (one bucket namespace). */
export class S3Model {
  private readonly objects = new Map<string, StoredObject>();
  private readonly prefixes = new Map<string, { put: TokenBucket; get: TokenBucket }>();
  private readonly firstByte: () => number;
  private readonly putLat: () => number;
  private readonly otherLat: () => number;

  private readonly serve: Serve;

  constructor(private readonly clock: VirtualTime, private readonly p: S3Profile, private readonly meter: Meter, serve?: Serve) {
    this.serve = serve ?? ((ms) => clock.sleep(ms));
    this.firstByte = sampler(p.getFirstByte, clock.random);
    this.putLat = sampler(p.put, clock.random);
    this.otherLat = sampler(p.other, clock.random);
  }

  /** A client for one executor, with its own network link. */
  client(link: Link = new Link(this.clock, this.p)): S3Client {
    const c = new S3Client({ region: 'us-east-1', credentials: { accessKeyId: 'sim', secretAccessKey: 'sim' } });
    Object.defineProperty(c, 'send', { value: (cmd: unknown) => this.send(cmd, link) });
    return c;
  }

  /** Stores an object that exists before the simulated job (an input block); not billed. */
  seed(key: string, rows: number, cols: number, headerBytes = 32): void {
    this.objects.set(key, { bytes: headerBytes + 8 * rows * cols, rows, cols });
  }

  /** Objects stored now. */
  count(): number {
    return this.objects.size;
  }

  private rate(key: string, kind: 'put' | 'get'): void {
    const prefix = dirOf(key);
    let b = this.prefixes.get(prefix);
    if (!b) {
      const now = (): number => this.clock.now();
      b = { put: new TokenBucket(this.p.putPerPrefix, this.p.putPerPrefix, now), get: new TokenBucket(this.p.getPerPrefix, this.p.getPerPrefix, now) };
      this.prefixes.set(prefix, b);
    }
    if (!b[kind].take(1)) {
      this.meter.throttled(`s3 prefix ${prefix}/ (${kind === 'put' ? 'PUT' : 'GET'} rate)`);
      throw new S3ServiceException({ name: 'SlowDown', $fault: 'server', message: 'Please reduce your request rate.', $metadata: { httpStatusCode: 503 } });
    }
  }

  private async send(cmd: unknown, link: Link): Promise<unknown> {
    if (cmd instanceof GetObjectCommand) {
      this.meter.call('s3', 'GetObject');
      const key = `${cmd.input.Bucket}/${cmd.input.Key}`;
      const first = this.firstByte();
      try {
        this.rate(key, 'get');
      } catch (e) {
        await this.serve(first);
        throw e;
      }
      this.meter.s3Get++;
      const o = this.objects.get(key);
      if (!o) {
        await this.serve(first);
        throw new S3ServiceException({ name: 'NoSuchKey', $fault: 'client', message: 'The specified key does not exist.', $metadata: { httpStatusCode: 404 } });
      }
      // The first byte, then the body over the caller's link (one event per request).
      await this.serve(Math.max(first, link.transfer(o.bytes, 'down', first)));
      return { $metadata: meta, ContentLength: o.bytes, Metadata: { rows: String(o.rows), cols: String(o.cols) } };
    }
    if (cmd instanceof PutObjectCommand) {
      this.meter.call('s3', 'PutObject');
      const key = `${cmd.input.Bucket}/${cmd.input.Key}`;
      const bytes = cmd.input.ContentLength ?? 0;
      // The body goes up, then S3 answers; the rate limit refuses at once (SlowDown).
      this.rate(key, 'put');
      this.meter.s3Put++;
      await this.serve(link.transfer(bytes, 'up') + this.putLat());
      const old = this.objects.get(key);
      this.objects.set(key, { bytes, rows: Number(cmd.input.Metadata?.rows ?? 0), cols: Number(cmd.input.Metadata?.cols ?? 0) });
      this.meter.storage(bytes - (old?.bytes ?? 0));
      return { $metadata: meta };
    }
    if (cmd instanceof DeleteObjectsCommand) {
      this.meter.call('s3', 'DeleteObjects');
      const keys = (cmd.input.Delete?.Objects ?? []).map((o) => `${cmd.input.Bucket}/${o.Key}`);
      if (keys.length > 1000) throw new S3ServiceException({ name: 'MalformedXML', $fault: 'client', message: 'at most 1000 keys', $metadata: { httpStatusCode: 400 } });
      await this.serve(this.otherLat());
      // DELETE is free; a DeleteObjects request counts against the prefix's write rate.
      if (keys[0] !== undefined) this.rate(keys[0], 'put');
      for (const k of keys) {
        const o = this.objects.get(k);
        if (o) {
          this.objects.delete(k);
          this.meter.storage(-o.bytes);
        }
      }
      return { $metadata: meta, Deleted: keys.map((Key) => ({ Key })) };
    }
    if (cmd instanceof ListObjectsCommand) {
      this.meter.call('s3', 'ListObjects');
      this.meter.s3Put++; // LIST is billed in the PUT class
      await this.serve(this.otherLat());
      const prefix = `${cmd.input.Bucket}/${cmd.input.Prefix ?? ''}`;
      const marker = cmd.input.Marker === undefined ? undefined : `${cmd.input.Bucket}/${cmd.input.Marker}`;
      const max = cmd.input.MaxKeys ?? 1000;
      const keys = [...this.objects.keys()].filter((k) => k.startsWith(prefix) && (marker === undefined || k > marker)).sort();
      const page = keys.slice(0, max);
      const strip = `${cmd.input.Bucket}/`.length;
      return { $metadata: meta, Contents: page.map((k) => ({ Key: k.slice(strip) })), IsTruncated: keys.length > max };
    }
    const name = typeof cmd === 'object' && cmd !== null ? cmd.constructor.name : typeof cmd;
    throw new S3ServiceException({ name: 'NotImplemented', $fault: 'client', message: `the simulated S3 does not implement ${name}`, $metadata: { httpStatusCode: 501 } });
  }
}

const isMissing = (e: unknown): boolean => errorName(e) === 'NoSuchKey' || httpStatus(e) === 404;

/**
 * A block store on the simulated S3 with the call pattern of S3BlockStore (get 1 GetObject,
 * put 1 PutObject, delete ⌈n/1000⌉ DeleteObjects, list ⌈n/1000⌉ pages per listing prefix), its
 * object keys (object-keys.ts: which keys share an S3 prefix decides what throttles) and the
 * same retry code (aws-errors.ts), moving block shapes instead of bytes.
 */
export class SimBlockStore implements BlockStore {
  constructor(private readonly s3: S3Client, private readonly bucket: string, private readonly retry: RetryPolicy, private readonly keyPrefix = 'blocks', private readonly headerBytes = 32) {}

  /** GETs in flight by key. */
  private readonly reading = new Map<string, Promise<Block>>();

  /**
   * One GET per key in flight, as S3BlockStore does: a task that reads a block twice
   * (syrk(C, A, A)) or two tasks that read it at once share one request.
   */
  get(key: string): Promise<Block> {
    return singleFlight(this.reading, key, () => this.fetch(key));
  }

  private async fetch(key: string): Promise<Block> {
    const Key = objectKey(this.keyPrefix, key);
    const what = `S3 GetObject s3://${this.bucket}/${Key}`;
    try {
      const res = await withRetry(this.retry, what, () => this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key })), isMissing);
      return placeholder(Number(res.Metadata?.rows ?? 0), Number(res.Metadata?.cols ?? 0));
    } catch (e) {
      if (isMissing(e)) throw new StoreError('NOT_FOUND', `block ${key} not found (${what})`);
      throw e;
    }
  }

  async put(key: string, block: Block): Promise<void> {
    const ContentLength = this.headerBytes + 8 * block.rows * block.cols;
    const Key = objectKey(this.keyPrefix, key);
    await withRetry(this.retry, `S3 PutObject s3://${this.bucket}/${Key}`, () =>
      this.s3.send(new PutObjectCommand({ Bucket: this.bucket, Key, ContentLength, Metadata: { rows: String(block.rows), cols: String(block.cols) } })),
    );
  }

  async delete(keys: readonly string[]): Promise<void> {
    const unique = [...new Set(keys)].map((k) => objectKey(this.keyPrefix, k));
    for (let i = 0; i < unique.length; i += 1000) {
      const chunk = unique.slice(i, i + 1000);
      await withRetry(this.retry, `S3 DeleteObjects s3://${this.bucket} (${chunk.length} keys)`, () =>
        this.s3.send(new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: chunk.map((Key) => ({ Key })), Quiet: true } })),
      );
    }
  }

  async list(prefix: string): Promise<string[]> {
    const out: string[] = [];
    for (const Prefix of listingPrefixes(this.keyPrefix, prefix)) {
      let marker: string | undefined;
      do {
        const page = await withRetry(this.retry, `S3 ListObjects s3://${this.bucket}/${Prefix}`, () =>
          this.s3.send(new ListObjectsCommand({ Bucket: this.bucket, Prefix, MaxKeys: 1000, ...(marker ? { Marker: marker } : {}) })),
        );
        const contents = page.Contents ?? [];
        for (const o of contents) {
          const k = o.Key === undefined ? null : blockKeyOf(this.keyPrefix, o.Key);
          if (k !== null && k.startsWith(prefix)) out.push(k);
        }
        marker = page.IsTruncated ? contents.at(-1)?.Key : undefined;
      } while (marker);
    }
    return out.sort();
  }
}
