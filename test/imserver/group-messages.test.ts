// Group messages (sessionType 3): delivered to every member's connections with one seq stream
// per group, unread counted per member; mute, not-in-group and unknown-group errors.

import { PbCoder } from '@openim/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestIm, type TestIm } from '../helpers/im.ts';
import { connect, decodeData, encodeMsg, textMsg, type TestClient } from './wsclient.ts';
import { hasReadAndMax, pushed, sendText, user, waitPush, type User } from './relation-client.ts';

describe('group messages', () => {
  let im: TestIm;
  let alice: User;
  let alicePc: TestClient;
  let bob: User;
  let carol: User;
  let dave: User;
  let gid = '';
  let conv = '';

  beforeAll(async () => {
    im = await startTestIm();
    alice = await user(im, 'alice');
    bob = await user(im, 'bob');
    carol = await user(im, 'carol');
    dave = await user(im, 'dave');
    ({ client: alicePc } = await connect(im.wsAddress, { userID: 'alice', token: await im.userToken('alice', 3), platformID: 3 }));
    const res = await alice.post<{ groupInfo: { groupID: string } }>('/group/create_group', {
      ownerUserID: 'alice',
      memberUserIDs: ['bob', 'carol'],
      groupInfo: { groupName: 'chat', groupType: 2 },
    });
    gid = res.groupInfo.groupID;
    conv = `sg_${gid}`;
    await waitPush(carol.ws, 1501, 'stored');
  });

  afterAll(async () => {
    for (const u of [alice, bob, carol, dave]) u?.ws.close();
    alicePc?.close();
    await im?.close();
  });

  it('a message reaches every member and the sender’s other connection, numbered in the group conversation', async () => {
    for (const text of ['g1', 'g2', 'g3']) expect((await sendText(alice, { groupID: gid }, text)).errCode).toBe(0);
    for (const c of [bob.ws, carol.ws, alice.ws, alicePc]) {
      const got = await c.waitFor(() => {
        const ps = pushed(c).filter((p) => p.conversationID === conv && p.msg.contentType === 101);
        return ps.length === 3 ? ps : undefined;
      }, `three group messages on ${c.userID}`);
      expect(got.map((p) => p.msg.seq)).toEqual([2, 3, 4]);
      expect(got.map((p) => JSON.parse(Buffer.from(p.msg.content).toString()).content)).toEqual(['g1', 'g2', 'g3']);
      expect(got[0]!.msg).toMatchObject({ sendID: 'alice', groupID: gid, recvID: '', sessionType: 3, status: 2 });
    }
    expect(pushed(dave.ws)).toEqual([]);
  });

  it('unread is per member: maxSeq − hasReadSeq, with the sender read up to its own message', async () => {
    expect(await hasReadAndMax(bob, conv)).toMatchObject({ maxSeq: 4, hasReadSeq: 0 });
    expect(await hasReadAndMax(alice, conv)).toMatchObject({ maxSeq: 4, hasReadSeq: 4 });
    expect((await sendText(bob, { groupID: gid }, 'b1')).errCode).toBe(0);
    expect(await hasReadAndMax(bob, conv)).toMatchObject({ maxSeq: 5, hasReadSeq: 5 });
    expect(await hasReadAndMax(carol, conv)).toMatchObject({ maxSeq: 5, hasReadSeq: 0 });
    await carol.post('/msg/mark_conversation_as_read', { userID: 'carol', conversationID: conv, hasReadSeq: 3, seqs: [] });
    expect(await hasReadAndMax(carol, conv)).toMatchObject({ maxSeq: 5, hasReadSeq: 3 });
    // Members pull the group's history by seq.
    const req = PbCoder.PullMessageBySeqsReq.encode({ userID: 'carol', seqRanges: [{ conversationID: conv, begin: 1, end: 5, num: 10 }], order: 0 }).finish();
    const res = decodeData(PbCoder.PullMessageBySeqsResp, await carol.ws.request(1002, req));
    expect(res.msgs[conv]!.Msgs.map((m) => [m.seq, m.contentType])).toEqual([
      [1, 1501],
      [2, 101],
      [3, 101],
      [4, 101],
      [5, 101],
    ]);
    // A non-member cannot pull it.
    const other = PbCoder.PullMessageBySeqsReq.encode({ userID: 'dave', seqRanges: [{ conversationID: conv, begin: 1, end: 5, num: 10 }], order: 0 }).finish();
    expect(decodeData(PbCoder.PullMessageBySeqsResp, await dave.ws.request(1002, other)).msgs).toEqual({});
  });

  it('a muted group refuses members with 1403; the owner and admins still send; cancelling lifts it', async () => {
    await alice.post('/group/set_group_member_info', { members: [{ groupID: gid, userID: 'carol', roleLevel: 60 }] });
    await alice.post('/group/mute_group', { groupID: gid });
    await waitPush(bob.ws, 1514, 'notification');
    await waitPush(bob.ws, 1514, 'stored');
    expect((await sendText(bob, { groupID: gid }, 'bob muted'))).toMatchObject({ errCode: 1403, errMsg: expect.stringMatching(/^MutedGroup/) });
    expect((await sendText(alice, { groupID: gid }, 'owner speaks')).errCode).toBe(0);
    expect((await sendText(carol, { groupID: gid }, 'admin speaks')).errCode).toBe(0);
    expect(await bob.errCode('/group/mute_group', { groupID: gid })).toBe(1002);
    await alice.post('/group/cancel_mute_group', { groupID: gid });
    await waitPush(bob.ws, 1515, 'notification');
    expect((await sendText(bob, { groupID: gid }, 'bob free')).errCode).toBe(0);
  });

  it('/jssdk/get_active_conversations carries the group with a group conversation', async () => {
    const res = await bob.post<{ conversations: { conversation: { conversationID: string }; group: { groupID: string; groupName: string } | null; user: unknown }[] }>(
      '/jssdk/get_active_conversations',
      { ownerUserID: 'bob', count: 10 },
    );
    const item = res.conversations.find((c) => c.conversation.conversationID === conv);
    expect(item?.group).toMatchObject({ groupID: gid, groupName: 'chat' });
    expect(item?.user).toBeNull();
  });

  it('a non-member gets 1203 and an unknown group 1201', async () => {
    expect((await sendText(dave, { groupID: gid }, 'dave outside')).errCode).toBe(1203);
    expect((await sendText(dave, { groupID: '999' }, 'nowhere')).errCode).toBe(1201);
  });

  it('revoke: the owner may revoke a member’s message; the notice (2101) goes to every member in n_<groupID>', async () => {
    const resp = await sendText(bob, { groupID: gid }, 'oops');
    expect(resp.errCode).toBe(0);
    const mine = await waitPush(carol.ws, 101, 'stored', (p) => p.operationID === 'op-oops');
    const seq = mine.msg.seq;
    const owners = pushed(alice.ws).filter((p) => p.conversationID === conv && p.msg.sendID === 'alice' && p.msg.contentType === 101);
    // An admin may not revoke the owner's message; an ordinary member may not revoke others'.
    expect(await carol.errCode('/msg/revoke_msg', { userID: 'carol', conversationID: conv, seq: owners[0]!.msg.seq })).toBe(1002);
    expect(await dave.errCode('/msg/revoke_msg', { userID: 'dave', conversationID: conv, seq })).toBe(1004);
    await alice.post('/msg/revoke_msg', { userID: 'alice', conversationID: conv, seq });
    const notice = await waitPush(carol.ws, 2101, 'notification');
    expect(notice.conversationID).toBe(`n_${gid}`);
    expect(notice.msg.seq).toBeGreaterThan(0);
    expect(JSON.parse(JSON.parse(Buffer.from(notice.msg.content).toString()).detail)).toMatchObject({ revokerUserID: 'alice', seq, conversationID: conv });
    const req = PbCoder.PullMessageBySeqsReq.encode({ userID: 'carol', seqRanges: [{ conversationID: conv, begin: seq, end: seq, num: 1 }], order: 0 }).finish();
    const back = decodeData(PbCoder.PullMessageBySeqsResp, await carol.ws.request(1002, req)).msgs[conv]!.Msgs[0]!;
    expect(back.contentType).toBe(2101);
    expect(JSON.parse(JSON.parse(Buffer.from(back.content).toString()).detail)).toMatchObject({ revokerID: 'alice', revokerRole: 100, sourceMessageSendID: 'bob' });
  });

  it('an @ message marks the named members’ conversations (groupAtType 1, with @all 2 and 3) and tells them with 1300', async () => {
    const atType = async (u: User) =>
      (await u.post<{ conversation: { groupAtType: number } }>('/conversation/get_conversation', { ownerUserID: u.userID, conversationID: conv })).conversation.groupAtType;
    const at = (list: string[], text: string) =>
      alice.ws.request(1003, encodeMsg(textMsg('alice', '', text, { groupID: gid, sessionType: 3, contentType: 106, atUserIDList: list })), { operationID: `op-${text}` });
    expect((await at(['bob'], 'hey bob')).errCode).toBe(0);
    await bob.ws.waitFor(() => pushed(bob.ws).find((p) => p.operationID === 'op-hey bob' && p.msg.contentType === 1300), '1300 to bob');
    expect(await atType(bob)).toBe(1);
    expect(await atType(carol)).toBe(0);
    expect((await at(['AtAllTag', 'carol'], 'hey all')).errCode).toBe(0);
    await carol.ws.waitFor(() => pushed(carol.ws).find((p) => p.operationID === 'op-hey all' && p.msg.contentType === 1300), '1300 to carol');
    expect([await atType(bob), await atType(carol), await atType(alice)]).toEqual([2, 3, 0]);
  });

  it('the admin /msg/send_msg route delivers to the group too', async () => {
    const { imPost } = await import('../helpers/im.ts');
    await imPost(im.apiAddress, '/msg/send_msg', { sendID: 'alice', groupID: gid, sessionType: 3, contentType: 101, content: { content: 'from admin api' } }, await im.adminToken());
    const p = await waitPush(bob.ws, 101, 'stored', (x) => JSON.parse(Buffer.from(x.msg.content).toString()).content === 'from admin api');
    expect(p.conversationID).toBe(conv);
  });
});
