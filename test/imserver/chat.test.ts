// Two users chat over raw WebSocket frames: send, push order, pulls, read state, revoke.

import { PbCoder } from '@openim/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imPost, startTestIm, type TestIm } from '../helpers/im.ts';
import { connect, decodeData, encodeMsg, textMsg, type TestClient } from './wsclient.ts';

const CONV = 'si_alice_bob';
const NCONV = 'n_alice_bob';

describe('two users chatting over the message gateway', () => {
  let im: TestIm;
  let alice: TestClient;
  let alicePc: TestClient;
  let bob: TestClient;
  let bobToken: string;

  const content = (m: { content: Uint8Array }) => JSON.parse(Buffer.from(m.content).toString('utf8')) as { content?: string; detail?: string };

  async function send(from: TestClient, to: string, text: string, operationID = `op-${text}`) {
    const m = textMsg(from.userID, to, text);
    const resp = await from.request(1003, encodeMsg(m), { operationID });
    expect(resp.errCode).toBe(0);
    return { m, resp, operationID };
  }

  beforeAll(async () => {
    im = await startTestIm();
    await im.register('alice');
    await im.register('bob');
    bobToken = await im.userToken('bob');
    ({ client: alice } = await connect(im.wsAddress, { userID: 'alice', token: await im.userToken('alice') }));
    ({ client: alicePc } = await connect(im.wsAddress, { userID: 'alice', token: await im.userToken('alice', 3), platformID: 3 }));
    ({ client: bob } = await connect(im.wsAddress, { userID: 'bob', token: bobToken }));
  });

  afterAll(async () => {
    for (const c of [alice, alicePc, bob]) c?.close();
    await im?.close();
  });

  it('answers 1003, then pushes the message to the recipient and every sender connection with the same operationID', async () => {
    const { m, resp, operationID } = await send(alice, 'bob', 'hello bob', 'op-first-send');
    expect(resp).toMatchObject({ reqIdentifier: 1003, operationID, errCode: 0, errMsg: '' });
    const ack = decodeData(PbCoder.UserSendMsgResp, resp);
    expect(ack.clientMsgID).toBe(m.clientMsgID);
    expect(ack.serverMsgID).toMatch(/^[0-9a-f]{32}$/);
    expect(ack.sendTime).toBeGreaterThan(Date.now() - 60_000);

    for (const c of [bob, alice, alicePc]) {
      const push = await c.waitFor(() => c.pushes().find((f) => f.operationID === operationID), `push to ${c.userID}`);
      expect(push.msgIncr).toBe('');
      const pm = decodeData(PbCoder.PushMessages, push);
      expect(Object.keys(pm.msgs)).toEqual([CONV]);
      expect(pm.notificationMsgs).toEqual({});
      const [got] = pm.msgs[CONV]!.Msgs;
      expect(got).toMatchObject({ sendID: 'alice', recvID: 'bob', seq: 1, status: 2, clientMsgID: m.clientMsgID, serverMsgID: ack.serverMsgID });
      expect(content(got!)).toEqual({ content: 'hello bob' });
    }
    // On the sender's connection the response comes first, the echo second.
    const respIndex = alice.frames.findIndex((f) => f.reqIdentifier === 1003 && f.operationID === operationID);
    const echoIndex = alice.frames.findIndex((f) => f.reqIdentifier === 2001 && f.operationID === operationID);
    expect(respIndex).toBeGreaterThanOrEqual(0);
    expect(echoIndex).toBeGreaterThan(respIndex);
  });

  it('numbers messages per conversation from 1 and sets the sender as having read its own message', async () => {
    await send(bob, 'alice', 'hi alice');
    await send(alice, 'bob', 'how are you');
    const last = await send(alice, 'bob', 'still there?');
    const echo = await bob.waitFor(() => bob.pushes().find((f) => f.operationID === last.operationID), 'push of seq 4');
    expect(decodeData(PbCoder.PushMessages, echo).msgs[CONV]!.Msgs[0]!.seq).toBe(4);

    const req = PbCoder.GetConversationsHasReadAndMaxSeqReq.encode({ userID: 'bob', conversationIDs: [] }).finish();
    const seqs = decodeData(PbCoder.GetConversationsHasReadAndMaxSeqResp, await bob.request(1006, req)).seqs;
    expect(Object.keys(seqs)).toEqual([CONV]);
    expect(seqs[CONV]).toMatchObject({ maxSeq: 4, hasReadSeq: 2 });
    expect(seqs[CONV]!.maxSeqTime).toBeGreaterThan(0);
    const aliceSeqs = decodeData(
      PbCoder.GetConversationsHasReadAndMaxSeqResp,
      await alice.request(1006, PbCoder.GetConversationsHasReadAndMaxSeqReq.encode({ userID: 'alice', conversationIDs: [CONV] }).finish()),
    ).seqs;
    expect(aliceSeqs[CONV]).toMatchObject({ maxSeq: 4, hasReadSeq: 4 });
  });

  it('pulls a range (1002) as the newest num messages, clamped to maxSeq', async () => {
    const req = PbCoder.PullMessageBySeqsReq.encode({
      userID: 'bob',
      seqRanges: [{ conversationID: CONV, begin: 1, end: 100, num: 2 }],
      order: 0,
    }).finish();
    const res = decodeData(PbCoder.PullMessageBySeqsResp, await bob.request(1002, req));
    expect(res.msgs[CONV]!.Msgs.map((m) => m.seq)).toEqual([3, 4]);
    expect(res.msgs[CONV]!.isEnd).toBe(true);
    expect(content(res.msgs[CONV]!.Msgs[1]!)).toEqual({ content: 'still there?' });

    const all = decodeData(
      PbCoder.PullMessageBySeqsResp,
      await bob.request(1002, PbCoder.PullMessageBySeqsReq.encode({ userID: 'bob', seqRanges: [{ conversationID: CONV, begin: 1, end: 4, num: 100 }], order: 0 }).finish()),
    );
    expect(all.msgs[CONV]!.Msgs.map((m) => [m.seq, m.sendID])).toEqual([
      [1, 'alice'],
      [2, 'bob'],
      [3, 'alice'],
      [4, 'alice'],
    ]);
  });

  it('pulls exact seqs (1005) with {seq, status: 4} placeholders for missing ones', async () => {
    const req = PbCoder.GetSeqMessageReq.encode({ userID: 'alice', conversations: [{ conversationID: CONV, seqs: [2, 1, 99] }] }).finish();
    const res = decodeData(PbCoder.GetSeqMessageResp, await alice.request(1005, req));
    const msgs = res.msgs[CONV]!.Msgs;
    expect(msgs.map((m) => [m.seq, m.status])).toEqual([
      [1, 2],
      [2, 2],
      [99, 4],
    ]);
    expect(msgs[2]).toMatchObject({ sendID: '', clientMsgID: '', contentType: 0 });
  });

  it('a conversation the user does not own is skipped in pulls', async () => {
    await im.register('carol');
    const { client: carol } = await connect(im.wsAddress, { userID: 'carol', token: await im.userToken('carol') });
    try {
      const req = PbCoder.GetSeqMessageReq.encode({ userID: 'carol', conversations: [{ conversationID: CONV, seqs: [1] }] }).finish();
      const res = decodeData(PbCoder.GetSeqMessageResp, await carol.request(1005, req));
      expect(res.msgs).toEqual({});
    } finally {
      carol.close();
    }
  });

  it('mark_conversation_as_read brings unread to 0, marks the seqs read and stores a 2200 receipt in the n_ stream', async () => {
    await imPost(im.apiAddress, '/msg/mark_conversation_as_read', { conversationID: CONV, userID: 'bob', hasReadSeq: 4, seqs: [3, 4] }, bobToken);
    const seqs = decodeData(
      PbCoder.GetConversationsHasReadAndMaxSeqResp,
      await bob.request(1006, PbCoder.GetConversationsHasReadAndMaxSeqReq.encode({ userID: 'bob', conversationIDs: [] }).finish()),
    ).seqs;
    expect(seqs[CONV]!.maxSeq - seqs[CONV]!.hasReadSeq).toBe(0);

    const receipt = await alice.waitFor(
      () => alice.pushes().map((f) => decodeData(PbCoder.PushMessages, f).notificationMsgs[NCONV]?.Msgs[0]).find((m) => m?.contentType === 2200),
      '2200 push',
    );
    expect(receipt).toMatchObject({ sendID: 'bob', recvID: 'alice', seq: 1, msgFrom: 200, sessionType: 1 });
    const tips = JSON.parse(content(receipt).detail!) as Record<string, unknown>;
    expect(tips).toEqual({ markAsReadUserID: 'bob', conversationID: CONV, seqs: [3, 4], hasReadSeq: 4 });

    const pulled = decodeData(
      PbCoder.GetSeqMessageResp,
      await alice.request(1005, PbCoder.GetSeqMessageReq.encode({ userID: 'alice', conversations: [{ conversationID: CONV, seqs: [3, 4] }] }).finish()),
    );
    expect(pulled.msgs[CONV]!.Msgs.map((m) => m.isRead)).toEqual([true, true]);
    // The receipt is stored: it can be pulled from the n_ stream by range.
    const n = decodeData(
      PbCoder.PullMessageBySeqsResp,
      await alice.request(1002, PbCoder.PullMessageBySeqsReq.encode({ userID: 'alice', seqRanges: [{ conversationID: NCONV, begin: 1, end: 10, num: 1 }], order: 0 }).finish()),
    );
    expect(n.notificationMsgs[NCONV]!.Msgs.map((m) => [m.seq, m.contentType])).toEqual([[1, 2200]]);
  });

  it('revoke replaces the message with a 2101 notice and stores a 2101 notification; only the sender may revoke', async () => {
    const aliceToken = await im.userToken('alice');
    await expect(imPost(im.apiAddress, '/msg/revoke_msg', { conversationID: CONV, seq: 1, userID: 'bob' }, bobToken)).rejects.toMatchObject({ errCode: 1002 });
    await imPost(im.apiAddress, '/msg/revoke_msg', { conversationID: CONV, seq: 1, userID: 'alice' }, aliceToken);
    await expect(imPost(im.apiAddress, '/msg/revoke_msg', { conversationID: CONV, seq: 1, userID: 'alice' }, aliceToken)).rejects.toMatchObject({
      errCode: 1404,
    });

    const notice = await bob.waitFor(
      () => bob.pushes().map((f) => decodeData(PbCoder.PushMessages, f).notificationMsgs[NCONV]?.Msgs[0]).find((m) => m?.contentType === 2101),
      '2101 push',
    );
    expect(notice.seq).toBe(2);
    const tips = JSON.parse(content(notice).detail!) as Record<string, unknown>;
    expect(tips).toMatchObject({ revokerUserID: 'alice', seq: 1, conversationID: CONV, sesstionType: 1, isAdminRevoke: false });

    const res = decodeData(
      PbCoder.GetSeqMessageResp,
      await bob.request(1005, PbCoder.GetSeqMessageReq.encode({ userID: 'bob', conversations: [{ conversationID: CONV, seqs: [1] }] }).finish()),
    );
    const revoked = res.msgs[CONV]!.Msgs[0]!;
    expect(revoked.contentType).toBe(2101);
    const detail = JSON.parse(content(revoked).detail!) as Record<string, unknown>;
    expect(detail).toMatchObject({ revokerID: 'alice', sourceMessageSendID: 'alice', seq: 1 });
  });

  it('reports newest seqs (1001) for the conversation and its n_ twin, and the last message (1007)', async () => {
    const maxReq = Buffer.from([0x0a, 3, ...Buffer.from('bob')]);
    const max = decodeData(PbCoder.GetMaxSeqResp, await bob.request(1001, maxReq));
    expect(max.maxSeqs).toEqual({ [CONV]: 4, [NCONV]: 2 });

    // GetLastMessageReq {userID=1, conversationIDs=2}
    const lastReq = Buffer.concat([Buffer.from([0x0a, 3]), Buffer.from('bob'), Buffer.from([0x12, CONV.length]), Buffer.from(CONV)]);
    const resp = await bob.request(1007, lastReq);
    expect(resp.errCode).toBe(0);
    // GetLastMessageResp {msgs=1 map<string, MsgData>}: one entry whose value is seq 4.
    const bytes = Buffer.from(resp.data!, 'base64');
    expect(bytes[0]).toBe(0x0a);
    const entryStart = bytes[1]! & 0x80 ? 3 : 2;
    const entry = bytes.subarray(entryStart);
    expect(entry.subarray(2, 2 + CONV.length).toString()).toBe(CONV);
    const valueLenAt = 2 + CONV.length + 1;
    const valueStart = valueLenAt + (entry[valueLenAt]! & 0x80 ? 2 : 1);
    const last = PbCoder.MsgData.decode(entry.subarray(valueStart));
    expect(last.seq).toBe(4);
    expect(content(last)).toEqual({ content: 'still there?' });
  });

  it('speaks gzip when compression=gzip', async () => {
    const { client: gz } = await connect(im.wsAddress, { userID: 'bob', token: bobToken, compression: true });
    try {
      const res = await gz.request(1006, PbCoder.GetConversationsHasReadAndMaxSeqReq.encode({ userID: 'bob', conversationIDs: [] }).finish());
      expect(res.errCode).toBe(0);
      expect(decodeData(PbCoder.GetConversationsHasReadAndMaxSeqResp, res).seqs[CONV]!.maxSeq).toBe(4);
    } finally {
      gz.close();
    }
  });

  it('answers text pings with a pong', async () => {
    alice.ws.send(JSON.stringify({ type: 'ping' }));
    const pong = await alice.waitFor(() => alice.texts.find((t) => t.includes('pong')), 'pong');
    expect(JSON.parse(pong)).toEqual({ type: 'pong', body: null });
  });
});
