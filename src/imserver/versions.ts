// Version logs for incremental sync (open-im-server internal/rpc/incrversion): each list
// (e.g. the conversations of one user) has a fixed 24-hex versionID, a counter, and one log
// entry per element holding its latest state.

import { randomBytes } from 'node:crypto';
import { stmt, type Db } from './db.ts';

export const V_INSERT = 1;
export const V_DELETE = 2;
export const V_UPDATE = 3;

/** Above this many changed elements the answer is `full: true` (OpenIM's log limit). */
const MAX_LOG = 200;

export interface VersionState {
  versionID: string;
  version: number;
}

export interface VersionDelta {
  versionID: string;
  version: number;
  full: boolean;
  insert: string[];
  update: string[];
  delete: string[];
}

export class Versions {
  #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  current(list: string): VersionState {
    const row = stmt<{ version_id: string; version: number }>(this.#db, 'SELECT version_id, version FROM versions WHERE list = ?').get(list);
    if (row) return { versionID: row.version_id, version: row.version };
    const versionID = randomBytes(12).toString('hex');
    stmt(this.#db, 'INSERT INTO versions (list, version_id, version) VALUES (?, ?, 0)').run(list, versionID);
    return { versionID, version: 0 };
  }

  bump(list: string, elementID: string, state: number): void {
    const cur = this.current(list);
    const version = cur.version + 1;
    stmt(this.#db, 'UPDATE versions SET version = ? WHERE list = ?').run(version, list);
    const prev = stmt<{ insert_version: number }>(this.#db, 'SELECT insert_version FROM version_log WHERE list = ? AND element_id = ?').get(list, elementID);
    const insertVersion = state === V_INSERT || !prev ? version : prev.insert_version;
    stmt(this.#db, 'INSERT OR REPLACE INTO version_log (list, element_id, state, version, insert_version) VALUES (?, ?, ?, ?, ?)')
      .run(list, elementID, state, version, insertVersion);
  }

  /** What changed since (versionID, version). A foreign or unknown versionID means "fetch everything". */
  since(list: string, versionID: string, version: number): VersionDelta {
    const cur = this.current(list);
    const base = { versionID: cur.versionID, version: cur.version, insert: [], update: [], delete: [] };
    if (versionID !== cur.versionID || version > cur.version) return { ...base, full: true };
    if (version === cur.version) return { ...base, full: false };
    const rows = stmt<{ element_id: string; state: number; insert_version: number }>(this.#db, 'SELECT element_id, state, insert_version FROM version_log WHERE list = ? AND version > ? ORDER BY version LIMIT ?')
      .all(list, version, MAX_LOG + 1);
    if (rows.length > MAX_LOG) return { ...base, full: true };
    const out: VersionDelta = { ...base, full: false, insert: [], update: [], delete: [] };
    for (const r of rows) {
      if (r.state === V_DELETE) out.delete.push(r.element_id);
      else if (r.insert_version > version) out.insert.push(r.element_id);
      else out.update.push(r.element_id);
    }
    return out;
  }
}
