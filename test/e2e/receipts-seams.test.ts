// Private chat and group read receipts at the seam where they are easiest to lose or double: the
// notification lands while the user's core is in its login sync (a returning user, so a catch-up
// sync of an existing data dir). A loopback proxy holds that sync on its profile request so the
// event arrives inside the window for sure; real open-im-sdk@3.5.2 clients through the gateway.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CbEvents, type ConversationItem, type MessageItem } from 'open-im-sdk';
import { DEFAULT_CORE_MODULE } from '../../src/supervisor/index.ts';
import { newSdk, until } from '../helpers/client.ts';
import { startStack, type Stack } from '../helpers/gateway.ts';
import { startHoldProxy, type HoldProxy } from '../helpers/hold-proxy.ts';
import { SdkUser } from '../helpers/sdk-events.ts';

let proxy: HoldProxy;
let stack: Stack;
const open: SdkUser[] = [];

async function login(userID: string): Promise<SdkUser> {
  const u = await SdkUser.login(stack, userID);
  open.push(u);
  return u;
}

/** Logs `userID` in again with its login sync held on the profile request; `during` runs in the window. */
async function loginHeld(userID: string, during: () => Promise<void>): Promise<SdkUser> {
  const hold = proxy.hold('/user/get_users_info', (b) => b?.userIDs?.length === 1 && b.userIDs[0] === userID);
  const u = await SdkUser.loginWith(stack, userID, newSdk(), { waitSync: false });
  open.push(u);
  await until(hold.reached, 10_000, `${userID} login sync`);
  await during();
  // Time for the notification's push to reach the held core (it queues behind the sync).
  await new Promise((r) => setTimeout(r, 300));
  hold.release();
  await u.waitEvent(CbEvents.OnSyncServerFinish);
  return u;
}

async function send(from: SdkUser, to: { recvID?: string; groupID?: string }, text: string): Promise<MessageItem> {
  const message = await from.call<MessageItem>(from.sdk.createTextMessage(text), 'createTextMessage');
  await from.call(from.sdk.sendMessage({ recvID: to.recvID ?? '', groupID: to.groupID ?? '', message }), 'sendMessage');
  return message;
}

beforeAll(async () => {
  // The proxy must exist before the gateway (its address is the API address the cores use).
  proxy = await startHoldProxy('http://127.0.0.1:1');
  stack = await startStack({ apiAddress: proxy.url }, { coreModule: DEFAULT_CORE_MODULE });
  proxy.retarget(stack.im.apiAddress);
}, 30_000);

afterAll(async () => {
  for (const u of open) await u.logout();
  await stack?.close();
  await proxy?.close();
});

describe('private chat and group receipts during a login sync', () => {
  it('private chat switched on while the peer syncs: the peer ends private and is told', async () => {
    const pam = await login('pam');
    const quin = await login('quin');
    await send(pam, { recvID: 'quin' }, 'hi');
    await quin.waitEvent<MessageItem[]>(CbEvents.OnRecvNewMessages);
    await quin.logout();
    const back = await loginHeld('quin', async () => {
      await pam.call(pam.sdk.setConversationPrivateChat({ conversationID: 'si_pam_quin', isPrivate: true }), 'setConversationPrivateChat');
    });
    await back.waitEvent<ConversationItem[]>(CbEvents.OnConversationChanged, (cs) => cs.some((c) => c.conversationID === 'si_pam_quin' && c.isPrivateChat));
    const c = await back.call<ConversationItem>(back.sdk.getOneConversation({ sourceID: 'pam', sessionType: 1 }), 'getOneConversation');
    expect(c.isPrivateChat).toBe(true);
  }, 40_000);

  it('a member reads while the sender syncs: the sender counts the reader once and hears it once', async () => {
    for (const id of ['gsa', 'gsb']) await stack.token(id);
    const groupID = await stack.im.createGroup('gsa', ['gsb']);
    const sender = await login('gsa');
    const reader = await login('gsb');
    const sent = await send(sender, { groupID }, 'read me');
    await reader.waitEvent<MessageItem[]>(CbEvents.OnRecvNewMessages, (ms) => ms.some((m) => m.clientMsgID === sent.clientMsgID));
    await sender.logout();
    const back = await loginHeld('gsa', async () => {
      await reader.call(reader.sdk.markConversationMessageAsRead(`sg_${groupID}`), 'markConversationMessageAsRead');
    });
    await back.waitEvent(CbEvents.OnRecvGroupReadReceipt, (r: Array<{ userID: string }>) => r.some((x) => x.userID === 'gsb'));
    await new Promise((r) => setTimeout(r, 300));
    expect(back.events.filter((e) => e.event === CbEvents.OnRecvGroupReadReceipt)).toHaveLength(1);
    const page = await back.call<{ messageList: Array<MessageItem & { attachedInfoElem?: any }> }>(
      back.sdk.getAdvancedHistoryMessageList({ conversationID: `sg_${groupID}`, startClientMsgID: '', count: 20, lastMinSeq: 0 }),
      'history',
    );
    const mine = page.messageList.find((m) => m.clientMsgID === sent.clientMsgID);
    expect(mine?.attachedInfoElem?.groupHasReadInfo).toMatchObject({ hasReadUserIDList: ['gsb'], hasReadCount: 1 });
  }, 40_000);
});
