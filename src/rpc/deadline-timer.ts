// One timer for the deadlines of many calls. A per-call setTimeout/clearTimeout pair (and, in the
// worker, a per-call AbortController) was the largest fixed cost of a call (docs/performance.md).
// Almost every call finishes long before its deadline, and deadlines arrive in nearly increasing
// order (now + the call timeout), so the timer is armed for the earliest pending deadline and
// left alone by later ones; a finished call is not "cleared" at all. When the timer fires, the
// owner scans its calls (at most the session's concurrency) and names the next deadline.

export class DeadlineTimer {
  /** Called when the earliest deadline may have passed; returns the next one (Infinity: none). */
  readonly #onDue: (now: number) => number;
  #at = Infinity;
  #timer: NodeJS.Timeout | undefined;

  constructor(onDue: (now: number) => number) {
    this.#onDue = onDue;
  }

  /** Make sure the timer fires no later than `at` (ms since epoch). */
  schedule(at: number): void {
    if (at >= this.#at) return;
    clearTimeout(this.#timer);
    this.#at = at;
    // Unref'd: a pending deadline never keeps a process alive (the port that carries the call does).
    this.#timer = setTimeout(this.#fire, Math.max(0, at - Date.now()));
    this.#timer.unref();
  }

  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#at = Infinity;
  }

  readonly #fire = (): void => {
    this.#timer = undefined;
    this.#at = Infinity;
    const next = this.#onDue(Date.now());
    if (next !== Infinity) this.schedule(next);
  };
}
