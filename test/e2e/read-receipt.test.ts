// Read receipts with two real open-im-sdk@3.5.2 clients through the gateway: a reader who
// replies before marking the conversation read still sends the receipt for the messages it had
// not marked (the reply raised its read seq past them on the server, as upstream does).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CbEvents, type MessageItem, type OpenIMSDK } from 'open-im-sdk';
import { DEFAULT_CORE_MODULE } from '../../src/supervisor/index.ts';
import { startStack, type Stack } from '../helpers/gateway.ts';
import { newSdk, until } from '../helpers/client.ts';

type Res<T> = { data: T };

let stack: Stack;
let ann: OpenIMSDK;
let ben: OpenIMSDK;
const heard = new Map<OpenIMSDK, Array<{ event: string; data: any }>>();

function record(sdk: OpenIMSDK): void {
  const seen: Array<{ event: string; data: any }> = [];
  heard.set(sdk, seen);
  for (const ev of Object.values(CbEvents)) sdk.on(ev, (r: { data: unknown }) => seen.push({ event: ev, data: r.data }));
}

async function waitEvent(sdk: OpenIMSDK, event: string, pred: (data: any) => boolean = () => true, ms = 10_000): Promise<any> {
  const deadline = Date.now() + ms;
  for (;;) {
    const hit = heard.get(sdk)!.find((e) => e.event === event && pred(e.data));
    if (hit) return hit.data;
    if (Date.now() > deadline) throw new Error(`no ${event} within ${ms} ms; heard ${heard.get(sdk)!.map((e) => e.event).join(',')}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function login(sdk: OpenIMSDK, userID: string): Promise<void> {
  const token = await stack.token(userID);
  record(sdk);
  await until(sdk.login({ userID, token, platformID: 5, apiAddr: stack.im.apiAddress, wsAddr: stack.gateway.url }), 15_000, `${userID} login`);
  await waitEvent(sdk, CbEvents.OnSyncServerFinish);
}

async function send(from: OpenIMSDK, to: string, text: string): Promise<MessageItem> {
  const message = ((await from.createTextMessage(text)) as Res<MessageItem>).data;
  return ((await until(from.sendMessage({ recvID: to, groupID: '', message }), 10_000, 'sendMessage')) as Res<MessageItem>).data;
}

const history = async (sdk: OpenIMSDK, conversationID: string) =>
  ((await sdk.getAdvancedHistoryMessageList({ conversationID, count: 20, startClientMsgID: '', lastMinSeq: 0 })) as Res<{ messageList: MessageItem[] }>).data.messageList;

beforeAll(async () => {
  stack = await startStack({}, { coreModule: DEFAULT_CORE_MODULE });
  ann = newSdk();
  ben = newSdk();
  await login(ann, 'ann');
  await login(ben, 'ben');
}, 60_000);

afterAll(async () => {
  for (const s of [ann, ben]) await s?.logout().catch(() => undefined);
  await stack?.close();
});

describe('read receipts', () => {
  const conversationID = 'si_ann_ben';

  it('a reader who replied first still sends the receipt for the messages it had not marked read', async () => {
    const question = await send(ann, 'ben', 'lunch?');
    await waitEvent(ben, CbEvents.OnRecvNewMessages, (ms: MessageItem[]) => ms.some((m) => m.clientMsgID === question.clientMsgID));
    const reply = await send(ben, 'ann', 'yes');
    await waitEvent(ann, CbEvents.OnRecvNewMessages, (ms: MessageItem[]) => ms.some((m) => m.clientMsgID === reply.clientMsgID));

    await ben.markConversationMessageAsRead(conversationID);
    const receipt = await waitEvent(ann, CbEvents.OnRecvC2CReadReceipt, (rs: any[]) => rs.some((r) => r.msgIDList.includes(question.clientMsgID)));
    expect(receipt[0]).toMatchObject({ userID: 'ben', sessionType: 1 });
    // ben's own reply is not part of ann's receipt, and ann's message now reads as read on both sides.
    expect(receipt[0].msgIDList).toEqual([question.clientMsgID]);
    expect((await history(ann, conversationID)).find((m) => m.clientMsgID === question.clientMsgID)?.isRead).toBe(true);
    expect((await history(ben, conversationID)).find((m) => m.clientMsgID === question.clientMsgID)?.isRead).toBe(true);

    // Marking again sends nothing new: exactly one receipt for the message.
    await ben.markConversationMessageAsRead(conversationID);
    await new Promise((r) => setTimeout(r, 300));
    const receipts = heard.get(ann)!.filter((e) => e.event === CbEvents.OnRecvC2CReadReceipt).flatMap((e) => e.data as any[]);
    expect(receipts.flatMap((r) => r.msgIDList).filter((id: string) => id === question.clientMsgID)).toHaveLength(1);
  });
});
