// Two real open-im-sdk@3.5.2 clients, alice and bob, through the gateway and the real SDK core
// (one worker each) to the embedded IM server. This is the product path end to end.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CbEvents, type MessageItem, type ConversationItem, type OpenIMSDK } from 'open-im-sdk';
import { DEFAULT_CORE_MODULE } from '../../src/supervisor/index.ts';
import { startStack, type Stack } from '../helpers/gateway.ts';
import { newSdk, until } from '../helpers/client.ts';

type Res<T> = { data: T };

let stack: Stack;
let alice: OpenIMSDK;
let bob: OpenIMSDK;
const events = new Map<OpenIMSDK, Array<{ event: string; data: unknown }>>();

function record(sdk: OpenIMSDK): void {
  const seen: Array<{ event: string; data: unknown }> = [];
  events.set(sdk, seen);
  for (const ev of Object.values(CbEvents)) {
    sdk.on(ev, (r: { data: unknown }) => seen.push({ event: ev, data: r.data }));
  }
}

/** Wait until `pred` holds for some recorded event of `sdk` (polls; bounded). */
async function waitEvent<T = unknown>(sdk: OpenIMSDK, event: string, pred: (data: T) => boolean = () => true, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const hit = events.get(sdk)!.find((e) => e.event === event && pred(e.data as T));
    if (hit) return hit.data as T;
    if (Date.now() > deadline) throw new Error(`no ${event} within ${ms} ms; saw ${events.get(sdk)!.map((e) => e.event).join(',')}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function login(sdk: OpenIMSDK, userID: string): Promise<void> {
  const token = await stack.token(userID);
  record(sdk);
  await until(sdk.login({ userID, token, platformID: 5, apiAddr: stack.im.apiAddress, wsAddr: stack.gateway.url }), 15_000, `${userID} login`);
  await waitEvent(sdk, CbEvents.OnSyncServerFinish);
}

async function send(from: OpenIMSDK, to: string, message: MessageItem): Promise<MessageItem> {
  const res = (await until(from.sendMessage({ recvID: to, groupID: '', message }), 10_000, 'sendMessage')) as Res<MessageItem>;
  return res.data;
}

async function text(sdk: OpenIMSDK, t: string): Promise<MessageItem> {
  return ((await sdk.createTextMessage(t)) as Res<MessageItem>).data;
}

beforeAll(async () => {
  stack = await startStack({ faultInjection: true, adminToken: 'adm', restartBackoffMs: 50, restartBackoffMaxMs: 200 }, { coreModule: DEFAULT_CORE_MODULE });
  alice = newSdk();
  bob = newSdk();
  await login(alice, 'alice');
  await login(bob, 'bob');
}, 60_000);

afterAll(async () => {
  for (const s of [alice, bob]) await s?.logout().catch(() => undefined);
  await stack?.close();
});

describe('two real clients through the gateway and the SDK core', () => {
  const conversationID = 'si_alice_bob';

  it('delivers text, @, custom and quote messages with OnRecvNewMessages and OnNewConversation', async () => {
    const hello = await send(alice, 'bob', await text(alice, 'hello bob'));
    expect(hello.status).toBe(2);

    const at = ((await alice.createTextAtMessage({ text: '@bob look', atUserIDList: ['bob'] })) as Res<MessageItem>).data;
    await send(alice, 'bob', at);
    const custom = ((await alice.createCustomMessage({ data: '{"k":1}', extension: 'ext', description: 'desc' })) as Res<MessageItem>).data;
    await send(alice, 'bob', custom);
    const quote = ((await alice.createQuoteMessage({ text: 'quoting', message: JSON.stringify(hello) })) as Res<MessageItem>).data;
    await send(alice, 'bob', quote);

    const got = new Set<string>();
    await waitEvent<MessageItem[]>(bob, CbEvents.OnRecvNewMessages, (msgs) => {
      for (const m of msgs) got.add(`${m.contentType}:${m.sendID}`);
      return got.size >= 4;
    });
    // 101 text, 106 at, 110 custom, 114 quote — all from alice
    expect([...got].sort()).toEqual(['101:alice', '106:alice', '110:alice', '114:alice']);
    const conv = await waitEvent<ConversationItem[]>(bob, CbEvents.OnNewConversation, (cs) => cs.some((c) => c.userID === 'alice'));
    expect(conv.find((c) => c.userID === 'alice')!.conversationID).toBe(conversationID);
  });

  it('agrees on conversation lists and unread counts on both sides', async () => {
    await waitEvent<number>(bob, CbEvents.OnTotalUnreadMessageCountChanged, (n) => n === 4).catch(async (e) => {
      throw new Error(`${(e as Error).message}; total now ${JSON.stringify(((await bob.getTotalUnreadMsgCount()) as Res<number>).data)}`);
    });
    const bobList = ((await bob.getAllConversationList()) as Res<ConversationItem[]>).data;
    const aliceList = ((await alice.getAllConversationList()) as Res<ConversationItem[]>).data;
    const b = bobList.find((c) => c.conversationID === conversationID)!;
    const a = aliceList.find((c) => c.conversationID === conversationID)!;
    expect(b.unreadCount).toBe(4);
    expect(a.unreadCount).toBe(0);
    expect(JSON.parse(b.latestMsg).clientMsgID).toBe(JSON.parse(a.latestMsg).clientMsgID);
    expect(((await bob.getTotalUnreadMsgCount()) as Res<number>).data).toBe(4);
  });

  it('marks read: unread drops to 0 and alice gets the read receipt', async () => {
    await bob.markConversationMessageAsRead(conversationID);
    expect(((await bob.getTotalUnreadMsgCount()) as Res<number>).data).toBe(0);
    const one = ((await bob.getOneConversation({ sourceID: 'alice', sessionType: 1 })) as Res<ConversationItem>).data;
    expect(one.unreadCount).toBe(0);
    await waitEvent(alice, CbEvents.OnRecvC2CReadReceipt);
  });

  it('pages history both ways', async () => {
    for (let i = 0; i < 6; i++) await send(alice, 'bob', await text(alice, `page ${i}`));
    await waitEvent<MessageItem[]>(bob, CbEvents.OnRecvNewMessages, (ms) => ms.some((m) => m.textElem?.content === 'page 5'));
    const first = ((await bob.getAdvancedHistoryMessageList({ conversationID, count: 4, startClientMsgID: '', lastMinSeq: 0 })) as Res<{ messageList: MessageItem[]; isEnd: boolean }>).data;
    expect(first.messageList.map((m) => m.textElem?.content ?? m.contentType)).toEqual(['page 2', 'page 3', 'page 4', 'page 5']);
    expect(first.isEnd).toBe(false);
    const older = ((await bob.getAdvancedHistoryMessageList({ conversationID, count: 4, startClientMsgID: first.messageList[0]!.clientMsgID, lastMinSeq: 0 })) as Res<{ messageList: MessageItem[] }>).data;
    expect(older.messageList.length).toBe(4);
    expect(older.messageList.at(-1)!.textElem?.content).toBe('page 1');
    const newer = ((await bob.getAdvancedHistoryMessageListReverse({ conversationID, count: 2, startClientMsgID: older.messageList.at(-1)!.clientMsgID, lastMinSeq: 0 })) as Res<{ messageList: MessageItem[] }>).data;
    expect(newer.messageList.map((m) => m.textElem?.content)).toEqual(['page 2', 'page 3']);
  });

  it('revokes (bob sees OnNewRecvMessageRevoked) and deletes', async () => {
    const m = await send(alice, 'bob', await text(alice, 'oops'));
    await waitEvent<MessageItem[]>(bob, CbEvents.OnRecvNewMessages, (ms) => ms.some((x) => x.clientMsgID === m.clientMsgID));
    await alice.revokeMessage({ conversationID, clientMsgID: m.clientMsgID });
    const revoked = await waitEvent<{ clientMsgID: string }>(bob, CbEvents.OnNewRecvMessageRevoked, (r) => r.clientMsgID === m.clientMsgID);
    expect(revoked.clientMsgID).toBe(m.clientMsgID);

    const d = await send(alice, 'bob', await text(alice, 'to delete'));
    await alice.deleteMessage({ conversationID, clientMsgID: d.clientMsgID });
    const found = ((await alice.findMessageList([{ conversationID, clientMsgIDList: [d.clientMsgID] }])) as Res<{ findResultItems: Array<{ messageList: MessageItem[] }> | null }>).data;
    const left = (found.findResultItems ?? []).flatMap((r) => r.messageList);
    expect(left).toEqual([]);
  });

  it('searches local messages', async () => {
    const res = ((await bob.searchLocalMessages({ conversationID, keywordList: ['page'], count: 50, pageIndex: 1 })) as Res<{ totalCount: number }>).data;
    expect(res.totalCount).toBe(6);
  });

  it('SetSelfInfo fires OnSelfInfoUpdated', async () => {
    await alice.setSelfInfo({ nickname: 'Alice A.' });
    const info = await waitEvent<{ nickname: string }>(alice, CbEvents.OnSelfInfoUpdated, (u) => u.nickname === 'Alice A.');
    expect(info.nickname).toBe('Alice A.');
    expect(((await alice.getSelfUserInfo()) as Res<{ nickname: string }>).data.nickname).toBe('Alice A.');
  });

  it('loses and duplicates nothing when bob\'s worker crashes in the middle of a burst', async () => {
    const resolved: string[] = [];
    const burst = (async () => {
      for (let i = 0; i < 30; i++) {
        const m = await send(alice, 'bob', await text(alice, `burst ${i}`));
        resolved.push(m.clientMsgID);
      }
    })();
    await new Promise((r) => setTimeout(r, 150));
    const res = await fetch(`http://127.0.0.1:${stack.gateway.address.port}/admin/sessions/bob/5/fault`, {
      method: 'POST', headers: { authorization: 'Bearer adm', 'content-type': 'application/json' }, body: JSON.stringify({ kind: 'exit' }),
    });
    expect(res.status).toBe(200);
    await burst;
    expect(resolved.length).toBe(30);

    // After the restart bob's history (local DB, synced after re-login) holds every message once.
    const deadline = Date.now() + 15_000;
    let ids: string[] = [];
    for (;;) {
      const r = await bob.getAdvancedHistoryMessageList({ conversationID, count: 100, startClientMsgID: '', lastMinSeq: 0 }).catch(() => undefined) as Res<{ messageList: MessageItem[] }> | undefined;
      ids = r ? r.data.messageList.map((m) => m.clientMsgID) : [];
      if (resolved.every((id) => ids.includes(id)) || Date.now() > deadline) break;
      await new Promise((r2) => setTimeout(r2, 200));
    }
    for (const id of resolved) expect(ids.filter((x) => x === id).length, `message ${id}`).toBe(1);
  }, 60_000);
});
