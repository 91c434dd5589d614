// Private chat ("burn after reading") on both sides, with real open-im-sdk@3.5.2 clients through
// the gateway: one side's SetConversationPrivateChat changes the peer's conversation too (1701),
// the peer gets OnConversationChanged, and messages either way carry the private flag.

import { CbEvents, type ConversationItem, type MessageItem } from 'open-im-sdk';
import { describe, expect, test } from '../helpers/fixtures.ts';
import type { SdkUser } from '../helpers/sdk-events.ts';

const CONV = 'si_alice_bob';

type Attached = { attachedInfoElem?: { isPrivateChat?: boolean; burnDuration?: number } };

async function sendText(from: SdkUser, to: SdkUser, text: string): Promise<MessageItem & Attached> {
  const mark = to.mark();
  const message = await from.call<MessageItem>(from.sdk.createTextMessage(text), 'createTextMessage');
  await from.call(from.sdk.sendMessage({ recvID: to.userID, groupID: '', message }), 'sendMessage');
  let got: MessageItem | undefined;
  await to.waitEvent<MessageItem[]>(CbEvents.OnRecvNewMessages, (ms) => !!(got = ms.find((m) => m.clientMsgID === message.clientMsgID)), mark);
  return got as MessageItem & Attached;
}

const privateChanged = (id: string, value: boolean) => (cs: ConversationItem[]) => cs.some((c) => c.conversationID === id && c.isPrivateChat === value);

test.beforeAll(async ({ login }) => {
  await sendText(await login('alice'), await login('bob'), 'hello');
}, 60_000);

describe('private chat on both sides', () => {
  test("one side's switch changes the peer's conversation, and the peer hears of it", async ({ login }) => {
    const [alice, bob] = await Promise.all([login('alice'), login('bob')]);
    const a = alice.mark();
    const b = bob.mark();
    await alice.call(alice.sdk.setConversationPrivateChat({ conversationID: CONV, isPrivate: true }), 'setConversationPrivateChat');
    await alice.waitEvent(CbEvents.OnConversationChanged, privateChanged(CONV, true), a);
    await bob.waitEvent(CbEvents.OnConversationChanged, privateChanged(CONV, true), b);
    const mine = await bob.call<ConversationItem>(bob.sdk.getOneConversation({ sourceID: 'alice', sessionType: 1 }), 'getOneConversation');
    expect(mine.isPrivateChat).toBe(true);
  });

  test('messages either way carry the private flag, with the sender side burn duration', async ({ login }) => {
    const [alice, bob] = await Promise.all([login('alice'), login('bob')]);
    await alice.call(alice.sdk.setConversationBurnDuration({ conversationID: CONV, burnDuration: 30 }), 'setConversationBurnDuration');
    const toBob = await sendText(alice, bob, 'secret');
    expect(toBob.attachedInfoElem).toMatchObject({ isPrivateChat: true, burnDuration: 30 });
    const toAlice = await sendText(bob, alice, 'secret too');
    expect(toAlice.attachedInfoElem?.isPrivateChat).toBe(true);
  });

  test('the peer can switch it off again, for both', async ({ login }) => {
    const [alice, bob] = await Promise.all([login('alice'), login('bob')]);
    const a = alice.mark();
    await bob.call(bob.sdk.setConversationPrivateChat({ conversationID: CONV, isPrivate: false }), 'setConversationPrivateChat');
    await alice.waitEvent(CbEvents.OnConversationChanged, privateChanged(CONV, false), a);
    const plain = await sendText(alice, bob, 'not secret');
    expect(plain.attachedInfoElem?.isPrivateChat ?? false).toBe(false);
  });

  test('a peer that was offline finds its conversation private when it logs in', async ({ login, client }) => {
    const alice = await login('alice');
    const carol = await client('carol');
    await sendText(alice, carol, 'hi carol');
    // The last tab's Logout stops carol's session: the next login starts a core from its stored data.
    await carol.logout();
    await alice.call(alice.sdk.setConversationPrivateChat({ conversationID: 'si_alice_carol', isPrivate: true }), 'setConversationPrivateChat');
    const again = await client('carol');
    const c = await again.call<ConversationItem>(again.sdk.getOneConversation({ sourceID: 'alice', sessionType: 1 }), 'getOneConversation');
    expect(c.isPrivateChat).toBe(true);
  });
});
