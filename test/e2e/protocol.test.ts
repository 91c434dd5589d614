// End to end with the real, unmodified open-im-sdk@3.5.2, the real supervisor and worker
// threads, the embedded IM server's parse_token, and the gateway fixture core.

import { CbEvents } from 'open-im-sdk';
import { catalog } from '../../src/errors.ts';
import { answer, dropSdk, newSdk, RawClient, type SdkResponse, upgradeUrl } from '../helpers/client.ts';
import { GATEWAY_CORE, type Stack } from '../helpers/gateway.ts';
import { describe, expect, test } from '../helpers/fixtures.ts';
import { loggedInSdk } from '../helpers/sdk-events.ts';

let stack: Stack;
test.override('stackSetup', { overrides: { idleGraceMs: 10_000 }, deps: { coreModule: GATEWAY_CORE } });
test.beforeAll(({ stack: s }) => {
  stack = s;
});

const sdkFor = (userID: string, platformID = 5) => loggedInSdk(stack, userID, { platformID });

async function rawFor(userID: string, platformID = 5): Promise<RawClient> {
  return RawClient.open(upgradeUrl(stack.gateway.url, { sendID: userID, token: await stack.token(userID, platformID), platformID, operationID: `init-${userID}` }));
}

function events(sdk: ReturnType<typeof newSdk>, name: CbEvents): SdkResponse[] {
  const seen: SdkResponse[] = [];
  sdk.on(name, (e) => seen.push(e));
  return seen;
}

describe('the real client through the gateway', () => {
  test('InitSDK, then Login, then a call', async () => {
    const raw = await rawFor('alice');
    expect(raw.frames[0]).toEqual({ event: 'InitSDK', errCode: 0, errMsg: '', data: '', operationID: 'init-alice' });
    await raw.close();

    const sdk = await sdkFor('alice');
    const r = await answer(sdk.createTextMessage('hello'));
    expect(r.errCode).toBe(0);
    expect(r.event).toBe('CreateTextMessage');
    expect(r.data).toMatchObject({ contentType: 101, textElem: { content: 'hello' }, sendID: 'alice' });
    expect((await answer(sdk.getLoginStatus())).data).toBe(3);
    expect((await answer(sdk.getLoginUserID())).data).toBe('alice');
    await sdk.logout();
  });

  test('answers an unknown function, an internal one, a malformed frame and a foreign body userID', async () => {
    const c = await rawFor('bob');
    expect((await c.request('Login', ['bob', 'ignored'])).errCode).toBe(0);
    expect((await c.request('NoSuchThing', [])).errCode).toBe(catalog.GW_UNKNOWN_FUNCTION.code);
    expect((await c.request('UnInitSDK', [])).errCode).toBe(catalog.GW_FUNCTION_FORBIDDEN.code);
    expect((await c.request('InitSDK', ['op', '5'])).errCode).toBe(catalog.GW_FUNCTION_FORBIDDEN.code);
    c.sendRaw('{"reqFuncName": "GetTotalUnreadMsgCount", "operationID": ');
    expect((await c.next((f) => f.event === 'Protocol Error' && f.operationID === '')).errCode).toBe(catalog.GW_PROTOCOL_ERROR.code);
    const foreign = await c.request('GetTotalUnreadMsgCount', [], { userID: 'alice' });
    expect(foreign).toMatchObject({ event: 'GetTotalUnreadMsgCount', errCode: catalog.GW_USER_MISMATCH.code, data: '' });
    const login = await c.request('Login', ['alice', 'x']);
    expect(login.errCode).toBe(catalog.GW_USER_MISMATCH.code);
    // Still bob's, still working.
    expect(JSON.parse((await c.request('GetSelfUserInfo', [])).data)).toMatchObject({ userID: 'bob' });
    await c.close();
  });

  test('answers GetLoginStatus 1 before Login and refuses calls with GW_NOT_LOGGED_IN', async () => {
    const c = await rawFor('carol');
    expect(await c.request('GetLoginStatus', [])).toMatchObject({ errCode: 0, data: '1' });
    expect((await c.request('GetTotalUnreadMsgCount', [])).errCode).toBe(catalog.GW_NOT_LOGGED_IN.code);
    await c.close();
  });
});

describe('Login, Logout and GetLoginStatus across tabs', () => {
  test('first login starts a session; a second tab attaches to it with errCode 0', async () => {
    const tab1 = await sdkFor('dave');
    const s1 = stack.gateway.supervisor.get('dave', 5);
    expect(s1).toMatchObject({ state: 'ready', connections: 1 });
    const t1 = (await answer<{ threadId: number }>(tab1.getSelfUserInfo())).data;

    const tab2 = await sdkFor('dave');
    expect(stack.gateway.supervisor.get('dave', 5)).toMatchObject({ sessionId: s1!.sessionId, connections: 2 });
    const t2 = (await answer<{ threadId: number }>(tab2.getSelfUserInfo())).data;
    expect(t2.threadId).toBe(t1.threadId);

    // Logout from one of two tabs: the other keeps its session.
    const out = await answer(tab1.logout());
    expect(out.errCode).toBe(0);
    await expect.poll(() => stack.gateway.supervisor.get('dave', 5)?.connections === 1, { timeout: 5_000, message: 'one connection left' }).toBe(true);
    expect((await answer(tab2.getTotalUnreadMsgCount())).errCode).toBe(0);
    expect((await answer(tab2.getLoginStatus())).data).toBe(3);

    // Logout from the last tab stops the session.
    await tab2.logout();
    await expect.poll(() => stack.gateway.supervisor.get('dave', 5) === undefined, { timeout: 5_000, message: 'session stopped' }).toBe(true);
  });

  test('a client that reconnects after a dropped socket re-attaches to the warm session', async () => {
    const sdk = await sdkFor('erin');
    const before = (await answer<{ threadId: number }>(sdk.getSelfUserInfo())).data;
    const sessionId = stack.gateway.supervisor.get('erin', 5)!.sessionId;
    const connectSuccess = events(sdk, CbEvents.OnConnectSuccess);

    // Drop the socket the way a network failure would: the server terminates it.
    for (const c of stack.gateway.server.connections) if (c.principal.userID === 'erin') c.terminate();
    await expect.poll(() => stack.gateway.supervisor.get('erin', 5)?.connections === 0, { timeout: 5_000, message: 'detached' }).toBe(true);
    // 3.5.2 reconnects after 5 s and re-sends Login with the same URL; the warm core is reused.
    await expect.poll(() => stack.gateway.supervisor.get('erin', 5)?.connections === 1, { timeout: 12_000, message: 'reattached' }).toBe(true);
    const after = (await answer<{ threadId: number }>(sdk.getSelfUserInfo())).data;
    expect(after.threadId).toBe(before.threadId);
    expect(stack.gateway.supervisor.get('erin', 5)!.sessionId).toBe(sessionId);
    // No new core login; the session tells the returning tab once where the connection stands.
    expect(connectSuccess.length).toBe(1);
    await sdk.logout();
  }, 30_000);
});

describe('callbacks', () => {
  test('reach both tabs of a user and never a third user', async () => {
    const tab1 = await sdkFor('frank');
    const tab2 = await sdkFor('frank');
    const other = await sdkFor('grace');
    const got1 = events(tab1, CbEvents.OnConversationChanged);
    const got2 = events(tab2, CbEvents.OnConversationChanged);
    const got3 = events(other, CbEvents.OnConversationChanged);
    const count2 = events(tab2, CbEvents.OnTotalUnreadMessageCountChanged);

    const r = await answer(tab1.setConversationDraft({ conversationID: 'si_frank_grace', draftText: 'hi' }));
    expect(r.errCode).toBe(0);
    await expect.poll(() => got1.length === 1 && got2.length === 1 && count2.length === 1, { timeout: 5_000, message: 'callbacks on both tabs' }).toBe(true);
    expect(got2[0]).toMatchObject({ event: 'OnConversationChanged', errCode: 0, operationID: '', data: [{ conversationID: 'si_frank_grace', draftText: 'hi' }] });
    expect(count2[0]!.data).toBe(1);
    // A round trip on the third user's socket, then nothing must have arrived.
    expect((await answer(other.getTotalUnreadMsgCount())).data).toBe(0);
    expect(got3).toEqual([]);
    for (const s of [tab1, tab2, other]) dropSdk(s);
  });
});
