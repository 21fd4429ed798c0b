/**
 * Names of everything a job puts in the stores. User strings never reach a key: matrix names
 * are identifiers checked by the compiler, job ids are generated here, and block indices are
 * integers.
 */
import { randomBytes } from 'node:crypto';

/** A new job id: time-ordered, URL- and key-safe, e.g. `j-lz2k8c1-3f9a`. */
export function newJobId(): string {
  return `j-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}

const SAFE = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/;

/** Throws unless `s` is safe to use as one path segment of a key. */
export function checkSegment(s: string, what: string): string {
  if (!SAFE.test(s) || s.length > 128) throw new Error(`invalid ${what} '${s}': use letters, digits, '.', '_' or '-'`);
  return s;
}

/** Block (i, j, …) of the matrix stored under `prefix`. */
export function blockKey(prefix: string, idx: readonly number[]): string {
  return `${prefix}/${idx.join('_')}`;
}

/** Default key prefix of an `out` matrix of a job (when the caller names none). */
export function outputPrefix(jobId: string, matrix: string): string {
  return `${jobPrefix(jobId)}/out/${checkSegment(matrix, 'matrix name')}`;
}

/** Prefix of a job's temporaries and outputs. */
export function jobPrefix(jobId: string): string {
  return `jobs/${checkSegment(jobId, 'job id')}`;
}

/** Where a temporary matrix of a job lives. */
export function tempPrefix(jobId: string, matrix: string): string {
  return `${jobPrefix(jobId)}/tmp/${checkSegment(matrix, 'matrix name')}`;
}

/** True if `key` is a block of a job's temporary matrix (see {@link tempPrefix}). */
export function isTempKey(key: string): boolean {
  const s = key.split('/');
  return s.length > 3 && s[0] === 'jobs' && s[2] === 'tmp';
}

/** State-store set of a child task's finished parents. */
export const childNode = (task: string): string => `c:${task}`;
/** State-store set of the finished readers of a temporary block. */
export const readersNode = (block: string): string => `r:${block}`;

/**
 * A task message, decoded. On the wire it is short JSON (`{"j":job,"t":task,"c":1}`: one per
 * task, so every byte counts at scale); those names never leave this module.
 */
export interface TaskMessage {
  readonly job: string;
  /** Task key (lang's `taskKey`). */
  readonly task: string;
  /**
   * Set when the message may duplicate one already processed (sent by a re-run task, a
   * speculative backup or a resumed driver): the executor then checks the task's status
   * before running it.
   */
  readonly check: boolean;
}

/** The queue message body of a task. */
export function encodeMessage(job: string, task: string, check = false): string {
  return JSON.stringify(check ? { j: job, t: task, c: 1 } : { j: job, t: task });
}

/** Parses a queue message body; null if it is not a task message. */
export function decodeMessage(body: string): TaskMessage | null {
  try {
    const m: unknown = JSON.parse(body);
    if (typeof m === 'object' && m !== null && 'j' in m && 't' in m && typeof m.j === 'string' && typeof m.t === 'string') {
      return { job: m.j, task: m.t, check: 'c' in m && m.c === 1 };
    }
  } catch {
    // fall through
  }
  return null;
}
