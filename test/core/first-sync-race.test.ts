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
