import { existsSync, readdirSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DB_FILE, migrate, openDatabase, schemaVersion } from '../../src/core/store/db.ts';
import { migrations } from '../../src/core/store/migrations.ts';
import { Store } from '../../src/core/store/index.ts';
import { sessionDataDir } from '../../src/ids.ts';
import { tempDir } from './harness.ts';

const dirs: { cleanup(): void }[] = [];
const temp = (p: string) => {
  const d = tempDir(p);
  dirs.push(d);
  return d.dir;
};
afterEach(() => {
  for (const d of dirs.splice(0)) d.cleanup();
});

describe('store migrations', () => {
  it('a new database is migrated to the newest version and opens in WAL mode', () => {
    const dir = temp('core-store-');
    const db = openDatabase(dir);
    expect(schemaVersion(db)).toBe(Math.max(...migrations.map((m) => m.version)));
    expect((db.prepare('PRAGMA journal_mode').get() as { journal_mode: string }).journal_mode).toBe('wal');
    const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((r) => r.name);
    expect(tables).toEqual(expect.arrayContaining(['self_user', 'users', 'conversations', 'messages', 'synced_seqs', 'sync_versions']));
    const idx = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'messages'").all() as { name: string }[]).map((r) => r.name);
    expect(idx).toEqual(expect.arrayContaining(['messages_conv_seq', 'messages_conv_order', 'messages_time']));
    db.close();
  });

  it('applies only the steps newer than the stored version, in order, and refuses a newer schema', () => {
    const dir = temp('core-store-');
    const v1 = openDatabase(dir, [{ version: 1, name: 'a', sql: 'CREATE TABLE a (x INTEGER)' }]);
    v1.prepare('INSERT INTO a VALUES (7)').run();
    expect(migrate(v1, [
      { version: 2, name: 'c', sql: 'ALTER TABLE a ADD COLUMN z INTEGER DEFAULT 3' },
      { version: 1, name: 'a', sql: 'CREATE TABLE a (x INTEGER)' },
    ])).toBe(2);
    expect(v1.prepare('SELECT x, z FROM a').get()).toEqual({ x: 7, z: 3 });
    expect(() => migrate(v1, [{ version: 1, name: 'a', sql: '' }])).toThrow(/newer/);
    v1.close();
  });

  it('a failing step rolls back and leaves the version unchanged', () => {
    const dir = temp('core-store-');
    const db = openDatabase(dir, [{ version: 1, name: 'a', sql: 'CREATE TABLE a (x INTEGER)' }]);
    expect(() => migrate(db, [{ version: 2, name: 'bad', sql: 'CREATE TABLE b (y INTEGER); SELECT * FROM nope' }])).toThrow();
    expect(schemaVersion(db)).toBe(1);
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'b'").get()).toBeUndefined();
    db.close();
  });

  it('a v1 database with data is upgraded in place to the newest schema', () => {
    const dir = temp('core-store-');
    const v1 = openDatabase(dir, migrations.filter((m) => m.version === 1));
    v1.prepare("INSERT INTO messages (clientMsgID, conversationID, seq, sendTime, item) VALUES ('c1', 'si_a_b', 1, 5, '{}')").run();
    v1.close();
    const db = openDatabase(dir);
    expect(schemaVersion(db)).toBe(Math.max(...migrations.map((m) => m.version)));
    const idx = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'messages'").all() as { name: string }[]).map((r) => r.name);
    expect(idx).toContain('messages_conv_order');
    expect(idx).not.toContain('messages_conv_time');
    expect(db.prepare('SELECT clientMsgID FROM messages').all()).toEqual([{ clientMsgID: 'c1' }]);
    db.close();
  });

  it('v5 flags the received messages a v4 store counted as read by its read seq, nothing else', () => {
    const dir = temp('core-store-');
    const v4 = openDatabase(dir, migrations.filter((m) => m.version <= 4));
    v4.prepare("INSERT INTO conversations (conversationID, conversationType, userID, hasReadSeq) VALUES ('si_a_b', 1, 'b', 3), ('sg_g', 3, '', 9)").run();
    const put = v4.prepare('INSERT INTO messages (clientMsgID, conversationID, seq, status, sendID, item) VALUES (?, ?, ?, 2, ?, ?)');
    const rows: [string, string, number, string][] = [
      ['b2', 'si_a_b', 2, 'b'],
      ['a3', 'si_a_b', 3, 'a'],
      ['b4', 'si_a_b', 4, 'b'],
      ['g1', 'sg_g', 1, 'b'],
    ];
    for (const [id, conv, seq, from] of rows) put.run(id, conv, seq, from, JSON.stringify({ clientMsgID: id, seq, sendID: from, isRead: false }));
    v4.close();
    const db = openDatabase(dir);
    const read = (db.prepare('SELECT clientMsgID, item FROM messages ORDER BY clientMsgID').all() as { clientMsgID: string; item: string }[]).map(
      (r) => [r.clientMsgID, (JSON.parse(r.item) as { isRead: boolean }).isRead],
    );
    expect(read).toEqual([
      ['a3', false],
      ['b2', true],
      ['b4', false],
      ['g1', false],
    ]);
    db.close();
  });

  it('data survives close and reopen; close is idempotent', () => {
    const dir = temp('core-store-');
    const s1 = new Store(dir);
    s1.seqs.advance('si_a_b', 5);
    s1.seqs.advance('si_a_b', 3);
    s1.close();
    s1.close();
    const s2 = new Store(dir);
    expect(s2.seqs.synced('si_a_b')).toBe(5);
    s2.close();
  });
});

describe('path-traversal user IDs', () => {
  const hostile = ['../x', 'a/b', '..', '.', 'a\u0000b', 'x'.repeat(300), '..\\x', 'A', 'a', '_2e_2e'];

  it('every hostile ID gets its own database strictly inside the db dir', () => {
    const root = temp('core-ids-');
    const seen = new Set<string>();
    for (const id of hostile) {
      const dir = sessionDataDir(root, id, 5);
      const rel = relative(root, dir);
      expect(rel.startsWith('..')).toBe(false);
      expect(rel.split(sep)).toHaveLength(2);
      const store = new Store(dir);
      store.users.put({ userID: id, nickname: id.slice(0, 10), faceURL: '', ex: '', createTime: 0 });
      store.close();
      expect(existsSync(join(dir, DB_FILE))).toBe(true);
      seen.add(dir);
    }
    expect(seen.size).toBe(hostile.length);
    // Nothing was created outside the root, and each store holds only its own user.
    expect(readdirSync(root)).toHaveLength(hostile.length);
    for (const id of hostile) {
      const store = new Store(sessionDataDir(root, id, 5));
      expect(store.db.prepare('SELECT userID FROM users').all()).toEqual([{ userID: id }]);
      store.close();
    }
  });
});

describe('read marks on stored messages', () => {
  it('marks each of our messages once, up to the read seq and by explicit seq, never the peer ones', async () => {
    const { baseMessage } = await import('../../src/core/msg/creators.ts');
    const dir = temp('core-read-');
    const store = new Store(dir);
    const me = { userID: 'a', nickname: '', faceURL: '', platformID: 5 };
    const peer = { ...me, userID: 'b' };
    store.tx(() => {
      for (let i = 1; i <= 100; i++) {
        const m = baseMessage(i % 10 === 0 ? peer : me, 101, { content: String(i) });
        Object.assign(m, { seq: i, status: 2, sendTime: i });
        store.messages.put('si_a_b', m);
      }
    });
    expect(store.messages.markRead('si_a_b', 'a', [], 50)).toHaveLength(45);
    expect(store.messages.markRead('si_a_b', 'a', [], 50)).toHaveLength(0);
    const next = store.messages.markRead('si_a_b', 'a', [97, 99], 60);
    expect(next.map((m) => m.seq).sort((x, y) => x - y)).toEqual([51, 52, 53, 54, 55, 56, 57, 58, 59, 97, 99]);
    expect(store.messages.markRead('si_a_b', 'a', [], 100).map((m) => m.seq).sort((x, y) => x - y)).toEqual([61, 62, 63, 64, 65, 66, 67, 68, 69, 71, 72, 73, 74, 75, 76, 77, 78, 79, 81, 82, 83, 84, 85, 86, 87, 88, 89, 91, 92, 93, 94, 95, 96, 98]);
    expect(store.messages.getBySeq('si_a_b', 10)!.isRead).toBe(false);
    // What mark-as-read reports: the peer's messages not flagged read, whatever the read seq.
    expect(store.messages.unreadFrom('si_a_b', 'b')).toEqual([10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
    store.messages.markRead('si_a_b', 'b', [10, 20, 90], 0);
    expect(store.messages.unreadFrom('si_a_b', 'b')).toEqual([30, 40, 50, 60, 70, 80, 100]);
    store.close();
  });
});
