// Group read receipts with real open-im-sdk@3.5.2 clients through the gateway: when members
// mark a group conversation read, the sender gets OnRecvGroupReadReceipt and its messages count
// their readers in attachedInfoElem.groupHasReadInfo, also for reads that happened while the
// sender was logged out.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CbEvents, type MessageItem } from 'open-im-sdk';
import { DEFAULT_CORE_MODULE } from '../../src/supervisor/index.ts';
import { startStack, type Stack } from '../helpers/gateway.ts';
import { SdkUser } from '../helpers/sdk-events.ts';

interface ReadInfo {
  hasReadUserIDList: string[];
  hasReadCount: number;
  unreadCount: number;
  groupMemberCount: number;
}
type Counted = MessageItem & { attachedInfoElem?: { groupHasReadInfo?: ReadInfo } };
interface Receipt {
  userID: string;
  groupID: string;
  msgIDList: string[];
  sessionType: number;
}

let stack: Stack;
let groupID: string;
let conversationID: string;
const users = new Map<string, SdkUser>();
const u = (id: string) => users.get(id)!;
const sent: string[] = [];

async function history(who: SdkUser): Promise<Counted[]> {
  const r = await who.call<{ messageList: Counted[] }>(who.sdk.getAdvancedHistoryMessageList({ conversationID, startClientMsgID: '', count: 20, lastMinSeq: 0 }), 'history');
  return r.messageList;
}

async function readInfo(who: SdkUser, clientMsgID: string): Promise<ReadInfo | undefined> {
  return (await history(who)).find((m) => m.clientMsgID === clientMsgID)?.attachedInfoElem?.groupHasReadInfo;
}

/** `reader` marks the group read once it has both messages. */
async function readAll(reader: SdkUser): Promise<void> {
  const deadline = Date.now() + 10_000;
  while ((await history(reader)).filter((m) => sent.includes(m.clientMsgID)).length < sent.length) {
    if (Date.now() > deadline) throw new Error(`${reader.userID} never got the messages`);
    await new Promise((r) => setTimeout(r, 50));
  }
  await reader.call(reader.sdk.markConversationMessageAsRead(conversationID), 'markConversationMessageAsRead');
}

beforeAll(async () => {
  stack = await startStack({}, { coreModule: DEFAULT_CORE_MODULE });
  for (const id of ['alice', 'bob', 'carol', 'dave']) await stack.token(id);
  groupID = await stack.im.createGroup('alice', ['bob', 'carol', 'dave']);
  conversationID = `sg_${groupID}`;
  for (const id of ['alice', 'bob', 'carol']) users.set(id, await SdkUser.login(stack, id));
  for (const text of ['one', 'two']) {
    const message = await u('alice').call<MessageItem>(u('alice').sdk.createTextMessage(text), 'createTextMessage');
    await u('alice').call(u('alice').sdk.sendMessage({ recvID: '', groupID, message }), 'sendMessage');
    sent.push(message.clientMsgID);
  }
}, 60_000);

afterAll(async () => {
  for (const s of users.values()) await s.logout();
  await stack?.close();
});

describe('group read receipts', () => {
  it("a sent group message knows the group's size", async () => {
    expect(await readInfo(u('alice'), sent[0]!)).toMatchObject({ groupMemberCount: 4, hasReadCount: 0 });
  });

  it('a member reading reaches the sender as OnRecvGroupReadReceipt and a read count', async () => {
    const from = u('alice').mark();
    await readAll(u('bob'));
    const receipts = await u('alice').waitEvent<Receipt[]>(CbEvents.OnRecvGroupReadReceipt, (r) => r.some((x) => x.userID === 'bob'), from);
    expect(receipts[0]).toMatchObject({ userID: 'bob', groupID, sessionType: 3 });
    expect([...receipts[0]!.msgIDList].sort()).toEqual([...sent].sort());
    expect(await readInfo(u('alice'), sent[1]!)).toEqual({ hasReadUserIDList: ['bob'], hasReadCount: 1, unreadCount: 2, groupMemberCount: 4 });
    // The reader's own conversation is read; nothing is counted on messages that are not the reader's.
    const bobs = await u('bob').call<{ unreadCount: number }>(u('bob').sdk.getOneConversation({ sourceID: groupID, sessionType: 3 }), 'getOneConversation');
    expect(bobs.unreadCount).toBe(0);
  });

  it('each further reader is counted once', async () => {
    const from = u('alice').mark();
    await readAll(u('carol'));
    await u('alice').waitEvent<Receipt[]>(CbEvents.OnRecvGroupReadReceipt, (r) => r.some((x) => x.userID === 'carol'), from);
    await u('bob').call(u('bob').sdk.markConversationMessageAsRead(conversationID), 'markConversationMessageAsRead again');
    expect(await readInfo(u('alice'), sent[0]!)).toEqual({ hasReadUserIDList: ['bob', 'carol'], hasReadCount: 2, unreadCount: 1, groupMemberCount: 4 });
  });

  it('a read while the sender was logged out is counted when it logs in again', async () => {
    await u('alice').logout();
    users.delete('alice');
    const dave = await SdkUser.login(stack, 'dave');
    users.set('dave', dave);
    await readAll(dave);
    const alice = await SdkUser.login(stack, 'alice');
    users.set('alice', alice);
    const deadline = Date.now() + 10_000;
    let info = await readInfo(alice, sent[1]!);
    while (info?.hasReadCount !== 3 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      info = await readInfo(alice, sent[1]!);
    }
    expect(info).toEqual({ hasReadUserIDList: ['bob', 'carol', 'dave'], hasReadCount: 3, unreadCount: 0, groupMemberCount: 4 });
  });
});
