// Read receipts with two real open-im-sdk@3.5.2 clients through the gateway: a reader who
// replies before marking the conversation read still sends the receipt for the messages it had
// not marked (the reply raised its read seq past them on the server, as upstream does).

import { CbEvents, type MessageItem } from 'open-im-sdk';
import { describe, expect, test } from '../helpers/fixtures.ts';
import type { SdkUser } from '../helpers/sdk-events.ts';

async function send(from: SdkUser, to: string, text: string): Promise<MessageItem> {
  const message = await from.call<MessageItem>(from.sdk.createTextMessage(text), 'createTextMessage');
  return from.call<MessageItem>(from.sdk.sendMessage({ recvID: to, groupID: '', message }), 'sendMessage', 10_000);
}

const history = async (u: SdkUser, conversationID: string) =>
  (await u.call<{ messageList: MessageItem[] }>(u.sdk.getAdvancedHistoryMessageList({ conversationID, count: 20, startClientMsgID: '', lastMinSeq: 0 }), 'history')).messageList;

test.beforeAll(async ({ login }) => {
  await login('ann');
  await login('ben');
}, 60_000);

describe('read receipts', () => {
  const conversationID = 'si_ann_ben';

  test('a reader who replied first still sends the receipt for the messages it had not marked read', async ({ login }) => {
    const [ann, ben] = await Promise.all([login('ann'), login('ben')]);
    const question = await send(ann, 'ben', 'lunch?');
    await ben.waitEvent(CbEvents.OnRecvNewMessages, (ms: MessageItem[]) => ms.some((m) => m.clientMsgID === question.clientMsgID));
    const reply = await send(ben, 'ann', 'yes');
    await ann.waitEvent(CbEvents.OnRecvNewMessages, (ms: MessageItem[]) => ms.some((m) => m.clientMsgID === reply.clientMsgID));

    await ben.sdk.markConversationMessageAsRead(conversationID);
    const receipt = await ann.waitEvent(CbEvents.OnRecvC2CReadReceipt, (rs: any[]) => rs.some((r) => r.msgIDList.includes(question.clientMsgID)));
    expect(receipt[0]).toMatchObject({ userID: 'ben', sessionType: 1 });
    // ben's own reply is not part of ann's receipt, and ann's message now reads as read on both sides.
    expect(receipt[0].msgIDList).toEqual([question.clientMsgID]);
    expect((await history(ann, conversationID)).find((m) => m.clientMsgID === question.clientMsgID)?.isRead).toBe(true);
    expect((await history(ben, conversationID)).find((m) => m.clientMsgID === question.clientMsgID)?.isRead).toBe(true);

    // Marking again sends nothing new: exactly one receipt for the message.
    await ben.sdk.markConversationMessageAsRead(conversationID);
    await new Promise((r) => setTimeout(r, 300));
    const receipts = ann.log.all(CbEvents.OnRecvC2CReadReceipt).flatMap((e) => e.data as any[]);
    expect(receipts.flatMap((r) => r.msgIDList).filter((id: string) => id === question.clientMsgID)).toHaveLength(1);
  });
});
