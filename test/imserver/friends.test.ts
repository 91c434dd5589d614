// Friend requests, friends, remarks, blacklists and deletes over raw REST and the gateway,
// with the notifications each side receives (docs/protocol.md "Notifications").

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestIm, type TestIm } from '../helpers/im.ts';
import { countPushes, pushed, sendText, tipsOf, user, waitPush, type User } from './relation-client.ts';

describe('friends', () => {
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

  it('an application reaches the target as an online-only 1203 and shows in both apply lists', async () => {
    await alice.post('/friend/add_friend', { fromUserID: 'alice', toUserID: 'bob', reqMsg: 'hi, it is alice', ex: 'x' });
    const n = await waitPush(bob.ws, 1203, 'notification');
    expect(n.conversationID).toBe('n_alice_bob');
    expect(n.msg).toMatchObject({ sendID: 'alice', recvID: 'bob', sessionType: 1, msgFrom: 200, seq: 0 });
    expect(tipsOf(n.msg)).toMatchObject({ fromToUserID: { fromUserID: 'alice', toUserID: 'bob' } });
    // The applicant's own devices hear of it too (senderSync).
    await waitPush(alice.ws, 1203, 'notification');

    const recv = await bob.post<{ FriendRequests: Record<string, unknown>[]; total: number }>('/friend/get_friend_apply_list', {
      userID: 'bob',
      pagination: { pageNumber: 1, showNumber: 10 },
    });
    expect(recv.total).toBe(1);
    expect(recv.FriendRequests[0]).toMatchObject({
      fromUserID: 'alice',
      fromNickname: 'alice-nick',
      toUserID: 'bob',
      toNickname: 'bob-nick',
      handleResult: 0,
      reqMsg: 'hi, it is alice',
      ex: 'x',
    });
    const sent = await alice.post<{ friendRequests: { toUserID: string }[]; total: number }>('/friend/get_self_friend_apply_list', {
      userID: 'alice',
      pagination: { pageNumber: 1, showNumber: 10 },
    });
    expect(sent.friendRequests.map((r) => r.toUserID)).toEqual(['bob']);
    expect(await bob.post('/friend/get_self_unhandled_apply_count', { userID: 'bob', time: 0 })).toEqual({ count: 1 });
  });

  it('accepting makes both friends: 1201 online to the applicant plus a stored copy in si_ for both', async () => {
    await bob.post('/friend/add_friend_response', { fromUserID: 'alice', toUserID: 'bob', handleResult: 1, handleMsg: 'welcome' });
    const n = await waitPush(alice.ws, 1201, 'notification');
    expect(n.msg).toMatchObject({ sendID: 'bob', recvID: 'alice', seq: 0 });
    const tips = tipsOf<{ fromToUserID: unknown; handleMsg: string; friendVersion: number; friendVersionID: string }>(n.msg);
    expect(tips).toMatchObject({ fromToUserID: { fromUserID: 'alice', toUserID: 'bob' }, handleMsg: 'welcome' });
    expect(tips.friendVersionID).toMatch(/^[0-9a-f]{24}$/);
    expect(tips.friendVersion).toBeGreaterThan(0);
    for (const u of [alice, bob]) {
      const copy = await waitPush(u.ws, 1201, 'stored');
      expect(copy.conversationID).toBe('si_alice_bob');
      expect(copy.msg.seq).toBe(1);
    }
    expect(await alice.post('/friend/is_friend', { userID1: 'alice', userID2: 'bob' })).toEqual({ inUser1Friends: true, inUser2Friends: true });
    const list = await alice.post<{ friendsInfo: { ownerUserID: string; addSource: number; friendUser: { userID: string; nickname: string } }[]; total: number }>(
      '/friend/get_friend_list',
      { userID: 'alice', pagination: { pageNumber: 1, showNumber: 10 } },
    );
    expect(list.total).toBe(1);
    expect(list.friendsInfo[0]).toMatchObject({ ownerUserID: 'alice', addSource: 2, friendUser: { userID: 'bob', nickname: 'bob-nick' } });
    expect(await alice.post('/friend/get_full_friend_user_ids', { userID: 'alice', idHash: 0 })).toMatchObject({ equal: false, userIDs: ['bob'] });
    expect(await bob.post('/friend/get_friend_id', { userID: 'bob' })).toEqual({ friendIDs: ['alice'] });
    // A handled request cannot be answered twice; friends cannot apply again.
    expect(await bob.errCode('/friend/add_friend_response', { fromUserID: 'alice', toUserID: 'bob', handleResult: 1 })).toBe(1305);
    expect(await alice.errCode('/friend/add_friend', { fromUserID: 'alice', toUserID: 'bob' })).toBe(1304);
  });

  it('refusing sends 1202 online only, stores nothing and keeps them strangers', async () => {
    await carol.post('/friend/add_friend', { fromUserID: 'carol', toUserID: 'bob', reqMsg: 'me too' });
    await waitPush(bob.ws, 1203, 'notification', (p) => p.msg.sendID === 'carol');
    await bob.post('/friend/add_friend_response', { fromUserID: 'carol', toUserID: 'bob', handleResult: -1, handleMsg: 'no thanks' });
    const n = await waitPush(carol.ws, 1202, 'notification');
    expect(n.msg).toMatchObject({ sendID: 'bob', recvID: 'carol', seq: 0 });
    expect(tipsOf(n.msg)).toMatchObject({ fromToUserID: { fromUserID: 'carol', toUserID: 'bob' }, handleMsg: 'no thanks' });
    expect(pushed(carol.ws).filter((p) => !p.notification)).toEqual([]);
    expect(await carol.post('/friend/is_friend', { userID1: 'carol', userID2: 'bob' })).toEqual({ inUser1Friends: false, inUser2Friends: false });
    const d = await carol.post<{ friendRequests: { handleResult: number; handleMsg: string; handlerUserID: string }[] }>('/friend/get_designated_friend_apply', {
      fromUserID: 'carol',
      toUserID: 'bob',
    });
    expect(d.friendRequests).toEqual([expect.objectContaining({ handleResult: -1, handleMsg: 'no thanks', handlerUserID: 'bob' })]);
    const refused = await bob.post<{ FriendRequests: unknown[]; total: number }>('/friend/get_friend_apply_list', { userID: 'bob', handleResults: [-1] });
    expect(refused.total).toBe(1);
  });

  it('answers 1301 for adding yourself, 1002 for acting for someone else and 1004 for a missing request', async () => {
    expect(await alice.errCode('/friend/add_friend', { fromUserID: 'alice', toUserID: 'alice' })).toBe(1301);
    expect(await alice.errCode('/friend/add_friend', { fromUserID: 'bob', toUserID: 'carol' })).toBe(1002);
    expect(await alice.errCode('/friend/get_friend_list', { userID: 'bob' })).toBe(1002);
    expect(await carol.errCode('/friend/add_friend_response', { fromUserID: 'alice', toUserID: 'carol', handleResult: 1 })).toBe(1004);
    expect(await carol.errCode('/friend/add_friend_response', { fromUserID: 'alice', toUserID: 'carol', handleResult: 2 })).toBe(1001);
    expect(await alice.errCode('/friend/add_friend', { fromUserID: 'alice', toUserID: 'nobody' })).toBe(1101);
  });

  it('a remark is stored on the owner side and announced with 1206', async () => {
    await alice.post('/friend/set_friend_remark', { ownerUserID: 'alice', friendUserID: 'bob', remark: 'Bobby' });
    const n = await waitPush(alice.ws, 1206, 'notification');
    expect(tipsOf(n.msg)).toMatchObject({ fromToUserID: { fromUserID: 'alice', toUserID: 'bob' } });
    const f = await alice.post<{ friendsInfo: { remark: string }[] }>('/friend/get_designated_friends', { ownerUserID: 'alice', friendUserIDs: ['bob'] });
    expect(f.friendsInfo.map((x) => x.remark)).toEqual(['Bobby']);
    const other = await bob.post<{ friendsInfo: { remark: string }[] }>('/friend/get_designated_friends', { ownerUserID: 'bob', friendUserIDs: ['alice'] });
    expect(other.friendsInfo.map((x) => x.remark)).toEqual(['']);
    // Someone who is not a friend is left out.
    const some = await alice.post<{ friendsInfo: { friendUser: { userID: string } }[] }>('/friend/get_designated_friends', {
      ownerUserID: 'alice',
      friendUserIDs: ['bob', 'carol'],
    });
    expect(some.friendsInfo.map((f) => f.friendUser.userID)).toEqual(['bob']);
    expect(await alice.errCode('/friend/get_designated_friends', { ownerUserID: 'alice', friendUserIDs: ['bob', 'bob'] })).toBe(1001);
    const spec = await alice.post<{ infos: { userInfo: { userID: string }; friendInfo: { remark: string } | null; blackInfo: unknown }[] }>(
      '/friend/get_specified_friends_info',
      { ownerUserID: 'alice', userIDList: ['bob', 'carol'] },
    );
    expect(spec.infos.map((i) => [i.userInfo.userID, i.friendInfo?.remark ?? null, i.blackInfo])).toEqual([
      ['bob', 'Bobby', null],
      ['carol', null, null],
    ]);
    expect(await alice.errCode('/friend/set_friend_remark', { ownerUserID: 'alice', friendUserID: 'carol', remark: 'x' })).toBe(1004);
    // The JS SDK's first screen shows the remark: /jssdk items carry the friend row.
    const js = await alice.post<{ conversations: { conversation: { conversationID: string }; friend: { friendUserID: string; remark: string } | null }[] }>(
      '/jssdk/get_conversations',
      { ownerUserID: 'alice', conversationIDs: ['si_alice_bob'] },
    );
    expect(js.conversations[0]!.friend).toMatchObject({ friendUserID: 'bob', remark: 'Bobby' });
  });

  it('update_friends pins friends and tells only the owner (1210)', async () => {
    const before = countPushes(bob.ws, 1210);
    await alice.post('/friend/update_friends', { ownerUserID: 'alice', friendUserIDs: ['bob'], isPinned: true });
    const n = await waitPush(alice.ws, 1210, 'notification');
    expect(tipsOf(n.msg)).toMatchObject({ fromToUserID: { fromUserID: 'alice', toUserID: 'alice' }, friendIDs: ['bob'] });
    const f = await alice.post<{ friendsInfo: { isPinned: boolean; remark: string }[] }>('/friend/get_designated_friends', { ownerUserID: 'alice', friendUserIDs: ['bob'] });
    expect(f.friendsInfo[0]).toMatchObject({ isPinned: true, remark: 'Bobby' });
    expect(countPushes(bob.ws, 1210)).toBe(before);
    expect(await alice.errCode('/friend/update_friends', { ownerUserID: 'alice', friendUserIDs: ['carol'], isPinned: true })).toBe(1004);
  });

  it('a blocked sender gets 1302 on a single-chat message; the blocker can still write, and unblocking lifts it', async () => {
    expect((await sendText(alice, { recvID: 'bob' }, 'before block')).errCode).toBe(0);
    await bob.post('/friend/add_black', { ownerUserID: 'bob', blackUserID: 'alice', ex: 'spam' });
    const n = await waitPush(bob.ws, 1207, 'notification');
    expect(tipsOf(n.msg)).toEqual({ fromToUserID: { fromUserID: 'bob', toUserID: 'alice' } });
    const blacks = await bob.post<{ blacks: { ownerUserID: string; ex: string; blackUserInfo: { userID: string; nickname: string } }[]; total: number }>(
      '/friend/get_black_list',
      { userID: 'bob', pagination: { pageNumber: 1, showNumber: 10 } },
    );
    expect(blacks.total).toBe(1);
    expect(blacks.blacks[0]).toMatchObject({ ownerUserID: 'bob', ex: 'spam', blackUserInfo: { userID: 'alice', nickname: 'alice-nick' } });
    expect(await bob.post('/friend/get_specified_blacks', { ownerUserID: 'bob', userIDList: ['alice', 'carol'] })).toMatchObject({ total: 1 });
    expect(await alice.post('/friend/is_black', { userID1: 'alice', userID2: 'bob' })).toEqual({ inUser1Blacks: false, inUser2Blacks: true });
    expect(await carol.errCode('/friend/is_black', { userID1: 'alice', userID2: 'bob' })).toBe(1002);

    const refused = await sendText(alice, { recvID: 'bob' }, 'while blocked');
    expect(refused).toMatchObject({ errCode: 1302, errMsg: expect.stringMatching(/^BlockedByPeer/) });
    expect((await sendText(bob, { recvID: 'alice' }, 'bob may still write')).errCode).toBe(0);
    // The refused message was not stored or pushed.
    await waitPush(alice.ws, 101, 'stored', (p) => p.operationID === 'op-bob may still write');
    expect(pushed(bob.ws).some((p) => p.operationID === 'op-while blocked')).toBe(false);

    await bob.post('/friend/remove_black', { ownerUserID: 'bob', blackUserID: 'alice' });
    await waitPush(bob.ws, 1208, 'notification');
    expect((await sendText(alice, { recvID: 'bob' }, 'after unblock')).errCode).toBe(0);
    // As upstream, removing someone who is not blocked is not an error.
    expect(await bob.errCode('/friend/remove_black', { ownerUserID: 'bob', blackUserID: 'alice' })).toBe(0);
    expect(await bob.errCode('/friend/get_specified_blacks', { ownerUserID: 'bob', userIDList: [] })).toBe(1001);
  });

  it('delete removes only the owner side and announces 1205 with the owner friend version', async () => {
    await alice.post('/friend/delete_friend', { ownerUserID: 'alice', friendUserID: 'bob' });
    const n = await waitPush(bob.ws, 1205, 'notification');
    const tips = tipsOf<{ fromToUserID: unknown; friendVersionID: string; friendVersion: number }>(n.msg);
    expect(tips.fromToUserID).toEqual({ fromUserID: 'alice', toUserID: 'bob' });
    const full = await alice.post<{ versionID: string; version: number; userIDs: string[] }>('/friend/get_full_friend_user_ids', { userID: 'alice', idHash: 0 });
    expect(full.userIDs).toEqual([]);
    expect(tips).toMatchObject({ friendVersionID: full.versionID, friendVersion: full.version });
    expect(await alice.post('/friend/is_friend', { userID1: 'alice', userID2: 'bob' })).toEqual({ inUser1Friends: false, inUser2Friends: true });
    expect(await alice.errCode('/friend/delete_friend', { ownerUserID: 'alice', friendUserID: 'bob' })).toBe(1004);
  });

  it('import_friend (admin only) makes both sides friends with addSource 1', async () => {
    const admin = await im.adminToken();
    const { imPost } = await import('../helpers/im.ts');
    await imPost(im.apiAddress, '/friend/import_friend', { ownerUserID: 'carol', friendUserIDs: ['alice'] }, admin);
    const f = await carol.post<{ friendsInfo: { addSource: number }[] }>('/friend/get_designated_friends', { ownerUserID: 'carol', friendUserIDs: ['alice'] });
    expect(f.friendsInfo).toEqual([expect.objectContaining({ addSource: 1 })]);
    expect(await alice.post('/friend/is_friend', { userID1: 'alice', userID2: 'carol' })).toEqual({ inUser1Friends: true, inUser2Friends: true });
    expect(await carol.errCode('/friend/import_friend', { ownerUserID: 'carol', friendUserIDs: ['bob'] })).toBe(1002);
  });
});
