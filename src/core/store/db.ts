// Opens the session's SQLite database (node:sqlite, WAL) and brings its schema up to date.

import { join } from 'node:path';
import { DatabaseSync, type SQLInputValue, type StatementResultingChanges, type StatementSync } from 'node:sqlite';
import { migrations as allMigrations, type Migration } from './migrations.ts';

export const DB_FILE = 'openim.db';

/** CommonJS node:fs: its ESM namespace would load fs/promises and readline per worker (src/rpc/core-host.ts). */
const { mkdirSync } = process.getBuiltinModule('node:fs');

/** Prepared statements kept per connection (SQL texts built with a variable `IN (?, ...)` vary). */
const STATEMENT_CACHE = 128;

/**
 * A connection that keeps its prepared statements. The stores call `prepare(sql)` (through
 * `query()`) at every use; compiling the SQL each time was most of a local read's cost
 * (GetAllConversationList on an empty store: ~45 µs of which the prepare was the larger part).
 * node:sqlite resets a statement at the start of every run/get/all/iterate, so reusing one is
 * safe while it is not being iterated, and the stores never prepare the same SQL inside its own
 * iteration.
 */
class CachingDatabase extends DatabaseSync {
  readonly #statements = new Map<string, StatementSync>();

  override prepare(sql: string): StatementSync {
    let st = this.#statements.get(sql);
    if (st) {
      // Least recently used first out: move it to the end.
      this.#statements.delete(sql);
    } else {
      st = super.prepare(sql);
      if (this.#statements.size >= STATEMENT_CACHE) this.#statements.delete(this.#statements.keys().next().value!);
    }
    this.#statements.set(sql, st);
    return st;
  }
}

export function openDatabase(dataDir: string, steps: readonly Migration[] = allMigrations): DatabaseSync {
  mkdirSync(dataDir, { recursive: true });
  const db = new CachingDatabase(join(dataDir, DB_FILE));
  try {
    db.exec('PRAGMA journal_mode = WAL');
    db.exec('PRAGMA synchronous = NORMAL');
    db.exec('PRAGMA busy_timeout = 5000');
    migrate(db, steps);
  } catch (e) {
    db.close();
    throw e;
  }
  return db;
}

export function schemaVersion(db: DatabaseSync): number {
  const row = query<{ user_version: number }>(db, 'PRAGMA user_version').get();
  return row?.user_version ?? 0;
}

/** Applies every step newer than PRAGMA user_version, each in its own transaction. */
export function migrate(db: DatabaseSync, steps: readonly Migration[]): number {
  let current = schemaVersion(db);
  const newest = steps.reduce((m, s) => Math.max(m, s.version), 0);
  if (current > newest) throw new Error(`database schema v${current} is newer than this core (v${newest})`);
  for (const step of [...steps].sort((a, b) => a.version - b.version)) {
    if (step.version <= current) continue;
    db.exec('BEGIN IMMEDIATE');
    try {
      db.exec(step.sql);
      db.exec(`PRAGMA user_version = ${step.version}`);
      db.exec('COMMIT');
    } catch (e) {
      db.exec('ROLLBACK');
      throw e;
    }
    current = step.version;
  }
  return current;
}

/**
 * A prepared statement whose rows have the shape its SELECT gives them. node:sqlite types every
 * row as a record of SQL values; the store, which wrote the SELECT, names the row type once here
 * (the core's one typed boundary with its database) instead of casting each result.
 */
export interface Query<Row> {
  get(...params: QueryParams): Row | undefined;
  all(...params: QueryParams): Row[];
  iterate(...params: QueryParams): IterableIterator<Row>;
  run(...params: QueryParams): StatementResultingChanges;
}

/** Anonymous parameters (`?`), or named ones (`$name`) first. */
type QueryParams = SQLInputValue[] | [named: Record<string, SQLInputValue>, ...anonymous: SQLInputValue[]];

/** db.prepare(sql), typed. The one cast: what the SELECT returns is the caller's to name. */
export function query<Row = unknown>(db: DatabaseSync, sql: string): Query<Row> {
  const statement: StatementSync = db.prepare(sql);
  return statement as unknown as Query<Row>;
}
