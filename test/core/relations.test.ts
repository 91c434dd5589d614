// Friends, blacklist and groups: three cores against the real embedded IM server.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestIm, type TestIm } from '../helpers/im.ts';
import { TestCore, tempDir } from './harness.ts';

let im: TestIm;
let db: { dir: string; cleanup(): void };
let alice: TestCore;
let bob: TestCore;
let carol: TestCore;

async function login(c: TestCore): Promise<void> {
  expect(await c.login(await im.userToken(c.userID, c.platformID))).toBe('');
}

async function codeOf(p: Promise<unknown>): Promise<number> {
  try {
    await p;
    return 0;
  } catch (e) {
    return (e as { code?: number }).code ?? -1;
  }
}

async function sendText(from: TestCore, text: string, recvID: string, groupID = ''): Promise<any> {
  const m = await from.call('CreateTextMessage', text);
  return from.call('SendMessageNotOss', m, recvID, groupID, undefined, false);
}

beforeAll(async () => {
  im = await startTestIm();
  db = tempDir('core-rel-');
  await im.register('alice', 'Alice');
  await im.register('bob', 'Bob');
  await im.register('carol', 'Carol');
  alice = new TestCore('alice', db.dir, im);
  bob = new TestCore('bob', db.dir, im);
  carol = new TestCore('carol', db.dir, im);
  await login(alice);
  await login(bob);
  await login(carol);
});

afterAll(async () => {
  await alice?.core.close('drain');
  await bob?.core.close('drain');
  await carol?.core.close('drain');
  await im?.close();
  db?.cleanup();
});

describe('friends', () => {
  it('a request accepted: application and friend callbacks on both sides, lists from the local DB', async () => {
    const a0 = alice.events.length;
    const b0 = bob.events.length;
    await alice.call('AddFriend', { toUserID: 'bob', reqMsg: 'hi bob', ex: '' });
    expect(await alice.call('GetFriendApplicationListAsApplicant')).toEqual([expect.objectContaining({ fromUserID: 'alice', toUserID: 'bob', reqMsg: 'hi bob', handleResult: 0 })]);
    await alice.waitFor('OnFriendApplicationAdded', (d) => d.toUserID === 'bob', 8000, a0);
    await bob.waitFor('OnFriendApplicationAdded', (d) => d.fromUserID === 'alice' && d.reqMsg === 'hi bob', 8000, b0);
    expect(await bob.call('GetFriendApplicationListAsRecipient')).toEqual([expect.objectContaining({ fromUserID: 'alice', fromNickname: 'Alice', handleResult: 0 })]);

    await bob.call('AcceptFriendApplication', { toUserID: 'alice', handleMsg: 'ok' });
    await bob.waitFor('OnFriendApplicationAccepted', (d) => d.fromUserID === 'alice' && d.handleResult === 1, 8000, b0);
    await bob.waitFor('OnFriendAdded', (d) => d.userID === 'alice' && d.nickname === 'Alice', 8000, b0);
    await alice.waitFor('OnFriendApplicationAccepted', (d) => d.toUserID === 'bob', 8000, a0);
    await alice.waitFor('OnFriendAdded', (d) => d.userID === 'bob' && d.ownerUserID === 'alice', 8000, a0);
    const list = await alice.call('GetFriendList');
    expect(list).toEqual([{ publicInfo: expect.objectContaining({ userID: 'bob', nickname: 'Bob' }), friendInfo: expect.objectContaining({ userID: 'bob', addSource: 2 }), blackInfo: null }]);
    expect(await alice.call('CheckFriend', ['bob', 'carol'])).toEqual([
      { userID: 'bob', result: 1 },
      { userID: 'carol', result: 0 },
    ]);
    expect(await bob.call('GetSpecifiedFriendsInfo', ['alice', 'carol'])).toHaveLength(1);
  });

  it('a request refused: OnFriendApplicationRejected on both sides, no friend', async () => {
    const a0 = alice.events.length;
    const c0 = carol.events.length;
    await carol.call('AddFriend', { toUserID: 'alice', reqMsg: 'me too', ex: '' });
    await alice.waitFor('OnFriendApplicationAdded', (d) => d.fromUserID === 'carol', 8000, a0);
    await alice.call('RefuseFriendApplication', { toUserID: 'carol', handleMsg: 'no' });
    await alice.waitFor('OnFriendApplicationRejected', (d) => d.fromUserID === 'carol' && d.handleResult === -1, 8000, a0);
    await carol.waitFor('OnFriendApplicationRejected', (d) => d.toUserID === 'alice' && d.handleMsg === 'no', 8000, c0);
    expect(await carol.call('GetFriendList')).toEqual([]);
    expect(alice.events.slice(a0).some((e) => e.event === 'OnFriendAdded')).toBe(false);
  });

  it('remark and search', async () => {
    const a0 = alice.events.length;
    await alice.call('SetFriendRemark', { toUserID: 'bob', remark: 'Bobby' });
    await alice.waitFor('OnFriendInfoChanged', (d) => d.userID === 'bob' && d.remark === 'Bobby', 8000, a0);
    expect(await alice.call('SearchFriends', { keywordList: ['bobb'], isSearchUserID: false, isSearchNickname: false, isSearchRemark: true })).toEqual([
      expect.objectContaining({ userID: 'bob', remark: 'Bobby', relationship: 1 }),
    ]);
    expect(await alice.call('SearchFriends', { keywordList: ['bobb'], isSearchUserID: true, isSearchNickname: true, isSearchRemark: false })).toEqual([]);
  });

  it('black list: the blocked sender gets 1302; remove lets messages through again', async () => {
    const b0 = bob.events.length;
    await bob.call('AddBlack', 'alice', '');
    await bob.waitFor('OnBlackAdded', (d) => d.userID === 'alice', 8000, b0);
    expect(await bob.call('GetBlackList')).toEqual([expect.objectContaining({ userID: 'alice', ownerUserID: 'bob', nickname: 'Alice' })]);
    expect(await codeOf(sendText(alice, 'blocked?', 'bob'))).toBe(1302);
    const info = await bob.call('GetUsersInfoWithCache', ['alice'], '');
    expect(info[0]).toMatchObject({ blackInfo: { userID: 'alice' }, friendInfo: { userID: 'alice' } });
    await bob.call('RemoveBlack', 'alice');
    await bob.waitFor('OnBlackDeleted', (d) => d.userID === 'alice', 8000, b0);
    expect(await bob.call('GetBlackList')).toEqual([]);
    expect(await sendText(alice, 'through again', 'bob')).toMatchObject({ status: 2 });
  });

  it("a friend's new nickname: OnFriendInfoChanged (1209) and the friend list follows", async () => {
    const b0 = bob.events.length;
    await alice.call('SetSelfInfo', { nickname: 'Alice Two' });
    await bob.waitFor('OnFriendInfoChanged', (d) => d.userID === 'alice' && d.nickname === 'Alice Two', 8000, b0);
    expect((await bob.call('GetFriendList'))[0].friendInfo).toMatchObject({ userID: 'alice', nickname: 'Alice Two' });
    expect((await bob.call('GetUsersInfoWithCache', ['alice'], ''))[0].publicInfo).toMatchObject({ nickname: 'Alice Two' });
    await alice.call('SetSelfInfo', { nickname: 'Alice' });
    await bob.waitFor('OnFriendInfoChanged', (d) => d.userID === 'alice' && d.nickname === 'Alice', 8000, b0);
  });

  it('delete: OnFriendDeleted and the list loses the friend', async () => {
    const a0 = alice.events.length;
    await alice.call('DeleteFriend', 'bob');
    await alice.waitFor('OnFriendDeleted', (d) => d.userID === 'bob', 8000, a0);
    expect(await alice.call('GetFriendList')).toEqual([]);
  });
});

describe('groups', () => {
  let groupID = '';

  it('create with members: everyone gets OnJoinedGroupAdded and the members', async () => {
    const b0 = bob.events.length;
    const c0 = carol.events.length;
    const g = await alice.call('CreateGroup', { memberUserIDs: ['bob', 'carol'], groupInfo: { groupName: 'Trio', groupType: 2 }, adminUserIDs: [] });
    groupID = g.groupID;
    expect(g).toMatchObject({ groupName: 'Trio', ownerUserID: 'alice', memberCount: 3 });
    expect(await alice.call('GetJoinedGroupList')).toEqual([expect.objectContaining({ groupID, groupName: 'Trio' })]);
    await bob.waitFor('OnJoinedGroupAdded', (d) => d.groupID === groupID, 8000, b0);
    await carol.waitFor('OnJoinedGroupAdded', (d) => d.groupID === groupID, 8000, c0);
    await expect.poll(async () => (await carol.call('GetGroupMemberList', groupID, 0, 0, 100)).length === 3, { timeout: 8000, message: 'carol sees 3 members' }).toBe(true);
    const members = await carol.call('GetGroupMemberList', groupID, 0, 0, 100);
    expect(members[0]).toMatchObject({ userID: 'alice', roleLevel: 100 });
    expect(await carol.call('GetGroupMemberOwnerAndAdmin', groupID)).toEqual([expect.objectContaining({ userID: 'alice' })]);
    expect(await carol.call('GetSpecifiedGroupsInfo', [groupID])).toEqual([expect.objectContaining({ groupName: 'Trio' })]);
    expect(await bob.call('SearchGroups', { keywordList: ['tri'], isSearchGroupID: false, isSearchGroupName: true })).toHaveLength(1);
    const withMember = await bob.call('GetUsersInfoWithCache', ['carol'], groupID);
    expect(withMember[0]).toMatchObject({ publicInfo: { userID: 'carol' }, groupMemberInfo: { groupID, userID: 'carol', roleLevel: 20 } });
    expect(await bob.call('GetSpecifiedGroupMembersInfo', groupID, ['carol', 'nobody'])).toEqual([expect.objectContaining({ userID: 'carol' })]);
  });

  it('a group message reaches all members with unread counts; the conversation is named after the group', async () => {
    const b0 = bob.events.length;
    const c0 = carol.events.length;
    const sent = await sendText(alice, 'hello trio', '', groupID);
    expect(sent).toMatchObject({ sessionType: 3, groupID, status: 2 });
    for (const [c, from] of [[bob, b0], [carol, c0]] as const) {
      await c.waitFor('OnRecvNewMessages', (d) => d.some((m: any) => m.clientMsgID === sent.clientMsgID), 8000, from);
      await expect.poll(async () => (await c.call('GetOneConversation', 3, groupID)).unreadCount >= 1, { timeout: 8000, message: 'unread' }).toBe(true);
      expect(await c.call('GetOneConversation', 3, groupID)).toMatchObject({ conversationID: `sg_${groupID}`, showName: 'Trio', conversationType: 3 });
    }
    await bob.call('MarkConversationMessageAsRead', `sg_${groupID}`);
    expect((await bob.call('GetOneConversation', 3, groupID)).unreadCount).toBe(0);
    expect((await carol.call('GetOneConversation', 3, groupID)).unreadCount).toBe(1);
    // History of the group chat: the 1501 "created" notification copy, then the message.
    const hist = await carol.call('GetAdvancedHistoryMessageList', { conversationID: `sg_${groupID}`, startClientMsgID: '', count: 10, lastMinSeq: 0 });
    expect(hist.messageList.at(-1)).toMatchObject({ clientMsgID: sent.clientMsgID, sessionType: 3, groupID, sendID: 'alice', textElem: { content: 'hello trio' } });
    expect(hist.messageList.some((m: any) => m.contentType === 1501)).toBe(true);
    // carol has not read it: it counts in her total.
    expect(await carol.call<number>('GetTotalUnreadMsgCount')).toBeGreaterThanOrEqual(1);
  });

  it('@ in a group: groupAtType 1 @me, 2 @all, 3 @all naming me, reset to 0', async () => {
    const c0 = carol.events.length;
    const b0 = bob.events.length;
    const at = await alice.call('CreateTextAtMessage', '@carol look', ['carol'], [{ atUserID: 'carol', groupNickname: 'Carol' }], undefined);
    await alice.call('SendMessageNotOss', at, '', groupID, undefined, false);
    await carol.waitFor('OnRecvNewMessages', (d) => d.some((m: any) => m.clientMsgID === at.clientMsgID), 8000, c0);
    await bob.waitFor('OnRecvNewMessages', (d) => d.some((m: any) => m.clientMsgID === at.clientMsgID), 8000, b0);
    expect((await carol.call('GetOneConversation', 3, groupID)).groupAtType).toBe(1);
    expect((await bob.call('GetOneConversation', 3, groupID)).groupAtType).toBe(0);
    const all = await alice.call('CreateTextAtMessage', '@all hi', ['AtAllTag'], [], undefined);
    await alice.call('SendMessageNotOss', all, '', groupID, undefined, false);
    await bob.waitFor('OnRecvNewMessages', (d) => d.some((m: any) => m.clientMsgID === all.clientMsgID), 8000, b0);
    await carol.waitFor('OnRecvNewMessages', (d) => d.some((m: any) => m.clientMsgID === all.clientMsgID), 8000, c0);
    expect((await bob.call('GetOneConversation', 3, groupID)).groupAtType).toBe(2);
    // Per message, as the server marks it (its 1300 follows): carol is not named this time.
    expect((await carol.call('GetOneConversation', 3, groupID)).groupAtType).toBe(2);
    const both = await alice.call('CreateTextAtMessage', '@all and @carol', ['AtAllTag', 'carol'], [], undefined);
    await alice.call('SendMessageNotOss', both, '', groupID, undefined, false);
    await carol.waitFor('OnRecvNewMessages', (d) => d.some((m: any) => m.clientMsgID === both.clientMsgID), 8000, c0);
    await expect.poll(async () => (await carol.call('GetOneConversation', 3, groupID)).groupAtType === 3, { timeout: 8000, message: 'carol @all+@me' }).toBe(true);
    await carol.call('ResetConversationGroupAtType', `sg_${groupID}`);
    expect((await carol.call('GetOneConversation', 3, groupID)).groupAtType).toBe(0);
  });

  it('muted group: a member send fails 1403; the owner renames and everyone sees OnGroupInfoChanged', async () => {
    const b0 = bob.events.length;
    await alice.call('ChangeGroupMute', groupID, true);
    await bob.waitFor('OnGroupInfoChanged', (d) => d.groupID === groupID && d.status === 3, 8000, b0);
    expect(await codeOf(sendText(bob, 'can I?', '', groupID))).toBe(1403);
    await alice.call('ChangeGroupMute', groupID, false);
    await bob.waitFor('OnGroupInfoChanged', (d) => d.groupID === groupID && d.status === 0, 8000, b0);
    await alice.call('SetGroupInfo', { groupID, groupName: 'Trio 2' });
    await bob.waitFor('OnGroupInfoChanged', (d) => d.groupName === 'Trio 2', 8000, b0);
    await expect.poll(async () => (await bob.call('GetOneConversation', 3, groupID)).showName === 'Trio 2', { timeout: 8000, message: 'renamed conversation' }).toBe(true);
  });

  it('member info, kick, transfer owner', async () => {
    const c0 = carol.events.length;
    await alice.call('SetGroupMemberInfo', { groupID, userID: 'bob', nickname: 'B in group' });
    await carol.waitFor('OnGroupMemberInfoChanged', (d) => d.userID === 'bob' && d.nickname === 'B in group', 8000, c0);
    expect(await carol.call('SearchGroupMembers', { groupID, keywordList: ['in group'], isSearchUserID: false, isSearchMemberNickname: true, offset: 0, count: 10 })).toHaveLength(1);
    const b0 = bob.events.length;
    const before = Math.max(0, ...(await im.requestLog()).map((e) => e.seq));
    await alice.call('KickGroupMember', groupID, 'bye', ['bob']);
    await bob.waitFor('OnJoinedGroupDeleted', (d) => d.groupID === groupID, 8000, b0);
    await carol.waitFor('OnGroupMemberDeleted', (d) => d.userID === 'bob', 8000, c0);
    // carol's member list was at the version before the kick: the 1508 tips are applied in place.
    expect((await im.requestLog()).filter((e) => e.seq > before && e.userID === 'carol').map((e) => e.route)).toEqual([]);
    expect(await bob.call('GetJoinedGroupList')).toEqual([]);
    expect((await bob.call('GetOneConversation', 3, groupID)).isNotInGroup).toBe(true);
    await alice.call('TransferGroupOwner', groupID, 'carol');
    await carol.waitFor('OnGroupMemberInfoChanged', (d) => d.userID === 'carol' && d.roleLevel === 100, 8000, c0);
    expect(await alice.call('GetGroupMemberOwnerAndAdmin', groupID)).toEqual([expect.objectContaining({ userID: 'carol', roleLevel: 100 })]);
  });

  it('a join application accepted, then dismiss', async () => {
    const b0 = bob.events.length;
    const c0 = carol.events.length;
    await bob.call('JoinGroup', groupID, 'let me back', 3, '');
    await carol.waitFor('OnGroupApplicationAdded', (d) => d.userID === 'bob' && d.groupID === groupID, 8000, c0);
    expect(await bob.call('GetGroupApplicationListAsApplicant')).toEqual([expect.objectContaining({ groupID, userID: 'bob', reqMsg: 'let me back' })]);
    expect(await carol.call('GetGroupApplicationListAsRecipient')).toEqual([expect.objectContaining({ userID: 'bob', handleResult: 0 })]);
    await carol.call('AcceptGroupApplication', groupID, 'bob', 'welcome');
    await bob.waitFor('OnGroupApplicationAccepted', (d) => d.groupID === groupID, 8000, b0);
    await bob.waitFor('OnJoinedGroupAdded', (d) => d.groupID === groupID, 8000, b0);
    await carol.waitFor('OnGroupMemberAdded', (d) => d.userID === 'bob', 8000, c0);
    await carol.call('DismissGroup', groupID);
    await bob.waitFor('OnGroupDismissed', (d) => d.groupID === groupID, 8000, b0);
    await alice.waitFor('OnGroupDismissed', (d) => d.groupID === groupID, 8000, 0);
  });
});

describe('more group functions', () => {
  let gid = '';

  it('invite, member mute (1402), join-time filter, direct join, quit', async () => {
    const g = await alice.call('CreateGroup', { memberUserIDs: ['bob'], groupInfo: { groupName: 'Open', needVerification: 2 } });
    gid = g.groupID;
    const c0 = carol.events.length;
    const b0 = bob.events.length;
    await alice.call('InviteUserToGroup', gid, 'join us', ['carol']);
    await carol.waitFor('OnJoinedGroupAdded', (d) => d.groupID === gid, 8000, c0);
    await bob.waitFor('OnGroupMemberAdded', (d) => d.groupID === gid && d.userID === 'carol', 8000, b0);

    await alice.call('ChangeGroupMemberMute', gid, 'carol', 60);
    await carol.waitFor('OnGroupMemberInfoChanged', (d) => d.userID === 'carol' && d.muteEndTime > Date.now(), 8000, c0);
    expect(await codeOf(sendText(carol, 'muted?', '', gid))).toBe(1402);
    await alice.call('ChangeGroupMemberMute', gid, 'carol', 0);
    await carol.waitFor('OnGroupMemberInfoChanged', (d) => d.userID === 'carol' && d.muteEndTime < Date.now(), 8000, c0);
    expect(await sendText(carol, 'free again', '', gid)).toMatchObject({ status: 2 });

    const all = await alice.call('GetGroupMemberList', gid, 0, 0, 0);
    expect(all.map((m: any) => m.userID)).toEqual(['alice', 'bob', 'carol']);
    expect((await alice.call('GetGroupMemberList', gid, 3, 0, 0)).map((m: any) => m.userID)).toEqual(['bob', 'carol']);
    expect((await alice.call('GetGroupMemberList', gid, 0, 1, 1)).map((m: any) => m.userID)).toEqual(['bob']);
    const carolJoin = all[2].joinTime as number;
    const filtered = await alice.call('GetGroupMemberListByJoinTimeFilter', gid, 0, 0, carolJoin, 0, ['alice']);
    expect(filtered.map((m: any) => m.userID)).toEqual(['carol']);

    const b1 = bob.events.length;
    await carol.call('QuitGroup', gid);
    await carol.waitFor('OnJoinedGroupDeleted', (d) => d.groupID === gid, 8000, c0);
    await bob.waitFor('OnGroupMemberDeleted', (d) => d.groupID === gid && d.userID === 'carol', 8000, b1);
    // needVerification 2: joining needs no approval.
    const c1 = carol.events.length;
    const b2 = bob.events.length;
    await carol.call('JoinGroup', gid, '', 3, '');
    await carol.waitFor('OnJoinedGroupAdded', (d) => d.groupID === gid, 8000, c1);
    expect((await carol.call('GetJoinedGroupList')).some((x: any) => x.groupID === gid)).toBe(true);
    await bob.waitFor('OnGroupMemberAdded', (d) => d.groupID === gid && d.userID === 'carol', 8000, b2);
  });

  it('a refused join application: OnGroupApplicationRejected for the applicant', async () => {
    const g = await alice.call('CreateGroup', { memberUserIDs: [], groupInfo: { groupName: 'Closed', needVerification: 1 } });
    const b0 = bob.events.length;
    const a0 = alice.events.length;
    await bob.call('JoinGroup', g.groupID, 'please', 3, '');
    await alice.waitFor('OnGroupApplicationAdded', (d) => d.groupID === g.groupID && d.userID === 'bob', 8000, a0);
    await alice.call('RefuseGroupApplication', g.groupID, 'bob', 'sorry');
    await bob.waitFor('OnGroupApplicationRejected', (d) => d.groupID === g.groupID && d.handleResult === -1, 8000, b0);
    await alice.waitFor('OnGroupApplicationRejected', (d) => d.userID === 'bob', 8000, a0);
    expect((await bob.call('GetJoinedGroupList')).some((x: any) => x.groupID === g.groupID)).toBe(false);
    expect(await bob.call('GetSpecifiedGroupsInfo', [g.groupID])).toEqual([expect.objectContaining({ groupName: 'Closed' })]);
  });
});

describe('a user who was offline', () => {
  it('gets the changes by incremental sync at login (request log), with the callbacks', async () => {
    // carol: a pending request to bob; member of G2 (to be left) and G3 (to change).
    await carol.call('AddFriend', { toUserID: 'bob', reqMsg: 'friends?', ex: '' });
    await bob.waitFor('OnFriendApplicationAdded', (d) => d.fromUserID === 'carol', 8000, 0);
    const g2 = (await alice.call('CreateGroup', { memberUserIDs: ['bob', 'carol'], groupInfo: { groupName: 'G2' } })).groupID as string;
    const g3 = (await alice.call('CreateGroup', { memberUserIDs: ['bob', 'carol'], groupInfo: { groupName: 'G3' } })).groupID as string;
    await expect.poll(async () => (await carol.call('GetGroupMemberList', g3, 0, 0, 0)).length === 3 && (await carol.call('GetJoinedGroupList')).length >= 2, { timeout: 8000, message: 'carol in G2, G3' }).toBe(true);
    await carol.core.close('drain');

    await bob.call('AcceptFriendApplication', { toUserID: 'carol', handleMsg: '' });
    await alice.call('KickGroupMember', g2, '', ['carol']);
    await alice.call('KickGroupMember', g3, '', ['bob']);
    await alice.call('SetGroupInfo', { groupID: g3, groupName: 'G3 renamed' });
    const g4 = (await alice.call('CreateGroup', { memberUserIDs: ['carol'], groupInfo: { groupName: 'G4' } })).groupID as string;

    const mark = Math.max(0, ...(await im.requestLog()).map((e) => e.seq));
    carol = new TestCore('carol', db.dir, im);
    await login(carol);
    const log = (await im.requestLog()).filter((e) => e.seq > mark && e.userID === 'carol');
    const routes = log.map((e) => e.route);
    expect(routes).toContain('/friend/get_incremental_friends');
    expect(routes).toContain('/group/get_incremental_join_groups');
    expect(routes).toContain('/group/get_incremental_group_members_batch');
    // No full reload of a list that was synced before; only the new group G4 is fetched whole.
    expect(routes).not.toContain('/friend/get_friend_list');
    expect(routes).not.toContain('/group/get_joined_group_list');
    const memberFetches = log.filter((e) => e.route === '/group/get_group_member_list').map((e) => (e.body as { groupID: string }).groupID);
    expect(memberFetches.filter((id) => id !== g4), `g2 ${g2} g3 ${g3} g4 ${g4} ${JSON.stringify(log.filter((e) => e.route.includes('members_batch')).map((e) => e.body))}`).toEqual([]);

    await carol.waitFor('OnFriendAdded', (d) => d.userID === 'bob');
    await carol.waitFor('OnFriendApplicationAccepted', (d) => d.toUserID === 'bob');
    await carol.waitFor('OnJoinedGroupDeleted', (d) => d.groupID === g2);
    await carol.waitFor('OnJoinedGroupAdded', (d) => d.groupID === g4);
    await carol.waitFor('OnGroupMemberDeleted', (d) => d.groupID === g3 && d.userID === 'bob');
    await carol.waitFor('OnGroupInfoChanged', (d) => d.groupID === g3 && d.groupName === 'G3 renamed');
    expect((await carol.call('GetFriendList')).map((f: any) => f.friendInfo.userID)).toEqual(['bob']);
    // (The group dismissed earlier stays listed with status 2, as the server keeps it.)
    const joined = await carol.call('GetJoinedGroupList');
    const ids = joined.filter((g: any) => g.status !== 2).map((g: any) => g.groupID);
    expect(ids).toEqual(expect.arrayContaining([g3, g4]));
    expect(ids).not.toContain(g2);
    expect((await carol.call('GetGroupMemberList', g3, 0, 0, 0)).map((m: any) => m.userID).sort()).toEqual(['alice', 'carol']);
  });
});
