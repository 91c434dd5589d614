// What a tab that joins a running session must be told, read off the session's own event stream.
//
// Every tab of a session gets every callback from the moment it attaches. A tab that attaches
// later (a second tab, a reload, the client's reconnect within the idle grace) missed the
// connection and sync callbacks that came before, and apps wait for them ("connecting…" until
// OnConnectSuccess). So the session keeps two facts, as its tabs last heard them:
//
//   connection  the last of OnConnecting / OnConnectSuccess / OnConnectFailed
//   sync        whether an OnSyncServerStart is still open (no Finish or Failed yet)
//
// and tells a joining tab, and only it, those facts: the connection event, then
// OnSyncServerStart if a sync is open. What follows reaches it live, like every other tab.
//
// The same facts keep the stream itself well formed for every tab: a callback that repeats the
// state every tab already has is dropped. After a crash the supervisor says OnConnecting and the
// new core says it again; a sync cut short by a crash and redone by the new core stays one
// Start…Finish pair. So each tab sees OnConnectSuccess exactly once per (re)connection and sync
// callbacks always in pairs.

/** A callback as the session delivers it. */
export interface Callback {
  readonly event: string;
  readonly data: string;
  readonly errCode: number;
  readonly errMsg: string;
}

const CONNECTION_EVENTS = new Set(['OnConnecting', 'OnConnectSuccess', 'OnConnectFailed']);

export class StreamFacts {
  #connection: Callback | null = null;
  #syncOpen = false;

  /**
   * Note a callback about to go to every tab. Returns false when it only repeats what every
   * tab already knows (the caller drops it).
   */
  pass(cb: Callback): boolean {
    if (CONNECTION_EVENTS.has(cb.event)) {
      // A failure carries its own code, and a retry may fail again for another reason: not a repeat.
      if (cb.event !== 'OnConnectFailed' && this.#connection?.event === cb.event) return false;
      this.#connection = cb;
      return true;
    }
    switch (cb.event) {
      case 'OnSyncServerStart':
        if (this.#syncOpen) return false;
        this.#syncOpen = true;
        return true;
      case 'OnSyncServerFinish':
      case 'OnSyncServerFailed':
        if (!this.#syncOpen) return false;
        this.#syncOpen = false;
        return true;
      default:
        return true;
    }
  }

  /** What a joining tab is told, in order. */
  replay(): Callback[] {
    const out: Callback[] = [];
    if (this.#connection) out.push(this.#connection);
    if (this.#syncOpen) out.push({ event: 'OnSyncServerStart', data: '', errCode: 0, errMsg: '' });
    return out;
  }

  /**
   * The session cannot go on (quarantined, or its core refused a re-Login): the callback that
   * closes an open sync, so no tab is left with a Start that never ends; null when none is open.
   */
  closeSync(errCode: number, errMsg: string): Callback | null {
    return this.#syncOpen ? { event: 'OnSyncServerFailed', data: '', errCode, errMsg } : null;
  }
}
