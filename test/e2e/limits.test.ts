// OpenIM's limits through the real client (open-im-sdk@3.5.2) and the gateway (issue 9): a text
// over the message gateway's 51,200-byte frame is refused with 10290 before it is sent, and none
// of the user's other sends fail (upstream the gateway would close the user's long connection and
// fail them all with 10000); a group request over 1,000 user IDs is refused the same way.

import { CbEvents, type OpenIMSDK } from 'open-im-sdk';
import { SdkCode } from '../../src/core/errors.ts';
import type { Stack } from '../helpers/gateway.ts';
import { answer, dropSdk, settle } from '../helpers/client.ts';
import { expect, test } from '../helpers/fixtures.ts';
import { loggedInSdk } from '../helpers/sdk-events.ts';

let stack: Stack;
test.beforeAll(({ stack: s }) => {
  stack = s;
});

const login = (userID: string): Promise<OpenIMSDK> => loggedInSdk(stack, userID, { waitSync: true });

test('an oversized text answers 10290 and the user\'s 10 concurrent sends all succeed on an unbroken connection', async () => {
  await stack.token('lim-peer');
  const sdk = await login('lim-sender');
  const reconnecting: unknown[] = [];
  sdk.on(CbEvents.OnConnecting, (e: unknown) => reconnecting.push(e));

  const create = async (text: string) => (await answer(sdk.createTextMessage(text))).data as never;
  const big = await create('x'.repeat(60_000));
  const normal = await Promise.all(Array.from({ length: 10 }, (_, i) => create(`normal ${i}`)));
  const send = (message: never) => settle(sdk.sendMessage({ recvID: 'lim-peer', groupID: '', message }), 30_000);
  const [oversized, ...rest] = await Promise.all([send(big), ...normal.map(send)]);

  expect(oversized.ok).toBe(false);
  expect(oversized.res.errCode).toBe(SdkCode.LimitExceeded);
  expect(oversized.res.errMsg).toMatch(/51200/);
  for (const r of rest) expect(r.ok, JSON.stringify(r.res)).toBe(true);
  expect(reconnecting).toEqual([]);
  const onServer = await stack.im.history('lim-peer', 'si_lim-peer_lim-sender');
  expect(onServer).toHaveLength(10);
  dropSdk(sdk);
}, 60_000);

test('a group request over 1,000 user IDs answers 10290 without reaching the server', async () => {
  const sdk = await login('lim-owner');
  const ids = Array.from({ length: 1_001 }, (_, i) => `lim-nobody-${i}`);
  const r = await settle(sdk.createGroup({ groupInfo: { groupName: 'big', groupType: 2 }, memberUserIDs: ids, adminUserIDs: [] }), 20_000);
  expect(r.ok).toBe(false);
  expect(r.res.errCode).toBe(SdkCode.LimitExceeded);
  expect((await stack.im.requestLog()).some((e) => e.route === '/group/create_group' && e.userID === 'lim-owner')).toBe(false);
  dropSdk(sdk);
}, 60_000);
