// Version sync apply rules (version-sync.ts) on a real local store with a scripted server list,
// and migration 4 on a database created by the previous schema.

import { afterEach, describe, expect, it } from 'vitest';
import type { CoreLogger } from '../../src/core/contract.ts';
import { CoreSession } from '../../src/core/core-session.ts';
import { openDatabase, schemaVersion } from '../../src/core/store/db.ts';
import { Store } from '../../src/core/store/index.ts';
import { migrations } from '../../src/core/store/migrations.ts';
import { applyOrSync, versionSync, type IncrementalResp, type VersionedList } from '../../src/core/sync/version-sync.ts';
import { tempDir } from './harness.ts';

interface Row {
  id: string;
  v: string;
}

const quiet: CoreLogger = { debug() {}, info() {}, warn() {}, error() {} };
const dirs: { cleanup(): void }[] = [];

function setup() {
  const d = tempDir('core-vsync-');
  dirs.push(d);
  const events: [string, unknown][] = [];
  const s = new CoreSession({ userID: 'me', platformID: 5, dataDir: d.dir, apiAddress: '', wsAddress: '', emit: (e, data) => events.push([e, data]), log: quiet });
  s.store = new Store(d.dir);
  const rows = new Map<string, Row>();
  const calls: string[] = [];
  const server = { incr: {} as IncrementalResp, full: [] as Row[] };
  const list: VersionedList<Row> = {
    table: 'test',
    entityID: 'me',
    incremental: async (local) => {
      calls.push(`incr ${local.versionID}@${local.version}`);
      return server.incr;
    },
    full: async () => {
      calls.push('full');
      return server.full;
    },
    convert: (r) => r as Row,
    keyOf: (r) => r.id,
    get: (k) => rows.get(k),
    keys: () => [...rows.keys()],
    put: (r) => rows.set(r.id, r),
    remove: (k) => rows.delete(k),
    added: (r) => events.push(['added', r.id]),
    changed: (r) => events.push(['changed', r.id]),
    removed: (r) => events.push(['removed', r.id]),
  };
  return { s, rows, calls, server, list, events, close: () => s.store!.close() };
}

afterEach(() => {
  for (const d of dirs.splice(0)) d.cleanup();
});

describe('version sync', () => {
  it('first sync: full fetch, stored silently, version kept', async () => {
    const t = setup();
    t.server.incr = { full: true, versionID: 'A', version: 3 };
    t.server.full = [{ id: 'x', v: '1' }];
    expect(await versionSync(t.s, t.list, 'op')).toBe('full');
    expect(t.calls).toEqual(['incr @0', 'full']);
    expect([...t.rows.keys()]).toEqual(['x']);
    expect(t.events).toEqual([]);
    expect(t.s.db().seqs.version('test', 'me')).toEqual({ versionID: 'A', version: 3 });
    t.close();
  });

  it('incremental: insert, update, delete with callbacks; unchanged rows report nothing', async () => {
    const t = setup();
    t.server.incr = { full: true, versionID: 'A', version: 1 };
    t.server.full = [{ id: 'x', v: '1' }, { id: 'y', v: '1' }, { id: 'z', v: '1' }];
    await versionSync(t.s, t.list, 'op');
    t.server.incr = { full: false, versionID: 'A', version: 4, insert: [{ id: 'w', v: '1' }], update: [{ id: 'x', v: '2' }, { id: 'z', v: '1' }], delete: ['y'] };
    expect(await versionSync(t.s, t.list, 'op')).toBe('incremental');
    expect(t.calls).toEqual(['incr @0', 'full', 'incr A@1']);
    expect(t.events).toEqual([['removed', 'y'], ['added', 'w'], ['changed', 'x']]);
    expect(t.s.db().seqs.version('test', 'me')).toEqual({ versionID: 'A', version: 4 });
    t.close();
  });

  it('`full` after the first sync: the whole list is diffed and the differences reported', async () => {
    const t = setup();
    t.server.incr = { full: true, versionID: 'A', version: 1 };
    t.server.full = [{ id: 'x', v: '1' }, { id: 'y', v: '1' }];
    await versionSync(t.s, t.list, 'op');
    t.server.incr = { full: true, versionID: 'B', version: 9 };
    t.server.full = [{ id: 'x', v: '1' }, { id: 'q', v: '1' }];
    expect(await versionSync(t.s, t.list, 'op')).toBe('full');
    expect(t.events).toEqual([['removed', 'y'], ['added', 'q']]);
    expect(t.s.db().seqs.version('test', 'me')).toEqual({ versionID: 'B', version: 9 });
    t.close();
  });

  it('a notification at exactly the next version of the same log is applied in place, without a request', async () => {
    const t = setup();
    t.server.incr = { full: true, versionID: 'A', version: 5 };
    t.server.full = [{ id: 'x', v: '1' }];
    await versionSync(t.s, t.list, 'op');
    t.calls.length = 0;
    const how = await applyOrSync(t.s, t.list, { versionID: 'A', version: 6 }, { upserts: [{ id: 'n', v: '1' }], deletes: ['x'] }, 'op');
    expect(how).toBe('in-place');
    expect(t.calls).toEqual([]);
    expect(t.events).toEqual([['removed', 'x'], ['added', 'n']]);
    expect(t.s.db().seqs.version('test', 'me')).toEqual({ versionID: 'A', version: 6 });
    t.close();
  });

  it('a version gap, another log or a notification without rows runs incremental sync instead', async () => {
    const t = setup();
    t.server.incr = { full: true, versionID: 'A', version: 5 };
    t.server.full = [{ id: 'x', v: '1' }];
    await versionSync(t.s, t.list, 'op');
    t.calls.length = 0;
    t.server.incr = { full: false, versionID: 'A', version: 7, insert: [{ id: 'm', v: '1' }] };
    const delta = { upserts: [{ id: 'wrong', v: '1' }], deletes: [] };
    expect(await applyOrSync(t.s, t.list, { versionID: 'A', version: 7 }, delta, 'op')).toBe('incremental');
    t.server.incr = { full: false, versionID: 'A', version: 7 };
    expect(await applyOrSync(t.s, t.list, { versionID: 'other', version: 8 }, delta, 'op')).toBe('unchanged');
    expect(await applyOrSync(t.s, t.list, { versionID: 'A', version: 8 }, null, 'op')).toBe('unchanged');
    expect(t.calls).toEqual(['incr A@5', 'incr A@7', 'incr A@7']);
    expect(t.rows.has('wrong')).toBe(false);
    expect(t.rows.has('m')).toBe(true);
    t.close();
  });
});

describe('migration 4', () => {
  it('a database at schema 3 gains the friend and group tables and keeps its rows', () => {
    const d = tempDir('core-mig4-');
    dirs.push(d);
    const old = openDatabase(d.dir, migrations.filter((m) => m.version <= 3));
    old.prepare("INSERT INTO users (userID, nickname) VALUES ('u', 'U')").run();
    old.close();
    const db = openDatabase(d.dir);
    expect(schemaVersion(db)).toBe(Math.max(...migrations.map((m) => m.version)));
    const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((r) => r.name);
    expect(tables).toEqual(expect.arrayContaining(['friends', 'blacks', 'friend_requests', 'joined_groups', 'group_members', 'group_requests']));
    expect(db.prepare("SELECT nickname FROM users WHERE userID = 'u'").get()).toEqual({ nickname: 'U' });
    db.close();
    const store = new Store(d.dir);
    store.groups.putMember({ groupID: 'g', userID: 'a', nickname: 'Ann', faceURL: '', roleLevel: 20, muteEndTime: 0, joinTime: 2, joinSource: 2, inviterUserID: '', operatorUserID: '', ex: '' });
    store.groups.putMember({ groupID: 'g', userID: 'o', nickname: 'Owner', faceURL: '', roleLevel: 100, muteEndTime: 0, joinTime: 1, joinSource: 2, inviterUserID: '', operatorUserID: '', ex: '' });
    expect(store.groups.members('g').map((m) => m.userID)).toEqual(['o', 'a']);
    expect(store.groups.members('g', { roles: [20], offset: 0, count: -1 }).map((m) => m.userID)).toEqual(['a']);
    expect(store.groups.searchMembers('g', ['an'], false, true, 0, -1).map((m) => m.userID)).toEqual(['a']);
    store.close();
  });
});
