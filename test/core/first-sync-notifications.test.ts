// Notifications that arrive while a new data dir's first sync runs are reported exactly once,
// whether the sync already stored their effect silently (the event came before it loaded that
// list) or not (the event came after). Proxies hold the sync at a chosen request: its profile
// (the start of the sync), a later list, or its 1001 (after the messages were pulled).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFrameHoldProxy, startHoldProxy, type FrameHoldProxy, type Hold, type HoldProxy } from '../helpers/hold-proxy.ts';
import { imPost, startTestIm, type TestIm } from '../helpers/im.ts';
import { TestCore, tempDir } from './harness.ts';

let im: TestIm;
let db: { dir: string; cleanup(): void };
let api: HoldProxy;
let gw: FrameHoldProxy;
const cores: TestCore[] = [];

beforeAll(async () => {
  im = await startTestIm();
  db = tempDir('core-window-');
  api = await startHoldProxy(im.apiAddress);
  gw = await startFrameHoldProxy(im.wsAddress);
});

afterAll(async () => {
  for (const c of cores) await c.core.close('drain');
  await gw?.close();
  await api?.close();
  await im?.close();
  db?.cleanup();
});

async function online(userID: string): Promise<TestCore> {
  await im.register(userID, userID.toUpperCase());
  const c = new TestCore(userID, db.dir, im);
  cores.push(c);
  await c.call('Login', userID, await im.userToken(userID));
  await c.waitFor('OnSyncServerFinish');
  return c;
}

/** A user whose first sync (new data dir) waits at `hold` until the test releases it. */
async function held(userID: string, hold: (userID: string) => Hold): Promise<{ core: TestCore; sync: Hold }> {
  const sync = hold(userID);
  const core = new TestCore(userID, db.dir, { apiAddress: api.url, wsAddress: gw.url });
  cores.push(core);
  await core.call('Login', userID, await im.userToken(userID));
  await sync.reached;
  return { core, sync };
}

const atProfile = (u: string) => api.hold('/user/get_users_info', (b) => b?.userIDs?.length === 1 && b.userIDs[0] === u);
/** Pushes queue behind the held sync; give them time to arrive. */
const pause = () => new Promise((r) => setTimeout(r, 300));

/** Releases the sync, waits for it and for the queued pushes, and lists `event` callbacks. */
async function afterRelease(c: { core: TestCore; sync: Hold }): Promise<void> {
  c.sync.release();
  await c.core.waitFor('OnSyncServerFinish', undefined, 10_000);
  await pause();
}

const datas = (c: TestCore, event: string, pred: (d: any) => boolean = () => true) => c.events.filter((e) => e.event === event && pred(e.data)).map((e) => e.data as any);

describe('notifications during the first sync', () => {
  it('a request accepted: OnFriendApplicationAccepted and OnFriendAdded once; the old request is not news', async () => {
    await im.register('rqa', 'RQA');
    const acceptor = await online('rqb');
    await imPost(im.apiAddress, '/friend/add_friend', { fromUserID: 'rqa', toUserID: 'rqb', reqMsg: 'hi' }, await im.userToken('rqa'));
    await acceptor.waitFor('OnFriendApplicationAdded', (d) => d.fromUserID === 'rqa');
    const a = await held('rqa', atProfile);
    await acceptor.call('AcceptFriendApplication', { toUserID: 'rqa', handleMsg: 'ok' });
    await pause();
    await afterRelease(a);
    expect(datas(a.core, 'OnFriendApplicationAccepted')).toEqual([expect.objectContaining({ fromUserID: 'rqa', toUserID: 'rqb', handleResult: 1 })]);
    expect(datas(a.core, 'OnFriendAdded')).toEqual([expect.objectContaining({ userID: 'rqb' })]);
    expect(datas(a.core, 'OnFriendApplicationAdded')).toEqual([]);
  });

  it('group changes: the new name, a member change and a new member, each once; no OnJoinedGroupAdded for an old group', async () => {
    const owner = await online('gow');
    await im.register('gmm', 'GMM');
    await im.register('gxx', 'GXX');
    const groupID = await im.createGroup('gow', ['gmm'], { groupName: 'before' });
    await owner.waitFor('OnJoinedGroupAdded', (d) => d.groupID === groupID);
    const m = await held('gmm', atProfile);
    await owner.call('SetGroupInfo', { groupID, groupName: 'after' });
    await owner.call('SetGroupMemberInfo', { groupID, userID: 'gmm', nickname: 'Gem' });
    await owner.call('InviteUserToGroup', groupID, 'join us', ['gxx']);
    await pause();
    await afterRelease(m);
    // The sync stored the group as it is now (renamed, 3 members); the rename's tips carry an
    // older snapshot (2 members), so the change is reported once, from the stored row.
    expect(datas(m.core, 'OnGroupInfoChanged', (g) => g.groupID === groupID)).toEqual([expect.objectContaining({ groupName: 'after', memberCount: 3 })]);
    expect(datas(m.core, 'OnGroupMemberInfoChanged', (x) => x.userID === 'gmm')).toEqual([expect.objectContaining({ nickname: 'Gem' })]);
    expect(datas(m.core, 'OnGroupMemberAdded')).toEqual([expect.objectContaining({ userID: 'gxx', groupID })]);
    expect(datas(m.core, 'OnJoinedGroupAdded')).toEqual([]);
  });

  it('invited into a group: OnJoinedGroupAdded once, no member callbacks', async () => {
    await online('ivo');
    await im.register('ivb', 'IVB');
    const groupID = await im.createGroup('ivo', [], { groupName: 'later' });
    const b = await held('ivb', atProfile);
    await imPost(im.apiAddress, '/group/invite_user_to_group', { groupID, reason: '', invitedUserIDs: ['ivb'] }, await im.userToken('ivo'));
    await pause();
    await afterRelease(b);
    expect(datas(b.core, 'OnJoinedGroupAdded')).toEqual([expect.objectContaining({ groupID, groupName: 'later' })]);
    expect(datas(b.core, 'OnGroupMemberAdded')).toEqual([]);
  });

  it("a friend's new nickname: OnFriendInfoChanged once", async () => {
    const friend = await online('fnk');
    await im.register('fnb', 'FNB');
    await im.makeFriends('fnk', 'fnb');
    const b = await held('fnb', atProfile);
    await friend.call('SetSelfInfo', { nickname: 'Nick' });
    await pause();
    await afterRelease(b);
    expect(datas(b.core, 'OnFriendInfoChanged')).toEqual([expect.objectContaining({ userID: 'fnk', nickname: 'Nick' })]);
    expect(datas(b.core, 'OnFriendAdded')).toEqual([]);
  });

  it('the profile changed by the admin: OnSelfInfoUpdated once', async () => {
    await im.register('spr', 'Old');
    const c = await held('spr', atProfile);
    await imPost(im.apiAddress, '/user/update_user_info_ex', { userInfo: { userID: 'spr', nickname: 'New' } }, await im.adminToken());
    await pause();
    await afterRelease(c);
    expect(datas(c.core, 'OnSelfInfoUpdated')).toEqual([expect.objectContaining({ userID: 'spr', nickname: 'New' })]);
  });

  it('a push read only after the sync ended (slower than the sync over REST) is still reported once', async () => {
    const asker = await online('sla');
    await im.register('slb', 'SLB');
    const b = await held('slb', atProfile);
    const slow = gw.holdPushes('slb');
    await asker.call('AddFriend', { toUserID: 'slb', reqMsg: 'slow' });
    await slow.reached;
    await afterRelease(b); // the sync stored the request silently and ended
    expect(datas(b.core, 'OnFriendApplicationAdded')).toEqual([]);
    slow.release();
    await b.core.waitFor('OnFriendApplicationAdded', (d) => d.fromUserID === 'sla');
    await pause();
    expect(datas(b.core, 'OnFriendApplicationAdded')).toEqual([expect.objectContaining({ fromUserID: 'sla', reqMsg: 'slow' })]);
  });

  it('an event after the sync loaded its list is reported once, not twice', async () => {
    const asker = await online('lta');
    await im.register('ltb', 'LTB');
    // Held after the friend requests were loaded: the request is not in what the sync stored.
    const b = await held('ltb', (u) => api.hold('/group/get_recv_group_applicationList', (x) => x?.fromUserID === u));
    await asker.call('AddFriend', { toUserID: 'ltb', reqMsg: 'late' });
    await pause();
    await afterRelease(b);
    expect(datas(b.core, 'OnFriendApplicationAdded')).toEqual([expect.objectContaining({ fromUserID: 'lta', reqMsg: 'late' })]);
  });

  it('a revoke pushed after the sync pulled the message: OnNewRecvMessageRevoked once', async () => {
    const sender = await online('rva');
    await im.register('rvb', 'RVB');
    const m = await sender.call('CreateTextMessage', 'oops');
    const sent = await sender.call('SendMessageNotOss', m, 'rvb', '', undefined, false);
    // 1001 comes after the messages: the sync has stored 'oops' and not yet read the n_ stream.
    const b = await held('rvb', (u) => gw.hold(u, 1001));
    await sender.call('RevokeMessage', 'si_rva_rvb', sent.clientMsgID);
    await pause();
    await afterRelease(b);
    expect(datas(b.core, 'OnNewRecvMessageRevoked')).toEqual([expect.objectContaining({ clientMsgID: sent.clientMsgID, revokerID: 'rva' })]);
    expect(datas(b.core, 'OnRecvNewMessages')).toEqual([]);
  });
});
