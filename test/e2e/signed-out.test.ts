// When the server signs a user out (admin force_logout → 2002 kick, or an expired token), the
// session ends with it: a Login with a fresh token, even within the idle grace, gets a new,
// working core, never the dead one.

import { CbEvents } from 'open-im-sdk';
import { answer, newSdk, until } from '../helpers/client.ts';
import { expect, test } from '../helpers/fixtures.ts';
import { imPost } from '../helpers/im.ts';

test.override('stackSetup', { overrides: { idleGraceMs: 60_000 } });

test('a kicked user logs in again with a fresh token and gets a live core', async ({ stack }) => {
  const first = newSdk();
  const token = await stack.token('kim');
  await until(first.login({ userID: 'kim', token, platformID: 5, apiAddr: stack.im.apiAddress, wsAddr: stack.gateway.url }), 10_000, 'login');
  await until(new Promise((r) => first.on(CbEvents.OnSyncServerFinish, r)), 10_000, 'first sync');
  const before = stack.gateway.supervisor.get('kim', 5)!.sessionId;

  const kicked = new Promise((r) => first.on(CbEvents.OnKickedOffline, r));
  const admin = await stack.im.adminToken();
  await imPost(stack.im.apiAddress, '/auth/force_logout', { userID: 'kim', platformID: 5 }, admin);
  await until(kicked, 10_000, 'OnKickedOffline');
  // The session ends with the sign-out instead of idling with a dead core.
  await expect.poll(() => stack.gateway.supervisor.get('kim', 5)?.sessionId, { timeout: 10_000, interval: 20, message: 'session ended' }).not.toBe(before);

  const fresh = (await imPost<{ token: string }>(stack.im.apiAddress, '/auth/get_user_token', { userID: 'kim', platformID: 5 }, admin)).token;
  const again = newSdk();
  const synced = new Promise((r) => again.on(CbEvents.OnSyncServerFinish, r));
  await until(again.login({ userID: 'kim', token: fresh, platformID: 5, apiAddr: stack.im.apiAddress, wsAddr: stack.gateway.url }), 10_000, 'login again');
  await until(synced, 10_000, 'sync with the fresh token');
  expect((await answer(again.getLoginStatus())).data).toBe(3);
  expect(stack.gateway.supervisor.get('kim', 5)!.sessionId).not.toBe(before);
  await again.logout();
});
