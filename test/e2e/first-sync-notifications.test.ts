// Notifications that arrive while a new data dir's first sync runs (the app acts the moment
// login() resolves) reach the real open-im-sdk@3.5.2 client exactly once. A loopback proxy holds
// each user's first sync on its profile request, so the event lands in that window for sure: the
// sync then loads its effect silently (as upstream's first sync does) and the notification that
// arrived meanwhile must still be reported.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CbEvents, type OpenIMSDK } from 'open-im-sdk';
import { DEFAULT_CORE_MODULE } from '../../src/supervisor/index.ts';
import { startStack, type Stack } from '../helpers/gateway.ts';
import { startHoldProxy, type Hold, type HoldProxy } from '../helpers/hold-proxy.ts';
import { imPost } from '../helpers/im.ts';
import { answer, CallbackLog, newSdk, until } from '../helpers/client.ts';

let proxy: HoldProxy;
let stack: Stack;
const sdks: OpenIMSDK[] = [];

/** Logs `userID` in (a new data dir) with its first sync held on its profile request. */
async function loginHeld(userID: string): Promise<{ sdk: OpenIMSDK; log: CallbackLog; sync: Hold }> {
  const token = await stack.token(userID);
  const sync = proxy.hold('/user/get_users_info', (b) => b?.userIDs?.length === 1 && b.userIDs[0] === userID);
  const sdk = newSdk();
  sdks.push(sdk);
  const log = new CallbackLog(sdk);
  await until(sdk.login({ userID, token, platformID: 5, apiAddr: stack.im.apiAddress, wsAddr: stack.gateway.url }), 15_000, `${userID} login`);
  await until(sync.reached, 10_000, `${userID} first sync`);
  return { sdk, log, sync };
}

/** Time for the notification's push to reach the held core (it queues behind the sync). */
const settle = () => new Promise((r) => setTimeout(r, 300));

beforeAll(async () => {
  // The proxy must exist before the gateway (its address is the API address the cores use).
  proxy = await startHoldProxy('http://127.0.0.1:1');
  stack = await startStack({ apiAddress: proxy.url }, { coreModule: DEFAULT_CORE_MODULE });
  proxy.retarget(stack.im.apiAddress);
}, 30_000);

afterAll(async () => {
  for (const s of sdks) await s.logout().catch(() => undefined);
  await stack?.close();
  await proxy?.close();
});

describe('notifications during the first sync', () => {
  it('addFriend the moment both logins resolve: OnFriendApplicationAdded once on each side', async () => {
    const a = await loginHeld('fia');
    const b = await loginHeld('fib');
    const added = a.sdk.addFriend({ toUserID: 'fib', reqMsg: 'hi' } as unknown as string);
    const admin = await stack.im.adminToken();
    await expect.poll(async () => {
      const got = await imPost<{ FriendRequests?: unknown[] }>(stack.im.apiAddress, '/friend/get_friend_apply_list', { userID: 'fib', pagination: { pageNumber: 1, showNumber: 10 } }, admin);
      return got.FriendRequests?.length ?? 0;
    }, { timeout: 10_000, interval: 20, message: 'the request on the server' }).toBeGreaterThan(0);
    await settle();
    a.sync.release();
    b.sync.release();
    await until(added, 10_000, 'addFriend');
    const isIt = (d: any) => d.fromUserID === 'fia' && d.toUserID === 'fib';
    await b.log.waitFor(CbEvents.OnFriendApplicationAdded, isIt);
    await a.log.waitFor(CbEvents.OnFriendApplicationAdded, isIt);
    await settle();
    expect(b.log.all(CbEvents.OnFriendApplicationAdded, isIt)).toHaveLength(1);
    expect(a.log.all(CbEvents.OnFriendApplicationAdded, isIt)).toHaveLength(1);
    const recv = (await answer<any[]>(b.sdk.getFriendApplicationListAsRecipient())).data;
    expect(recv).toEqual([expect.objectContaining({ fromUserID: 'fia', toUserID: 'fib', handleResult: 0 })]);
  }, 40_000);

  it('added to a new group right after login: OnJoinedGroupAdded once', async () => {
    await stack.token('gown');
    const c = await loginHeld('gcy');
    const groupID = await stack.im.createGroup('gown', ['gcy'], { groupName: 'window' });
    await settle();
    c.sync.release();
    const isIt = (d: any) => d.groupID === groupID;
    await c.log.waitFor(CbEvents.OnJoinedGroupAdded, isIt);
    await settle();
    expect(c.log.all(CbEvents.OnJoinedGroupAdded, isIt)).toHaveLength(1);
    const joined = (await answer<any[]>(c.sdk.getJoinedGroupList())).data;
    expect(joined.map((g) => g.groupID)).toEqual([groupID]);
  }, 40_000);
});
