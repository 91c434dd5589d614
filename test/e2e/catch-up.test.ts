// Messages a catch-up sync brings reach the real open-im-sdk@3.5.2 client as OnRecvNewMessages,
// exactly once each and in seq order, whether or not their conversation was already known: after
// the user's worker was down (crash, backoff, restart) and after its long connection dropped.
// (3.5.2 does not pass OnRecvOfflineNewMessages on to the app.)

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CbEvents, type MessageItem } from 'open-im-sdk';
import { DEFAULT_CORE_MODULE } from '../../src/supervisor/index.ts';
import type { SessionInfo } from '../../src/supervisor/types.ts';
import { startStack, type Stack } from '../helpers/gateway.ts';
import { startFrameHoldProxy, type FrameHoldProxy } from '../helpers/hold-proxy.ts';
import { imPost } from '../helpers/im.ts';
import { SdkUser } from '../helpers/sdk-events.ts';

const ADMIN = 'catch-up-admin';

let stack: Stack;
let gw: FrameHoldProxy;
let base: string;
const login = (userID: string): Promise<SdkUser> => SdkUser.login(stack, userID);

async function send(from: SdkUser, to: string, text: string): Promise<string> {
  const message = await from.call<MessageItem>(from.sdk.createTextMessage(text), 'createTextMessage');
  return (await from.call<MessageItem>(from.sdk.sendMessage({ recvID: to, groupID: '', message }), 'sendMessage', 10_000)).clientMsgID;
}

/** A send as the server's admin on behalf of `from` (fast: no client round trip). */
async function adminSend(from: string, to: string, text: string): Promise<string> {
  const res = await imPost<{ clientMsgID: string }>(stack.im.apiAddress, '/msg/send_msg', {
    sendID: from, recvID: to, groupID: '', senderPlatformID: 5, senderNickname: from, senderFaceURL: '',
    content: { content: text }, contentType: 101, sessionType: 1, isOnlineOnly: false, notOfflinePush: false, sendTime: 0, ex: '',
  }, await stack.im.adminToken());
  return res.clientMsgID;
}

async function sessionState(userID: string): Promise<SessionInfo['state'] | undefined> {
  const res = await fetch(`${base}/admin/sessions`, { headers: { authorization: `Bearer ${ADMIN}` } });
  return ((await res.json()) as { sessions: SessionInfo[] }).sessions.find((s) => s.userID === userID)?.state;
}

/** Every OnRecvNewMessages item `u` heard from index `from`, in order. */
const newMessages = (u: SdkUser, from = 0): MessageItem[] =>
  u.log.all(CbEvents.OnRecvNewMessages, undefined, from).flatMap((e) => e.data as MessageItem[]);

async function expectEachOnce(u: SdkUser, ids: string[], from: number): Promise<void> {
  await u.waitEvent(CbEvents.OnRecvNewMessages, () => ids.every((id) => newMessages(u, from).some((m) => m.clientMsgID === id)), from, 15_000);
  await new Promise((r) => setTimeout(r, 500)); // anything reported twice would come now
  const got = newMessages(u, from);
  for (const id of ids) expect(got.filter((m) => m.clientMsgID === id), id).toHaveLength(1);
  // In seq order per conversation.
  for (const conv of new Set(got.map((m) => m.sendID))) {
    const seqs = got.filter((m) => m.sendID === conv).map((m) => m.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
  }
}

beforeAll(async () => {
  // The sessions reach the message gateway through a proxy that can drop one user's connection.
  gw = await startFrameHoldProxy('ws://127.0.0.1:1');
  stack = await startStack(
    { faultInjection: true, adminToken: ADMIN, restartBackoffMs: 4000, restartBackoffMaxMs: 4000, wsAddress: gw.url },
    { coreModule: DEFAULT_CORE_MODULE },
  );
  gw.retarget(stack.im.wsAddress);
  base = stack.gateway.url.replace(/^ws/, 'http');
}, 30_000);

afterAll(async () => {
  await stack?.close();
  await gw?.close();
});

describe('a catch-up sync reports what it brings as new messages', () => {
  it("after the worker was down: a known and a new conversation's messages, once each", async () => {
    const amos = await login('amos');
    const bea = await login('bea');
    const cleo = await login('cleo');
    const hello = await send(amos, 'bea', 'before');
    await bea.waitEvent(CbEvents.OnRecvNewMessages, (ms: MessageItem[]) => ms.some((m) => m.clientMsgID === hello), 0, 15_000);

    const from = bea.mark();
    const fault = await fetch(`${base}/admin/sessions/bea/5/fault`, {
      method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: JSON.stringify({ kind: 'exit' }),
    });
    expect(fault.status).toBe(200);
    await expect.poll(() => sessionState('bea'), { timeout: 10_000, interval: 20, message: 'bea in backoff' }).toBe('backoff');
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push(await send(amos, 'bea', `amos ${i}`));
    for (let i = 0; i < 3; i++) ids.push(await send(cleo, 'bea', `cleo ${i}`));
    // Conclusive only if every message was sent while bea's worker was down.
    expect(await sessionState('bea')).toBe('backoff');

    await expectEachOnce(bea, ids, from);
    await bea.waitEvent(CbEvents.OnNewConversation, (cs: any[]) => cs.some((c) => c.conversationID === 'si_bea_cleo'), from, 15_000);
    const hist = await bea.call<{ messageList: MessageItem[] }>(bea.sdk.getAdvancedHistoryMessageList({ conversationID: 'si_bea_cleo', count: 10, startClientMsgID: '', lastMinSeq: 0 }), 'history');
    expect(hist.messageList.map((m) => m.textElem?.content)).toEqual(['cleo 0', 'cleo 1', 'cleo 2']);
    for (const s of [amos, bea, cleo]) await s.logout();
  }, 60_000);

  it('after the long connection dropped: a known and a new conversation, once each', async () => {
    const dina = await login('dina');
    await stack.token('amos');
    await adminSend('amos', 'dina', 'known');
    await dina.waitEvent(CbEvents.OnRecvNewMessages, (ms: MessageItem[]) => ms.some((m) => m.textElem?.content === 'known'), 0, 15_000);

    const from = dina.mark();
    await stack.token('elio');
    // The core's long connection drops and cannot come back until the messages are sent.
    const down = gw.drop('dina');
    await dina.waitEvent(CbEvents.OnConnecting, () => true, from, 15_000);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push(await adminSend('amos', 'dina', `a${i}`));
    for (let i = 0; i < 3; i++) ids.push(await adminSend('elio', 'dina', `e${i}`));
    expect(dina.log.count(CbEvents.OnConnectSuccess, from)).toBe(0);
    down.release();
    await dina.waitEvent(CbEvents.OnConnectSuccess, () => true, from, 15_000);
    await expectEachOnce(dina, ids, from);
    await dina.logout();
  }, 60_000);
});
