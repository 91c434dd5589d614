// A message sent while a user's first sync runs (connected, seqs not read yet) is stored by the
// sync as the conversation's last message and then arrives as a push: it must still be reported
// as new. A loopback proxy holds the first sync's profile request to open that window.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHoldProxy, type HoldProxy } from '../helpers/hold-proxy.ts';
import { startTestIm, type TestIm } from '../helpers/im.ts';
import { TestCore, tempDir } from './harness.ts';

let im: TestIm;
let db: { dir: string; cleanup(): void };
let proxy: HoldProxy;

beforeAll(async () => {
  im = await startTestIm();
  db = tempDir('core-race-');
  await im.register('ann', 'Ann');
  await im.register('dan', 'Dan');
  proxy = await startHoldProxy(im.apiAddress);
});

afterAll(async () => {
  await proxy?.close();
  await im?.close();
  db?.cleanup();
});

describe('first sync', () => {
  it('reports a message pushed while the first sync runs', async () => {
    const ann = new TestCore('ann', db.dir, im);
    await ann.call('Login', 'ann', await im.userToken('ann'));
    await ann.waitFor('OnSyncServerFinish');

    const profile = proxy.hold('/user/get_users_info', (b) => b?.userIDs?.[0] === 'dan');
    const dan = new TestCore('dan', db.dir, { apiAddress: proxy.url, wsAddress: im.wsAddress });
    await dan.call('Login', 'dan', await im.userToken('dan'));
    await profile.reached; // dan is connected and his first sync waits on his profile
    const m = await ann.call('CreateTextMessage', 'during your sync');
    await ann.call('SendMessageNotOss', m, 'dan', '', undefined, false);
    await new Promise((r) => setTimeout(r, 200)); // the push reaches dan and queues behind the sync
    profile.release();
    await dan.waitFor('OnSyncServerFinish');
    const got = await dan.waitFor('OnRecvNewMessages', (d) => d.some((x: any) => x.clientMsgID === m.clientMsgID), 5000);
    expect((got.data as any[])[0]).toMatchObject({ textElem: { content: 'during your sync' }, sendID: 'ann' });
    expect(dan.events.filter((e) => e.event === 'OnRecvNewMessages').flatMap((e) => e.data as any[]).filter((x) => x.clientMsgID === m.clientMsgID)).toHaveLength(1);
    await ann.core.close('drain');
    await dan.core.close('drain');
  });
});

describe('first sync, several messages', () => {
  it('reports each message pushed while it runs once, in order, and counts them unread once', async () => {
    await im.register('eve', 'Eve');
    await im.register('fay', 'Fay');
    const eve = new TestCore('eve', db.dir, im);
    await eve.call('Login', 'eve', await im.userToken('eve'));
    await eve.waitFor('OnSyncServerFinish');
    const profile = proxy.hold('/user/get_users_info', (b) => b?.userIDs?.[0] === 'fay');
    const fay = new TestCore('fay', db.dir, { apiAddress: proxy.url, wsAddress: im.wsAddress });
    await fay.call('Login', 'fay', await im.userToken('fay'));
    await profile.reached;
    const sent: string[] = [];
    for (const t of ['one', 'two', 'three']) {
      const m = await eve.call('CreateTextMessage', t);
      sent.push((await eve.call('SendMessageNotOss', m, 'fay', '', undefined, false)).clientMsgID);
    }
    await new Promise((r) => setTimeout(r, 200));
    profile.release();
    await fay.waitFor('OnRecvNewMessages', (d) => d.some((x: any) => x.clientMsgID === sent[2]), 5000);
    await new Promise((r) => setTimeout(r, 200));
    const got = fay.events.filter((e) => e.event === 'OnRecvNewMessages').flatMap((e) => (e.data as any[]).map((x) => x.clientMsgID));
    expect(got).toEqual(sent);
    expect(await fay.call('GetTotalUnreadMsgCount')).toBe(3);
    expect(fay.events.filter((e) => e.event === 'OnTotalUnreadMessageCountChanged').at(-1)?.data).toBe(3);
    await eve.core.close('drain');
    await fay.core.close('drain');
  });
});

describe('first sync, the user\'s own messages', () => {
  it('reports a message from the user\'s other device pushed while it runs once, and this device\'s own send with its origin', async () => {
    await im.register('gus', 'Gus');
    await im.register('hal', 'Hal');
    const profile = proxy.hold('/user/get_users_info', (b) => b?.userIDs?.[0] === 'gus');
    const gus = new TestCore('gus', db.dir, { apiAddress: proxy.url, wsAddress: im.wsAddress });
    await gus.call('Login', 'gus', await im.userToken('gus'));
    await profile.reached;
    // From another device of gus (the admin's send_msg), and from this core itself.
    const other = await im.sendText('gus', { recvID: 'hal' }, 'from my phone');
    const mine = await gus.call('SendMessageNotOss', await gus.call('CreateTextMessage', 'from this tab'), 'hal', '', undefined, false);
    await new Promise((r) => setTimeout(r, 200));
    profile.release();
    await gus.waitFor('OnSyncServerFinish');
    await gus.waitFor('OnRecvNewMessages', (d) => d.some((x: any) => x.clientMsgID === other.clientMsgID), 5000);
    await gus.waitFor('OnRecvNewMessages', (d) => d.some((x: any) => x.clientMsgID === mine.clientMsgID), 5000);
    await new Promise((r) => setTimeout(r, 200));
    const reports = gus.events.filter((e) => e.event === 'OnRecvNewMessages').flatMap((e) => (e.data as any[]).map((x) => [x.clientMsgID, e.origin ?? null]));
    expect(reports).toEqual([[other.clientMsgID, null], [mine.clientMsgID, mine.clientMsgID]]);
    await gus.core.close('drain');
  });
});
