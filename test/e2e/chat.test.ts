// Two real open-im-sdk@3.5.2 clients, alice and bob, through the gateway and the real SDK core
// (one worker each) to the embedded IM server. This is the product path end to end.

import { CbEvents, type MessageItem, type ConversationItem, type OpenIMSDK } from 'open-im-sdk';
import type { Stack } from '../helpers/gateway.ts';
import { answer, CallbackLog, newSdk, until } from '../helpers/client.ts';
import { describe, expect, test, vi } from '../helpers/fixtures.ts';

let stack: Stack;
let alice: OpenIMSDK;
let bob: OpenIMSDK;
const logs = new Map<OpenIMSDK, CallbackLog>();
const record = (sdk: OpenIMSDK): void => void logs.set(sdk, new CallbackLog(sdk));

/** The data of the first recorded `event` of `sdk` satisfying `pred` (bounded). */
const waitEvent = async <T = unknown>(sdk: OpenIMSDK, event: string, pred: (data: T) => boolean = () => true, ms = 10_000): Promise<T> =>
  (await logs.get(sdk)!.waitFor<T>(event, pred, ms)).data as T;

async function login(sdk: OpenIMSDK, userID: string): Promise<void> {
  const token = await stack.token(userID);
  record(sdk);
  await until(sdk.login({ userID, token, platformID: 5, apiAddr: stack.im.apiAddress, wsAddr: stack.gateway.url }), 15_000, `${userID} login`);
  await waitEvent(sdk, CbEvents.OnSyncServerFinish);
}

async function send(from: OpenIMSDK, to: string, message: MessageItem): Promise<MessageItem> {
  const res = await answer<MessageItem>(from.sendMessage({ recvID: to, groupID: '', message }), 10_000, 'sendMessage');
  return res.data;
}

async function text(sdk: OpenIMSDK, t: string): Promise<MessageItem> {
  return (await answer<MessageItem>(sdk.createTextMessage(t))).data;
}

test.override('stackSetup', { overrides: { faultInjection: true, adminToken: 'adm', restartBackoffMs: 50, restartBackoffMaxMs: 200 } });
test.beforeAll(async ({ stack: s }) => {
  stack = s;
  alice = newSdk();
  bob = newSdk();
  await login(alice, 'alice');
  await login(bob, 'bob');
}, 60_000);

test.afterAll(async () => {
  for (const s of [alice, bob]) await s?.logout().catch(() => undefined);
});

describe('two real clients through the gateway and the SDK core', () => {
  const conversationID = 'si_alice_bob';

  test('delivers text, @, custom and quote messages with OnRecvNewMessages and OnNewConversation', async () => {
    const hello = await send(alice, 'bob', await text(alice, 'hello bob'));
    expect(hello.status).toBe(2);

    const at = (await answer<MessageItem>(alice.createTextAtMessage({ text: '@bob look', atUserIDList: ['bob'] }))).data;
    await send(alice, 'bob', at);
    const custom = (await answer<MessageItem>(alice.createCustomMessage({ data: '{"k":1}', extension: 'ext', description: 'desc' }))).data;
    await send(alice, 'bob', custom);
    const quote = (await answer<MessageItem>(alice.createQuoteMessage({ text: 'quoting', message: JSON.stringify(hello) }))).data;
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

  test('agrees on conversation lists and unread counts on both sides', async () => {
    await waitEvent<number>(bob, CbEvents.OnTotalUnreadMessageCountChanged, (n) => n === 4).catch(async (e) => {
      throw new Error(`${(e as Error).message}; total now ${JSON.stringify((await answer<number>(bob.getTotalUnreadMsgCount())).data)}`);
    });
    const bobList = (await answer<ConversationItem[]>(bob.getAllConversationList())).data;
    const aliceList = (await answer<ConversationItem[]>(alice.getAllConversationList())).data;
    const b = bobList.find((c) => c.conversationID === conversationID)!;
    const a = aliceList.find((c) => c.conversationID === conversationID)!;
    expect(b.unreadCount).toBe(4);
    expect(a.unreadCount).toBe(0);
    expect(JSON.parse(b.latestMsg).clientMsgID).toBe(JSON.parse(a.latestMsg).clientMsgID);
    expect((await answer<number>(bob.getTotalUnreadMsgCount())).data).toBe(4);
  });

  test('marks read: unread drops to 0 and alice gets the read receipt', async () => {
    await bob.markConversationMessageAsRead(conversationID);
    expect((await answer<number>(bob.getTotalUnreadMsgCount())).data).toBe(0);
    const one = (await answer<ConversationItem>(bob.getOneConversation({ sourceID: 'alice', sessionType: 1 }))).data;
    expect(one.unreadCount).toBe(0);
    await waitEvent(alice, CbEvents.OnRecvC2CReadReceipt);
  });

  test('pages history both ways', async () => {
    for (let i = 0; i < 6; i++) await send(alice, 'bob', await text(alice, `page ${i}`));
    await waitEvent<MessageItem[]>(bob, CbEvents.OnRecvNewMessages, (ms) => ms.some((m) => m.textElem?.content === 'page 5'));
    const first = (await answer<{ messageList: MessageItem[]; isEnd: boolean }>(bob.getAdvancedHistoryMessageList({ conversationID, count: 4, startClientMsgID: '', lastMinSeq: 0 }))).data;
    expect(first.messageList.map((m) => m.textElem?.content ?? m.contentType)).toEqual(['page 2', 'page 3', 'page 4', 'page 5']);
    expect(first.isEnd).toBe(false);
    const older = (await answer<{ messageList: MessageItem[] }>(bob.getAdvancedHistoryMessageList({ conversationID, count: 4, startClientMsgID: first.messageList[0]!.clientMsgID, lastMinSeq: 0 }))).data;
    expect(older.messageList.length).toBe(4);
    expect(older.messageList.at(-1)!.textElem?.content).toBe('page 1');
    const newer = (await answer<{ messageList: MessageItem[] }>(bob.getAdvancedHistoryMessageListReverse({ conversationID, count: 2, startClientMsgID: older.messageList.at(-1)!.clientMsgID, lastMinSeq: 0 }))).data;
    expect(newer.messageList.map((m) => m.textElem?.content)).toEqual(['page 2', 'page 3']);
  });

  test('revokes (bob sees OnNewRecvMessageRevoked) and deletes', async () => {
    const m = await send(alice, 'bob', await text(alice, 'oops'));
    await waitEvent<MessageItem[]>(bob, CbEvents.OnRecvNewMessages, (ms) => ms.some((x) => x.clientMsgID === m.clientMsgID));
    await alice.revokeMessage({ conversationID, clientMsgID: m.clientMsgID });
    const revoked = await waitEvent<{ clientMsgID: string }>(bob, CbEvents.OnNewRecvMessageRevoked, (r) => r.clientMsgID === m.clientMsgID);
    expect(revoked.clientMsgID).toBe(m.clientMsgID);

    const d = await send(alice, 'bob', await text(alice, 'to delete'));
    await alice.deleteMessage({ conversationID, clientMsgID: d.clientMsgID });
    const found = (await answer<{ findResultItems: Array<{ messageList: MessageItem[] }> | null }>(alice.findMessageList([{ conversationID, clientMsgIDList: [d.clientMsgID] }]))).data;
    const left = (found.findResultItems ?? []).flatMap((r) => r.messageList);
    expect(left).toEqual([]);
  });

  test('searches local messages', async () => {
    const res = (await answer<{ totalCount: number }>(bob.searchLocalMessages({ conversationID, keywordList: ['page'], count: 50, pageIndex: 1 }))).data;
    expect(res.totalCount).toBe(6);
  });

  test('SetSelfInfo fires OnSelfInfoUpdated', async () => {
    await alice.setSelfInfo({ nickname: 'Alice A.' });
    const info = await waitEvent<{ nickname: string }>(alice, CbEvents.OnSelfInfoUpdated, (u) => u.nickname === 'Alice A.');
    expect(info.nickname).toBe('Alice A.');
    expect((await answer<{ nickname: string }>(alice.getSelfUserInfo())).data.nickname).toBe('Alice A.');
  });

  test('loses and duplicates nothing when bob\'s worker crashes in the middle of a burst', async () => {
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
    let ids: string[] = [];
    await vi.waitFor(async () => {
      const r = await answer<{ messageList: MessageItem[] }>(bob.getAdvancedHistoryMessageList({ conversationID, count: 100, startClientMsgID: '', lastMinSeq: 0 })).catch(() => undefined);
      ids = r ? r.data.messageList.map((m) => m.clientMsgID) : [];
      expect(resolved.filter((id) => !ids.includes(id)), "sent messages missing from bob's history").toEqual([]);
    }, { timeout: 15_000, interval: 200 });
    for (const id of resolved) expect(ids.filter((x) => x === id).length, `message ${id}`).toBe(1);
  }, 60_000);
});

