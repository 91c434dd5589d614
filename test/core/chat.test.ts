// Two cores (alice, bob) against the real embedded IM server.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestIm, type TestIm } from '../helpers/im.ts';
import { TestCore, tempDir } from './harness.ts';

let im: TestIm;
let db: { dir: string; cleanup(): void };
let alice: TestCore;
let bob: TestCore;
const conv = 'si_alice_bob';

async function login(c: TestCore): Promise<void> {
  const from = c.events.length;
  expect(await c.login(await im.userToken(c.userID, c.platformID))).toBe('');
  expect(c.events.slice(from).map((e) => e.event)).toContain('OnConnectSuccess');
}

async function send(from: TestCore, text: string, to = 'bob'): Promise<any> {
  const m = await from.call('CreateTextMessage', text);
  return from.call('SendMessageNotOss', m, to, '', undefined, false);
}

beforeAll(async () => {
  im = await startTestIm();
  db = tempDir('core-chat-');
  await im.register('alice', 'Alice');
  await im.register('bob', 'Bob');
  alice = new TestCore('alice', db.dir, im);
  bob = new TestCore('bob', db.dir, im);
  await login(alice);
  await login(bob);
});

afterAll(async () => {
  await alice?.core.close('drain');
  await bob?.core.close('drain');
  await im?.close();
  db?.cleanup();
});

describe('two cores against the embedded IM server', () => {
  it('login: status 3, user ID, self info from the server', async () => {
    expect(await alice.call('GetLoginStatus')).toBe(3);
    expect(await alice.call('GetLoginUserID')).toBe('alice');
    expect(await alice.call('GetSelfUserInfo')).toMatchObject({ userID: 'alice', nickname: 'Alice' });
    expect(alice.count('OnConnecting')).toBeGreaterThan(0);
    expect(alice.count('OnSyncServerStart')).toBeGreaterThan(0);
  });

  it('text, at, custom and quote reach bob with OnRecvNewMessages and OnNewConversation', async () => {
    const from = bob.events.length;
    const text = await send(alice, 'hello bob');
    expect(text).toMatchObject({ status: 2, sendID: 'alice', recvID: 'bob', sessionType: 1, contentType: 101 });
    expect(text.serverMsgID).not.toBe('');
    const got = await bob.waitFor('OnRecvNewMessages', (d) => d.some((m: any) => m.clientMsgID === text.clientMsgID), 8000, from);
    expect((got.data as any[])[0]).toMatchObject({ textElem: { content: 'hello bob' }, sendID: 'alice', seq: 1, status: 2 });
    const nc = await bob.waitFor('OnNewConversation', (d) => d.some((c: any) => c.conversationID === conv), 8000, from);
    expect((nc.data as any[])[0]).toMatchObject({ conversationID: conv, conversationType: 1, userID: 'alice', showName: 'Alice', unreadCount: 1 });

    const at = await alice.call('CreateTextAtMessage', '@bob look', ['bob'], [{ atUserID: 'bob', groupNickname: 'Bob' }], undefined);
    await alice.call('SendMessageNotOss', at, 'bob', '', undefined, false);
    const custom = await alice.call('CreateCustomMessage', '{"kind":"x"}', 'ext', 'desc');
    await alice.call('SendMessageNotOss', custom, 'bob', '', undefined, false);
    const quote = await alice.call('CreateQuoteMessage', 'quoting', JSON.stringify(text));
    const q = await alice.call('SendMessageNotOss', quote, 'bob', '', undefined, false);
    await bob.waitFor('OnRecvNewMessages', (d) => d.some((m: any) => m.clientMsgID === q.clientMsgID), 8000, from);
    const all = bob.events.slice(from).filter((e) => e.event === 'OnRecvNewMessages').flatMap((e) => e.data as any[]);
    expect(all.map((m) => m.contentType)).toEqual([101, 106, 110, 114]);
    expect(all[1].atTextElem).toMatchObject({ text: '@bob look', atUserList: ['bob'], isAtSelf: true });
    expect(all[2].customElem).toEqual({ data: '{"kind":"x"}', extension: 'ext', description: 'desc' });
    expect(all[3].quoteElem.quoteMessage.clientMsgID).toBe(text.clientMsgID);
    await expect.poll(async () => (await alice.call('FindMessageList', [{ conversationID: conv, clientMsgIDList: [q.clientMsgID] }])).findResultItems[0]?.messageList[0]?.seq === 4, { timeout: 8000, message: 'echo seq' }).toBe(true);
    // Alice's own echoes are reported once each, tagged with their clientMsgID as origin: the
    // session gives them to her other tabs only, never back to the tab that sent them.
    const echoes = alice.events.filter((e) => e.event === 'OnRecvNewMessages');
    expect(echoes.map((e) => e.origin)).toEqual([text, at, custom, q].map((m) => m.clientMsgID));
    expect(echoes.map((e) => (e.data as any[]).map((m) => [m.clientMsgID, m.sendID, m.status]))).toEqual([text, at, custom, q].map((m) => [[m.clientMsgID, 'alice', 2]]));
  });

  it('conversation lists and unread counts agree on both sides', async () => {
    await expect.poll(async () => (await bob.call('GetTotalUnreadMsgCount')) === 4, { timeout: 8000, message: 'bob unread 4' }).toBe(true);
    const [bc] = await bob.call('GetAllConversationList');
    const [ac] = await alice.call('GetAllConversationList');
    expect(bc).toMatchObject({ conversationID: conv, unreadCount: 4, showName: 'Alice' });
    expect(ac).toMatchObject({ conversationID: conv, unreadCount: 0, showName: 'Bob' });
    expect(typeof bc.latestMsg).toBe('string');
    expect(JSON.parse(bc.latestMsg).clientMsgID).toBe(JSON.parse(ac.latestMsg).clientMsgID);
    expect(await alice.call('GetTotalUnreadMsgCount')).toBe(0);
    expect(await bob.call('GetOneConversation', 1, 'alice')).toMatchObject({ conversationID: conv, unreadCount: 4 });
    expect(await bob.call('GetConversationIDBySessionType', 'alice', 1)).toBe(conv);
    expect(await bob.call('GetMultipleConversation', [conv, 'si_nobody_x'])).toHaveLength(1);
    expect(await bob.call('GetConversationListSplit', 0, 10)).toHaveLength(1);
  });

  it('bob marks read: unread 0 and alice gets the read receipt', async () => {
    const aFrom = alice.events.length;
    const bFrom = bob.events.length;
    expect(await bob.call('MarkConversationMessageAsRead', conv)).toBe('');
    expect(await bob.call('GetTotalUnreadMsgCount')).toBe(0);
    await bob.waitFor('OnTotalUnreadMessageCountChanged', (n) => n === 0, 8000, bFrom);
    const r = await alice.waitFor('OnRecvC2CReadReceipt', () => true, 8000, aFrom);
    expect((r.data as any[])[0]).toMatchObject({ userID: 'bob', sessionType: 1 });
    expect((r.data as any[])[0].msgIDList).toHaveLength(4);
    const hist = await alice.call('GetAdvancedHistoryMessageList', { conversationID: conv, startClientMsgID: '', count: 10, lastMinSeq: 0 });
    expect(hist.messageList.every((m: any) => m.isRead)).toBe(true);
  });

  it('history pages both ways', async () => {
    for (let i = 0; i < 6; i++) await send(alice, `page ${i}`);
    await expect.poll(async () => (await bob.call('GetOneConversation', 1, 'alice')).maxSeq === 10, { timeout: 8000, message: 'bob has seq 10' }).toBe(true);
    const p1 = await bob.call('GetAdvancedHistoryMessageList', { conversationID: conv, startClientMsgID: '', count: 4, lastMinSeq: 0 });
    expect(p1.messageList.map((m: any) => m.seq)).toEqual([7, 8, 9, 10]);
    expect(p1.isEnd).toBe(false);
    expect(p1.lastMinSeq).toBe(7);
    const p2 = await bob.call('GetAdvancedHistoryMessageList', { conversationID: conv, startClientMsgID: p1.messageList[0].clientMsgID, count: 4, lastMinSeq: p1.lastMinSeq });
    expect(p2.messageList.map((m: any) => m.seq)).toEqual([3, 4, 5, 6]);
    const p3 = await bob.call('GetAdvancedHistoryMessageList', { conversationID: conv, startClientMsgID: p2.messageList[0].clientMsgID, count: 4, lastMinSeq: p2.lastMinSeq });
    expect(p3.messageList.map((m: any) => m.seq)).toEqual([1, 2]);
    expect(p3.isEnd).toBe(true);
    const r1 = await bob.call('GetAdvancedHistoryMessageListReverse', { conversationID: conv, startClientMsgID: p3.messageList[0].clientMsgID, count: 5, lastMinSeq: 0 });
    expect(r1.messageList.map((m: any) => m.seq)).toEqual([2, 3, 4, 5, 6]);
    expect(r1.isEnd).toBe(false);
    const r2 = await bob.call('GetAdvancedHistoryMessageListReverse', { conversationID: conv, startClientMsgID: r1.messageList[4].clientMsgID, count: 5, lastMinSeq: 0 });
    expect(r2.messageList.map((m: any) => m.seq)).toEqual([7, 8, 9, 10]);
    expect(r2.isEnd).toBe(true);
  });

  it('history older than the local store is pulled from the server and stored', async () => {
    const carolDir = tempDir('core-carol-');
    await im.register('carol', 'Carol');
    const carol = new TestCore('carol', carolDir.dir, im);
    try {
      await login(carol);
      for (let i = 0; i < 5; i++) await send(alice, `to carol ${i}`, 'carol');
      await carol.core.close('restart');
      // A fresh device: the first sync stores only the last message.
      const fresh = new TestCore('carol', tempDir('core-carol2-').dir, im, 7);
      await login(fresh);
      const first = await fresh.call('GetAdvancedHistoryMessageList', { conversationID: 'si_alice_carol', startClientMsgID: '', count: 10, lastMinSeq: 0 });
      expect(first.messageList.map((m: any) => m.textElem.content)).toEqual([0, 1, 2, 3, 4].map((i) => `to carol ${i}`));
      expect(first.isEnd).toBe(true);
      // Stored: readable offline after a reopen.
      await fresh.core.close('restart');
      const again = new TestCore('carol', fresh.dataDir.split('/carol/')[0]!, { apiAddress: 'http://127.0.0.1:1', wsAddress: 'ws://127.0.0.1:1' }, 7);
      const offline = await again.call('GetAdvancedHistoryMessageList', { conversationID: 'si_alice_carol', startClientMsgID: '', count: 10, lastMinSeq: 0 });
      expect(offline.messageList).toHaveLength(5);
      await again.core.close('drain');
    } finally {
      carolDir.cleanup();
    }
  });

  it('revoke: bob gets OnNewRecvMessageRevoked and both stores show the revoked message', async () => {
    const m = await send(alice, 'oops');
    const from = bob.events.length;
    await bob.waitFor('OnRecvNewMessages', (d) => d.some((x: any) => x.clientMsgID === m.clientMsgID), 8000, from);
    expect(await alice.call('RevokeMessage', conv, m.clientMsgID)).toBe('');
    const ev = await bob.waitFor('OnNewRecvMessageRevoked', (d) => d.clientMsgID === m.clientMsgID, 8000, from);
    expect(ev.data).toMatchObject({ revokerID: 'alice', sourceMessageSendID: 'alice', sessionType: 1 });
    const [bm] = (await bob.call('FindMessageList', [{ conversationID: conv, clientMsgIDList: [m.clientMsgID] }])).findResultItems[0].messageList;
    expect(bm.contentType).toBe(2101);
    const [am] = (await alice.call('FindMessageList', [{ conversationID: conv, clientMsgIDList: [m.clientMsgID] }])).findResultItems[0].messageList;
    expect(am.contentType).toBe(2101);
  });

  it('delete: a deleted message leaves history and search, and does not come back from the server', async () => {
    const m = await send(alice, 'delete me please');
    expect(await alice.call('DeleteMessage', conv, m.clientMsgID)).toBe('');
    const found = await alice.call('FindMessageList', [{ conversationID: conv, clientMsgIDList: [m.clientMsgID] }]);
    expect(found.totalCount).toBe(0);
    const s = await alice.call('SearchLocalMessages', { conversationID: conv, keywordList: ['delete me'] });
    expect(s.totalCount).toBe(0);
    const hist = await alice.call('GetAdvancedHistoryMessageList', { conversationID: conv, startClientMsgID: '', count: 50, lastMinSeq: 0 });
    expect(hist.messageList.some((x: any) => x.clientMsgID === m.clientMsgID)).toBe(false);
    const local = await send(alice, 'local only delete');
    expect(await alice.call('DeleteMessageFromLocalStorage', conv, local.clientMsgID)).toBe('');
    expect((await alice.call('FindMessageList', [{ conversationID: conv, clientMsgIDList: [local.clientMsgID] }])).totalCount).toBe(0);
  });

  it('local search by keyword, sender and type', async () => {
    const r = await bob.call('SearchLocalMessages', { conversationID: conv, keywordList: ['page'], count: 3, pageIndex: 1 });
    expect(r.totalCount).toBe(6);
    expect(r.searchResultItems[0]).toMatchObject({ conversationID: conv, messageCount: 6, showName: 'Alice' });
    expect(r.searchResultItems[0].messageList).toHaveLength(3);
    const all = await bob.call('SearchLocalMessages', { conversationID: '', keywordList: ['hello', 'quoting'], keywordListMatchType: 0 });
    expect(all.totalCount).toBe(2);
    const both = await bob.call('SearchLocalMessages', { conversationID: '', keywordList: ['hello', 'quoting'], keywordListMatchType: 1 });
    expect(both.totalCount).toBe(0);
    const custom = await bob.call('SearchLocalMessages', { conversationID: conv, keywordList: [], messageTypeList: [110] });
    expect(custom.totalCount).toBe(1);
  });

  it('SetSelfInfo: OnSelfInfoUpdated, and the new name in GetSelfUserInfo', async () => {
    const from = alice.events.length;
    expect(await alice.call('SetSelfInfo', { nickname: 'Alice Two', ex: 'e1' })).toBe('');
    const ev = await alice.waitFor('OnSelfInfoUpdated', (d) => d.nickname === 'Alice Two', 8000, from);
    expect(ev.data).toMatchObject({ userID: 'alice', nickname: 'Alice Two', ex: 'e1' });
    expect(await alice.call('GetSelfUserInfo')).toMatchObject({ nickname: 'Alice Two' });
    const [u] = await bob.call('GetUsersInfoWithCache', ['alice'], '');
    expect(u.publicInfo.userID).toBe('alice');
  });

  it('conversation settings: pin, draft, recv opt round-trip through the server', async () => {
    const from = bob.events.length;
    await bob.call('PinConversation', conv, true);
    await bob.waitFor('OnConversationChanged', (d) => d.some((c: any) => c.isPinned), 8000, from);
    await bob.call('SetConversationDraft', conv, 'draft text');
    await bob.call('SetConversationRecvMessageOpt', conv, 2);
    expect(await bob.call('GetOneConversation', 1, 'alice')).toMatchObject({ isPinned: true, draftText: 'draft text', recvMsgOpt: 2 });
    await bob.call('SetConversationRecvMessageOpt', conv, 0);
  });

  it('close and reopen: history is intact and readable before any network sync', async () => {
    const before = await bob.call('GetAdvancedHistoryMessageList', { conversationID: conv, startClientMsgID: '', count: 100, lastMinSeq: 0 });
    await bob.core.close('restart');
    await bob.core.close('restart');
    // Unreachable server: nothing can come from the network.
    const reopened = new TestCore('bob', db.dir, { apiAddress: 'http://127.0.0.1:1', wsAddress: 'ws://127.0.0.1:1' });
    const after = await reopened.call('GetAdvancedHistoryMessageList', { conversationID: conv, startClientMsgID: '', count: 100, lastMinSeq: 0 });
    expect(after.messageList.map((m: any) => m.clientMsgID)).toEqual(before.messageList.map((m: any) => m.clientMsgID));
    expect((await reopened.call('GetAllConversationList'))[0].conversationID).toBe(conv);
    await reopened.core.close('drain');
    bob = new TestCore('bob', db.dir, im);
    await login(bob);
  });
});

describe('unread after replying', () => {
  it('a reply reads the conversation up to it, as the server counts it', async () => {
    await send(alice, 'are you there?');
    await expect.poll(async () => (await bob.call('GetTotalUnreadMsgCount')) > 0, { timeout: 8000, message: 'bob unread' }).toBe(true);
    const reply = await bob.call('CreateTextMessage', 'yes');
    await bob.call('SendMessageNotOss', reply, 'alice', '', undefined, false);
    await expect.poll(async () => (await bob.call('GetOneConversation', 1, 'alice')).unreadCount === 0, { timeout: 8000, message: 'bob unread 0 after reply' }).toBe(true);
    expect(await bob.call('GetTotalUnreadMsgCount')).toBe(0);
  });

  it('marking read after a reply still sends the receipt for the messages before it, once', async () => {
    const question = await send(alice, 'coffee?');
    await bob.waitFor('OnRecvNewMessages', (d) => d.some((m: any) => m.clientMsgID === question.clientMsgID));
    const reply = await send(bob, 'sure', 'alice');
    await alice.waitFor('OnRecvNewMessages', (d) => d.some((m: any) => m.clientMsgID === reply.clientMsgID));
    await expect.poll(async () => (await bob.call('GetOneConversation', 1, 'alice')).unreadCount === 0, { timeout: 8000, message: 'bob unread 0 after his reply' }).toBe(true);
    const aFrom = alice.events.length;
    await bob.call('MarkConversationMessageAsRead', conv);
    const r = await alice.waitFor('OnRecvC2CReadReceipt', (d) => d[0].msgIDList.includes(question.clientMsgID), 8000, aFrom);
    // Also the earlier ones bob never marked (he replied to 'are you there?' too); never bob's own.
    const listed: string[] = (r.data as any[])[0].msgIDList;
    expect(listed).not.toContain(reply.clientMsgID);
    const found = await alice.call('FindMessageList', [{ conversationID: conv, clientMsgIDList: listed }]);
    expect(found.findResultItems[0].messageList.every((m: any) => m.sendID === 'alice')).toBe(true);
    const [mine] = await alice.call('FindMessageList', [{ conversationID: conv, clientMsgIDList: [question.clientMsgID] }]).then((x: any) => x.findResultItems[0].messageList);
    expect(mine.isRead).toBe(true);
    // bob's copy is flagged read: a second mark has nothing to report.
    await bob.call('MarkConversationMessageAsRead', conv);
    await new Promise((res) => setTimeout(res, 300));
    expect(alice.events.slice(aFrom).filter((e) => e.event === 'OnRecvC2CReadReceipt')).toHaveLength(1);
  });
});
