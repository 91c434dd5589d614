// A small bounded LRU with a per-entry expiry. Map insertion order is the LRU order.

import type { Clock } from './rate-limit.ts';

export class TtlCache<V> {
  readonly #map = new Map<string, { value: V; until: number }>();
  readonly #max: number;
  readonly #now: Clock;

  constructor(maxEntries: number, now: Clock = Date.now) {
    this.#max = maxEntries;
    this.#now = now;
  }

  get(key: string): V | undefined {
    const e = this.#map.get(key);
    if (!e) return undefined;
    this.#map.delete(key);
    if (e.until <= this.#now()) return undefined;
    this.#map.set(key, e);
    return e.value;
  }

  /** Store for `ttlMs`; a zero TTL or a zero-sized cache stores nothing. */
  set(key: string, value: V, ttlMs: number): void {
    if (this.#max <= 0 || ttlMs <= 0) return;
    this.#map.delete(key);
    while (this.#map.size >= this.#max) {
      const oldest = this.#map.keys().next();
      if (oldest.done) break;
      this.#map.delete(oldest.value);
    }
    this.#map.set(key, { value, until: this.#now() + ttlMs });
  }

  delete(key: string): void {
    this.#map.delete(key);
  }

  /** Drop every entry `drop` selects (a full scan: for rare events such as a revocation). */
  deleteWhere(drop: (value: V, key: string) => boolean): void {
    for (const [key, e] of this.#map) if (drop(e.value, key)) this.#map.delete(key);
  }

  get size(): number {
    return this.#map.size;
  }
}
