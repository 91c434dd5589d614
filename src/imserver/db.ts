// The IM server's one SQLite file (node:sqlite, WAL) and its schema migrations.
// Migrations run in order inside a transaction; PRAGMA user_version records the last one applied.

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync, type SQLInputValue, type StatementResultingChanges, type StatementSync } from 'node:sqlite';

export type Db = DatabaseSync;

const MIGRATIONS: readonly string[] = [
  // 1: users, tokens, messages, per-user conversations and their version logs.
  `
  CREATE TABLE users (
    user_id TEXT PRIMARY KEY,
    nickname TEXT NOT NULL DEFAULT '',
    face_url TEXT NOT NULL DEFAULT '',
    ex TEXT NOT NULL DEFAULT '',
    create_time INTEGER NOT NULL,
    app_manger_level INTEGER NOT NULL DEFAULT 1,
    global_recv_msg_opt INTEGER NOT NULL DEFAULT 0
  );
  CREATE TABLE tokens (
    token TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    platform_id INTEGER NOT NULL,
    state INTEGER NOT NULL,
    expire_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL
  );
  CREATE INDEX tokens_by_user ON tokens (user_id, platform_id);
  CREATE TABLE seqs (
    conversation_id TEXT PRIMARY KEY,
    max_seq INTEGER NOT NULL DEFAULT 0,
    min_seq INTEGER NOT NULL DEFAULT 0,
    max_seq_time INTEGER NOT NULL DEFAULT 0
  );
  CREATE TABLE msgs (
    conversation_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    client_msg_id TEXT NOT NULL,
    send_id TEXT NOT NULL,
    send_time INTEGER NOT NULL,
    data BLOB NOT NULL,
    is_read INTEGER NOT NULL DEFAULT 0,
    revoke TEXT,
    PRIMARY KEY (conversation_id, seq)
  );
  CREATE TABLE msg_deleted (
    user_id TEXT NOT NULL,
    conversation_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    PRIMARY KEY (user_id, conversation_id, seq)
  );
  CREATE TABLE conversations (
    owner_user_id TEXT NOT NULL,
    conversation_id TEXT NOT NULL,
    conversation_type INTEGER NOT NULL,
    user_id TEXT NOT NULL DEFAULT '',
    group_id TEXT NOT NULL DEFAULT '',
    recv_msg_opt INTEGER NOT NULL DEFAULT 0,
    is_pinned INTEGER NOT NULL DEFAULT 0,
    attached_info TEXT NOT NULL DEFAULT '',
    is_private_chat INTEGER NOT NULL DEFAULT 0,
    group_at_type INTEGER NOT NULL DEFAULT 0,
    ex TEXT NOT NULL DEFAULT '',
    burn_duration INTEGER NOT NULL DEFAULT 0,
    min_seq INTEGER NOT NULL DEFAULT 0,
    max_seq INTEGER NOT NULL DEFAULT 0,
    msg_destruct_time INTEGER NOT NULL DEFAULT 604800,
    latest_msg_destruct_time INTEGER NOT NULL DEFAULT 0,
    is_msg_destruct INTEGER NOT NULL DEFAULT 0,
    has_read_seq INTEGER NOT NULL DEFAULT 0,
    create_time INTEGER NOT NULL,
    PRIMARY KEY (owner_user_id, conversation_id)
  );
  CREATE TABLE versions (
    list TEXT PRIMARY KEY,
    version_id TEXT NOT NULL,
    version INTEGER NOT NULL
  );
  CREATE TABLE version_log (
    list TEXT NOT NULL,
    element_id TEXT NOT NULL,
    state INTEGER NOT NULL,
    version INTEGER NOT NULL,
    insert_version INTEGER NOT NULL,
    PRIMARY KEY (list, element_id)
  );
  CREATE INDEX version_log_by_version ON version_log (list, version);
  `,
  // 2: friends, friend requests, blacklists, groups, members and join requests.
  `
  CREATE TABLE friends (
    owner_user_id TEXT NOT NULL,
    friend_user_id TEXT NOT NULL,
    remark TEXT NOT NULL DEFAULT '',
    create_time INTEGER NOT NULL,
    add_source INTEGER NOT NULL,
    operator_user_id TEXT NOT NULL DEFAULT '',
    ex TEXT NOT NULL DEFAULT '',
    is_pinned INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (owner_user_id, friend_user_id)
  );
  CREATE INDEX friends_by_friend ON friends (friend_user_id);
  CREATE TABLE friend_requests (
    from_user_id TEXT NOT NULL,
    to_user_id TEXT NOT NULL,
    handle_result INTEGER NOT NULL DEFAULT 0,
    req_msg TEXT NOT NULL DEFAULT '',
    create_time INTEGER NOT NULL,
    handler_user_id TEXT NOT NULL DEFAULT '',
    handle_msg TEXT NOT NULL DEFAULT '',
    handle_time INTEGER NOT NULL DEFAULT 0,
    ex TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (from_user_id, to_user_id)
  );
  CREATE INDEX friend_requests_by_to ON friend_requests (to_user_id);
  CREATE TABLE blacks (
    owner_user_id TEXT NOT NULL,
    block_user_id TEXT NOT NULL,
    create_time INTEGER NOT NULL,
    add_source INTEGER NOT NULL DEFAULT 0,
    operator_user_id TEXT NOT NULL DEFAULT '',
    ex TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (owner_user_id, block_user_id)
  );
  CREATE TABLE groups (
    group_id TEXT PRIMARY KEY,
    group_name TEXT NOT NULL DEFAULT '',
    notification TEXT NOT NULL DEFAULT '',
    introduction TEXT NOT NULL DEFAULT '',
    face_url TEXT NOT NULL DEFAULT '',
    owner_user_id TEXT NOT NULL,
    create_time INTEGER NOT NULL,
    ex TEXT NOT NULL DEFAULT '',
    status INTEGER NOT NULL DEFAULT 0,
    creator_user_id TEXT NOT NULL DEFAULT '',
    group_type INTEGER NOT NULL,
    need_verification INTEGER NOT NULL DEFAULT 0,
    look_member_info INTEGER NOT NULL DEFAULT 0,
    apply_member_friend INTEGER NOT NULL DEFAULT 0,
    notification_update_time INTEGER NOT NULL DEFAULT 0,
    notification_user_id TEXT NOT NULL DEFAULT ''
  );
  CREATE TABLE group_members (
    group_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    role_level INTEGER NOT NULL,
    join_time INTEGER NOT NULL,
    nickname TEXT NOT NULL DEFAULT '',
    face_url TEXT NOT NULL DEFAULT '',
    join_source INTEGER NOT NULL DEFAULT 0,
    operator_user_id TEXT NOT NULL DEFAULT '',
    inviter_user_id TEXT NOT NULL DEFAULT '',
    ex TEXT NOT NULL DEFAULT '',
    mute_end_time INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (group_id, user_id)
  );
  CREATE INDEX group_members_by_user ON group_members (user_id);
  CREATE TABLE group_requests (
    group_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    handle_result INTEGER NOT NULL DEFAULT 0,
    req_msg TEXT NOT NULL DEFAULT '',
    handle_msg TEXT NOT NULL DEFAULT '',
    req_time INTEGER NOT NULL,
    handle_user_id TEXT NOT NULL DEFAULT '',
    handle_time INTEGER NOT NULL DEFAULT 0,
    join_source INTEGER NOT NULL DEFAULT 0,
    inviter_user_id TEXT NOT NULL DEFAULT '',
    ex TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (group_id, user_id)
  );
  CREATE INDEX group_requests_by_user ON group_requests (user_id);
  `,
  // 3: object storage (objects.ts): named objects, their content by hash, open uploads, the
  // key that signs part URLs.
  `
  CREATE TABLE object_blobs (
    hash TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    create_time INTEGER NOT NULL
  );
  CREATE TABLE objects (
    name TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    hash TEXT NOT NULL REFERENCES object_blobs (hash),
    size INTEGER NOT NULL,
    content_type TEXT NOT NULL,
    cause TEXT NOT NULL DEFAULT '',
    create_time INTEGER NOT NULL
  );
  CREATE INDEX objects_by_user ON objects (user_id);
  CREATE TABLE uploads (
    upload_id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    hash TEXT NOT NULL,
    size INTEGER NOT NULL,
    part_size INTEGER NOT NULL,
    part_count INTEGER NOT NULL,
    expire_at INTEGER NOT NULL,
    create_time INTEGER NOT NULL
  );
  CREATE INDEX uploads_by_user ON uploads (user_id);
  CREATE INDEX uploads_by_expiry ON uploads (expire_at);
  CREATE TABLE server_keys (
    name TEXT PRIMARY KEY,
    value BLOB NOT NULL
  );
  `,
];

export function openDb(dataDir: string): Db {
  mkdirSync(dataDir, { recursive: true });
  const file = join(dataDir, 'imserver.db');
  const db = new DatabaseSync(file);
  try {
    db.exec('PRAGMA busy_timeout = 1000');
    // One server per data dir: seqs are allocated from what this process reads, so a second
    // process writing the same file would hand out duplicate seqs. The exclusive lock is taken
    // by the first write transaction and held until close.
    db.exec('PRAGMA locking_mode = EXCLUSIVE');
    db.exec('PRAGMA journal_mode = WAL');
    db.exec('PRAGMA synchronous = NORMAL');
    db.exec('PRAGMA foreign_keys = ON');
    db.exec('BEGIN IMMEDIATE');
    db.exec('COMMIT');
    migrate(db);
  } catch (e) {
    db.close();
    if (/database is locked|SQLITE_BUSY/i.test((e as Error).message)) {
      throw new Error(`${file} is in use by another IM server (${(e as Error).message})`, { cause: e });
    }
    throw e;
  }
  return db;
}

function migrate(db: Db): void {
  const row = stmtOnce<{ user_version: number }>(db, 'PRAGMA user_version').get()!;
  if (row.user_version > MIGRATIONS.length) {
    throw new Error(`imserver.db has schema version ${row.user_version}, newer than this server's ${MIGRATIONS.length}`);
  }
  for (let v = row.user_version; v < MIGRATIONS.length; v++) {
    inTransaction(db, () => {
      db.exec(MIGRATIONS[v]!);
      db.exec(`PRAGMA user_version = ${v + 1}`);
    });
  }
}

const rollbackListeners = new WeakMap<Db, Set<() => void>>();

/** Called after a rollback, so in-memory caches of rows can forget what was undone. */
export function onRollback(db: Db, fn: () => void): void {
  let set = rollbackListeners.get(db);
  if (!set) rollbackListeners.set(db, (set = new Set()));
  set.add(fn);
}

/** Run fn in one transaction; nested calls join the outer one. */
export function inTransaction<T>(db: Db, fn: () => T): T {
  if (db.isTransaction) return fn();
  db.exec('BEGIN IMMEDIATE');
  try {
    const out = fn();
    db.exec('COMMIT');
    return out;
  } catch (e) {
    db.exec('ROLLBACK');
    for (const l of rollbackListeners.get(db) ?? []) l();
    throw e;
  }
}

/**
 * A prepared statement whose rows have the shape its SELECT gives them. node:sqlite types every
 * row as a record of SQL values; the caller, who wrote the SELECT, names the row type once here
 * (the IM server's one typed boundary with its database) instead of casting each result.
 */
export interface Stmt<Row> {
  get(...params: SQLInputValue[]): Row | undefined;
  all(...params: SQLInputValue[]): Row[];
  run(...params: SQLInputValue[]): StatementResultingChanges;
}

/** The one cast: what the SELECT returns is the caller's to name. */
const typed = <Row>(s: StatementSync): Stmt<Row> => s as unknown as Stmt<Row>;

const statements = new WeakMap<Db, Map<string, StatementSync>>();

/** A prepared statement, prepared once per database and SQL text. */
export function stmt<Row = unknown>(db: Db, sql: string): Stmt<Row> {
  let cache = statements.get(db);
  if (!cache) statements.set(db, (cache = new Map<string, StatementSync>()));
  let s = cache.get(sql);
  if (!s) cache.set(sql, (s = db.prepare(sql)));
  return typed(s);
}

/** stmt() for SQL that differs from call to call (a list of `?`s): prepared each time, not kept. */
export function stmtOnce<Row = unknown>(db: Db, sql: string): Stmt<Row> {
  return typed(db.prepare(sql));
}
