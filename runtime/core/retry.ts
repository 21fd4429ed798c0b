/**
 * Transient store errors (throttling, unavailability) are retried where they happen, with
 * exponential backoff and full jitter, before an attempt is given up; permanent errors pass
 * straight through.
 */
import type { BlockStore, StateStore, TaskQueue } from './interfaces.ts';
import { StoreError } from './interfaces.ts';

export interface RetryPolicy {
  /** Tries in all (first call included). */
  readonly tries: number;
  readonly baseMs: number;
  readonly maxMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { tries: 6, baseMs: 5, maxMs: 1000 };

/** Calls `fn` until it succeeds, a non-transient error occurs, or the tries run out. */
export async function retrying<T>(fn: () => Promise<T>, p: RetryPolicy = DEFAULT_RETRY): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (e) {
      if (!(e instanceof StoreError) || !e.transient || i >= p.tries) throw e;
      const cap = Math.min(p.maxMs, p.baseMs * 2 ** i);
      await new Promise((r) => setTimeout(r, Math.random() * cap));
    }
  }
}

/**
 * Wraps every method of an object so transient StoreErrors are retried. The fast path costs
 * one `.catch` per call: the retry loop is entered only after a transient failure.
 */
function wrap<T extends object>(target: T, p: RetryPolicy): T {
  const out: Record<string | symbol, unknown> = {};
  let proto: object | null = target;
  const seen = new Set<string | symbol>();
  while (proto && proto !== Object.prototype) {
    for (const key of Reflect.ownKeys(proto)) {
      if (seen.has(key) || key === 'constructor') continue;
      seen.add(key);
      const v: unknown = Reflect.get(target, key);
      if (typeof v !== 'function') {
        Object.defineProperty(out, key, { get: () => Reflect.get(target, key), enumerable: true });
        continue;
      }
      const f = v as (...a: unknown[]) => unknown;
      out[key] = (...args: unknown[]): unknown => {
        const first = f.apply(target, args);
        if (!(first instanceof Promise)) return first;
        return first.catch((e: unknown) => {
          if (!(e instanceof StoreError) || !e.transient || p.tries <= 1) throw e;
          return retrying(() => f.apply(target, args) as Promise<unknown>, { ...p, tries: p.tries - 1 });
        });
      };
    }
    proto = Object.getPrototypeOf(proto) as object | null;
  }
  return out as T;
}

/** The same stores, retrying transient errors. */
export function withRetries<B extends { blocks: BlockStore; queue: TaskQueue; state: StateStore }>(
  b: B,
  p: RetryPolicy = DEFAULT_RETRY,
): { blocks: BlockStore; queue: TaskQueue; state: StateStore } {
  return { blocks: wrap(b.blocks, p), queue: wrap(b.queue, p), state: wrap(b.state, p) };
}
