/**
 * BlockStore on S3: one object per block at `{keyPrefix}/{class}/{shard}/{escaped key}`
 * (object-keys.ts), in the format of block-codec.ts. S3 gives read-after-write consistency, so a
 * block written before its children are enqueued is visible to every reader.
 *
 * Calls per operation: get 1 (concurrent gets of one key share it), put 1, delete ⌈n/1000⌉ (DeleteObjects), list ⌈n/1000⌉ pages per
 * listing prefix (one for a matrix's or a job's temporaries).
 *
 * A GET of a missing key is a 404 only for callers allowed to list the bucket; others get a 403.
 * The executor role may list only the block prefix, so a 403 AccessDenied on GET is read as
 * "missing" too (NOT_FOUND, with the message saying it may be a permission problem): the
 * executor then checks whether it is a late duplicate, and otherwise fails the task as it would
 * for any missing input.
 *
 * list() pages with ListObjects (v1) and a Marker rather than ListObjectsV2's continuation
 * tokens: s3rver encrypts those with DES, which OpenSSL 3 (Node ≥ 17) no longer provides, so
 * every truncated V2 listing fails there. V1 with a Marker is supported by S3 just the same.
 */
import {
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { StoreError, type Block, type BlockStore } from '../../../core/interfaces.ts';
import { decodeBlock, encodeBlock } from './block-codec.ts';
import { errorName, httpStatus, withRetry } from '../aws-errors.ts';
import { blockKeyOf, listingPrefixes, objectKey } from './object-keys.ts';
import type { RetryPolicy } from '../config.ts';
import { singleFlight } from '../../../core/util.ts';

export interface S3BlockStoreOptions {
  readonly bucket: string;
  /** Object-key prefix of all blocks, without a trailing slash (e.g. 'blocks'). */
  readonly keyPrefix: string;
  readonly retry: RetryPolicy;
  /** Keys per DeleteObjects call (S3 allows at most 1000). */
  readonly deleteBatch?: number;
  /** Keys per ListObjects page (S3 returns at most 1000). */
  readonly listPage?: number;
}

const isMissing = (e: unknown): boolean => errorName(e) === 'NoSuchKey' || (httpStatus(e) === 404 && errorName(e) !== 'NoSuchBucket');
/** A GET denied: what S3 answers for a missing key to a caller who may not list it. */
const isDenied = (e: unknown): boolean => errorName(e) === 'AccessDenied' && httpStatus(e) === 403;

export class S3BlockStore implements BlockStore {
  private readonly deleteBatch: number;
  private readonly listPage: number;
  /** GETs in flight by block key. */
  private readonly reading = new Map<string, Promise<Block>>();

  constructor(private readonly s3: S3Client, private readonly o: S3BlockStoreOptions) {
    this.deleteBatch = Math.min(1000, Math.max(1, o.deleteBatch ?? 1000));
    this.listPage = Math.min(1000, Math.max(1, o.listPage ?? 1000));
  }

  /**
   * One GET per key in flight: a task that reads a block twice (syrk(C, A, A)) or two tasks that
   * read it at once get the same request, and the same Block object (which lets kernels see
   * the symmetry).
   */
  get(key: string): Promise<Block> {
    return singleFlight(this.reading, key, () => this.fetch(key));
  }

  private async fetch(key: string): Promise<Block> {
    const Key = objectKey(this.o.keyPrefix, key);
    const what = `S3 GetObject s3://${this.o.bucket}/${Key}`;
    let bytes: Uint8Array;
    try {
      bytes = await withRetry(
        this.o.retry,
        what,
        async () => {
          const res = await this.s3.send(new GetObjectCommand({ Bucket: this.o.bucket, Key }));
          if (!res.Body) throw new StoreError('CORRUPT', `block ${key} is corrupt: empty response body`);
          return res.Body.transformToByteArray();
        },
        (e) => isMissing(e) || isDenied(e),
      );
    } catch (e) {
      if (isMissing(e)) throw new StoreError('NOT_FOUND', `block ${key} not found (${what})`);
      if (isDenied(e)) throw new StoreError('NOT_FOUND', `block ${key} not found or not readable (${what}: AccessDenied)`, { cause: e });
      throw e;
    }
    return decodeBlock(bytes, key);
  }

  async put(key: string, block: Block): Promise<void> {
    const Key = objectKey(this.o.keyPrefix, key);
    const Body = encodeBlock(block);
    await withRetry(this.o.retry, `S3 PutObject s3://${this.o.bucket}/${Key}`, () =>
      this.s3.send(new PutObjectCommand({ Bucket: this.o.bucket, Key, Body, ContentType: 'application/octet-stream' })),
    );
  }

  async delete(keys: readonly string[]): Promise<void> {
    const objects = [...new Set(keys)].map((k) => objectKey(this.o.keyPrefix, k));
    for (let i = 0; i < objects.length; i += this.deleteBatch) {
      const chunk = objects.slice(i, i + this.deleteBatch);
      await withRetry(this.o.retry, `S3 DeleteObjects s3://${this.o.bucket} (${chunk.length} keys)`, async () => {
        const res = await this.s3.send(
          new DeleteObjectsCommand({ Bucket: this.o.bucket, Delete: { Objects: chunk.map((Key) => ({ Key })), Quiet: true } }),
        );
        // Per-key failures come back in the body of a 200; a missing key is not one of them.
        const failed = (res.Errors ?? []).filter((err) => err.Code !== 'NoSuchKey');
        if (failed.length > 0) {
          const first = failed[0];
          throw Object.assign(new Error(`${failed.length} keys not deleted, e.g. ${first?.Key}: ${first?.Message}`), {
            name: first?.Code ?? 'InternalError',
          });
        }
      });
    }
  }

  async list(prefix: string): Promise<string[]> {
    const out: string[] = [];
    for (const Prefix of listingPrefixes(this.o.keyPrefix, prefix)) {
      let marker: string | undefined;
      do {
        const page = await withRetry(this.o.retry, `S3 ListObjects s3://${this.o.bucket}/${Prefix}`, () =>
          this.s3.send(new ListObjectsCommand({ Bucket: this.o.bucket, Prefix, MaxKeys: this.listPage, ...(marker ? { Marker: marker } : {}) })),
        );
        const contents = page.Contents ?? [];
        for (const obj of contents) {
          const k = obj.Key === undefined ? null : blockKeyOf(this.o.keyPrefix, obj.Key);
          if (k !== null && k.startsWith(prefix)) out.push(k);
        }
        // Without a delimiter S3 returns no NextMarker: the last key is the marker.
        marker = page.IsTruncated ? (page.NextMarker ?? contents.at(-1)?.Key) : undefined;
      } while (marker);
    }
    return out.sort();
  }
}
