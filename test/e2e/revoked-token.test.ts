// A token that upstream no longer accepts never reaches a session (issue 9), whatever the gateway
// cached about it: revoked by /auth/force_logout, or superseded by a newer token of the same user
// and platform, with the victim's session running at that moment or not. The attacker is the real
// client (open-im-sdk@3.5.2) holding a copy of the old token, whose acceptance the gateway cached
// when the victim logged in with it. Also: what the cache still saves (a reconnect with the
// session's own token asks upstream nothing).

import { afterAll } from 'vitest';
import { CbEvents, type OpenIMSDK } from 'open-im-sdk';
import { catalog } from '../../src/errors.ts';
import type { Stack } from '../helpers/gateway.ts';
import { imPost } from '../helpers/im.ts';
import { answer, dropSdk, newSdk, noReconnect, type SdkResponse, settle, until } from '../helpers/client.ts';
import { describe, expect, test } from '../helpers/fixtures.ts';

let stack: Stack;
test.override('stackSetup', { overrides: { idleGraceMs: 60_000 } });
test.beforeAll(({ stack: s }) => {
  stack = s;
});

const clients: OpenIMSDK[] = [];
afterAll(() => {
  for (const c of clients) {
    noReconnect(c);
    dropSdk(c);
  }
});

async function admin(path: string, body: unknown): Promise<unknown> {
  return imPost(stack.im.apiAddress, path, body, await stack.im.adminToken());
}

/** A token the test holds on to (stack.token() caches one per user; these are issued afresh). */
async function issue(userID: string): Promise<string> {
  await stack.token(userID); // registers the user
  return ((await admin('/auth/get_user_token', { userID, platformID: 5 })) as { token: string }).token;
}

async function login(userID: string, token: string, connected?: (p: Promise<unknown>) => void): Promise<{ sdk: OpenIMSDK; ok: boolean; res: SdkResponse }> {
  const sdk = newSdk();
  clients.push(sdk);
  // Registered before login(), so an early event cannot slip past.
  connected?.(new Promise((r) => {
    sdk.on(CbEvents.OnSyncServerFinish, r);
    sdk.on(CbEvents.OnSyncServerFailed, r);
  }));
  const { ok, res } = await settle(sdk.login({ userID, token, platformID: 5, apiAddr: stack.im.apiAddress, wsAddr: stack.gateway.url }), 20_000);
  if (!ok) noReconnect(sdk);
  return { sdk, ok, res };
}

async function loggedIn(userID: string, token: string): Promise<OpenIMSDK> {
  const r = await login(userID, token);
  expect(r.ok, JSON.stringify(r.res)).toBe(true);
  return r.sdk;
}

/**
 * Logged in, the core connected (so upstream can kick it) and its first sync over: no REST call
 * of the core is under way when the test revokes the token (upstream would answer it 1506 and
 * sign the session out, which is upstream's own rule, not what these tests look at).
 */
async function online(userID: string, token: string): Promise<OpenIMSDK> {
  let synced: Promise<unknown> = Promise.resolve();
  const r = await login(userID, token, (p) => {
    synced = p;
  });
  expect(r.ok, JSON.stringify(r.res)).toBe(true);
  await until(synced, 30_000, 'the first sync to end');
  return r.sdk;
}

async function parseTokenCalls(): Promise<number> {
  return (await stack.im.requestLog()).filter((e) => e.route === '/auth/parse_token').length;
}

async function sessionGone(userID: string, sessionId: string): Promise<void> {
  await expect.poll(() => stack.gateway.supervisor.get(userID, 5)?.sessionId, { timeout: 10_000, interval: 20, message: 'the session to end' }).not.toBe(sessionId);
}

/** The attacker's login failed, and the victim's session holds the victim's connection only. */
function expectShutOut(attempt: { ok: boolean; res: SdkResponse }, userID: string, code: number): void {
  expect(attempt.ok, JSON.stringify(attempt.res)).toBe(false);
  expect(attempt.res.errCode).toBe(code);
  expect(stack.gateway.supervisor.get(userID, 5)?.connections).toBe(1);
}

describe('a revoked token', () => {
  test('force_logout during the session: the kick voids the cached verdict, the old token is refused at the upgrade', async () => {
    const old = await issue('rv1');
    const victim = await online('rv1', old);
    const first = stack.gateway.supervisor.get('rv1', 5)!.sessionId;

    const kicked = new Promise((r) => victim.on(CbEvents.OnKickedOffline, r));
    await admin('/auth/force_logout', { userID: 'rv1', platformID: 5 });
    await until(kicked, 10_000, 'OnKickedOffline');
    await sessionGone('rv1', first);

    await loggedIn('rv1', await issue('rv1'));
    // Refused at the upgrade (in band): the real client's login() rejects with GW_BAD_TOKEN.
    expectShutOut(await login('rv1', old), 'rv1', catalog.GW_BAD_TOKEN.code);
  }, 60_000);

  test('force_logout while no session runs: the still-cached old token passes the upgrade but its Login is refused', async () => {
    const old = await issue('rv2');
    const victim = await loggedIn('rv2', old);
    const first = stack.gateway.supervisor.get('rv2', 5)!.sessionId;
    await victim.logout();
    await sessionGone('rv2', first);
    // sdkgate sees nothing of this: no session, no core to be kicked.
    await admin('/auth/force_logout', { userID: 'rv2', platformID: 5 });

    const fresh = await loggedIn('rv2', await issue('rv2'));
    const attempt = await login('rv2', old);
    expectShutOut(attempt, 'rv2', catalog.GW_BAD_TOKEN.code);
    // The victim's session is untouched and still serves the victim.
    expect((await answer(fresh.getSelfUserInfo())).errCode).toBe(0);
    // The refused connection was closed: nothing reaches the session through it.
    const after = await settle(attempt.sdk.getAllConversationList(), 3_000).catch(() => ({ ok: false, res: {} as SdkResponse }));
    expect(after.ok).toBe(false);
  }, 60_000);
});

describe('a superseded token', () => {
  test('newer token attaches to the running session: tabs on the old one are kicked, the old token is refused, the core uses the new one', async () => {
    const old = await issue('sp1');
    const tabA = await online('sp1', old);
    const session = stack.gateway.supervisor.get('sp1', 5)!.sessionId;

    const newer = await issue('sp1'); // upstream marks `old` kicked (multi-login policy)
    const kickedA = new Promise((r) => tabA.on(CbEvents.OnKickedOffline, r));
    const tabB = await loggedIn('sp1', newer);
    expect(stack.gateway.supervisor.get('sp1', 5)!.sessionId).toBe(session); // attached, same core
    await until(kickedA, 10_000, 'OnKickedOffline on the tab with the superseded token');

    expectShutOut(await login('sp1', old), 'sp1', catalog.GW_BAD_TOKEN.code);
    // The core took the newer token: a REST call with it succeeds (the old one would answer 1506
    // and sign the whole session out).
    const peer = 'sp1-peer';
    await stack.token(peer);
    const created = await answer(tabB.createTextMessage('still here'));
    const sent = await settle(tabB.sendMessage({ recvID: peer, groupID: '', message: created.data as never }), 20_000);
    expect(sent.ok, JSON.stringify(sent.res)).toBe(true);
    expect((await answer(tabB.setSelfInfo({ nickname: 'renamed' }))).errCode).toBe(0);
    expect(stack.gateway.supervisor.get('sp1', 5)!.sessionId).toBe(session);
  }, 60_000);

  test('newer token starts a session while the old one is still cached: the old token is refused at Login', async () => {
    const old = await issue('sp2');
    const victim = await loggedIn('sp2', old);
    const first = stack.gateway.supervisor.get('sp2', 5)!.sessionId;
    await victim.logout();
    await sessionGone('sp2', first);

    await loggedIn('sp2', await issue('sp2'));
    expectShutOut(await login('sp2', old), 'sp2', catalog.GW_BAD_TOKEN.code);
  }, 60_000);
});

describe('what the cache still saves', () => {
  test('a second tab or a reconnect with the running session\'s own token asks upstream nothing', async () => {
    const token = await issue('ca1');
    await loggedIn('ca1', token);
    const before = await parseTokenCalls();
    const tab2 = await loggedIn('ca1', token);
    dropSdk(tab2);
    await loggedIn('ca1', token);
    expect(await parseTokenCalls()).toBe(before);
  }, 60_000);

  test('a session started from a cached verdict asks upstream once, at Login', async () => {
    const token = await issue('ca2');
    const first = await loggedIn('ca2', token);
    const id = stack.gateway.supervisor.get('ca2', 5)!.sessionId;
    await first.logout();
    await sessionGone('ca2', id);
    const before = await parseTokenCalls();
    await loggedIn('ca2', token);
    expect(await parseTokenCalls()).toBe(before + 1);
  }, 60_000);
});
