// Group read receipts with real open-im-sdk@3.5.2 clients through the gateway: when members
// mark a group conversation read, the sender gets OnRecvGroupReadReceipt and its messages count
// their readers in attachedInfoElem.groupHasReadInfo, also for reads that happened while the
// sender was logged out.

import { CbEvents, type MessageItem } from 'open-im-sdk';
import { describe, expect, test } from '../helpers/fixtures.ts';
import type { SdkUser } from '../helpers/sdk-events.ts';

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

let groupID: string;
let conversationID: string;
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
  await expect
    .poll(async () => (await history(reader)).filter((m) => sent.includes(m.clientMsgID)).length, { timeout: 10_000, interval: 50, message: `${reader.userID} gets the messages` })
    .toBeGreaterThanOrEqual(sent.length);
  await reader.call(reader.sdk.markConversationMessageAsRead(conversationID), 'markConversationMessageAsRead');
}

test.beforeAll(async ({ stack, login }) => {
  for (const id of ['alice', 'bob', 'carol', 'dave']) await stack.token(id);
  groupID = await stack.im.createGroup('alice', ['bob', 'carol', 'dave']);
  conversationID = `sg_${groupID}`;
  const alice = await login('alice');
  for (const id of ['bob', 'carol']) await login(id);
  for (const text of ['one', 'two']) {
    const message = await alice.call<MessageItem>(alice.sdk.createTextMessage(text), 'createTextMessage');
    await alice.call(alice.sdk.sendMessage({ recvID: '', groupID, message }), 'sendMessage');
    sent.push(message.clientMsgID);
  }
}, 60_000);

describe('group read receipts', () => {
  test("a sent group message knows the group's size", async ({ login }) => {
    expect(await readInfo(await login('alice'), sent[0]!)).toMatchObject({ groupMemberCount: 4, hasReadCount: 0 });
  });

  test('a member reading reaches the sender as OnRecvGroupReadReceipt and a read count', async ({ login }) => {
    const [alice, bob] = await Promise.all([login('alice'), login('bob')]);
    const from = alice.mark();
    await readAll(bob);
    const receipts = await alice.waitEvent<Receipt[]>(CbEvents.OnRecvGroupReadReceipt, (r) => r.some((x) => x.userID === 'bob'), from);
    expect(receipts[0]).toMatchObject({ userID: 'bob', groupID, sessionType: 3 });
    expect([...receipts[0]!.msgIDList].sort()).toEqual([...sent].sort());
    expect(await readInfo(alice, sent[1]!)).toEqual({ hasReadUserIDList: ['bob'], hasReadCount: 1, unreadCount: 2, groupMemberCount: 4 });
    // The reader's own conversation is read; nothing is counted on messages that are not the reader's.
    const bobs = await bob.call<{ unreadCount: number }>(bob.sdk.getOneConversation({ sourceID: groupID, sessionType: 3 }), 'getOneConversation');
    expect(bobs.unreadCount).toBe(0);
  });

  test('each further reader is counted once', async ({ login }) => {
    const [alice, bob, carol] = await Promise.all([login('alice'), login('bob'), login('carol')]);
    const from = alice.mark();
    await readAll(carol);
    await alice.waitEvent<Receipt[]>(CbEvents.OnRecvGroupReadReceipt, (r) => r.some((x) => x.userID === 'carol'), from);
    await bob.call(bob.sdk.markConversationMessageAsRead(conversationID), 'markConversationMessageAsRead again');
    expect(await readInfo(alice, sent[0]!)).toEqual({ hasReadUserIDList: ['bob', 'carol'], hasReadCount: 2, unreadCount: 1, groupMemberCount: 4 });
  });

  test('a read while the sender was logged out is counted when it logs in again', async ({ login, client }) => {
    await (await login('alice')).logout();
    await readAll(await login('dave'));
    const alice = await client('alice');
    await expect.poll(() => readInfo(alice, sent[1]!), { timeout: 10_000, interval: 100 }).toEqual({ hasReadUserIDList: ['bob', 'carol', 'dave'], hasReadCount: 3, unreadCount: 0, groupMemberCount: 4 });
  });
});
