// Server side of two conversation features: private chat set on both users' conversations with a
// 1701 to both, and the group has-read 2200 (stored in n_<groupID>, pushed to the members) when a
// member reads past other members' messages.

import { PbCoder, type SdkWsProto } from '@openim/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imPost, startTestIm, type TestIm } from '../helpers/im.ts';
import { connect, decodeData, encodeMsg, textMsg, type TestClient } from './wsclient.ts';

let im: TestIm;
const tokens = new Map<string, string>();
const ws = new Map<string, TestClient>();

function notices(c: TestClient, conversationID: string, contentType: number): Array<{ m: SdkWsProto.MsgData; tips: Record<string, unknown> }> {
  return c
    .pushes()
    .flatMap((f) => decodeData(PbCoder.PushMessages, f).notificationMsgs[conversationID]?.Msgs ?? [])
    .filter((m) => m.contentType === contentType)
    .map((m) => ({ m, tips: JSON.parse(JSON.parse(Buffer.from(m.content).toString('utf8')).detail) as Record<string, unknown> }));
}

beforeAll(async () => {
  im = await startTestIm();
  for (const u of ['pia', 'quo', 'ray']) {
    await im.register(u);
    tokens.set(u, await im.userToken(u));
    ws.set(u, (await connect(im.wsAddress, { userID: u, token: tokens.get(u)! })).client);
  }
});

afterAll(async () => {
  for (const c of ws.values()) c.close();
  await im?.close();
});

describe('private chat on both sides', () => {
  const CONV = 'si_pia_quo';

  it("sets the peer's conversation too and tells both users with a 1701", async () => {
    expect((await ws.get('pia')!.request(1003, encodeMsg(textMsg('pia', 'quo', 'hi')))).errCode).toBe(0);
    const conversation = { conversationID: CONV, conversationType: 1, userID: 'quo', groupID: '', isPrivateChat: true };
    await imPost(im.apiAddress, '/conversation/set_conversations', { userIDs: ['pia'], conversation }, tokens.get('pia'));
    for (const owner of ['pia', 'quo']) {
      const r = await imPost<{ conversation: { isPrivateChat: boolean } }>(im.apiAddress, '/conversation/get_conversation', { ownerUserID: owner, conversationID: CONV }, tokens.get(owner));
      expect(r.conversation.isPrivateChat).toBe(true);
    }
    for (const u of ['pia', 'quo']) {
      const n = await ws.get(u)!.waitFor(() => notices(ws.get(u)!, 'n_pia_quo', 1701)[0], `1701 to ${u}`);
      expect(n.tips).toEqual({ recvID: 'quo', sendID: 'pia', isPrivate: true, conversationID: CONV });
    }
  });

  it("takes the peer from the owner's stored conversation, not from the request", async () => {
    const conversation = { conversationID: CONV, conversationType: 1, userID: 'ray', groupID: '', isPrivateChat: false };
    await imPost(im.apiAddress, '/conversation/set_conversations', { userIDs: ['pia'], conversation }, tokens.get('pia'));
    const quo = await imPost<{ conversation: { isPrivateChat: boolean } }>(im.apiAddress, '/conversation/get_conversation', { ownerUserID: 'quo', conversationID: CONV }, tokens.get('quo'));
    expect(quo.conversation.isPrivateChat).toBe(false);
    const ray = await imPost<{ conversations: unknown[] }>(im.apiAddress, '/conversation/get_all_conversations', { ownerUserID: 'ray' }, tokens.get('ray'));
    expect(ray.conversations).toEqual([]);
  });
});

describe('group has-read notice', () => {
  let groupID: string;
  let nconv: string;

  beforeAll(async () => {
    groupID = await im.createGroup('pia', ['quo', 'ray']);
    nconv = `n_${groupID}`;
    for (const t of ['a', 'b']) {
      expect((await ws.get('pia')!.request(1003, encodeMsg(textMsg('pia', '', t, { sessionType: 3, groupID })))).errCode).toBe(0);
    }
    expect((await ws.get('quo')!.request(1003, encodeMsg(textMsg('quo', '', 'c', { sessionType: 3, groupID })))).errCode).toBe(0);
  });

  it("reading past others' messages sends the members a 2200 naming the seqs read", async () => {
    const conv = `sg_${groupID}`;
    const { maxSeq } = (await imPost<{ seqs: Record<string, { maxSeq: number }> }>(im.apiAddress, '/msg/get_conversations_has_read_and_max_seq', { userID: 'ray', conversationIDs: [conv] }, tokens.get('ray'))).seqs[conv]!;
    await imPost(im.apiAddress, '/msg/mark_conversation_as_read', { conversationID: conv, userID: 'ray', hasReadSeq: maxSeq, seqs: [] }, tokens.get('ray'));
    for (const u of ['pia', 'quo', 'ray']) {
      const n = await ws.get(u)!.waitFor(() => notices(ws.get(u)!, nconv, 2200)[0], `group 2200 to ${u}`);
      expect(n.m.sessionType).toBe(3);
      expect(n.m.seq).toBeGreaterThan(0);
      expect(n.tips).toMatchObject({ markAsReadUserID: 'ray', conversationID: conv, hasReadSeq: maxSeq });
      // The group's creation notice and the three messages, none of them ray's.
      expect((n.tips.seqs as number[]).slice(-3)).toEqual([maxSeq - 2, maxSeq - 1, maxSeq]);
    }
  });

  it('a read that passes only the reader’s own messages tells nobody else', async () => {
    const conv = `sg_${groupID}`;
    expect((await ws.get('ray')!.request(1003, encodeMsg(textMsg('ray', '', 'mine', { sessionType: 3, groupID })))).errCode).toBe(0);
    const before = notices(ws.get('pia')!, nconv, 2200).length;
    const { maxSeq } = (await imPost<{ seqs: Record<string, { maxSeq: number }> }>(im.apiAddress, '/msg/get_conversations_has_read_and_max_seq', { userID: 'ray', conversationIDs: [conv] }, tokens.get('ray'))).seqs[conv]!;
    await imPost(im.apiAddress, '/msg/mark_conversation_as_read', { conversationID: conv, userID: 'ray', hasReadSeq: maxSeq, seqs: [] }, tokens.get('ray'));
    // A marker after it: quo reads, which pia sees; ray's mark came first and sent nothing to pia.
    await imPost(im.apiAddress, '/msg/mark_conversation_as_read', { conversationID: conv, userID: 'quo', hasReadSeq: maxSeq, seqs: [] }, tokens.get('quo'));
    await ws.get('pia')!.waitFor(() => notices(ws.get('pia')!, nconv, 2200).find((n) => n.tips.markAsReadUserID === 'quo'), 'quo 2200');
    expect(notices(ws.get('pia')!, nconv, 2200).slice(before).map((n) => n.tips.markAsReadUserID)).toEqual(['quo']);
  });
});
