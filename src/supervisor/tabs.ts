// A session's tabs: the connections attached to it, the ones whose socket dropped (parked, with
// the callbacks they miss), and the idle grace that runs while none is attached. Every callback
// reaches the tabs through here, so all of them see one order; the session decides only when.

import type { Logger } from 'pino';
import type { EventMessage } from '../protocol.ts';
import { OwnSends } from './own-sends.ts';
import { ParkedTabs } from './parked-tabs.ts';
import { StreamFacts, type Callback } from './stream-facts.ts';
import type { SessionClient } from './types.ts';

/** Callbacks kept for a dropped tab (parked-tabs.ts); past either bound it returns as a new tab. */
const PARKED_MAX_EVENTS = 2000;
const PARKED_MAX_BYTES = 4 * 1024 * 1024;

export interface TabsOptions {
  readonly log: Logger;
  /** How long the session outlives its last tab (and a dropped tab stays parked). */
  readonly idleGraceMs: number;
  readonly maxTabs: number;
  /** The idle grace ran out with no tab attached. */
  readonly onIdle: () => void;
}

/** How the session names a tab across its sockets. */
const tabKey = (c: SessionClient): string => c.resumeKey ?? c.id;

export class Tabs {
  readonly #o: TabsOptions;
  readonly #clients = new Set<SessionClient>();
  /** The connection and sync facts a joining tab is told (stream-facts.ts). */
  readonly #facts = new StreamFacts();
  /** Which tab sent which message, so its echo reaches the other tabs only (own-sends.ts). */
  readonly #ownSends = new OwnSends();
  /** Tabs whose socket dropped, with the callbacks kept for their return (parked-tabs.ts). */
  readonly #parked: ParkedTabs;
  #idleTimer: NodeJS.Timeout | undefined;
  #idleSince: number | null = null;

  constructor(options: TabsOptions) {
    this.#o = options;
    this.#parked = new ParkedTabs({ ttlMs: options.idleGraceMs, maxEvents: PARKED_MAX_EVENTS, maxBytes: PARKED_MAX_BYTES, maxTabs: options.maxTabs });
  }

  get size(): number {
    return this.#clients.size;
  }

  /** Since when no tab has been attached (the idle grace runs), or null. */
  get idleSince(): number | null {
    return this.#idleSince;
  }

  has(client: SessionClient): boolean {
    return this.#clients.has(client);
  }

  all(): SessionClient[] {
    return [...this.#clients];
  }

  /**
   * Attach the client (it ends the idle grace); true if it was not attached yet. Such a tab first
   * gets (it alone, in this same turn, so nothing live slips in between) what it missed if it is a
   * dropped tab coming back (parked-tabs.ts), then the session's connection and sync facts.
   */
  attach(client: SessionClient): boolean {
    this.cancelIdle();
    this.#idleSince = null;
    if (this.#clients.has(client)) return false;
    const key = client.resumeKey;
    // Only a parked tab resumes. A live connection with the same key is left alone: the key is
    // the client's choice, and closing a connection on it would let one tab end another.
    this.#clients.add(client);
    const missed = key === undefined ? null : this.#parked.resume(key);
    for (const cb of [...(missed ?? []), ...this.#facts.replay()]) this.#sendTo(client, cb);
    return true;
  }

  /** Detach without a way back (Logout, a failed Login, an expelled tab); false if not attached. */
  remove(client: SessionClient): boolean {
    return this.#clients.delete(client);
  }

  /** The socket dropped: detach, and keep the tab's callbacks for its return if `park`. */
  detach(client: SessionClient, park: boolean): boolean {
    if (!this.#clients.delete(client)) return false;
    if (park && client.resumeKey !== undefined) this.#parked.park(client.resumeKey, Date.now(), client.undelivered?.() ?? []);
    return true;
  }

  /** A call from this tab: the echo of a message it sends is not sent back to it. */
  noteCall(client: SessionClient, fn: string, args: readonly unknown[]): void {
    this.#ownSends.note(tabKey(client), fn, args);
  }

  /** A core callback; the echo of a message one of them sent skips that tab (it has the send's answer). */
  deliver(e: EventMessage): void {
    const sender = e.origin === undefined ? undefined : this.#ownSends.take(e.origin);
    this.emit(e.event, e.data, e.errCode, e.errMsg, sender);
  }

  /**
   * Every tab gets every callback, in the worker's order (but the tab named `exceptTab`, which an
   * echo came from), and so does every parked tab. A callback that only repeats the connection or
   * sync state every tab already has is dropped (stream-facts.ts).
   */
  emit(event: string, data: string, errCode: number, errMsg: string, exceptTab?: string): void {
    const cb = { event, data, errCode, errMsg };
    if (!this.#facts.pass(cb)) return;
    for (const c of [...this.#clients]) if (exceptTab === undefined || tabKey(c) !== exceptTab) this.#sendTo(c, cb);
    this.#parked.keep(cb, exceptTab);
  }

  /** The session cannot go on: close an open sync for every tab before saying why. */
  closeSync(errCode: number, errMsg: string): void {
    const cb = this.#facts.closeSync(errCode, errMsg);
    if (cb) this.emit(cb.event, cb.data, cb.errCode, cb.errMsg);
  }

  /** One event to one tab, outside the session's stream (OnKickedOffline to an expelled tab). */
  tell(client: SessionClient, event: string): void {
    this.#sendTo(client, { event, data: '', errCode: 0, errMsg: '' });
  }

  /** The session ended: forget every tab, attached or parked. */
  clear(): void {
    this.#clients.clear();
    this.#parked.clear();
  }

  /** Start the idle grace (unless it runs already). */
  armIdle(): void {
    if (this.#idleTimer) return;
    this.#idleSince = Date.now();
    this.#idleTimer = setTimeout(() => {
      this.#idleTimer = undefined;
      this.#o.onIdle();
    }, this.#o.idleGraceMs);
  }

  /** Stop the idle grace's timer; `idleSince` stays (the admin API and eviction read it). */
  cancelIdle(): void {
    clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
  }

  #sendTo(c: SessionClient, cb: Callback): void {
    try {
      c.sendEvent(cb.event, cb.data, cb.errCode, cb.errMsg);
    } catch (err) {
      this.#o.log.warn({ err, clientId: c.id, event: cb.event }, 'client failed to take an event');
    }
  }
}
