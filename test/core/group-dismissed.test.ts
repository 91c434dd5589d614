// A dismissed group is reported once with OnGroupDismissed, whether its 1511 arrives live or the
// core was offline and a catch-up sync finds the group dismissed (as upstream's group syncer).

import { afterAll, describe, expect, it } from 'vitest';
import { CoreSession } from '../../src/core/core-session.ts';
import { Store } from '../../src/core/store/index.ts';
import { applyGroupInfo } from '../../src/core/sync/relations.ts';
import type { GroupItem } from '../../src/core/types.ts';
import { imPost, startTestIm, type TestIm } from '../helpers/im.ts';
import { TestCore, tempDir } from './harness.ts';

const cleanups: Array<() => unknown> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

async function setup(): Promise<{ im: TestIm; dir: string }> {
  const im = await startTestIm();
  cleanups.push(() => im.close());
  for (const u of ['dz-owner', 'dz-bob']) await im.register(u);
  const db = tempDir('core-dz-');
  cleanups.push(db.cleanup);
  return { im, dir: db.dir };
}

const dismissed = (c: TestCore, groupID: string) => c.events.filter((e) => e.event === 'OnGroupDismissed' && (e.data as { groupID: string }).groupID === groupID);

describe('OnGroupDismissed', () => {
  it('live: once', async () => {
    const { im, dir } = await setup();
    const bob = new TestCore('dz-bob', dir, im);
    cleanups.push(() => bob.core.close('drain'));
    await bob.call('Login', 'dz-bob', await im.userToken('dz-bob'));
    await bob.waitFor('OnSyncServerFinish');
    const groupID = await im.createGroup('dz-owner', ['dz-bob']);
    await bob.waitFor('OnJoinedGroupAdded', (g) => g.groupID === groupID);
    await imPost(im.apiAddress, '/group/dismiss_group', { groupID }, await im.userToken('dz-owner'));
    await bob.waitFor('OnGroupDismissed', (g) => g.groupID === groupID);
    await new Promise((r) => setTimeout(r, 300));
    expect(dismissed(bob, groupID)).toHaveLength(1);
    expect((await bob.call('GetJoinedGroupList')).find((g: { groupID: string }) => g.groupID === groupID)?.status).toBe(2);
  });

  it('missed while offline: once, from the catch-up sync', async () => {
    const { im, dir } = await setup();
    const first = new TestCore('dz-bob', dir, im);
    await first.call('Login', 'dz-bob', await im.userToken('dz-bob'));
    await first.waitFor('OnSyncServerFinish');
    const groupID = await im.createGroup('dz-owner', ['dz-bob']);
    await first.waitFor('OnJoinedGroupAdded', (g) => g.groupID === groupID);
    await first.core.close('drain');
    await imPost(im.apiAddress, '/group/dismiss_group', { groupID }, await im.userToken('dz-owner'));
    const again = new TestCore('dz-bob', dir, im);
    cleanups.push(() => again.core.close('drain'));
    await again.call('Login', 'dz-bob', await im.userToken('dz-bob'));
    await again.waitFor('OnSyncServerFinish');
    await new Promise((r) => setTimeout(r, 300));
    expect(dismissed(again, groupID)).toHaveLength(1);
  });
});

describe('OnGroupDismissed, from copies of the group', () => {
  it('is reported once for good, even when a stale copy flips the group back before the next one', () => {
    const d = tempDir('core-dz-unit-');
    cleanups.push(d.cleanup);
    const events: string[] = [];
    const quiet = { debug() {}, info() {}, warn() {}, error() {} };
    const s = new CoreSession({ userID: 'me', platformID: 5, dataDir: d.dir, apiAddress: '', wsAddress: '', emit: (e: string) => events.push(e), log: quiet });
    s.store = new Store(d.dir);
    cleanups.push(() => s.store?.close());
    const g = { groupID: 'g1', groupName: 'g', status: 0 } as GroupItem;
    s.store.groups.putGroup(g);
    applyGroupInfo(s, { ...g, status: 2 });
    applyGroupInfo(s, { ...g, status: 0 }); // a stale copy
    applyGroupInfo(s, { ...g, status: 2 });
    expect(events.filter((e) => e === 'OnGroupDismissed')).toHaveLength(1);
  });
});
