/**
 * A token bucket in virtual time: `rate` tokens per second, holding at most `burst` — how AWS
 * meters request rates (S3 per prefix, DynamoDB per partition, Lambda's scaling rate).
 */
export class TokenBucket {
  private tokens: number;
  private at: number;

  constructor(readonly rate: number, readonly burst: number, private readonly now: () => number) {
    this.tokens = burst;
    this.at = now();
  }

  private refill(): void {
    const t = this.now();
    if (t > this.at) {
      this.tokens = Math.min(this.burst, this.tokens + ((t - this.at) / 1000) * this.rate);
      this.at = t;
    }
  }

  /** Takes `n` tokens if available (a request of `n` units is allowed); false otherwise. */
  take(n = 1): boolean {
    this.refill();
    // A request larger than the whole bucket is allowed once the bucket is full (as a 400 KB
    // item write is, at 1,000 WCU/s), and drives it negative.
    if (this.tokens >= n || (n > this.burst && this.tokens >= this.burst)) {
      this.tokens -= n;
      return true;
    }
    return false;
  }

  /** Milliseconds until `n` tokens are available. */
  waitMs(n = 1): number {
    this.refill();
    const need = Math.min(n, this.burst) - this.tokens;
    return need <= 0 ? 0 : (need / this.rate) * 1000;
  }
}
