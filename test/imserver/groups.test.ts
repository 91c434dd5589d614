// A group's life over raw REST and the gateway: create (1501 to everyone), a join application
// accepted, direct joins, member info, mutes, kick, transfer, quit and dismiss, each with its
// notification and the errors upstream answers.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PbCoder } from '@openim/protocol';
import { startTestIm, type TestIm } from '../helpers/im.ts';
import { decodeData } from './wsclient.ts';
import { hasReadAndMax, pushed, sendText, tipsOf, user, waitPush, type User } from './relation-client.ts';

interface Member {
  userID: string;
  roleLevel: number;
  muteEndTime: number;
  nickname: string;
  joinSource: number;
  inviterUserID: string;
}
interface Group {
  groupID: string;
  groupName: string;
  ownerUserID: string;
  creatorUserID: string;
  memberCount: number;
  status: number;
  groupType: number;
  needVerification: number;
  notificationUserID: string;
  introduction: string;
}

describe('groups', () => {
  let im: TestIm;
  let alice: User;
  let bob: User;
  let carol: User;
  let dave: User;
  let erin: User;
  let gid = '';

  const members = async (by: User) =>
    (await by.post<{ total: number; members: Member[] }>('/group/get_group_member_list', { groupID: gid, pagination: { pageNumber: 1, showNumber: 50 }, filter: 0 }))
      .members;
  const info = async (by: User) => (await by.post<{ groupInfos: Group[] }>('/group/get_groups_info', { groupIDs: [gid] })).groupInfos[0]!;
  const inGroup = (u: User) => (p: { msg: { groupID: string } }) => p.msg.groupID === gid && u !== undefined;

  beforeAll(async () => {
    im = await startTestIm();
    alice = await user(im, 'alice');
    bob = await user(im, 'bob');
    carol = await user(im, 'carol');
    dave = await user(im, 'dave');
    erin = await user(im, 'erin');
  });

  afterAll(async () => {
    for (const u of [alice, bob, carol, dave, erin]) u?.ws.close();
    await im?.close();
  });

  it('create answers the group with a generated ID and sends 1501 to every member, online and as a stored sg_ message', async () => {
    const res = await alice.post<{ groupInfo: Group }>('/group/create_group', {
      ownerUserID: 'alice',
      memberUserIDs: ['bob', 'carol'],
      adminUserIDs: [],
      groupInfo: { groupName: 'team', groupType: 2, introduction: 'hello' },
    });
    gid = res.groupInfo.groupID;
    expect(gid).toMatch(/^\d+$/);
    expect(res.groupInfo).toMatchObject({ groupName: 'team', ownerUserID: 'alice', creatorUserID: 'alice', memberCount: 3, status: 0, groupType: 2, needVerification: 0 });
    for (const u of [alice, bob, carol]) {
      const n = await waitPush(u.ws, 1501, 'notification', inGroup(u));
      expect(n.conversationID).toBe(`n_${gid}`);
      expect(n.msg).toMatchObject({ sendID: 'alice', recvID: gid, groupID: gid, sessionType: 3, seq: 0, msgFrom: 200 });
      const tips = tipsOf<{ group: Group; opUser: Member; memberList: Member[]; groupOwnerUser: Member; groupMemberVersion: number; groupMemberVersionID: string }>(n.msg);
      expect(tips.group.groupID).toBe(gid);
      expect(tips.opUser.userID).toBe('alice');
      expect(tips.groupOwnerUser).toMatchObject({ userID: 'alice', roleLevel: 100 });
      expect(tips.memberList.map((m) => m.userID).sort()).toEqual(['alice', 'bob', 'carol']);
      expect(tips.groupMemberVersionID).toMatch(/^[0-9a-f]{24}$/);
      expect(tips.groupMemberVersion).toBe(3);
      const copy = await waitPush(u.ws, 1501, 'stored', inGroup(u));
      expect(copy.conversationID).toBe(`sg_${gid}`);
      expect(copy.msg.seq).toBe(1);
    }
    expect(dave.ws.pushes().length).toBe(0);
    const ms = await members(bob);
    expect(ms.map((m) => [m.userID, m.roleLevel])).toEqual([
      ['alice', 100],
      ['bob', 20],
      ['carol', 20],
    ]);
    expect(ms[1]).toMatchObject({ nickname: 'bob-nick', joinSource: 2, inviterUserID: 'alice' });
    expect(await carol.post('/group/get_group_member_user_id', { groupID: gid })).toEqual({ userIDs: ['alice', 'bob', 'carol'] });
    const joined = await bob.post<{ total: number; groups: Group[] }>('/group/get_joined_group_list', { fromUserID: 'bob', pagination: { pageNumber: 1, showNumber: 10 } });
    expect(joined.total).toBe(1);
    expect(joined.groups[0]!.groupID).toBe(gid);
  });

  it('refuses a groupType other than 2, an existing groupID and unknown users; anyone may read members, as upstream', async () => {
    expect(await alice.errCode('/group/create_group', { ownerUserID: 'alice', groupInfo: { groupType: 1 } })).toBe(1001);
    expect(await alice.errCode('/group/create_group', { ownerUserID: 'alice', groupInfo: { groupType: 2, groupID: gid } })).toBe(1202);
    expect(await alice.errCode('/group/create_group', { ownerUserID: 'alice', memberUserIDs: ['ghost'], groupInfo: { groupType: 2 } })).toBe(1101);
    expect(await alice.errCode('/group/create_group', { ownerUserID: 'bob', groupInfo: { groupType: 2 } })).toBe(1002);
    expect((await members(dave)).length).toBe(3);
    const found = await dave.post<{ total: number; members: Member[] }>('/group/get_group_member_list', { groupID: gid, keyword: 'bob-nick' });
    expect(found.members.map((m) => m.userID)).toEqual(['bob']);
    expect(await dave.errCode('/group/get_group_members_info', { groupID: 'nope', userIDs: ['alice'] })).toBe(1201);
  });

  it('a join application (needVerification 0) goes to the owner as 1503; accepting sends 1505 and 1510', async () => {
    await dave.post('/group/join_group', { groupID: gid, reqMessage: 'let me in', joinSource: 3 });
    const ask = await waitPush(alice.ws, 1503, 'notification');
    expect(ask.msg).toMatchObject({ sendID: 'dave', recvID: 'alice', sessionType: 1, seq: 0 });
    expect(tipsOf(ask.msg)).toMatchObject({ group: { groupID: gid }, applicant: { userID: 'dave', nickname: 'dave-nick' }, reqMsg: 'let me in' });
    await waitPush(dave.ws, 1503, 'notification');
    expect(await members(alice).then((ms) => ms.some((m) => m.userID === 'dave'))).toBe(false);

    const recv = await alice.post<{ total: number; groupRequests: { userInfo: { userID: string }; groupInfo: Group; handleResult: number; reqMsg: string; joinSource: number }[] }>(
      '/group/get_recv_group_applicationList',
      { fromUserID: 'alice', pagination: { pageNumber: 1, showNumber: 10 } },
    );
    expect(recv.total).toBe(1);
    expect(recv.groupRequests[0]).toMatchObject({ userInfo: { userID: 'dave' }, groupInfo: { groupID: gid }, handleResult: 0, reqMsg: 'let me in', joinSource: 3 });
    const mine = await dave.post<{ total: number }>('/group/get_user_req_group_applicationList', { userID: 'dave', pagination: { pageNumber: 1, showNumber: 10 } });
    expect(mine.total).toBe(1);
    expect(await bob.errCode('/group/group_application_response', { groupID: gid, fromUserID: 'dave', handleResult: 1 })).toBe(1002);

    await alice.post('/group/group_application_response', { groupID: gid, fromUserID: 'dave', handledMsg: 'ok', handleResult: 1 });
    const acc = await waitPush(dave.ws, 1505, 'notification');
    expect(tipsOf(acc.msg)).toMatchObject({ group: { groupID: gid }, opUser: { userID: 'alice' }, handleMsg: 'ok', receiverAs: 0 });
    const accAdmin = await waitPush(alice.ws, 1505, 'notification');
    expect(tipsOf(accAdmin.msg)).toMatchObject({ receiverAs: 1 });
    for (const u of [alice, bob, carol, dave]) {
      const enter = await waitPush(u.ws, 1510, 'notification', inGroup(u));
      expect(tipsOf(enter.msg)).toMatchObject({ entrantUser: { userID: 'dave', roleLevel: 20, joinSource: 3 } });
    }
    // The new member reads the group from its joining on: the 1510 copy is its first message.
    const copy = await waitPush(dave.ws, 1510, 'stored', inGroup(dave));
    expect(copy.msg.seq).toBe(2);
    expect(await hasReadAndMax(dave, `sg_${gid}`)).toMatchObject({ maxSeq: 2, hasReadSeq: 1 });
    expect(await alice.errCode('/group/group_application_response', { groupID: gid, fromUserID: 'dave', handleResult: 1 })).toBe(1206);
    expect(await dave.errCode('/group/join_group', { groupID: gid })).toBe(1001);
    const spec = await alice.post<{ total: number; groupRequests: { handleResult: number; handleUserID: string }[] }>('/group/get_specified_user_group_request_info', {
      groupID: gid,
      userID: 'dave',
    });
    expect(spec.groupRequests[0]).toMatchObject({ handleResult: 1, handleUserID: 'alice' });
  });

  it('set_group_info_ex: only managers; a name change sends a stored 1520, needVerification a 1502; needVerification 2 lets users join directly', async () => {
    expect(await bob.errCode('/group/set_group_info_ex', { groupID: gid, groupName: 'mine' })).toBe(1002);
    await alice.post('/group/set_group_info_ex', { groupID: gid, groupName: 'team 2' });
    const name = await waitPush(bob.ws, 1520, 'notification');
    expect(tipsOf(name.msg)).toMatchObject({ group: { groupName: 'team 2' }, opUser: { userID: 'alice' } });
    await waitPush(bob.ws, 1520, 'stored');
    expect(pushed(bob.ws).some((p) => p.msg.contentType === 1502)).toBe(false);
    await alice.post('/group/set_group_info_ex', { groupID: gid, needVerification: 2 });
    await waitPush(bob.ws, 1502, 'notification');
    // An announcement: a stored 1519, and the members' conversations marked groupAtType 4 (group notice).
    await alice.post('/group/set_group_info_ex', { groupID: gid, notification: 'read the rules' });
    const ann = await waitPush(carol.ws, 1519, 'notification');
    expect(tipsOf(ann.msg)).toMatchObject({ group: { notification: 'read the rules' }, opUser: { userID: 'alice' } });
    await waitPush(carol.ws, 1519, 'stored');
    const conv = await carol.post<{ conversation: { groupAtType: number; conversationType: number } }>('/conversation/get_conversation', {
      ownerUserID: 'carol',
      conversationID: `sg_${gid}`,
    });
    expect(conv.conversation).toMatchObject({ groupAtType: 4, conversationType: 3 });
    expect((await info(bob)).notificationUserID).toBe('alice');
    // The older route: plain strings, "" = unchanged.
    await alice.post('/group/set_group_info', { groupInfoForSet: { groupID: gid, groupName: '', introduction: 'old form' } });
    await bob.ws.waitFor(() => pushed(bob.ws).filter((p) => p.msg.contentType === 1502 && p.notification).length === 2 || undefined, 'second 1502');
    expect(await info(bob)).toMatchObject({ groupName: 'team 2', introduction: 'old form' });
    expect(await info(bob)).toMatchObject({ groupName: 'team 2', needVerification: 2 });

    await erin.post('/group/join_group', { groupID: gid, joinSource: 3 });
    const enter = await waitPush(alice.ws, 1510, 'notification', (p) => tipsOf<{ entrantUser: Member }>(p.msg).entrantUser.userID === 'erin');
    expect(enter.msg.sendID).toBe('erin');
    expect((await info(alice)).memberCount).toBe(5);
  });

  it('set_group_member_info: a member sets its own nickname (1516); the owner makes an admin (1517); a member cannot change roles', async () => {
    await carol.post('/group/set_group_member_info', { members: [{ groupID: gid, userID: 'carol', nickname: 'Caz' }] });
    const set = await waitPush(alice.ws, 1516, 'notification');
    expect(tipsOf(set.msg)).toMatchObject({ changedUser: { userID: 'carol', nickname: 'Caz' }, opUser: { userID: 'carol' } });
    expect(await carol.errCode('/group/set_group_member_info', { members: [{ groupID: gid, userID: 'carol', roleLevel: 60 }] })).toBe(1002);
    expect(await carol.errCode('/group/set_group_member_info', { members: [{ groupID: gid, userID: 'bob', nickname: 'x' }] })).toBe(1002);
    await alice.post('/group/set_group_member_info', { members: [{ groupID: gid, userID: 'carol', roleLevel: 60 }] });
    await waitPush(bob.ws, 1517, 'notification');
    const ms = await members(alice);
    expect(ms.find((m) => m.userID === 'carol')).toMatchObject({ roleLevel: 60, nickname: 'Caz' });
  });

  it('muting a member (1512) makes its sends fail 1402 until cancelled (1513)', async () => {
    await alice.post('/group/mute_group_member', { groupID: gid, userID: 'dave', mutedSeconds: 60 });
    const n = await waitPush(dave.ws, 1512, 'notification');
    expect(tipsOf(n.msg)).toMatchObject({ mutedUser: { userID: 'dave' }, mutedSeconds: 60, opUser: { userID: 'alice' } });
    const m = (await members(alice)).find((x) => x.userID === 'dave')!;
    expect(m.muteEndTime).toBeGreaterThan(Date.now() + 50_000);
    expect((await sendText(dave, { groupID: gid }, 'muted dave')).errCode).toBe(1402);
    expect(await dave.errCode('/group/mute_group_member', { groupID: gid, userID: 'bob', mutedSeconds: 60 })).toBe(1002);
    await alice.post('/group/cancel_mute_group_member', { groupID: gid, userID: 'dave' });
    await waitPush(dave.ws, 1513, 'notification');
    expect((await sendText(dave, { groupID: gid }, 'dave again')).errCode).toBe(0);
  });

  it('kick: managers only, not the owner; the kicked get 1508 and can no longer send (1203)', async () => {
    expect(await bob.errCode('/group/kick_group', { groupID: gid, kickedUserIDs: ['erin'] })).toBe(1002);
    expect(await carol.errCode('/group/kick_group', { groupID: gid, kickedUserIDs: ['alice'] })).toBe(1001);
    expect(await carol.errCode('/group/kick_group', { groupID: gid, kickedUserIDs: ['ghost'] })).toBe(1101);
    await carol.post('/group/kick_group', { groupID: gid, kickedUserIDs: ['erin'], reason: 'bye' });
    for (const u of [alice, erin]) {
      const n = await waitPush(u.ws, 1508, 'notification');
      expect(tipsOf(n.msg)).toMatchObject({ opUser: { userID: 'carol' }, kickedUserList: [{ userID: 'erin' }] });
    }
    const kickCopy = await waitPush(erin.ws, 1508, 'stored');
    expect((await sendText(erin, { groupID: gid }, 'erin after kick')).errCode).toBe(1203);
    // Later messages do not reach erin, and its newest seq stays at its kick notice.
    expect((await sendText(alice, { groupID: gid }, 'after erin left')).errCode).toBe(0);
    await waitPush(bob.ws, 101, 'stored', (p) => p.operationID === 'op-after erin left');
    expect(pushed(erin.ws).some((p) => p.operationID === 'op-after erin left')).toBe(false);
    const newest = decodeData(PbCoder.GetMaxSeqResp, await erin.ws.request(1001, Buffer.from([0x0a, 4, ...Buffer.from('erin')])));
    expect(newest.maxSeqs[`sg_${gid}`]).toBe(kickCopy.msg.seq);
    expect(await hasReadAndMax(erin, `sg_${gid}`)).toMatchObject({ maxSeq: kickCopy.msg.seq });
    const joined = await erin.post<{ total: number }>('/group/get_joined_group_list', { fromUserID: 'erin', pagination: { pageNumber: 1, showNumber: 10 } });
    expect(joined.total).toBe(0);
  });

  it('transfer: only the owner; roles swap and 1507 names both owners', async () => {
    expect(await bob.errCode('/group/transfer_group', { groupID: gid, oldOwnerUserID: 'alice', newOwnerUserID: 'bob' })).toBe(1002);
    await alice.post('/group/transfer_group', { groupID: gid, oldOwnerUserID: 'alice', newOwnerUserID: 'bob' });
    const n = await waitPush(carol.ws, 1507, 'notification');
    expect(tipsOf(n.msg)).toMatchObject({ oldGroupOwner: 'alice', newGroupOwner: { userID: 'bob', roleLevel: 100 }, oldGroupOwnerInfo: { userID: 'alice' } });
    expect((await info(alice)).ownerUserID).toBe('bob');
    const roles = Object.fromEntries((await members(alice)).map((m) => [m.userID, m.roleLevel]));
    expect(roles).toMatchObject({ alice: 20, bob: 100 });
    expect(await alice.errCode('/group/transfer_group', { groupID: gid, oldOwnerUserID: 'alice', newOwnerUserID: 'carol' })).toBe(1002);
    expect(await bob.errCode('/group/transfer_group', { groupID: gid, oldOwnerUserID: 'bob', newOwnerUserID: 'erin' })).toBe(1001);
  });

  it('quit: a member leaves with 1504; the owner cannot quit', async () => {
    expect(await bob.errCode('/group/quit_group', { groupID: gid, userID: 'bob' })).toBe(1002);
    await dave.post('/group/quit_group', { groupID: gid, userID: 'dave' });
    for (const u of [bob, dave]) {
      const n = await waitPush(u.ws, 1504, 'notification');
      expect(tipsOf(n.msg)).toMatchObject({ quitUser: { userID: 'dave' } });
    }
    expect((await members(bob)).map((m) => m.userID).sort()).toEqual(['alice', 'bob', 'carol']);
    expect(await dave.errCode('/group/quit_group', { groupID: gid, userID: 'dave' })).toBe(1203);
  });

  it('dismiss: only the owner; 1511 to everyone, status 2, later sends fail 1204', async () => {
    expect(await alice.errCode('/group/dismiss_group', { groupID: gid })).toBe(1002);
    await bob.post('/group/dismiss_group', { groupID: gid, deleteMember: false });
    for (const u of [alice, bob, carol]) {
      const n = await waitPush(u.ws, 1511, 'notification');
      expect(tipsOf(n.msg)).toMatchObject({ group: { groupID: gid, status: 2 }, opUser: { userID: 'bob' } });
      await waitPush(u.ws, 1511, 'stored');
    }
    expect((await info(alice)).status).toBe(2);
    expect((await sendText(bob, { groupID: gid }, 'after dismiss')).errCode).toBe(1204);
    expect(await bob.errCode('/group/dismiss_group', { groupID: gid })).toBe(1204);
    expect(await alice.errCode('/group/join_group', { groupID: gid })).toBe(1204);
  });
});
