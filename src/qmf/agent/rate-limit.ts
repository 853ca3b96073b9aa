// A request rate per caller, as token buckets: each caller's bucket refills at `perSecond`
// tokens a second up to `burst`, and each request takes one. A caller that floods empties its
// own bucket only, so the others are served meanwhile; a refused request costs a map lookup.

/** Callers remembered at most; past that, the ones whose buckets are full again are forgotten. */
const MAX_CALLERS = 10_000;

/** The rate each caller may send requests at. */
export interface RateLimit {
  /** Requests a second, on average. */
  perSecond: number;
  /** Requests at once after a quiet time (the bucket's size). */
  burst: number;
}

/** One token bucket per caller. */
export class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    readonly limit: RateLimit,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Takes a token from `caller`'s bucket; false when it has none. */
  take(caller: string): boolean {
    const t = this.now();
    let b = this.buckets.get(caller);
    if (b) {
      b.tokens = this.level(b, t);
      b.at = t;
    } else {
      if (this.buckets.size >= MAX_CALLERS) this.forgetRested(t);
      b = { tokens: this.limit.burst, at: t };
      this.buckets.set(caller, b);
    }
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  /** Why a request of `caller` was refused, for the `_exception`. */
  refusal(caller: string | undefined): string {
    const { perSecond, burst } = this.limit;
    return `too many requests: user ${caller ?? "(unknown)"} may send ${perSecond} a second (${burst} at once); try again later`;
  }

  private level(b: { tokens: number; at: number }, t: number): number {
    return Math.min(this.limit.burst, b.tokens + ((t - b.at) * this.limit.perSecond) / 1000);
  }

  /** Forgets the callers whose buckets have filled up again (they would start full anyway). */
  private forgetRested(t: number): void {
    for (const [k, b] of this.buckets)
      if (this.level(b, t) >= this.limit.burst) this.buckets.delete(k);
  }
}
