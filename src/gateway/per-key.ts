// How many of something each key holds at once: connections per (user, platform), token checks
// and in-band refusals per IP. The map stays bounded: a key leaves it when its count is zero.

export class PerKeyCounter {
  readonly #counts = new Map<string, number>();

  /** Count one more for `key` unless it already holds `limit`; false, counting nothing, then. */
  take(key: string, limit: number): boolean {
    const n = this.#counts.get(key) ?? 0;
    if (n >= limit) return false;
    this.#counts.set(key, n + 1);
    return true;
  }

  /** One fewer for `key` (a key at zero stays at zero). */
  release(key: string): void {
    const n = (this.#counts.get(key) ?? 1) - 1;
    if (n <= 0) this.#counts.delete(key);
    else this.#counts.set(key, n);
  }

  count(key: string): number {
    return this.#counts.get(key) ?? 0;
  }
}
