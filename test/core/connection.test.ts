// Connection behaviour against the embedded IM server: reconnect catch-up, kick, token errors.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imPost, startTestIm, type TestIm } from '../helpers/im.ts';
import { Store } from '../../src/core/store/index.ts';
import { TestCore, tempDir } from './harness.ts';

let im: TestIm;
let db: { dir: string; cleanup(): void };
const cores: TestCore[] = [];

function core(userID: string, platformID = 5, dir = db.dir): TestCore {
  const c = new TestCore(userID, dir, im, platformID);
  cores.push(c);
  return c;
}

const login = async (c: TestCore, token?: string): Promise<unknown> => c.login(token ?? (await im.userToken(c.userID, c.platformID)));

async function send(from: TestCore, text: string, to: string): Promise<any> {
  const m = await from.call('CreateTextMessage', text);
  return from.call('SendMessageNotOss', m, to, '', undefined, false);
}

beforeAll(async () => {
  im = await startTestIm();
  db = tempDir('core-conn-');
  for (const u of ['dave', 'erin', 'fred', 'gina']) await im.register(u);
});

afterAll(async () => {
  for (const c of cores) await c.core.close('drain');
  await im?.close();
  db?.cleanup();
});

describe('connection and sync', () => {
  it('after a restart, messages sent while offline arrive once each via range catch-up', async () => {
    const dave = core('dave');
    let erin = core('erin');
    await login(dave);
    await login(erin);
    const first = await send(dave, 'm0', 'erin');
    await erin.waitFor('OnRecvNewMessages', (d) => d.some((m: any) => m.clientMsgID === first.clientMsgID));
    await erin.core.close('restart');
    const sent: string[] = [first.clientMsgID];
    for (let i = 1; i <= 130; i++) sent.push((await send(dave, `m${i}`, 'erin')).clientMsgID);
    erin = core('erin');
    await login(erin);
    const got = erin.events.filter((e) => e.event === 'OnRecvNewMessages').flatMap((e) => (e.data as any[]).map((m) => m.clientMsgID));
    expect(got).toEqual(sent.slice(1));
    const hist = await erin.call('GetAdvancedHistoryMessageList', { conversationID: 'si_dave_erin', startClientMsgID: '', count: 200, lastMinSeq: 0 });
    expect(hist.messageList.map((m: any) => m.clientMsgID)).toEqual(sent);
    expect(hist.isEnd).toBe(true);
    expect(await erin.call('GetTotalUnreadMsgCount')).toBe(131);
  });

  it('after a restart, a conversation that is new to the device reports all its messages once; a first sync stays silent', async () => {
    // hank's data dir is new: what his first sync loads is not news.
    await im.register('hank');
    const gina = core('gina');
    await login(gina);
    await send(gina, 'before hank logged in', 'hank');
    let hank = core('hank');
    await login(hank);
    expect(hank.count('OnRecvNewMessages')).toBe(0);
    await hank.core.close('restart');
    // Offline: fred writes to hank for the first time.
    const fred = core('fred');
    await login(fred);
    const sent: string[] = [];
    for (let i = 0; i < 3; i++) sent.push((await send(fred, `f${i}`, 'hank')).clientMsgID);
    hank = core('hank');
    await login(hank);
    const got = hank.events.filter((e) => e.event === 'OnRecvNewMessages').flatMap((e) => (e.data as any[]).map((m) => m.clientMsgID));
    expect(got).toEqual(sent);
    expect(hank.events.find((e) => e.event === 'OnNewConversation' && (e.data as any[]).some((c) => c.conversationID === 'si_fred_hank'))).toBeDefined();
    expect((await hank.call('GetOneConversation', 1, 'fred')).unreadCount).toBe(3);
  });

  it('a reconnect pulls at most the catch-up limit per conversation; history pages pull the rest', async () => {
    const dave = cores[0]!;
    let erin = cores.filter((c) => c.userID === 'erin').at(-1)!;
    await erin.core.close('restart');
    const sent: string[] = [];
    for (let i = 0; i < 8; i++) sent.push((await send(dave, `limited ${i}`, 'erin')).clientMsgID);
    erin = new TestCore('erin', db.dir, im, 5, { catchupLimit: 5 });
    cores.push(erin);
    await login(erin);
    const got = erin.events.filter((e) => e.event === 'OnRecvNewMessages').flatMap((e) => (e.data as any[]).map((m) => m.clientMsgID));
    expect(got).toEqual(sent.slice(3));
    const page = await erin.call('GetAdvancedHistoryMessageList', { conversationID: 'si_dave_erin', startClientMsgID: '', count: 8, lastMinSeq: 0 });
    expect(page.messageList.map((m: any) => m.clientMsgID)).toEqual(sent);
  });

  it('a burst of pushes is stored once per message, in order', async () => {
    const dave = cores[0]!;
    const erin = cores.at(-1)!;
    const from = erin.events.length;
    const ids = await Promise.all(Array.from({ length: 40 }, (_, i) => send(dave, `burst ${i}`, 'erin').then((m) => m.clientMsgID as string)));
    await expect.poll(() => erin.events.slice(from).filter((e) => e.event === 'OnRecvNewMessages').flatMap((e) => e.data as any[]).length >= 40, { timeout: 8000, message: 'burst' }).toBe(true);
    const got = erin.events.slice(from).filter((e) => e.event === 'OnRecvNewMessages').flatMap((e) => (e.data as any[]).map((m) => m.clientMsgID));
    expect(new Set(got).size).toBe(40);
    expect(new Set(got)).toEqual(new Set(ids));
    const hist = await erin.call('GetAdvancedHistoryMessageList', { conversationID: 'si_dave_erin', startClientMsgID: '', count: 40, lastMinSeq: 0 });
    const seqs = hist.messageList.map((m: any) => m.seq);
    expect(seqs).toEqual([...seqs].sort((a: number, b: number) => a - b));
    expect(new Set(seqs).size).toBe(40);
  });

  it('a push after lost pushes fills the gap with 1002 first, in seq order', async () => {
    const dave = cores[0]!;
    const erin = cores.filter((c) => c.userID === 'erin').at(-1)!;
    const a = await send(dave, 'gap a', 'erin');
    const b = await send(dave, 'gap b', 'erin');
    await expect.poll(async () => (await erin.call('FindMessageList', [{ conversationID: 'si_dave_erin', clientMsgIDList: [b.clientMsgID] }])).totalCount === 1, { timeout: 8000, message: 'erin has b' }).toBe(true);
    // Pretend the pushes of a and b never arrived: drop them and move the synced mark back.
    const raw = new Store(erin.dataDir);
    const bSeq = (raw.messages.get(b.clientMsgID) as { seq: number }).seq;
    raw.db.prepare('DELETE FROM messages WHERE clientMsgID IN (?, ?)').run(a.clientMsgID, b.clientMsgID);
    raw.db.prepare('UPDATE synced_seqs SET syncedSeq = ? WHERE conversationID = ?').run(bSeq - 2, 'si_dave_erin');
    raw.close();
    const from = erin.events.length;
    const c = await send(dave, 'gap c', 'erin');
    await erin.waitFor('OnRecvNewMessages', (d) => d.some((m: any) => m.clientMsgID === c.clientMsgID), 8000, from);
    const got = erin.events.slice(from).filter((e) => e.event === 'OnRecvNewMessages').flatMap((e) => (e.data as any[]).map((m) => m.clientMsgID));
    expect(got).toEqual([a.clientMsgID, b.clientMsgID, c.clientMsgID]);
  });

  it('a login with a new token on the same platform kicks the old core: OnKickedOffline, no reconnect', async () => {
    const old = core('fred');
    await login(old);
    const admin = await im.adminToken();
    const { token } = await imPost<{ token: string }>(im.apiAddress, '/auth/get_user_token', { userID: 'fred', platformID: 5 }, admin);
    const other = core('fred', 5, tempDir('core-conn-fred-').dir);
    const from = old.events.length;
    await login(other, token);
    await old.waitFor('OnKickedOffline', undefined, 8000, from);
    expect(await old.call('GetLoginStatus')).toBe(1);
    await new Promise((r) => setTimeout(r, 300));
    expect(old.events.slice(from).filter((e) => e.event === 'OnConnecting')).toHaveLength(0);
  });

  it('a rejected token reports a token event and stops reconnecting', async () => {
    const gina = core('gina');
    await gina.call('Login', 'gina', 'not-a-jwt');
    // Login (which waited for this first dial: a new data dir) answers before the token event.
    expect(gina.events.map((e) => e.event)).not.toContain('OnUserTokenExpired');
    const ev = await gina.waitFor('OnUserTokenExpired');
    expect(ev.errCode).toBeGreaterThanOrEqual(1501);
    expect(ev.errCode).toBeLessThanOrEqual(1507);
    const n = gina.count('OnConnecting');
    await new Promise((r) => setTimeout(r, 400));
    expect(gina.count('OnConnecting')).toBe(n);
    expect(await gina.call('GetLoginStatus')).toBe(1);
  });

  it('read receipts and revokes that happened while offline are applied on reconnect', async () => {
    let dave = core('dave', 4);
    const erin = cores.filter((c) => c.userID === 'erin').at(-1)!;
    await login(dave);
    const a = await send(dave, 'read me later', 'erin');
    const b = await send(dave, 'revoke me later', 'erin');
    await expect.poll(async () => (await erin.call('FindMessageList', [{ conversationID: 'si_dave_erin', clientMsgIDList: [b.clientMsgID] }])).totalCount === 1, { timeout: 8000, message: 'erin has b' }).toBe(true);
    await dave.core.close('restart');
    // While dave's device is away: erin reads, and dave revokes from another device.
    await erin.call('MarkConversationMessageAsRead', 'si_dave_erin');
    const phone = core('dave', 2, tempDir('core-conn-dave2-').dir);
    await login(phone);
    await expect.poll(async () => (await phone.call('GetAdvancedHistoryMessageList', { conversationID: 'si_dave_erin', startClientMsgID: '', count: 5, lastMinSeq: 0 })).messageList.some((m: any) => m.clientMsgID === b.clientMsgID), { timeout: 8000, message: 'phone history' }).toBe(true);
    await phone.call('RevokeMessage', 'si_dave_erin', b.clientMsgID);
    dave = core('dave', 4);
    await login(dave);
    const found = await dave.call('FindMessageList', [{ conversationID: 'si_dave_erin', clientMsgIDList: [a.clientMsgID, b.clientMsgID] }]);
    const [ma, mb] = found.findResultItems[0].messageList;
    expect(ma).toMatchObject({ clientMsgID: a.clientMsgID, isRead: true });
    expect(mb).toMatchObject({ clientMsgID: b.clientMsgID, contentType: 2101 });
    expect(dave.events.some((e) => e.event === 'OnRecvC2CReadReceipt')).toBe(true);
  });

  it('conversation settings changed on another device arrive by incremental version sync', async () => {
    const erin = cores.filter((c) => c.userID === 'erin').at(-1)!;
    let laptop = core('erin', 3, tempDir('core-conn-erin3-').dir);
    await login(laptop);
    expect(await laptop.call('GetOneConversation', 1, 'dave')).toMatchObject({ isPinned: false });
    const store = new Store(laptop.dataDir);
    const v1 = store.seqs.version('conversations', 'erin');
    expect(v1.versionID).not.toBe('');
    await laptop.core.close('restart');
    await erin.call('PinConversation', 'si_dave_erin', true);
    laptop = core('erin', 3, laptop.dataDir.split('/erin/')[0]);
    const from = laptop.events.length;
    await login(laptop);
    expect(await laptop.call('GetOneConversation', 1, 'dave')).toMatchObject({ isPinned: true });
    expect(laptop.events.slice(from).some((e) => e.event === 'OnConversationChanged' && (e.data as any[]).some((c) => c.isPinned))).toBe(true);
    const v2 = store.seqs.version('conversations', 'erin');
    expect(v2.versionID).toBe(v1.versionID);
    expect(v2.version).toBeGreaterThan(v1.version);
    store.close();
    await erin.call('PinConversation', 'si_dave_erin', false);
  });

  it('Login for another user is refused', async () => {
    const c = core('dave', 6);
    await expect(c.call('Login', 'erin', 'x')).rejects.toMatchObject({ code: 10002 });
  });
});
