/**
 * Block keys ↔ S3 object keys. Runtime keys are already safe (runtime/keys.ts), but the store
 * escapes anyway so that no key can address another object: every byte outside
 * `A-Z a-z 0-9 _ - . = , +` is percent-encoded per segment, a segment made only of dots is
 * encoded entirely (no `.`/`..` path tricks), and an empty segment becomes `%` (which an
 * encoding never produces otherwise), so the mapping is one-to-one and reversible.
 *
 * @example
 * objectKey('blocks', 'jobs/j-1/A/0_1')  // 'blocks/jobs/j-1/A/0_1'
 * objectKey('blocks', 'a b/../c')        // 'blocks/a%20b/%2E%2E/c'
 */

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

/** The object key of block `key` under `prefix`. */
export function objectKey(prefix: string, key: string): string {
  return `${prefix}/${escapeKey(key)}`;
}

/** The block key of an object key under `prefix`, or null if it is not one of ours. */
export function blockKeyOf(prefix: string, object: string): string | null {
  if (!object.startsWith(`${prefix}/`)) return null;
  try {
    return unescapeKey(object.slice(prefix.length + 1));
  } catch {
    return null; // not produced by escapeKey
  }
}

/**
 * An S3 listing prefix that covers every object whose block key starts with `prefix`. The last,
 * partial segment is escaped char by char unless it is only dots (whose whole-segment encoding
 * differs), in which case the listing stops at the segment boundary; callers filter the decoded
 * keys with `startsWith(prefix)` either way.
 */
export function listingPrefix(storePrefix: string, prefix: string): string {
  const segs = prefix.split('/');
  const last = segs.pop() ?? '';
  const head = segs.map((s) => escapeSegment(s, false));
  const tail = /^\.+$/.test(last) ? '' : escapeSegment(last, true);
  return `${storePrefix}/${[...head, tail].join('/')}`;
}
