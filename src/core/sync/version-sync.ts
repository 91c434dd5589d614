// Version ("incremental") sync of one list (openim-server-protocol.md §4.3): ask for the changes
// since the stored {versionID, version}; `full` (or no version yet) → fetch the whole list and
// diff it with the local one. Every insert, update and delete is reported through the list's
// callbacks, except on the very first sync of a list (nothing was shown from it yet). The version
// is stored in the same transaction as the changes.

import type { CoreSession } from '../core-session.ts';
import { listID, loadedSilently, reported } from './sync-window.ts';

export interface IncrementalResp {
  version?: number;
  versionID?: string;
  full?: boolean;
  delete?: string[] | null;
  insert?: unknown[] | null;
  update?: unknown[] | null;
}

export interface VersionedList<T> {
  readonly table: string;
  readonly entityID: string;
  /** The server's changes since `local`. */
  incremental(local: { versionID: string; version: number }, op: string): Promise<IncrementalResp>;
  /** The whole list from the server. */
  full(op: string): Promise<unknown[]>;
  convert(raw: unknown): T;
  keyOf(t: T): string;
  /** One local row. */
  get(key: string): T | undefined;
  /** Every local key (only a full sync needs them). */
  keys(): string[];
  put(t: T): void;
  remove(key: string, before: T): void;
  added(t: T): void;
  changed(t: T, before: T): void;
  removed(before: T): void;
}

export type SyncOutcome = 'full' | 'incremental' | 'unchanged';

export interface Delta<T> {
  readonly upserts: readonly T[];
  readonly deletes: readonly string[];
}

/**
 * Applies a delta in one transaction (with the new version when given) and returns the
 * callbacks to emit once it is committed.
 */
export function applyDelta<T>(s: CoreSession, list: VersionedList<T>, delta: Delta<T>, version: { versionID: string; version: number } | null, report: boolean): (() => void)[] {
  const store = s.db();
  const out: (() => void)[] = [];
  const id = listID(list.table, list.entityID);
  if (!report) loadedSilently(s, id);
  store.tx(() => {
    for (const key of delta.deletes) {
      const before = list.get(key);
      if (!before) continue;
      list.remove(key, before);
      if (report)
        out.push(() => {
          reported(s, id, key, 'removed');
          list.removed(before);
        });
    }
    for (const t of delta.upserts) {
      const key = list.keyOf(t);
      if (!key) continue;
      const before = list.get(key);
      if (before && JSON.stringify(before) === JSON.stringify(t)) continue;
      list.put(t);
      if (report)
        out.push(() => {
          reported(s, id, key, before ? 'changed' : 'added');
          if (before) list.changed(t, before);
          else list.added(t);
        });
    }
    if (version) store.seqs.setVersion(list.table, list.entityID, version.versionID, version.version);
  });
  return out;
}

/** Everything local that the full list lacks is deleted; everything else is upserted. */
function fullDelta<T>(list: VersionedList<T>, raw: readonly unknown[]): Delta<T> {
  const upserts = raw.map((r) => list.convert(r)).filter((t) => list.keyOf(t));
  const keep = new Set(upserts.map((t) => list.keyOf(t)));
  return { upserts, deletes: list.keys().filter((k) => !keep.has(k)) };
}

/** Applies an incremental response (fetched here unless given); returns how it went. */
export async function versionSync<T>(s: CoreSession, list: VersionedList<T>, op: string, given?: IncrementalResp): Promise<SyncOutcome> {
  const store = s.db();
  const report = store.seqs.hasVersion(list.table, list.entityID);
  const local = store.seqs.version(list.table, list.entityID);
  const inc = given ?? (await list.incremental(local, op));
  const next = typeof inc?.versionID === 'string' && typeof inc?.version === 'number' ? { versionID: inc.versionID, version: inc.version } : { versionID: '', version: 0 };
  let delta: Delta<T>;
  let how: SyncOutcome;
  if (inc?.full || !local.versionID || !report) {
    delta = fullDelta(list, await list.full(op));
    how = 'full';
  } else {
    const upserts = [...(inc?.insert ?? []), ...(inc?.update ?? [])].map((r) => list.convert(r));
    delta = { upserts, deletes: inc?.delete ?? [] };
    how = upserts.length || delta.deletes.length ? 'incremental' : 'unchanged';
  }
  for (const emit of applyDelta(s, list, delta, next, report)) emit();
  return how;
}

/**
 * A notification that carries the list's new version: when it is exactly the next one of the
 * same log, its own content is applied in place; otherwise the list is synced incrementally.
 */
export async function applyOrSync<T>(s: CoreSession, list: VersionedList<T>, notif: { versionID: string; version: number }, delta: Delta<T> | null, op: string): Promise<'in-place' | SyncOutcome> {
  const store = s.db();
  const local = store.seqs.version(list.table, list.entityID);
  if (delta && notif.versionID && local.versionID === notif.versionID && local.version + 1 === notif.version && store.seqs.hasVersion(list.table, list.entityID)) {
    for (const emit of applyDelta(s, list, delta, notif, true)) emit();
    return 'in-place';
  }
  return versionSync(s, list, op);
}
