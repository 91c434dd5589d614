// Token buckets: one per connection for requests, one per client IP for upgrade attempts.
// Time is injected so tests need no fake timers.

export type Clock = () => number;

export class TokenBucket {
  readonly #ratePerMs: number;
  readonly #burst: number;
  readonly #now: Clock;
  #tokens: number;
  #last: number;

  /** `ratePerSecond` tokens refill every second, up to `burst`; the bucket starts full. */
  constructor(ratePerSecond: number, burst: number, now: Clock = Date.now) {
    this.#ratePerMs = ratePerSecond / 1000;
    this.#burst = burst;
    this.#now = now;
    this.#tokens = burst;
    this.#last = now();
  }

  #refill(): void {
    const t = this.#now();
    if (t > this.#last) {
      this.#tokens = Math.min(this.#burst, this.#tokens + (t - this.#last) * this.#ratePerMs);
      this.#last = t;
    }
  }

  /** Take `n` tokens (default one); false, taking nothing, when fewer are left. */
  take(n = 1): boolean {
    this.#refill();
    if (this.#tokens < n) return false;
    this.#tokens -= n;
    return true;
  }

  /** True when the bucket has refilled completely, i.e. forgetting it changes nothing. */
  isFull(): boolean {
    this.#refill();
    return this.#tokens >= this.#burst;
  }
}

/**
 * One bucket per key (client IP), in a map bounded by `maxKeys`. Full buckets carry no state and
 * are dropped first; when every bucket is in use the least recently used one is dropped, which
 * can only make the limiter more lenient for that key, never stricter.
 */
export class KeyedRateLimiter {
  readonly #buckets = new Map<string, TokenBucket>();
  readonly #rate: number;
  readonly #burst: number;
  readonly #maxKeys: number;
  readonly #now: Clock;

  constructor(ratePerSecond: number, burst: number, maxKeys = 100_000, now: Clock = Date.now) {
    this.#rate = ratePerSecond;
    this.#burst = burst;
    this.#maxKeys = maxKeys;
    this.#now = now;
  }

  take(key: string): boolean {
    let b = this.#buckets.get(key);
    if (b) {
      this.#buckets.delete(key); // re-insert: Map order is our LRU order
    } else {
      if (this.#buckets.size >= this.#maxKeys) this.#evict();
      b = new TokenBucket(this.#rate, this.#burst, this.#now);
    }
    this.#buckets.set(key, b);
    return b.take();
  }

  get size(): number {
    return this.#buckets.size;
  }

  #evict(): void {
    for (const [k, b] of this.#buckets) {
      if (b.isFull()) this.#buckets.delete(k);
    }
    if (this.#buckets.size >= this.#maxKeys) {
      const oldest = this.#buckets.keys().next();
      if (!oldest.done) this.#buckets.delete(oldest.value);
    }
  }
}
