// 2005: subscribe to users' online platforms; changes are pushed until unsubscribed.

import { PbCoder } from '@openim/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestIm, type TestIm } from '../helpers/im.ts';
import { connect, decodeData, type RespFrame, type TestClient } from './wsclient.ts';

describe('online status subscriptions (2005)', () => {
  let im: TestIm;
  let watcher: TestClient;

  const statusPushes = () => watcher.frames.filter((f) => f.reqIdentifier === 2005 && f.msgIncr === '');
  const decode = (f: RespFrame) => decodeData(PbCoder.SubUserOnlineStatusTips, f).subscribers;

  beforeAll(async () => {
    im = await startTestIm();
    for (const u of ['watcher', 'walker']) await im.register(u);
    ({ client: watcher } = await connect(im.wsAddress, { userID: 'watcher', token: await im.userToken('watcher') }));
  });
  afterAll(async () => {
    watcher?.close();
    await im?.close();
  });

  it('answers the current platforms, then pushes every change of the platform set', async () => {
    const sub = await watcher.request(2005, PbCoder.SubUserOnlineStatus.encode({ subscribeUserID: ['walker'], unsubscribeUserID: [] }).finish());
    expect(sub.errCode).toBe(0);
    expect(decode(sub)).toEqual([{ userID: 'walker', onlinePlatformIDs: [] }]);

    const { client: web } = await connect(im.wsAddress, { userID: 'walker', token: await im.userToken('walker', 5) });
    await watcher.waitFor(() => (statusPushes().length >= 1 ? true : undefined), 'first status push');
    expect(decode(statusPushes()[0]!)).toEqual([{ userID: 'walker', onlinePlatformIDs: [5] }]);

    const { client: android } = await connect(im.wsAddress, { userID: 'walker', token: await im.userToken('walker', 2), platformID: 2 });
    await watcher.waitFor(() => (statusPushes().length >= 2 ? true : undefined), 'second status push');
    expect(decode(statusPushes()[1]!)).toEqual([{ userID: 'walker', onlinePlatformIDs: [2, 5] }]);

    // A second connection on a platform already online changes nothing.
    const { client: web2 } = await connect(im.wsAddress, { userID: 'walker', token: await im.userToken('walker', 5) });
    web.close();
    await watcher.waitFor(() => (statusPushes().length >= 2 ? true : undefined), 'no push');
    await new Promise((r) => setTimeout(r, 100));
    expect(statusPushes()).toHaveLength(2);

    android.close();
    await watcher.waitFor(() => (statusPushes().length >= 3 ? true : undefined), 'third status push');
    expect(decode(statusPushes()[2]!)).toEqual([{ userID: 'walker', onlinePlatformIDs: [5] }]);

    const unsub = await watcher.request(2005, PbCoder.SubUserOnlineStatus.encode({ subscribeUserID: [], unsubscribeUserID: ['walker'] }).finish());
    expect(decode(unsub)).toEqual([]);
    web2.close();
    await new Promise((r) => setTimeout(r, 150));
    expect(statusPushes()).toHaveLength(3);
  });
});
