// mark_conversation_as_read after a reply (open-im-server MarkConversationAsRead): the reply
// raised the reader's hasReadSeq past the peer's message, so the mark names it in `seqs`; the
// server marks the named seqs as well as its read range, and the 2200 lists them.

import { PbCoder } from '@openim/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imPost, startTestIm, type TestIm } from '../helpers/im.ts';
import { connect, decodeData, encodeMsg, textMsg, type TestClient } from './wsclient.ts';

const CONV = 'si_rita_sam';
const NCONV = 'n_rita_sam';

let im: TestIm;
let rita: TestClient;
let sam: TestClient;
let samToken: string;

const receipts = (c: TestClient) =>
  c.pushes()
    .map((f) => decodeData(PbCoder.PushMessages, f).notificationMsgs[NCONV]?.Msgs[0])
    .filter((m) => m?.contentType === 2200)
    .map((m) => JSON.parse(JSON.parse(Buffer.from(m!.content).toString('utf8')).detail) as { seqs: number[]; hasReadSeq: number });

beforeAll(async () => {
  im = await startTestIm();
  await im.register('rita');
  await im.register('sam');
  samToken = await im.userToken('sam');
  ({ client: rita } = await connect(im.wsAddress, { userID: 'rita', token: await im.userToken('rita') }));
  ({ client: sam } = await connect(im.wsAddress, { userID: 'sam', token: samToken }));
});

afterAll(async () => {
  for (const c of [rita, sam]) c?.close();
  await im?.close();
});

describe('read marks after a reply', () => {
  it('marks the seqs named below the read seq and lists them in the receipt', async () => {
    expect((await rita.request(1003, encodeMsg(textMsg('rita', 'sam', 'question')))).errCode).toBe(0);
    expect((await sam.request(1003, encodeMsg(textMsg('sam', 'rita', 'answer')))).errCode).toBe(0);
    // The reply set sam's hasReadSeq to 2; rita's seq 1 is still unread for her.
    await imPost(im.apiAddress, '/msg/mark_conversation_as_read', { conversationID: CONV, userID: 'sam', hasReadSeq: 2, seqs: [1] }, samToken);
    const tips = await rita.waitFor(() => receipts(rita)[0], '2200 push');
    expect(tips).toMatchObject({ seqs: [1], hasReadSeq: 2 });
    const pulled = decodeData(
      PbCoder.GetSeqMessageResp,
      await rita.request(1005, PbCoder.GetSeqMessageReq.encode({ userID: 'rita', conversations: [{ conversationID: CONV, seqs: [1] }] }).finish()),
    );
    expect(pulled.msgs[CONV]!.Msgs[0]!.isRead).toBe(true);
  });
});
