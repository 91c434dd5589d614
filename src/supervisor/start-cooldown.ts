// After a session fails to start (the worker or its core could not be brought up), the next start
// of the same (userID, platformID) waits out an exponential backoff. Without it every Login spawns
// a worker again, at the client's request rate: a broken data dir would become a CPU drain.
// JupyterHub's "prevent implicit spawn after a failed spawn", with a delay instead of a manual
// release. A successful start clears it; the map is bounded.

export interface Cooldown {
  readonly failures: number;
  readonly until: number;
}

export class StartCooldown {
  readonly #baseMs: number;
  readonly #maxMs: number;
  readonly #maxKeys: number;
  readonly #entries = new Map<string, Cooldown>();

  constructor(baseMs: number, maxMs: number, maxKeys = 10_000) {
    this.#baseMs = baseMs;
    this.#maxMs = maxMs;
    this.#maxKeys = maxKeys;
  }

  /** Milliseconds until `key` may start again; 0 when it may now. */
  remaining(key: string, now = Date.now()): number {
    const e = this.#entries.get(key);
    return e ? Math.max(0, e.until - now) : 0;
  }

  failed(key: string, now = Date.now()): void {
    const prev = this.#entries.get(key);
    // A failure long after the last cooldown ended starts the count again.
    const failures = prev && now - prev.until < this.#maxMs ? prev.failures + 1 : 1;
    this.#entries.delete(key);
    this.#entries.set(key, { failures, until: now + Math.min(this.#maxMs, this.#baseMs * 2 ** (failures - 1)) });
    if (this.#entries.size > this.#maxKeys) this.#entries.delete(this.#entries.keys().next().value!);
  }

  succeeded(key: string): void {
    this.#entries.delete(key);
  }
}
