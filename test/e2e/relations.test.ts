// Friends, blacklist, groups and online status with THREE real open-im-sdk@3.5.2 clients
// (alice, bob, carol) through the gateway and the real SDK core to the embedded IM server.

import { CbEvents, type OpenIMSDK } from 'open-im-sdk';
import type { Stack } from '../helpers/gateway.ts';
import { answer, CallbackLog, newSdk, settle, until } from '../helpers/client.ts';
import { describe, expect, test } from '../helpers/fixtures.ts';

let stack: Stack;
let alice: OpenIMSDK;
let bob: OpenIMSDK;
let carol: OpenIMSDK;
const logs = new Map<OpenIMSDK, CallbackLog>();
const record = (sdk: OpenIMSDK): void => void logs.set(sdk, new CallbackLog(sdk));
const mark = (sdk: OpenIMSDK) => logs.get(sdk)!.heard.length;

/** The data of the first `event` of `sdk` at or after index `from` satisfying `pred` (bounded). */
const waitEvent = async <T = any>(sdk: OpenIMSDK, event: string, pred: (data: T) => boolean = () => true, from = 0): Promise<T> =>
  (await logs.get(sdk)!.waitFor<T>(event, pred, 10_000, from)).data as T;

async function login(sdk: OpenIMSDK, userID: string): Promise<void> {
  const token = await stack.token(userID);
  record(sdk);
  await until(sdk.login({ userID, token, platformID: 5, apiAddr: stack.im.apiAddress, wsAddr: stack.gateway.url }), 15_000, `${userID} login`);
  await waitEvent(sdk, CbEvents.OnSyncServerFinish);
}

async function call<T = any>(p: Promise<unknown>, what = 'call'): Promise<T> {
  return (await answer<T>(p, 10_000, what)).data;
}

async function sendText(from: OpenIMSDK, t: string, recvID: string, groupID = ''): Promise<{ ok: boolean; errCode: number; data: any }> {
  const message = await call(from.createTextMessage(t));
  const r = await settle(from.sendMessage({ recvID, groupID, message }));
  return { ok: r.ok, errCode: r.res.errCode, data: r.res.data };
}

test.beforeAll(async ({ stack: s }) => {
  stack = s;
  alice = newSdk();
  bob = newSdk();
  carol = newSdk();
  await login(alice, 'alice');
  await login(bob, 'bob');
  await login(carol, 'carol');
}, 60_000);

test.afterAll(async () => {
  for (const s of [alice, bob, carol]) await s?.logout().catch(() => undefined);
});

describe('friends through the gateway', () => {
  test('a request accepted: callbacks on both sides, then both friend lists', async () => {
    const a0 = mark(alice);
    const b0 = mark(bob);
    await call(alice.addFriend({ toUserID: 'bob', reqMsg: 'hi bob' } as unknown as string), 'addFriend');
    await waitEvent(bob, CbEvents.OnFriendApplicationAdded, (d) => d.fromUserID === 'alice' && d.reqMsg === 'hi bob', b0);
    await waitEvent(alice, CbEvents.OnFriendApplicationAdded, (d) => d.toUserID === 'bob', a0);
    const recv = await call<any[]>(bob.getFriendApplicationListAsRecipient());
    expect(recv).toEqual([expect.objectContaining({ fromUserID: 'alice', toUserID: 'bob', handleResult: 0 })]);

    await call(bob.acceptFriendApplication({ toUserID: 'alice', handleMsg: 'sure' }));
    await waitEvent(bob, CbEvents.OnFriendApplicationAccepted, (d) => d.fromUserID === 'alice', b0);
    await waitEvent(bob, CbEvents.OnFriendAdded, (d) => d.userID === 'alice', b0);
    await waitEvent(alice, CbEvents.OnFriendApplicationAccepted, (d) => d.toUserID === 'bob' && d.handleResult === 1, a0);
    await waitEvent(alice, CbEvents.OnFriendAdded, (d) => d.userID === 'bob', a0);
    const aliceFriends = await call<any[]>(alice.getFriendList());
    expect(aliceFriends.map((f) => f.friendInfo.userID)).toEqual(['bob']);
    expect(await call(bob.checkFriend(['alice', 'carol']))).toEqual([
      { userID: 'alice', result: 1 },
      { userID: 'carol', result: 0 },
    ]);
  });

  test('a request refused: OnFriendApplicationRejected on both sides', async () => {
    const a0 = mark(alice);
    const c0 = mark(carol);
    await call(carol.addFriend({ toUserID: 'alice', reqMsg: 'hello' } as unknown as string));
    await waitEvent(alice, CbEvents.OnFriendApplicationAdded, (d) => d.fromUserID === 'carol', a0);
    await call(alice.refuseFriendApplication({ toUserID: 'carol', handleMsg: 'no thanks' }));
    await waitEvent(alice, CbEvents.OnFriendApplicationRejected, (d) => d.fromUserID === 'carol', a0);
    await waitEvent(carol, CbEvents.OnFriendApplicationRejected, (d) => d.toUserID === 'alice' && d.handleMsg === 'no thanks', c0);
    expect(await call(carol.getFriendList())).toEqual([]);
    const sent = await call<any[]>(carol.getFriendApplicationListAsApplicant());
    expect(sent).toEqual([expect.objectContaining({ toUserID: 'alice', handleResult: -1 })]);
  });

  test('remark: OnFriendInfoChanged and the remark in the list', async () => {
    const a0 = mark(alice);
    await call(alice.setFriendRemark({ toUserID: 'bob', remark: 'Bobby' }));
    await waitEvent(alice, CbEvents.OnFriendInfoChanged, (d) => d.userID === 'bob' && d.remark === 'Bobby', a0);
    const found = await call<any[]>(alice.searchFriends({ keywordList: ['Bobby'], isSearchUserID: false, isSearchNickname: false, isSearchRemark: true }));
    expect(found).toEqual([expect.objectContaining({ userID: 'bob', remark: 'Bobby', relationship: 1 })]);
  });

  test('black list: a blocked sender gets 1302, removal lets messages through', async () => {
    const b0 = mark(bob);
    await call(bob.addBlack({ toUserID: 'alice', ex: '' }));
    await waitEvent(bob, CbEvents.OnBlackAdded, (d) => d.userID === 'alice', b0);
    expect(await call(bob.getBlackList())).toEqual([expect.objectContaining({ userID: 'alice', ownerUserID: 'bob' })]);
    const blocked = await sendText(alice, 'can you hear me', 'bob');
    expect(blocked.ok).toBe(false);
    expect(blocked.errCode).toBe(1302);
    await call(bob.removeBlack('alice'));
    await waitEvent(bob, CbEvents.OnBlackDeleted, (d) => d.userID === 'alice', b0);
    expect(await call(bob.getBlackList())).toEqual([]);
    expect((await sendText(alice, 'now?', 'bob')).ok).toBe(true);
  });

  test('delete: OnFriendDeleted, the list loses the friend', async () => {
    const b0 = mark(bob);
    await call(bob.deleteFriend('alice'));
    await waitEvent(bob, CbEvents.OnFriendDeleted, (d) => d.userID === 'alice', b0);
    expect(await call(bob.getFriendList())).toEqual([]);
  });
});

describe('a group through the gateway', () => {
  let groupID = '';
  const conv = () => `sg_${groupID}`;

  test('create with members: everyone gets OnJoinedGroupAdded', async () => {
    const [a0, b0, c0] = [mark(alice), mark(bob), mark(carol)];
    const g = await call<any>(alice.createGroup({ memberUserIDs: ['bob', 'carol'], groupInfo: { groupName: 'Trio', groupType: 2 }, adminUserIDs: [] }), 'createGroup');
    groupID = g.groupID;
    expect(g).toMatchObject({ groupName: 'Trio', ownerUserID: 'alice', memberCount: 3 });
    for (const [sdk, from] of [[alice, a0], [bob, b0], [carol, c0]] as const) {
      await waitEvent(sdk, CbEvents.OnJoinedGroupAdded, (d) => d.groupID === groupID, from);
      await expect.poll(async () => (await call<any[]>(sdk.getGroupMemberList({ groupID, filter: 0, offset: 0, count: 100 } as any))).length === 3, { timeout: 10_000, message: 'three members' }).toBe(true);
    }
    expect(await call<any[]>(carol.getJoinedGroupList())).toEqual([expect.objectContaining({ groupID, groupName: 'Trio' })]);
  });

  test('a group message reaches all members with unread counts', async () => {
    const [b0, c0] = [mark(bob), mark(carol)];
    const sent = await sendText(alice, 'hello trio', '', groupID);
    expect(sent.ok).toBe(true);
    expect(sent.data).toMatchObject({ sessionType: 3, groupID });
    for (const [sdk, from] of [[bob, b0], [carol, c0]] as const) {
      await waitEvent<any[]>(sdk, CbEvents.OnRecvNewMessages, (ms) => ms.some((m) => m.clientMsgID === sent.data.clientMsgID && m.textElem?.content === 'hello trio'), from);
      await expect.poll(async () => (await call<any>(sdk.getOneConversation({ sourceID: groupID, sessionType: 3 }))).unreadCount === 1, { timeout: 10_000, message: 'unread 1' }).toBe(true);
      const c = await call<any>(sdk.getOneConversation({ sourceID: groupID, sessionType: 3 }));
      expect(c).toMatchObject({ conversationID: conv(), showName: 'Trio', conversationType: 3, groupID });
    }
    await call(bob.markConversationMessageAsRead(conv()));
    expect((await call<any>(bob.getOneConversation({ sourceID: groupID, sessionType: 3 }))).unreadCount).toBe(0);
    expect((await call<any>(carol.getOneConversation({ sourceID: groupID, sessionType: 3 }))).unreadCount).toBe(1);
  });

  test('mute the group: a member send fails 1403; unmuted it goes through', async () => {
    const b0 = mark(bob);
    await call(alice.changeGroupMute({ groupID, isMute: true }));
    await waitEvent(bob, CbEvents.OnGroupInfoChanged, (d) => d.groupID === groupID && d.status === 3, b0);
    const muted = await sendText(bob, 'let me speak', '', groupID);
    expect(muted.ok).toBe(false);
    expect(muted.errCode).toBe(1403);
    await call(alice.changeGroupMute({ groupID, isMute: false }));
    await waitEvent(bob, CbEvents.OnGroupInfoChanged, (d) => d.groupID === groupID && d.status === 0, b0);
    expect((await sendText(bob, 'thanks', '', groupID)).ok).toBe(true);
  });

  test('kick, a join application accepted, transfer the owner, dismiss', async () => {
    let [a0, b0, c0] = [mark(alice), mark(bob), mark(carol)];
    await call(alice.kickGroupMember({ groupID, reason: 'out', userIDList: ['bob'] }));
    await waitEvent(bob, CbEvents.OnJoinedGroupDeleted, (d) => d.groupID === groupID, b0);
    await waitEvent(carol, CbEvents.OnGroupMemberDeleted, (d) => d.groupID === groupID && d.userID === 'bob', c0);
    expect(await call(bob.getJoinedGroupList())).toEqual([]);
    const kicked = await sendText(bob, 'still here?', '', groupID);
    expect(kicked.ok).toBe(false);

    await call(bob.joinGroup({ groupID, reqMsg: 'let me back in', joinSource: 3 }));
    await waitEvent(alice, CbEvents.OnGroupApplicationAdded, (d) => d.groupID === groupID && d.userID === 'bob', a0);
    expect(await call<any[]>(bob.getGroupApplicationListAsApplicant())).toEqual([expect.objectContaining({ groupID, userID: 'bob', handleResult: 0 })]);
    await call(alice.acceptGroupApplication({ groupID, fromUserID: 'bob', handleMsg: 'welcome back' }));
    await waitEvent(bob, CbEvents.OnGroupApplicationAccepted, (d) => d.groupID === groupID, b0);
    await waitEvent(bob, CbEvents.OnJoinedGroupAdded, (d) => d.groupID === groupID, b0);
    await waitEvent(carol, CbEvents.OnGroupMemberAdded, (d) => d.userID === 'bob', c0);

    [a0, b0, c0] = [mark(alice), mark(bob), mark(carol)];
    await call(alice.transferGroupOwner({ groupID, newOwnerUserID: 'carol' }));
    await waitEvent(bob, CbEvents.OnGroupMemberInfoChanged, (d) => d.userID === 'carol' && d.roleLevel === 100, b0);
    await waitEvent(bob, CbEvents.OnGroupInfoChanged, (d) => d.groupID === groupID && d.ownerUserID === 'carol', b0);
    const admins = await call<any[]>(alice.getGroupMemberOwnerAndAdmin(groupID));
    expect(admins.map((m) => [m.userID, m.roleLevel])).toEqual([['carol', 100]]);

    await call(carol.dismissGroup(groupID));
    for (const [sdk, from] of [[alice, a0], [bob, b0], [carol, c0]] as const) {
      await waitEvent(sdk, CbEvents.OnGroupDismissed, (d) => d.groupID === groupID, from);
    }
  });
});

describe('a user who was offline through the gateway', () => {
  test('logs in again and gets the changes by incremental sync (request log), with the callbacks', async () => {
    // carol: a pending request to bob, and member of two groups.
    const b0 = mark(bob);
    await call(carol.addFriend({ toUserID: 'bob', reqMsg: 'friends?' } as unknown as string));
    await waitEvent(bob, CbEvents.OnFriendApplicationAdded, (d) => d.fromUserID === 'carol', b0);
    const g2 = (await call<any>(alice.createGroup({ memberUserIDs: ['bob', 'carol'], groupInfo: { groupName: 'G2', groupType: 2 }, adminUserIDs: [] }))).groupID as string;
    const g3 = (await call<any>(alice.createGroup({ memberUserIDs: ['bob', 'carol'], groupInfo: { groupName: 'G3', groupType: 2 }, adminUserIDs: [] }))).groupID as string;
    await expect.poll(async () => (await call<any[]>(carol.getGroupMemberList({ groupID: g3, filter: 0, offset: 0, count: 100 } as any))).length === 3, { timeout: 10_000, message: 'carol has G3' }).toBe(true);
    await expect.poll(async () => (await call<any[]>(carol.getJoinedGroupList())).some((g) => g.groupID === g2), { timeout: 10_000, message: 'carol has G2' }).toBe(true);

    // alice follows carol's online status.
    const states = await call<any[]>(alice.subscribeUsersStatus(['carol']));
    expect(states).toEqual([expect.objectContaining({ userID: 'carol', status: 1, platformIDs: [5] })]);
    let a0 = mark(alice);
    await until(carol.logout(), 10_000, 'carol logout');
    await waitEvent(alice, CbEvents.OnUserStatusChanged, (d) => d.userID === 'carol' && d.status === 0, a0);

    await call(bob.acceptFriendApplication({ toUserID: 'carol', handleMsg: '' }));
    await call(alice.kickGroupMember({ groupID: g2, reason: '', userIDList: ['carol'] }));
    await call(alice.kickGroupMember({ groupID: g3, reason: '', userIDList: ['bob'] }));
    await call(alice.setGroupInfo({ groupID: g3, groupName: 'G3 renamed' } as any));
    const g4 = (await call<any>(alice.createGroup({ memberUserIDs: ['carol'], groupInfo: { groupName: 'G4', groupType: 2 }, adminUserIDs: [] }))).groupID as string;

    const before = Math.max(0, ...(await stack.im.requestLog()).map((e) => e.seq));
    a0 = mark(alice);
    carol = newSdk();
    await login(carol, 'carol');
    await waitEvent(alice, CbEvents.OnUserStatusChanged, (d) => d.userID === 'carol' && d.status === 1, a0);

    await waitEvent(carol, CbEvents.OnFriendAdded, (d) => d.userID === 'bob');
    await waitEvent(carol, CbEvents.OnFriendApplicationAccepted, (d) => d.toUserID === 'bob');
    await waitEvent(carol, CbEvents.OnJoinedGroupDeleted, (d) => d.groupID === g2);
    await waitEvent(carol, CbEvents.OnJoinedGroupAdded, (d) => d.groupID === g4);
    await waitEvent(carol, CbEvents.OnGroupMemberDeleted, (d) => d.groupID === g3 && d.userID === 'bob');
    await waitEvent(carol, CbEvents.OnGroupInfoChanged, (d) => d.groupID === g3 && d.groupName === 'G3 renamed');
    expect((await call<any[]>(carol.getFriendList())).map((f) => f.friendInfo.userID)).toEqual(['bob']);
    const joined = await call<any[]>(carol.getJoinedGroupList());
    expect(joined.filter((g) => g.status !== 2).map((g) => g.groupID).sort()).toEqual([g3, g4].sort());
    const g3Members = await call<any[]>(carol.getGroupMemberList({ groupID: g3, filter: 0, offset: 0, count: 100 } as any));
    expect(g3Members.map((m) => m.userID).sort()).toEqual(['alice', 'carol']);

    const log = (await stack.im.requestLog()).filter((e) => e.seq > before && e.userID === 'carol');
    const routes = log.map((e) => e.route);
    expect(routes).toEqual(expect.arrayContaining(['/friend/get_incremental_friends', '/group/get_incremental_join_groups', '/group/get_incremental_group_members_batch']));
    // Not a full reload: lists synced before are never fetched whole again; only the new G4 is.
    expect(routes).not.toContain('/friend/get_friend_list');
    expect(routes).not.toContain('/friend/get_black_list');
    expect(routes).not.toContain('/group/get_joined_group_list');
    const memberFetches = log.filter((e) => e.route === '/group/get_group_member_list').map((e) => (e.body as { groupID: string }).groupID);
    expect(memberFetches.filter((id) => id !== g4)).toEqual([]);
  });
});

