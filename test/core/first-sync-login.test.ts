// The moment login() resolves on a new data dir: the app may act at once, and so may everyone
// else. The first sync loads what it finds silently, so only a push can tell the core that
// something happened after the login: Login returns once the first dial has its outcome, and an
// event right after it is reported once, however slow that first connection was. A proxy
// stalls the core's long connection (its upgrade waits) to make the first dial slow.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imPost, startTestIm, type TestIm } from '../helpers/im.ts';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.ts';
import { TestCore, tempDir } from './harness.ts';

let im: TestIm;
let db: { dir: string; cleanup(): void };
let ws: TcpProxy;
const cores: TestCore[] = [];

beforeAll(async () => {
  im = await startTestIm();
  db = tempDir('core-login-');
  ws = await startTcpProxy(Number(new URL(im.wsAddress).port));
});

afterAll(async () => {
  for (const c of cores) await c.core.close('drain');
  await ws?.close();
  await im?.close();
  db?.cleanup();
});

const count = (c: TestCore, event: string, pred: (d: any) => boolean) => c.events.filter((e) => e.event === event && pred(e.data)).length;

describe('login on a new data dir', () => {
  it('returns once the first connection is up; events right after it are each reported once', async () => {
    for (const u of ['lo', 'lb', 'lc', 'ld']) await im.register(u, u.toUpperCase());
    await im.makeFriends('lb', 'ld');
    const groupID = await im.createGroup('lo', ['lb', 'lc'], { groupName: 'before' });
    const b = new TestCore('lb', db.dir, { apiAddress: im.apiAddress, wsAddress: ws.url('ws') });
    cores.push(b);
    // The first dial is slow: its upgrade reaches the server only 400 ms later.
    ws.stalled = true;
    setTimeout(() => (ws.stalled = false), 400);
    const t0 = Date.now();
    await b.call('Login', 'lb', await im.userToken('lb'));
    expect(Date.now() - t0).toBeGreaterThanOrEqual(300);
    expect(b.events.map((e) => e.event)).toContain('OnConnectSuccess');
    // The app and others act the moment login() resolves.
    const owner = await im.userToken('lo');
    const [msg] = await Promise.all([
      im.sendText('lc', { recvID: 'lb' }, 'right after login'),
      imPost(im.apiAddress, '/group/set_group_info', { groupInfoForSet: { groupID, groupName: 'after' } }, owner),
      imPost(im.apiAddress, '/friend/add_friend', { fromUserID: 'lc', toUserID: 'lb', reqMsg: 'hi', ex: '' }, await im.userToken('lc')),
      imPost(im.apiAddress, '/friend/set_friend_remark', { ownerUserID: 'lb', friendUserID: 'ld', remark: 'dee' }, await im.userToken('lb')),
      imPost(im.apiAddress, '/user/update_user_info_ex', { userInfo: { userID: 'lb', nickname: 'Bee' } }, await im.adminToken()),
    ]);
    await b.waitFor('OnSyncServerFinish', undefined, 10_000);
    await b.waitFor('OnRecvNewMessages', (d) => d.some((m: any) => m.clientMsgID === msg.clientMsgID), 8000);
    await new Promise((r) => setTimeout(r, 2500)); // a duplicate would show by now (the window's grace is 2 s)
    expect(count(b, 'OnRecvNewMessages', (d) => d.some((m: any) => m.clientMsgID === msg.clientMsgID))).toBe(1);
    expect(count(b, 'OnGroupInfoChanged', (g) => g.groupID === groupID && g.groupName === 'after')).toBe(1);
    expect(count(b, 'OnGroupInfoChanged', (g) => g.groupID === groupID && g.groupName !== 'after')).toBe(0);
    expect(count(b, 'OnFriendApplicationAdded', (r) => r.fromUserID === 'lc')).toBe(1);
    expect(count(b, 'OnFriendInfoChanged', (f) => f.userID === 'ld' && f.remark === 'dee')).toBe(1);
    expect(count(b, 'OnSelfInfoUpdated', (u) => u.nickname === 'Bee')).toBe(1);
    // What was there before the login stays silent, as on upstream's new install.
    expect(count(b, 'OnJoinedGroupAdded', () => true)).toBe(0);
    expect(count(b, 'OnFriendAdded', () => true)).toBe(0);
  });

  it('does not wait for a message gateway that refuses the dial, nor after a restart', async () => {
    await im.register('lr', 'LR');
    const token = await im.userToken('lr');
    const down = new TestCore('lr', db.dir, { apiAddress: im.apiAddress, wsAddress: 'ws://127.0.0.1:1' });
    let t0 = Date.now();
    await down.call('Login', 'lr', token);
    expect(Date.now() - t0).toBeLessThan(2000);
    await down.core.close('restart');
    const up = new TestCore('lr', db.dir, im);
    cores.push(up);
    await up.call('Login', 'lr', token);
    await up.waitFor('OnSyncServerFinish');
    await up.core.close('restart');
    // The first sync is done: a later Login returns without waiting for the network.
    ws.stalled = true;
    try {
      const again = new TestCore('lr', db.dir, { apiAddress: im.apiAddress, wsAddress: ws.url('ws') });
      cores.push(again);
      t0 = Date.now();
      await again.call('Login', 'lr', token);
      expect(Date.now() - t0).toBeLessThan(300);
      expect(again.events.map((e) => e.event)).not.toContain('OnConnectSuccess');
    } finally {
      ws.stalled = false;
    }
  });
});
