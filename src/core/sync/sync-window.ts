// The window of a sync, from the moment it is queued (the connection is up) until it has ended
// and the pushes that arrived meanwhile are handled. A sync that loads a list for the first time
// stores it without callbacks (the very first sync of a new data dir: nothing was shown from it
// yet, as upstream does). Pushes that arrive while it is queued or running wait behind it; their
// notifications describe changes made after the app was told it is logged in, and the sync may
// already have stored their effect silently. The window remembers what was loaded silently and
// which callbacks were reported since it opened, so such a notification can still be reported
// exactly once (owed-callbacks.ts). A sync queued while a window is open extends it; the window
// still takes pushes for LATE_PUSH_GRACE_MS after the sync ended.

import type { CoreSession } from '../core-session.ts';

/** A list as sync_versions names it: its table and entity ('friends:u1', 'group_members:g1'). */
export function listID(table: string, entityID: string): string {
  return `${table}:${entityID}`;
}

/** What a callback says about a row: added, changed, removed; requests: accepted, rejected. */
export type ReportKind = 'added' | 'changed' | 'removed' | 'accepted' | 'rejected';

const windows = new WeakMap<CoreSession, SyncWindow>();

/**
 * Pushes that arrive this long after the sync ended still belong to it: the push of a change the
 * sync already read over REST travels on the other socket and may be read after the sync's end.
 */
const LATE_PUSH_GRACE_MS = 2000;

export class SyncWindow {
  readonly #s: CoreSession;
  readonly #silent = new Set<string>();
  readonly #reported = new Set<string>();
  /** Notification streams the sync began to follow at their end (mark), without reading them. */
  readonly #followed = new Map<string, number>();
  readonly #followedHandled = new Set<string>();
  #pending = 0;
  #syncs = 0;
  #endedAt = 0;

  constructor(s: CoreSession) {
    this.#s = s;
  }

  /** A sync is queued or running, or ended just now: pushes that arrive now belong to the window. */
  get accepting(): boolean {
    return this.#syncs > 0 || Date.now() - this.#endedAt < LATE_PUSH_GRACE_MS;
  }

  /** A push arrived while the sync runs: it belongs to this window until handled. */
  arrived(): void {
    this.#pending++;
  }

  handled(): void {
    this.#pending--;
    this.#closeIfDone();
  }

  syncEnded(): void {
    if (--this.#syncs <= 0) {
      this.#endedAt = Date.now();
      // Closed after the grace even when no push comes (it records callbacks while open).
      setTimeout(() => this.#closeIfDone(), LATE_PUSH_GRACE_MS + 10).unref?.();
    }
    this.#closeIfDone();
  }

  loadedSilently(list: string): void {
    this.#silent.add(list);
  }

  wasLoadedSilently(list: string): boolean {
    return this.#silent.has(list);
  }

  report(list: string, key: string, kind: ReportKind): void {
    this.#reported.add(`${list}\u0000${key}\u0000${kind}`);
  }

  /** The callback was not reported since the window opened, and the row was loaded silently. */
  owes(list: string, key: string, kind: ReportKind): boolean {
    return this.#silent.has(list) && !this.#reported.has(`${list}\u0000${key}\u0000${kind}`);
  }

  followedAtEnd(stream: string, mark: number): void {
    this.#followed.set(stream, mark);
  }

  /**
   * A pushed notification at or below the mark of a stream this sync followed at its end was
   * never read by the sync: it is handled (once) although the mark covers it.
   */
  takeSkipped(stream: string, seq: number): boolean {
    const mark = this.#followed.get(stream);
    const key = `${stream}\u0000${seq}`;
    if (mark === undefined || seq > mark || this.#followedHandled.has(key)) return false;
    this.#followedHandled.add(key);
    return true;
  }

  /** Counted by syncQueued; the sync calls syncEnded when it is over. */
  syncQueued(): void {
    this.#syncs++;
  }

  #closeIfDone(): void {
    if (this.#pending > 0 || this.accepting || windows.get(this.#s) !== this) return;
    windows.delete(this.#s);
  }

  /** Closes the window once its grace is over and its pushes are handled. */
  closeIfDone(): void {
    this.#closeIfDone();
  }
}

/** A sync was queued: opens a window, or extends the one still open. */
export function openWindow(s: CoreSession): SyncWindow {
  let w = windows.get(s);
  if (!w) windows.set(s, (w = new SyncWindow(s)));
  w.syncQueued();
  return w;
}

/** The open window (closing one whose grace has passed). */
export function windowOf(s: CoreSession): SyncWindow | undefined {
  windows.get(s)?.closeIfDone();
  return windows.get(s);
}

export function loadedSilently(s: CoreSession, list: string): void {
  windows.get(s)?.loadedSilently(list);
}

/** Records a relation callback while a window is open (a later owed one is then not repeated). */
export function reported(s: CoreSession, list: string, key: string, kind: ReportKind): void {
  windows.get(s)?.report(list, key, kind);
}
