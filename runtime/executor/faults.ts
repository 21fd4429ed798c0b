/**
 * Fault injection for fault-tolerance tests and `lapwing chaos`: a plan of faults the local
 * stores apply to themselves (they are the real stores, made to misbehave on purpose, as an
 * SQS that redelivers or a DynamoDB that throttles would). Decisions come from a seeded
 * generator, so a failing run can be replayed; every injected fault is counted, so that a test
 * can tell a plan that injected faults from one that never fired.
 */
import { StoreError } from '../core/interfaces.ts';
import { seededRandom } from '../../kernels/index.ts';

export interface FaultPlan {
  /** Deliver every sent message twice. */
  readonly duplicateDelivery?: boolean;
  /** Probability that an ack is lost (the message comes back after its visibility timeout). */
  readonly lostAck?: number;
  /** Probability that a block write fails with a transient error. */
  readonly blockWriteError?: number;
  /** Probability that a state-store write is throttled. */
  readonly stateThrottle?: number;
  readonly seed?: number;
}

/** The kinds of fault counted in {@link Faults.injected}. */
export type FaultKind =
  /** An extra copy of a sent message. */
  | 'duplicateDelivery'
  | 'lostAck'
  | 'blockWriteError'
  | 'stateThrottle'
  /** A lease renewal of a stalled executor that never reached the queue. */
  | 'lostRenewal';

/** Seeded coin flips for a fault plan, and the count of faults injected so far. */
export class Faults {
  private readonly next: () => number;
  private readonly counts: Record<FaultKind, number> = {
    duplicateDelivery: 0, lostAck: 0, blockWriteError: 0, stateThrottle: 0, lostRenewal: 0,
  };

  constructor(readonly plan: FaultPlan = {}) {
    this.next = seededRandom(plan.seed ?? 12345);
  }

  /** Faults injected so far, by kind. */
  get injected(): Readonly<Record<FaultKind, number>> {
    return { ...this.counts };
  }

  /** Counts `n` injected faults of `kind` (for faults decided outside {@link flip}). */
  count(kind: FaultKind, n = 1): void {
    this.counts[kind] += n;
  }

  /** True with probability p. */
  flip(p: number | undefined): boolean {
    return p !== undefined && p > 0 && this.next() < p;
  }

  /** Whether to drop this ack (counted when it is dropped). */
  loseAck(): boolean {
    if (!this.flip(this.plan.lostAck)) return false;
    this.counts.lostAck++;
    return true;
  }

  /** Copies of a sent message to deliver: 2 under duplicate delivery (the extra one counted). */
  copies(): number {
    if (!this.plan.duplicateDelivery) return 1;
    this.counts.duplicateDelivery++;
    return 2;
  }

  /** Throws a transient block-store error when the plan says so. */
  blockWrite(key: string): void {
    if (!this.flip(this.plan.blockWriteError)) return;
    this.counts.blockWriteError++;
    throw new StoreError('UNAVAILABLE', `injected write error for ${key}`);
  }

  /** Throws a throttling error when the plan says so. */
  stateWrite(what: string): void {
    if (!this.flip(this.plan.stateThrottle)) return;
    this.counts.stateThrottle++;
    throw new StoreError('THROTTLED', `injected throttling of ${what}`);
  }
}
