// Admission of session starts: at most `slots` sessions start at once (spawn or bind a worker,
// open the core, core Login), about one per CPU; the others wait in arrival order. A start costs
// ~100 ms of CPU: 60 of them at once on 2 vCPUs took every one past its start timeout, starved
// the workers already serving (the watchdog took some for stuck loops) and left upgrades
// unanswered, where a queue serves them all, a little later each.
//
// The queue is bounded by the wait it implies: a login that would wait longer than `maxWaitMs`
// (the average start time so far × the starts ahead of it ÷ slots) is refused at once with
// GW_LOGIN_QUEUE_FULL (retryable, with `retryAfterMs`), and one that still waits `maxWaitMs`
// (the estimate was wrong) is refused then. Either way a client hears back in bounded time.

import { gatewayError } from '../errors.ts';

export interface StartGateOptions {
  /** Starts running at once. */
  readonly slots: number;
  /** The longest a login may wait for a slot. */
  readonly maxWaitMs: number;
  /** What a start is assumed to take before one has been measured. @default 250 */
  readonly initialStartMs?: number;
}

interface Waiter {
  readonly grant: (release: () => void) => void;
  readonly refuse: (e: Error) => void;
  readonly timer: NodeJS.Timeout;
}

/** Weight of the newest sample in the moving average of start times. */
const ALPHA = 0.2;

export class StartGate {
  readonly #o: StartGateOptions;
  readonly #queue: Waiter[] = [];
  #running = 0;
  #avgMs: number;

  constructor(options: StartGateOptions) {
    this.#o = options;
    this.#avgMs = options.initialStartMs ?? 250;
  }

  /** Starts holding a slot now. */
  get running(): number {
    return this.#running;
  }

  /** Logins waiting for a slot. */
  get queued(): number {
    return this.#queue.length;
  }

  /** The moving average of how long a start held its slot, ms. */
  get averageStartMs(): number {
    return this.#avgMs;
  }

  /**
   * Resolves with `release` once a slot is free (call it exactly once, when the start is over),
   * or rejects with GW_LOGIN_QUEUE_FULL. Waiters are served in arrival order.
   */
  acquire(): Promise<() => void> {
    if (this.#running < this.#o.slots && this.#queue.length === 0) return Promise.resolve(this.#take());
    const waitMs = ((this.#queue.length + 1) * this.#avgMs) / this.#o.slots;
    if (waitMs > this.#o.maxWaitMs) return Promise.reject(this.#full(waitMs));
    return new Promise((resolve, reject) => {
      const w: Waiter = {
        grant: resolve,
        refuse: reject,
        timer: setTimeout(() => {
          const i = this.#queue.indexOf(w);
          if (i >= 0) this.#queue.splice(i, 1);
          reject(this.#full(((this.#queue.length + 1) * this.#avgMs) / this.#o.slots));
        }, this.#o.maxWaitMs),
      };
      this.#queue.push(w);
    });
  }

  #take(): () => void {
    this.#running++;
    const since = performance.now();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#running--;
      this.#avgMs += ALPHA * (performance.now() - since - this.#avgMs);
      this.#next();
    };
  }

  #next(): void {
    while (this.#running < this.#o.slots && this.#queue.length > 0) {
      const w = this.#queue.shift()!;
      clearTimeout(w.timer);
      w.grant(this.#take());
    }
  }

  #full(waitMs: number): Error {
    // By then the logins ahead of it have drained to about half the bound.
    const retryAfterMs = Math.max(500, Math.round(waitMs - this.#o.maxWaitMs / 2));
    return gatewayError('GW_LOGIN_QUEUE_FULL', `Too many sessions are starting; retry after ${retryAfterMs} ms`, {
      retryAfterMs,
      queued: this.#queue.length,
      starting: this.#running,
    });
  }
}
