// (userID, platformID) -> Session, and client -> Session.
//
// Starts are single-flight: the first acquire() for a key creates the session synchronously, so
// every concurrent Login or tab of the pair finds that same session and attaches to its one start.
// A key whose session is still stopping (logout, idle eviction) is not reused: acquire() waits
// for it to stop, because two cores must never open the same data dir at once.

import type { Principal, SessionClient } from './types.ts';
import type { Session } from './session.ts';

/**
 * The one name of a (userID, platformID) pair, for every map and counter keyed by it (the
 * registry, the start cooldown, the chaos ledger, the gateway's caps and token verdicts). A
 * platformID is a number, so the first ':' ends it and no two pairs share a key.
 */
export function sessionKey(userID: string, platformID: number): string {
  return `${platformID}:${userID}`;
}

export class Registry {
  readonly #sessions = new Map<string, Session>();
  readonly #byClient = new WeakMap<SessionClient, Session>();
  readonly #create: (principal: Principal) => Session;

  constructor(create: (principal: Principal) => Session) {
    this.#create = create;
  }

  async acquire(principal: Principal): Promise<Session> {
    const key = sessionKey(principal.userID, principal.platformID);
    for (;;) {
      const existing = this.#sessions.get(key);
      if (!existing) {
        const created = this.#create(principal);
        this.#sessions.set(key, created);
        return created;
      }
      if (!existing.closing) return existing;
      await existing.stopped;
    }
  }

  /** Forget a stopped session (only if the key still maps to it). */
  remove(session: Session): void {
    const key = sessionKey(session.userID, session.platformID);
    if (this.#sessions.get(key) === session) this.#sessions.delete(key);
  }

  bind(client: SessionClient, session: Session): void {
    this.#byClient.set(client, session);
  }

  unbind(client: SessionClient): void {
    this.#byClient.delete(client);
  }

  /** The session this client is attached to right now, if any. */
  sessionOf(client: SessionClient): Session | undefined {
    const s = this.#byClient.get(client);
    if (s && s.has(client)) return s;
    if (s) this.#byClient.delete(client);
    return undefined;
  }

  get(userID: string, platformID: number): Session | undefined {
    return this.#sessions.get(sessionKey(userID, platformID));
  }

  all(): Session[] {
    return [...this.#sessions.values()];
  }
}
