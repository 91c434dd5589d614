// The window of a running sync. A sync that loads a list for the first time stores it without
// callbacks (the very first sync of a new data dir: nothing was shown from it yet, as upstream
// does). Pushes that arrive while the sync runs queue behind it; their notifications describe
// changes made after the app was told it is logged in, and the sync may already have stored
// their effect silently. The window remembers what was loaded silently and which callbacks were
// reported since it opened, so such a notification can still be reported exactly once
// (owed-callbacks.ts). It closes once the sync has ended and its pushes are handled.

import type { Session } from '../session.ts';

/** A list as sync_versions names it: its table and entity ('friends:u1', 'group_members:g1'). */
export function listID(table: string, entityID: string): string {
  return `${table}:${entityID}`;
}

/** What a callback says about a row: added, changed, removed; requests: accepted, rejected. */
export type ReportKind = 'added' | 'changed' | 'removed' | 'accepted' | 'rejected';

const windows = new WeakMap<Session, SyncWindow>();

export class SyncWindow {
  readonly #s: Session;
  readonly #silent = new Set<string>();
  readonly #reported = new Set<string>();
  /** Notification streams the sync began to follow at their end (mark), without reading them. */
  readonly #followed = new Map<string, number>();
  readonly #followedHandled = new Set<string>();
  #pending = 0;
  #syncing = true;

  constructor(s: Session) {
    this.#s = s;
  }

  get syncing(): boolean {
    return this.#syncing;
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
    this.#syncing = false;
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

  #closeIfDone(): void {
    if (!this.#syncing && this.#pending <= 0 && windows.get(this.#s) === this) windows.delete(this.#s);
  }
}

/** Opens the window of a sync that starts now (an earlier one's pushes are all handled by then). */
export function openWindow(s: Session): SyncWindow {
  const w = new SyncWindow(s);
  windows.set(s, w);
  return w;
}

export function windowOf(s: Session): SyncWindow | undefined {
  return windows.get(s);
}

export function loadedSilently(s: Session, list: string): void {
  windows.get(s)?.loadedSilently(list);
}

/** Records a relation callback while a window is open (a later owed one is then not repeated). */
export function reported(s: Session, list: string, key: string, kind: ReportKind): void {
  windows.get(s)?.report(list, key, kind);
}
