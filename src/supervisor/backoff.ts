// Restart policy for one session: exponential backoff with jitter, plus OTP's restart intensity
// (more than `intensity` restarts within `periodMs` -> quarantine, released only by an admin).
// OTP has intensity but no backoff; backoff alone never gives up. Both together do.

export interface RestartPolicyOptions {
  readonly baseMs: number;
  readonly maxMs: number;
  /** Restarts allowed within periodMs; one more quarantines the session. */
  readonly intensity: number;
  readonly periodMs: number;
  /** [0, 1); injectable for tests. */
  readonly random?: () => number;
}

export type RestartDecision = { readonly quarantine: true } | { readonly quarantine: false; readonly delayMs: number };

export class RestartPolicy {
  readonly #o: RestartPolicyOptions;
  #history: number[] = [];

  constructor(options: RestartPolicyOptions) {
    this.#o = options;
  }

  /** Restarts counted in the current window. */
  recent(now = Date.now()): number {
    this.#prune(now);
    return this.#history.length;
  }

  /**
   * Decide what follows a crash at `now`, and count the restart if there is one.
   * Delay: base × 2^(restarts in window), capped at max, then "equal jitter" (half fixed, half
   * random) so sessions that crashed together do not restart in lockstep.
   */
  next(now = Date.now()): RestartDecision {
    this.#prune(now);
    if (this.#history.length >= this.#o.intensity) return { quarantine: true };
    const exp = Math.min(this.#o.maxMs, this.#o.baseMs * 2 ** this.#history.length);
    const random = this.#o.random ?? Math.random;
    const delayMs = Math.round(exp / 2 + (random() * exp) / 2);
    this.#history.push(now);
    return { quarantine: false, delayMs };
  }

  /** After an admin unquarantine: start from a clean slate. */
  reset(): void {
    this.#history = [];
  }

  #prune(now: number): void {
    const from = now - this.#o.periodMs;
    while (this.#history.length > 0 && this.#history[0]! <= from) this.#history.shift();
  }
}
