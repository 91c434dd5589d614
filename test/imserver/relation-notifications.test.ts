// How friend and group notifications travel (docs/protocol.md "Notifications"): every one is pushed online only in the
// n_ stream with seq 0; isSendMsg ones also leave a stored copy, with a real seq, in the chat
// conversation. A profile change tells each friend (1209) and bumps their friend lists, and each
// group where the member shows the profile (1516), as upstream.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imPost, startTestIm, type TestIm } from '../helpers/im.ts';
import { pushed, tipsOf, user, waitPush, type User } from './relation-client.ts';

describe('relation notifications', () => {
  let im: TestIm;
  let alice: User;
  let bob: User;
  let carol: User;

  beforeAll(async () => {
    im = await startTestIm();
    alice = await user(im, 'alice');
    bob = await user(im, 'bob');
    carol = await user(im, 'carol');
  });

  afterAll(async () => {
    for (const u of [alice, bob, carol]) u?.ws.close();
    await im?.close();
  });

  it('the online copy is an n_ notification with seq 0; the stored copy is a chat message with a seq and no unread count', async () => {
    const { groupInfo } = await alice.post<{ groupInfo: { groupID: string } }>('/group/create_group', {
      ownerUserID: 'alice',
      memberUserIDs: ['bob'],
      groupInfo: { groupType: 2, groupName: 'n' },
    });
    const online = await waitPush(bob.ws, 1501, 'notification');
    expect(online.msg.seq).toBe(0);
    expect(online.msg.options).toMatchObject({ history: false, persistent: false, isNotNotification: false, isSendMsg: true, unreadCount: false });
    const stored = await waitPush(bob.ws, 1501, 'stored');
    expect(stored.conversationID).toBe(`sg_${groupInfo.groupID}`);
    expect(stored.msg.seq).toBe(1);
    expect(stored.msg.options).toMatchObject({ isNotNotification: true, unreadCount: false, isSendMsg: true });
    expect(stored.msg.content).toEqual(online.msg.content);
    expect(stored.msg.senderNickname).toBe('alice-nick');

    // 1502 (isSendMsg false) has no stored copy.
    await alice.post('/group/set_group_info_ex', { groupID: groupInfo.groupID, introduction: 'about' });
    const set = await waitPush(bob.ws, 1502, 'notification');
    expect(set.msg.options).toMatchObject({ isSendMsg: false });
    expect(pushed(bob.ws).filter((p) => p.msg.contentType === 1502 && !p.notification)).toEqual([]);
  });

  it('a profile change sends 1303 to the user and 1209 to each friend, whose friend list logs an update', async () => {
    await imPost(im.apiAddress, '/friend/import_friend', { ownerUserID: 'carol', friendUserIDs: ['alice'] }, await im.adminToken());
    const before = await carol.post<{ version: number; versionID: string }>('/friend/get_full_friend_user_ids', { userID: 'carol', idHash: 0 });
    await alice.post('/user/update_user_info_ex', { userInfo: { userID: 'alice', faceURL: 'http://x/a.png' } });
    await waitPush(alice.ws, 1303, 'notification');
    const n = await waitPush(carol.ws, 1209, 'notification');
    expect(n.msg).toMatchObject({ sendID: 'alice', recvID: 'carol', seq: 0 });
    expect(tipsOf(n.msg)).toMatchObject({ userID: 'alice', friendVersionID: before.versionID, friendVersion: before.version + 1 });
    const d = await carol.post<{ update: { friendUser: { faceURL: string } }[] }>('/friend/get_incremental_friends', {
      userID: 'carol',
      versionID: before.versionID,
      version: before.version,
    });
    expect(d.update.map((f) => f.friendUser.faceURL)).toEqual(['http://x/a.png']);
    // bob is not alice's friend and hears nothing.
    expect(pushed(bob.ws).some((p) => p.msg.contentType === 1209)).toBe(false);
  });

  it('a profile change sends 1516 to each group where the member row shows the profile, not where it has its own', async () => {
    const create = async (name: string) =>
      (await alice.post<{ groupInfo: { groupID: string } }>('/group/create_group', { ownerUserID: 'alice', memberUserIDs: ['bob'], groupInfo: { groupType: 2, groupName: name } })).groupInfo.groupID;
    const plain = await create('plain');
    const named = await create('named');
    await bob.post('/group/set_group_member_info', { members: [{ groupID: named, userID: 'bob', nickname: 'B in named', faceURL: 'http://x/b.png' }] });
    const before = pushed(alice.ws).length;
    await bob.post('/user/update_user_info_ex', { userInfo: { userID: 'bob', nickname: 'Bobby' } });
    const groupOf = (p: { msg: Parameters<typeof tipsOf>[0] }) => tipsOf<{ group: { groupID: string } }>(p.msg).group.groupID;
    const n = await waitPush(alice.ws, 1516, 'notification', (p) => groupOf(p) === plain);
    expect(tipsOf(n.msg)).toMatchObject({ changedUser: { userID: 'bob', nickname: 'Bobby' } });
    await new Promise((r) => setTimeout(r, 200));
    const infoSets = pushed(alice.ws).slice(before).filter((p) => p.msg.contentType === 1516 && p.notification);
    expect(infoSets.map(groupOf)).not.toContain(named);
  });
});
