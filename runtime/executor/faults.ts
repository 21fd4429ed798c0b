/**
 * Fault injection for fault-tolerance tests and `lapwing chaos`: a plan of faults the local
 * stores apply to themselves (they are the real stores, made to misbehave on purpose, as an
 * SQS that redelivers or a DynamoDB that throttles would). Decisions come from a seeded
 * generator, so a failing run can be replayed.
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

/** Seeded coin flips for a fault plan. */
export class Faults {
  private readonly next: () => number;
  constructor(readonly plan: FaultPlan = {}) {
    this.next = seededRandom(plan.seed ?? 12345);
  }

  /** True with probability p. */
  flip(p: number | undefined): boolean {
    return p !== undefined && p > 0 && this.next() < p;
  }

  /** Throws a transient block-store error when the plan says so. */
  blockWrite(key: string): void {
    if (this.flip(this.plan.blockWriteError)) throw new StoreError('UNAVAILABLE', `injected write error for ${key}`);
  }

  /** Throws a throttling error when the plan says so. */
  stateWrite(what: string): void {
    if (this.flip(this.plan.stateThrottle)) throw new StoreError('THROTTLED', `injected throttling of ${what}`);
  }
}
