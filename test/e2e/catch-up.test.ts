// Messages a catch-up sync brings reach the real open-im-sdk@3.5.2 client as OnRecvNewMessages,
// exactly once each and in seq order, whether or not their conversation was already known: after
// the user's worker was down (crash, backoff, restart) and after its long connection dropped.
// (3.5.2 does not pass OnRecvOfflineNewMessages on to the app.)

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CbEvents, type MessageItem, type OpenIMSDK } from 'open-im-sdk';
import { DEFAULT_CORE_MODULE } from '../../src/supervisor/index.ts';
import type { SessionInfo } from '../../src/supervisor/types.ts';
import { startStack, type Stack } from '../helpers/gateway.ts';
import { startFrameHoldProxy, type FrameHoldProxy } from '../helpers/hold-proxy.ts';
import { imPost } from '../helpers/im.ts';
import { newSdk, until } from '../helpers/client.ts';

type Res<T> = { data: T };
const ADMIN = 'catch-up-admin';

let stack: Stack;
let gw: FrameHoldProxy;
let base: string;
const heard = new Map<OpenIMSDK, Array<{ event: string; data: any }>>();

function record(sdk: OpenIMSDK): void {
  const seen: Array<{ event: string; data: any }> = [];
  heard.set(sdk, seen);
  for (const ev of Object.values(CbEvents)) sdk.on(ev, (r: { data: unknown }) => seen.push({ event: ev, data: r.data }));
}

async function waitEvent(sdk: OpenIMSDK, event: string, pred: (data: any) => boolean = () => true, from = 0, ms = 15_000): Promise<number> {
  const deadline = Date.now() + ms;
  for (;;) {
    const i = heard.get(sdk)!.findIndex((e, k) => k >= from && e.event === event && pred(e.data));
    if (i >= 0) return i;
    if (Date.now() > deadline) throw new Error(`no ${event} within ${ms} ms; heard ${heard.get(sdk)!.slice(from).map((e) => e.event).join(',')}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function login(userID: string): Promise<OpenIMSDK> {
  const sdk = newSdk();
  const token = await stack.token(userID);
  record(sdk);
  await until(sdk.login({ userID, token, platformID: 5, apiAddr: stack.im.apiAddress, wsAddr: stack.gateway.url }), 15_000, `${userID} login`);
  await waitEvent(sdk, CbEvents.OnSyncServerFinish);
  return sdk;
}

async function send(from: OpenIMSDK, to: string, text: string): Promise<string> {
  const message = ((await from.createTextMessage(text)) as Res<MessageItem>).data;
  return ((await until(from.sendMessage({ recvID: to, groupID: '', message }), 10_000, 'sendMessage')) as Res<MessageItem>).data.clientMsgID;
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

/** Every OnRecvNewMessages item `sdk` heard from index `from`, in order. */
const newMessages = (sdk: OpenIMSDK, from = 0): MessageItem[] =>
  heard.get(sdk)!.slice(from).filter((e) => e.event === CbEvents.OnRecvNewMessages).flatMap((e) => e.data as MessageItem[]);

async function expectEachOnce(sdk: OpenIMSDK, ids: string[], from: number): Promise<void> {
  await waitEvent(sdk, CbEvents.OnRecvNewMessages, () => ids.every((id) => newMessages(sdk, from).some((m) => m.clientMsgID === id)), from);
  await new Promise((r) => setTimeout(r, 500)); // anything reported twice would come now
  const got = newMessages(sdk, from);
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
    await waitEvent(bea, CbEvents.OnRecvNewMessages, (ms: MessageItem[]) => ms.some((m) => m.clientMsgID === hello));

    const from = heard.get(bea)!.length;
    const fault = await fetch(`${base}/admin/sessions/bea/5/fault`, {
      method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: JSON.stringify({ kind: 'exit' }),
    });
    expect(fault.status).toBe(200);
    await until((async () => {
      while ((await sessionState('bea')) !== 'backoff') await new Promise((r) => setTimeout(r, 20));
    })(), 10_000, 'bea in backoff');
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push(await send(amos, 'bea', `amos ${i}`));
    for (let i = 0; i < 3; i++) ids.push(await send(cleo, 'bea', `cleo ${i}`));
    // Conclusive only if every message was sent while bea's worker was down.
    expect(await sessionState('bea')).toBe('backoff');

    await expectEachOnce(bea, ids, from);
    await waitEvent(bea, CbEvents.OnNewConversation, (cs: any[]) => cs.some((c) => c.conversationID === 'si_bea_cleo'), from);
    const hist = ((await bea.getAdvancedHistoryMessageList({ conversationID: 'si_bea_cleo', count: 10, startClientMsgID: '', lastMinSeq: 0 })) as Res<{ messageList: MessageItem[] }>).data;
    expect(hist.messageList.map((m) => m.textElem?.content)).toEqual(['cleo 0', 'cleo 1', 'cleo 2']);
    for (const s of [amos, bea, cleo]) await s.logout().catch(() => undefined);
  }, 60_000);

  it('after the long connection dropped: a known and a new conversation, once each', async () => {
    const dina = await login('dina');
    await stack.token('amos');
    await adminSend('amos', 'dina', 'known');
    await waitEvent(dina, CbEvents.OnRecvNewMessages, (ms: MessageItem[]) => ms.some((m) => m.textElem?.content === 'known'));

    const from = heard.get(dina)!.length;
    await stack.token('elio');
    // The core's long connection drops and cannot come back until the messages are sent.
    const down = gw.drop('dina');
    await waitEvent(dina, CbEvents.OnConnecting, () => true, from);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push(await adminSend('amos', 'dina', `a${i}`));
    for (let i = 0; i < 3; i++) ids.push(await adminSend('elio', 'dina', `e${i}`));
    expect(heard.get(dina)!.slice(from).some((e) => e.event === CbEvents.OnConnectSuccess)).toBe(false);
    down.release();
    await waitEvent(dina, CbEvents.OnConnectSuccess, () => true, from);
    await expectEachOnce(dina, ids, from);
    await dina.logout().catch(() => undefined);
  }, 60_000);
});
