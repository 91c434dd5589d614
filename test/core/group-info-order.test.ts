// Group info reported by OnGroupInfoChanged never goes back to an older value, however the
// notifications that carry snapshots of it (invite, kick, member info, rename) interleave.

import { afterAll, describe, expect, it } from 'vitest';
import { startFrameHoldProxy } from '../helpers/hold-proxy.ts';
import { imPost, startTestIm, type TestIm } from '../helpers/im.ts';
import { TestCore, tempDir } from './harness.ts';

let im: TestIm;
const cleanups: Array<() => unknown> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

describe('group info order', () => {
  it('a rename concurrent with member changes is never reported back to the old name', async () => {
    im = await startTestIm();
    cleanups.push(() => im.close());
    for (const u of ['go', 'gb', 'gc', 'gl', 'gm']) await im.register(u);
    const db = tempDir('core-gi-');
    cleanups.push(db.cleanup);
    const b = new TestCore('gb', db.dir, im);
    cleanups.push(() => b.core.close('drain'));
    await b.call('Login', 'gb', await im.userToken('gb'));
    await b.waitFor('OnSyncServerFinish');
    for (let round = 0; round < 5; round++) {
      const groupID = await im.createGroup('go', ['gb', 'gc', 'gl']);
      await b.waitFor('OnJoinedGroupAdded', (g) => g.groupID === groupID);
      const tok = await im.userToken('go');
      const post = (path: string, body: unknown) => imPost(im.apiAddress, path, body, tok);
      const from = b.events.length;
      await Promise.all([
        post('/group/kick_group', { groupID, kickedUserIDs: ['gl'], reason: '' }),
        post('/group/set_group_info', { groupInfoForSet: { groupID, groupName: `new-${round}` } }),
        post('/group/invite_user_to_group', { groupID, invitedUserIDs: ['gm'], reason: '' }),
        post('/group/set_group_member_info', { members: [{ groupID, userID: 'gb', nickname: `n${round}` }] }),
      ]);
      await b.waitFor('OnGroupInfoChanged', (g) => g.groupID === groupID && g.groupName === `new-${round}`, 8000, from);
      await new Promise((r) => setTimeout(r, 500));
      const names = b.events.slice(from).filter((e) => e.event === 'OnGroupInfoChanged' && (e.data as { groupID: string }).groupID === groupID).map((e) => (e.data as { groupName: string }).groupName);
      const first = names.indexOf(`new-${round}`);
      expect(names.slice(first), `round ${round}: ${names.join(',')}`).not.toContain(`group`);
    }
  }, 60_000);

  it('tips older than the group info a sync stored are neither applied nor reported', async () => {
    if (!im) {
      im = await startTestIm();
      cleanups.push(() => im.close());
    }
    for (const u of ['so', 'sb', 'sc', 'sm']) await im.register(u);
    const gw = await startFrameHoldProxy(im.wsAddress);
    cleanups.push(() => gw.close());
    const db = tempDir('core-gs-');
    cleanups.push(db.cleanup);
    const b = new TestCore('sb', db.dir, { apiAddress: im.apiAddress, wsAddress: gw.url });
    cleanups.push(() => b.core.close('drain'));
    await b.call('Login', 'sb', await im.userToken('sb'));
    await b.waitFor('OnSyncServerFinish');
    const groupID = await im.createGroup('so', ['sb', 'sc'], { groupName: 'old' });
    await b.waitFor('OnJoinedGroupAdded', (g) => g.groupID === groupID);
    await b.waitFor('OnGroupMemberAdded', (m) => m.groupID === groupID, 3000).catch(() => undefined);
    const tok = await im.userToken('so');
    const post = (path: string, body: unknown) => imPost(im.apiAddress, path, body, tok);
    // The invite's tips carry the group as it was before the rename; both pushes wait.
    const pushes = gw.holdPushes('sb');
    const from = b.events.length;
    await post('/group/invite_user_to_group', { groupID, invitedUserIDs: ['sm'], reason: '' });
    await post('/group/set_group_info', { groupInfoForSet: { groupID, groupName: 'new' } });
    await pushes.reached;
    // A write of sb's own syncs the joined groups first: the new name is stored and reported.
    await b.call('CreateGroup', { memberUserIDs: [], groupInfo: { groupName: 'other' } });
    await b.waitFor('OnGroupInfoChanged', (g) => g.groupID === groupID && g.groupName === 'new', 8000, from);
    pushes.release();
    await b.waitFor('OnJoinedGroupAdded', (g) => g.groupName === 'other', 8000, from);
    await new Promise((r) => setTimeout(r, 500));
    const names = b.events.slice(from).filter((e) => e.event === 'OnGroupInfoChanged' && (e.data as { groupID: string }).groupID === groupID).map((e) => (e.data as { groupName: string }).groupName);
    expect(names).toEqual(['new']);
    expect(b.events.slice(from).filter((e) => e.event === 'OnGroupMemberAdded').map((e) => (e.data as { userID: string }).userID)).toEqual(['sm']);
    expect((await b.call('GetSpecifiedGroupsInfo', [groupID]))[0]).toMatchObject({ groupName: 'new', memberCount: 4 });
  }, 60_000);
});
