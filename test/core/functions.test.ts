// The remaining functions of issue 4 §4 against the embedded IM server.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestIm, type TestIm } from '../helpers/im.ts';
import { Store } from '../../src/core/store/index.ts';
import { TestCore, tempDir } from './harness.ts';

let im: TestIm;
let db: { dir: string; cleanup(): void };
let kate: TestCore;
let liam: TestCore;
const conv = 'si_kate_liam';

const login = async (c: TestCore): Promise<unknown> => c.login(await im.userToken(c.userID, c.platformID));

async function send(from: TestCore, text: string, to: string): Promise<any> {
  const m = await from.call('CreateTextMessage', text);
  return from.call('SendMessageNotOss', m, to, '', undefined, false);
}

beforeAll(async () => {
  im = await startTestIm();
  db = tempDir('core-fn-');
  await im.register('kate', 'Kate');
  await im.register('liam', 'Liam');
  kate = new TestCore('kate', db.dir, im);
  liam = new TestCore('liam', db.dir, im);
  await login(kate);
  await login(liam);
});

afterAll(async () => {
  await kate?.core.close('drain');
  await liam?.core.close('drain');
  await im?.close();
  db?.cleanup();
});

describe('functions', () => {
  it('media messages by URL, card, location and face are sent and received with their elems', async () => {
    const pic = { uuid: 'u', type: 'png', size: 1, width: 1, height: 1, url: 'http://x/p.png' };
    const made = [
      await kate.call('CreateImageMessageByURL', '', pic, pic, pic),
      await kate.call('CreateFileMessageByURL', { filePath: '', fileName: 'a.txt', uuid: 'f', sourceUrl: 'http://x/a', fileSize: 1 }),
      await kate.call('CreateCardMessage', { userID: 'kate', nickname: 'Kate', faceURL: '', ex: '' }),
      await kate.call('CreateLocationMessage', 'here', 1, 2),
      await kate.call('CreateFaceMessage', 1, 'x'),
    ];
    const from = liam.events.length;
    for (const m of made) await kate.call('SendMessageNotOss', m, 'liam', '', { title: 't', desc: 'd', ex: '', iOSPushSound: '', iOSBadgeCount: false }, false);
    await expect.poll(() => liam.events.slice(from).filter((e) => e.event === 'OnRecvNewMessages').flatMap((e) => e.data as any[]).length === 5, { timeout: 8000, message: '5 messages' }).toBe(true);
    const got = liam.events.slice(from).filter((e) => e.event === 'OnRecvNewMessages').flatMap((e) => e.data as any[]);
    expect(got.map((m) => m.contentType)).toEqual([102, 105, 108, 109, 115]);
    expect(got[0].pictureElem.sourcePicture.url).toBe('http://x/p.png');
    expect(got[3].locationElem).toEqual({ description: 'here', longitude: 1, latitude: 2 });
  });

  it('a resent success answers the sent message (test/core/send.test.ts) and an online-only message is not stored', async () => {
    const m = await send(kate, 'once', 'liam');
    await expect(kate.call('SendMessageNotOss', m, 'liam', '', undefined, false)).resolves.toMatchObject({ serverMsgID: m.serverMsgID, status: 2 });
    const oo = await kate.call('CreateTextMessage', 'ephemeral');
    const sent = await kate.call('SendMessageNotOss', oo, 'liam', '', undefined, true);
    expect(sent.status).toBe(2);
    expect((await kate.call('FindMessageList', [{ conversationID: conv, clientMsgIDList: [oo.clientMsgID] }])).totalCount).toBe(0);
  });

  it('typing is delivered online-only with a typingElem', async () => {
    const from = liam.events.length;
    expect(await kate.call('TypingStatusUpdate', 'liam', 'yes')).toBe('');
    const ev = await liam.waitFor('OnRecvNewMessages', (d) => d.some((m: any) => m.contentType === 113), 8000, from);
    expect((ev.data as any[])[0]).toMatchObject({ typingElem: { msgTips: 'yes' }, sendID: 'kate', seq: 0 });
  });

  it('insert to local storage, SetMessageLocalEx, FindMessageList', async () => {
    const m = await kate.call('CreateTextMessage', 'inserted');
    const stored = await kate.call('InsertSingleMessageToLocalStorage', m, 'liam', 'kate');
    expect(stored).toMatchObject({ clientMsgID: m.clientMsgID, recvID: 'liam', sendID: 'kate', sessionType: 1 });
    await expect(kate.call('InsertSingleMessageToLocalStorage', m, 'liam', 'kate')).rejects.toMatchObject({ code: 10204 });
    expect(await kate.call('SetMessageLocalEx', conv, m.clientMsgID, 'my-ex')).toBe('');
    const found = await kate.call('FindMessageList', [{ conversationID: conv, clientMsgIDList: [m.clientMsgID, 'nope'] }]);
    expect(found.totalCount).toBe(1);
    expect(found.findResultItems[0].messageList[0].localEx).toBe('my-ex');
    const g = await kate.call('CreateTextMessage', 'group local');
    const gs = await kate.call('InsertGroupMessageToLocalStorage', g, 'g1', 'kate');
    expect(gs).toMatchObject({ groupID: 'g1', sessionType: 3 });
    expect(await kate.call('GetMultipleConversation', ['sg_g1'])).toHaveLength(1);
  });

  it('private chat, burn duration, group-at reset and global recv opt go through the server', async () => {
    await kate.call('SetConversationPrivateChat', conv, true);
    await kate.call('SetConversationBurnDuration', conv, 30);
    await kate.call('ResetConversationGroupAtType', conv);
    expect(await kate.call('GetOneConversation', 1, 'liam')).toMatchObject({ isPrivateChat: true, burnDuration: 30, groupAtType: 0 });
    // A second device of kate sees the server's settings after its sync.
    const other = new TestCore('kate', tempDir('core-fn-k2-').dir, im, 3);
    await login(other);
    expect(await other.call('GetOneConversation', 1, 'liam')).toMatchObject({ isPrivateChat: true, burnDuration: 30 });
    await other.core.close('drain');
    const from = kate.events.length;
    await kate.call('SetGlobalRecvMessageOpt', 2);
    await kate.waitFor('OnSelfInfoUpdated', (d) => d.globalRecvMsgOpt === 2, 8000, from);
    expect(await kate.call('SetAppBackgroundStatus', true)).toBe('');
    expect(await kate.call('SetAppBackgroundStatus', false)).toBe('');
    expect(await kate.call('NetworkStatusChanged')).toBe('');
    await kate.waitFor('OnConnectSuccess', undefined, 8000, from);
  });

  it('hide, clear and delete conversations', async () => {
    await send(kate, 'for hiding', 'liam');
    await expect.poll(async () => (await liam.call('SearchLocalMessages', { conversationID: conv, keywordList: ['for hiding'] })).totalCount === 1, { timeout: 8000, message: 'liam has it' }).toBe(true);
    await liam.call('HideConversation', conv);
    expect(await liam.call('GetAllConversationList')).toHaveLength(0);
    const from = liam.events.length;
    const un = await send(kate, 'unhide', 'liam');
    await liam.waitFor('OnRecvNewMessages', (d) => d.some((m: any) => m.clientMsgID === un.clientMsgID), 8000, from);
    await liam.waitFor('OnNewConversation', (d) => d.some((c: any) => c.conversationID === conv), 8000, from);
    expect(await liam.call('GetAllConversationList')).toHaveLength(1);
    await liam.call('HideAllConversation');
    expect(await liam.call('GetAllConversationList')).toHaveLength(0);
    expect(await liam.call('GetTotalUnreadMsgCount')).toBe(0);

    expect(await kate.call('ClearConversationAndDeleteAllMsg', conv)).toBe('');
    const cleared = await kate.call('GetAdvancedHistoryMessageList', { conversationID: conv, startClientMsgID: '', count: 100, lastMinSeq: 0 });
    expect(cleared.messageList).toHaveLength(0);
    expect((await kate.call('GetOneConversation', 1, 'liam')).latestMsg).toBe('');
    await send(kate, 'after clear', 'liam');
    const after = await kate.call('GetAdvancedHistoryMessageList', { conversationID: conv, startClientMsgID: '', count: 100, lastMinSeq: 0 });
    expect(after.messageList.map((m: any) => m.textElem?.content)).toEqual(['after clear']);
    expect(await kate.call('DeleteConversationAndDeleteAllMsg', conv)).toBe('');
    expect((await kate.call('GetAllConversationList')).some((c: any) => c.conversationID === conv)).toBe(false);
  });

  it('delete all messages locally, then locally and on the server', async () => {
    await send(liam, 'x1', 'kate');
    await expect.poll(async () => (await kate.call('SearchLocalMessages', { conversationID: '', keywordList: ['x1'] })).totalCount === 1, { timeout: 8000, message: 'x1' }).toBe(true);
    await kate.call('DeleteAllMsgFromLocal');
    expect((await kate.call('SearchLocalMessages', { conversationID: '', keywordList: ['x1'] })).totalCount).toBe(0);
    await send(liam, 'x2', 'kate');
    await expect.poll(async () => (await kate.call('SearchLocalMessages', { conversationID: '', keywordList: ['x2'] })).totalCount === 1, { timeout: 8000, message: 'x2' }).toBe(true);
    await kate.call('DeleteAllMsgFromLocalAndSvr');
    expect((await kate.call('SearchLocalMessages', { conversationID: '', keywordList: ['x'] })).totalCount).toBe(0);
    for (const c of await kate.call('GetAllConversationList')) expect(c.latestMsg).toBe('');
  });

  it('another device of the same user: its sends arrive as new messages, its profile change as OnSelfInfoUpdated', async () => {
    const tablet = new TestCore('kate', tempDir('core-fn-k8-').dir, im, 8);
    await login(tablet);
    const from = kate.events.length;
    const m = await send(tablet, 'from my tablet', 'liam');
    const ev = await kate.waitFor('OnRecvNewMessages', (d) => d.some((x: any) => x.clientMsgID === m.clientMsgID), 8000, from);
    expect((ev.data as any[])[0]).toMatchObject({ sendID: 'kate', senderPlatformID: 8 });
    // A delete on the tablet (synced to the user's devices) removes it here too.
    await expect.poll(async () => (await tablet.call('FindMessageList', [{ conversationID: conv, clientMsgIDList: [m.clientMsgID] }])).findResultItems[0]?.messageList[0]?.seq > 0, { timeout: 8000, message: 'tablet seq' }).toBe(true);
    await tablet.call('DeleteMessage', conv, m.clientMsgID);
    await expect.poll(async () => (await kate.call('FindMessageList', [{ conversationID: conv, clientMsgIDList: [m.clientMsgID] }])).totalCount === 0, { timeout: 8000, message: 'deleted on kate' }).toBe(true);
    await tablet.call('SetSelfInfo', { faceURL: 'http://x/kate.png' });
    const upd = await kate.waitFor('OnSelfInfoUpdated', (d) => d.faceURL === 'http://x/kate.png', 8000, from);
    expect(upd.data).toMatchObject({ userID: 'kate' });
    await tablet.core.close('drain');
  });

  it('GetUsersInfoWithCache serves the cache, and refreshes an entry once it is stale', async () => {
    const [before] = await kate.call('GetUsersInfoWithCache', ['liam'], '');
    await liam.call('SetSelfInfo', { nickname: 'Liam Renamed' });
    const [cached] = await kate.call('GetUsersInfoWithCache', ['liam'], '');
    expect(cached.publicInfo.nickname).toBe(before.publicInfo.nickname);
    const raw = new Store(kate.dataDir);
    raw.db.prepare("UPDATE users SET cachedAt = 0 WHERE userID = 'liam'").run();
    raw.close();
    const from = kate.events.length;
    const [fresh] = await kate.call('GetUsersInfoWithCache', ['liam', 'nobody-here'], '');
    expect(fresh.publicInfo).toMatchObject({ userID: 'liam', nickname: 'Liam Renamed' });
    // The single chat with liam is renamed with the profile.
    expect(kate.events.slice(from).some((e) => e.event === 'OnConversationChanged' && (e.data as any[]).some((c) => c.showName === 'Liam Renamed'))).toBe(true);
    expect((await kate.call('GetOneConversation', 1, 'liam')).showName).toBe('Liam Renamed');
    expect(await kate.call('GetUsersInfoWithCache', ['nobody-here'], '')).toEqual([]);
  });

  it('logout ends the connection; status 1; a second logout is refused', async () => {
    const other = new TestCore('liam', tempDir('core-fn-l2-').dir, im, 2);
    await login(other);
    expect(await other.call('Logout')).toBe('');
    expect(await other.call('GetLoginStatus')).toBe(1);
    await expect(other.call('Logout')).rejects.toMatchObject({ code: 10101 });
    await other.core.close('logout');
    await other.core.close('logout');
  });
});
