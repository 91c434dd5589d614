// How far each conversation's message stream has been synced, and the version of each
// incrementally synced list (conversations now; friends and groups later).

import type { DatabaseSync } from 'node:sqlite';
import { query } from './db.ts';

export class SeqStore {
  readonly #db: DatabaseSync;

  constructor(db: DatabaseSync) {
    this.#db = db;
  }

  synced(conversationID: string): number {
    const r = query<{ syncedSeq: number }>(this.#db, 'SELECT syncedSeq FROM synced_seqs WHERE conversationID = ?').get(conversationID);
    return r?.syncedSeq ?? 0;
  }

  /** Whether the stream has a mark at all (a stream followed from its start has mark 0). */
  has(conversationID: string): boolean {
    return this.#db.prepare('SELECT 1 FROM synced_seqs WHERE conversationID = ?').get(conversationID) !== undefined;
  }

  /** Starts following a stream at `seq` unless it is already followed. */
  follow(conversationID: string, seq: number): void {
    this.#db.prepare('INSERT OR IGNORE INTO synced_seqs (conversationID, syncedSeq) VALUES (?, ?)').run(conversationID, seq);
  }

  /** Moves the mark forward only. */
  advance(conversationID: string, seq: number): void {
    this.#db
      .prepare(
        `INSERT INTO synced_seqs (conversationID, syncedSeq) VALUES (?, ?)
         ON CONFLICT(conversationID) DO UPDATE SET syncedSeq = MAX(syncedSeq, excluded.syncedSeq)`,
      )
      .run(conversationID, seq);
  }

  all(): Map<string, number> {
    const rows = query<{ conversationID: string; syncedSeq: number }>(this.#db, 'SELECT conversationID, syncedSeq FROM synced_seqs').all();
    return new Map(rows.map((r) => [r.conversationID, r.syncedSeq]));
  }

  version(tableName: string, entityID: string): { versionID: string; version: number } {
    const r = query<{ versionID: string; version: number }>(this.#db, 'SELECT versionID, version FROM sync_versions WHERE tableName = ? AND entityID = ?').get(tableName, entityID);
    return r ?? { versionID: '', version: 0 };
  }

  /** Whether the list was ever synced (a first sync fills it without callbacks). */
  hasVersion(tableName: string, entityID: string): boolean {
    return this.#db.prepare('SELECT 1 FROM sync_versions WHERE tableName = ? AND entityID = ?').get(tableName, entityID) !== undefined;
  }

  deleteVersion(tableName: string, entityID: string): void {
    this.#db.prepare('DELETE FROM sync_versions WHERE tableName = ? AND entityID = ?').run(tableName, entityID);
  }

  setVersion(tableName: string, entityID: string, versionID: string, version: number): void {
    this.#db
      .prepare('INSERT OR REPLACE INTO sync_versions (tableName, entityID, versionID, version) VALUES (?, ?, ?, ?)')
      .run(tableName, entityID, versionID, version);
  }
}
