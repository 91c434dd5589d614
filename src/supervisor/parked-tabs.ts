// Tabs whose socket dropped, kept for a reconnect within the idle grace.
//
// open-im-sdk@3.5.2 redials a dropped socket with the same URL, so the same upgrade operationID
// (its `resumeKey`), and re-sends Login. The session's core kept running meanwhile and its
// callbacks went to the other tabs only: without this the reconnected tab would never hear what
// happened while it was away (upstream's core was logged out on close and re-synced at the next
// Login, reporting the messages it missed as new; a warm core has them already). So a tab that
// drops is parked: the session's callbacks are kept for it, in order, and handed over when the
// same client logs in again (session.ts). A reload or a second tab is a new client instance
// with a new operationID: it starts from the session's facts only (stream-facts.ts).
//
// A tab is parked with the callbacks its socket never took (it was closing already when they
// came, before the gateway saw it closed): those surely did not arrive. What was written before
// a cut may or may not have (the kernel took it; a failed write may have delivered the frames
// ahead of the failure): the client acknowledges nothing, so those are not repeated (lost,
// never doubled; upstream's oimws logged the core out on close).
//
// Connection and sync callbacks are not kept: what a returning tab needs of them is the current
// state, which the session replays after the kept callbacks. Bounded per tab (count and bytes; a
// tab past either bound comes back as a new tab) and in time (the idle grace).

import type { Callback } from './stream-facts.ts';

const LIFECYCLE = /^On(Connect|SyncServer)/;

interface Parked {
  readonly since: number;
  events: Callback[] | null; // null: over a bound, nothing more is kept
  bytes: number;
}

export interface ParkedLimits {
  readonly ttlMs: number;
  readonly maxEvents: number;
  readonly maxBytes: number;
  /** Parked tabs per session; the oldest goes first. */
  readonly maxTabs: number;
}

export class ParkedTabs {
  readonly #limits: ParkedLimits;
  readonly #tabs = new Map<string, Parked>();

  constructor(limits: ParkedLimits) {
    this.#limits = limits;
  }

  /** `undelivered`: what the tab's socket never took (SessionClient.undelivered), kept first. */
  park(key: string, now = Date.now(), undelivered: readonly Callback[] = []): void {
    this.#tabs.delete(key);
    const p: Parked = { since: now, events: [], bytes: 0 };
    this.#tabs.set(key, p);
    if (this.#tabs.size > this.#limits.maxTabs) this.#tabs.delete(this.#tabs.keys().next().value!);
    for (const cb of undelivered) this.#add(p, cb);
  }

  /** Keep a callback for every parked tab but `exceptKey` (the tab an echo came from). */
  keep(cb: Callback, exceptKey?: string, now = Date.now()): void {
    if (this.#tabs.size === 0) return;
    this.#expire(now);
    for (const [key, p] of this.#tabs) if (key !== exceptKey) this.#add(p, cb);
  }

  #add(p: Parked, cb: Callback): void {
    if (!p.events || LIFECYCLE.test(cb.event)) return;
    const size = cb.data.length + cb.event.length + cb.errMsg.length;
    if (p.events.length >= this.#limits.maxEvents || p.bytes + size > this.#limits.maxBytes) {
      p.events = null;
      return;
    }
    p.events.push(cb);
    p.bytes += size;
  }

  /**
   * The callbacks kept for `key` (maybe none), or null when there is nothing to resume: never
   * parked, expired, or over a bound. Either way the tab is no longer parked.
   */
  resume(key: string, now = Date.now()): Callback[] | null {
    this.#expire(now);
    const p = this.#tabs.get(key);
    this.#tabs.delete(key);
    return p?.events ?? null;
  }

  clear(): void {
    this.#tabs.clear();
  }

  #expire(now: number): void {
    // Oldest first (insertion order): stop at the first one still within the grace.
    for (const [key, p] of this.#tabs) {
      if (now - p.since <= this.#limits.ttlMs) return;
      this.#tabs.delete(key);
    }
  }
}
