/**
 * Block keys ↔ S3 object keys. Runtime keys are already safe (runtime/keys.ts), but the store
 * escapes anyway so that no key can address another object: every byte outside
 * `A-Z a-z 0-9 _ - . = , +` is percent-encoded per segment, a segment made only of dots is
 * encoded entirely (no `.`/`..` path tricks), and an empty segment becomes `%` (which an
 * encoding never produces otherwise), so the mapping is one-to-one and reversible.
 *
 * Layout: `{prefix}/{class}/{shard}/{owner}/{spread}/{rest of the key}`, all escaped.
 * - class is `tmp` for a job's temporaries (the bucket's lifecycle rule expires what a dead job
 *   leaked under `{prefix}/tmp/`) and `data` for everything else;
 * - shard is 3 hex digits of a hash of the key's owner (its first two segments, `jobs/{job}` or
 *   a matrix's own prefix): S3 scales request rates per key prefix, and job ids are ordered by
 *   time, so without it every new job would land on the same key range;
 * - spread is one hex digit of a hash of the whole key: S3 allows 5,500 GET/s per prefix, and at
 *   thousands of executors the readers of one matrix (a Cholesky's L) exceed it, so one
 *   matrix's blocks go to 16 prefixes. It follows the owner, so listing a job's temporaries
 *   or a matrix's blocks is still one prefix (the owner's, filtered). Keys with fewer than
 *   three segments have none.
 * The mapping is deterministic (a retried write lands on the same object) and one-to-one.
 *
 * @example
 * objectKey('blocks', 'jobs/j-1/out/L/0_1')  // 'blocks/data/5c1/jobs/j-1/a/out/L/0_1' (shard and spread vary)
 * objectKey('blocks', 'jobs/j-1/tmp/S/0_1')  // 'blocks/tmp/5c1/jobs/j-1/3/tmp/S/0_1'
 * objectKey('blocks', 'a b/../c')            // 'blocks/data/…/a%20b/%2E%2E/…/c'
 */
import { isTempKey } from '../../../core/keys.ts';

/** The class segment of temporaries (the bucket's lifecycle rule filters on it). */
export const TEMP_OBJECT_PREFIX = 'tmp';
/** The class segment of every other block. */
export const DATA_OBJECT_PREFIX = 'data';

const SAFE = /[A-Za-z0-9_\-.=,+]/;

function escapeSegment(seg: string, partial: boolean): string {
  if (seg === '') return partial ? '' : '%';
  if (!partial && /^\.+$/.test(seg)) return '%2E'.repeat(seg.length);
  let out = '';
  for (const ch of seg) {
    if (SAFE.test(ch)) out += ch;
    else for (const b of Buffer.from(ch, 'utf8')) out += `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** The escaped form of a block key (without the store's prefix). */
export function escapeKey(key: string): string {
  return key.split('/').map((s) => escapeSegment(s, false)).join('/');
}

/** Inverse of {@link escapeKey}. */
export function unescapeKey(escaped: string): string {
  return escaped
    .split('/')
    .map((s) => (s === '%' ? '' : decodeURIComponent(s)))
    .join('/');
}

/** 32-bit FNV-1a of a string's UTF-16 units (stable across processes and versions). */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** The shard of an owner: 3 hex digits (4096 key ranges). */
export function shardOf(owner: string): string {
  return (fnv1a(owner) & 0xfff).toString(16).padStart(3, '0');
}

/** Prefixes one owner's blocks are spread over (one hex digit). */
export const SPREAD = 16;

/** The spread segment of a key: one hex digit of its hash. */
export function spreadOf(key: string): string {
  // Keys of one matrix differ in their last few characters only: MurmurHash3's finaliser mixes
  // those into every bit of FNV-1a's hash (alone, its top bits leave a 16×16 matrix on 12 of 16).
  let h = fnv1a(key);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return ((h ^ (h >>> 16)) >>> 28).toString(16);
}

/** The owner of a key: its first two segments. */
function ownerOf(key: string): string {
  return key.split('/').slice(0, 2).join('/');
}

/** The object key of block `key` under `prefix`. */
export function objectKey(prefix: string, key: string): string {
  const cls = isTempKey(key) ? TEMP_OBJECT_PREFIX : DATA_OBJECT_PREFIX;
  const segs = escapeKey(key).split('/');
  if (segs.length > 2) segs.splice(2, 0, spreadOf(key));
  return `${prefix}/${cls}/${shardOf(ownerOf(key))}/${segs.join('/')}`;
}

/** The block key of an object key under `prefix`, or null if it is not one of ours. */
export function blockKeyOf(prefix: string, object: string): string | null {
  const m = /^([a-z]+)\/([0-9a-f]{3})\/(.*)$/s.exec(object.startsWith(`${prefix}/`) ? object.slice(prefix.length + 1) : '');
  if (!m) return null;
  const segs = m[3]!.split('/');
  // The spread segment sits after the owner of a key of three segments or more.
  if (segs.length > 3) segs.splice(2, 1);
  let key: string;
  try {
    key = unescapeKey(segs.join('/'));
  } catch {
    return null; // not produced by escapeKey
  }
  // One-to-one: only the object key this block key maps to is ours.
  return objectKey(prefix, key) === object ? key : null;
}

/** The escaped form of a listing prefix: the last, partial segment escaped char by char. */
function escapePrefix(prefix: string): string {
  const segs = prefix.split('/');
  const last = segs.pop() ?? '';
  const head = segs.map((s) => escapeSegment(s, false));
  // A partial segment of dots only has a different whole-segment encoding: stop before it.
  const tail = /^\.+$/.test(last) ? '' : escapeSegment(last, true);
  return [...head, tail].join('/');
}

/**
 * The S3 listing prefixes that together cover every object whose block key starts with
 * `prefix`. A prefix that names its owner (two complete segments) needs one or two listings of
 * the owner (the classes it may fall in; the spread segment follows the owner); a shorter one
 * lists both classes whole. Callers filter the decoded keys with `startsWith(prefix)` either way.
 */
export function listingPrefixes(storePrefix: string, prefix: string): string[] {
  const segs = prefix.split('/');
  if (segs.length < 3) return [TEMP_OBJECT_PREFIX, DATA_OBJECT_PREFIX].map((c) => `${storePrefix}/${c}/`);
  const shard = shardOf(segs.slice(0, 2).join('/'));
  const owner = escapePrefix(`${segs[0]}/${segs[1]}/`);
  // Only `jobs/{job}/tmp/…` is a temporary: which classes can hold keys with this prefix?
  const third = segs[2]!;
  const complete = segs.length >= 4;
  const temp = segs[0] === 'jobs' && (complete ? third === TEMP_OBJECT_PREFIX : TEMP_OBJECT_PREFIX.startsWith(third));
  const data = !(complete && temp);
  const classes = [...(temp ? [TEMP_OBJECT_PREFIX] : []), ...(data ? [DATA_OBJECT_PREFIX] : [])];
  return classes.map((c) => `${storePrefix}/${c}/${shard}/${owner}`);
}
