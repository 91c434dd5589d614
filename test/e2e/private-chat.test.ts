// Private chat ("burn after reading") on both sides, with real open-im-sdk@3.5.2 clients through
// the gateway: one side's SetConversationPrivateChat changes the peer's conversation too (1701),
// the peer gets OnConversationChanged, and messages either way carry the private flag.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CbEvents, type ConversationItem, type MessageItem } from 'open-im-sdk';
import { DEFAULT_CORE_MODULE } from '../../src/supervisor/index.ts';
import { startStack, type Stack } from '../helpers/gateway.ts';
import { SdkUser } from '../helpers/sdk-events.ts';

let stack: Stack;
let alice: SdkUser;
let bob: SdkUser;
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

beforeAll(async () => {
  stack = await startStack({}, { coreModule: DEFAULT_CORE_MODULE });
  alice = await SdkUser.login(stack, 'alice');
  bob = await SdkUser.login(stack, 'bob');
  await sendText(alice, bob, 'hello');
}, 60_000);

afterAll(async () => {
  for (const u of [alice, bob]) await u?.logout();
  await stack?.close();
});

describe('private chat on both sides', () => {
  it("one side's switch changes the peer's conversation, and the peer hears of it", async () => {
    const a = alice.mark();
    const b = bob.mark();
    await alice.call(alice.sdk.setConversationPrivateChat({ conversationID: CONV, isPrivate: true }), 'setConversationPrivateChat');
    await alice.waitEvent(CbEvents.OnConversationChanged, privateChanged(CONV, true), a);
    await bob.waitEvent(CbEvents.OnConversationChanged, privateChanged(CONV, true), b);
    const mine = await bob.call<ConversationItem>(bob.sdk.getOneConversation({ sourceID: 'alice', sessionType: 1 }), 'getOneConversation');
    expect(mine.isPrivateChat).toBe(true);
  });

  it('messages either way carry the private flag, with the sender side burn duration', async () => {
    await alice.call(alice.sdk.setConversationBurnDuration({ conversationID: CONV, burnDuration: 30 }), 'setConversationBurnDuration');
    const toBob = await sendText(alice, bob, 'secret');
    expect(toBob.attachedInfoElem).toMatchObject({ isPrivateChat: true, burnDuration: 30 });
    const toAlice = await sendText(bob, alice, 'secret too');
    expect(toAlice.attachedInfoElem?.isPrivateChat).toBe(true);
  });

  it('the peer can switch it off again, for both', async () => {
    const a = alice.mark();
    await bob.call(bob.sdk.setConversationPrivateChat({ conversationID: CONV, isPrivate: false }), 'setConversationPrivateChat');
    await alice.waitEvent(CbEvents.OnConversationChanged, privateChanged(CONV, false), a);
    const plain = await sendText(alice, bob, 'not secret');
    expect(plain.attachedInfoElem?.isPrivateChat ?? false).toBe(false);
  });

  it('a peer that was offline finds its conversation private when it logs in', async () => {
    const carol = await SdkUser.login(stack, 'carol');
    await sendText(alice, carol, 'hi carol');
    // The last tab's Logout stops carol's session: the next login starts a core from its stored data.
    await carol.logout();
    await alice.call(alice.sdk.setConversationPrivateChat({ conversationID: 'si_alice_carol', isPrivate: true }), 'setConversationPrivateChat');
    const again = await SdkUser.login(stack, 'carol');
    try {
      const c = await again.call<ConversationItem>(again.sdk.getOneConversation({ sourceID: 'alice', sessionType: 1 }), 'getOneConversation');
      expect(c.isPrivateChat).toBe(true);
    } finally {
      await again.logout();
    }
  });
});
