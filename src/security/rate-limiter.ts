/**
 * A token bucket per client address: `burst` requests at once, refilled at `perSecond`.
 * Checked before a request's body is read, so a flood costs the service no parsing and no
 * scrypt. The table of addresses is bounded; when it is full the stalest entries go first.
 */
export interface RateLimit {
  perSecond: number;
  burst: number;
}

const MAX_CLIENTS = 10_000;

export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly limit: RateLimit,
    private readonly now: () => number = () => Date.now(),
  ) {}

  /** Takes one token for `client`; answers 0 when allowed, else the ms until one is free. */
  take(client: string): number {
    const now = this.now();
    const bucket = this.buckets.get(client);
    let tokens = this.limit.burst;
    if (bucket !== undefined) {
      tokens = Math.min(this.limit.burst, bucket.tokens + ((now - bucket.at) / 1000) * this.limit.perSecond);
      // Re-inserted so the Map's order is least recently seen first.
      this.buckets.delete(client);
    } else if (this.buckets.size >= MAX_CLIENTS) {
      const stalest = this.buckets.keys().next().value;
      if (stalest !== undefined) this.buckets.delete(stalest);
    }
    if (tokens < 1) {
      this.buckets.set(client, { tokens, at: now });
      return Math.ceil(((1 - tokens) / this.limit.perSecond) * 1000);
    }
    this.buckets.set(client, { tokens: tokens - 1, at: now });
    return 0;
  }
}
