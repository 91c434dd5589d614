// End to end with the real, unmodified open-im-sdk@3.5.2, the real supervisor and worker
// threads, the embedded IM server's parse_token, and the gateway fixture core.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CbEvents } from 'open-im-sdk';
import { catalog } from '../../src/errors.ts';
import { dropSdk, newSdk, RawClient, settle, until, upgradeUrl, type SdkResponse } from '../helpers/client.ts';
import { startStack, type Stack } from '../helpers/gateway.ts';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ idleGraceMs: 10_000 });
});
afterAll(async () => {
  await stack?.close();
});

async function sdkFor(userID: string, platformID = 5) {
  const sdk = newSdk();
  const token = await stack.token(userID, platformID);
  const { ok, res } = await settle(sdk.login({ userID, token, platformID, apiAddr: stack.im.apiAddress, wsAddr: stack.gateway.url }));
  expect(ok, JSON.stringify(res)).toBe(true);
  return sdk;
}

async function rawFor(userID: string, platformID = 5): Promise<RawClient> {
  return RawClient.open(upgradeUrl(stack.gateway.url, { sendID: userID, token: await stack.token(userID, platformID), platformID, operationID: `init-${userID}` }));
}

function events(sdk: ReturnType<typeof newSdk>, name: CbEvents): SdkResponse[] {
  const seen: SdkResponse[] = [];
  sdk.on(name, (e: unknown) => seen.push(e as SdkResponse));
  return seen;
}

async function eventually(check: () => boolean, what: string, ms = 5_000): Promise<void> {
  await until((async () => {
    while (!check()) await new Promise((r) => setTimeout(r, 10));
  })(), ms, what);
}

describe('the real client through the gateway', () => {
  it('InitSDK, then Login, then a call', async () => {
    const raw = await rawFor('alice');
    expect(raw.frames[0]).toEqual({ event: 'InitSDK', errCode: 0, errMsg: '', data: '', operationID: 'init-alice' });
    await raw.close();

    const sdk = await sdkFor('alice');
    const r = (await sdk.createTextMessage('hello')) as unknown as SdkResponse;
    expect(r.errCode).toBe(0);
    expect(r.event).toBe('CreateTextMessage');
    expect(r.data).toMatchObject({ contentType: 101, textElem: { content: 'hello' }, sendID: 'alice' });
    expect(((await sdk.getLoginStatus()) as unknown as SdkResponse).data).toBe(3);
    expect(((await sdk.getLoginUserID()) as unknown as SdkResponse).data).toBe('alice');
    await sdk.logout();
  });

  it('answers an unknown function, an internal one, a malformed frame and a foreign body userID', async () => {
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

  it('answers GetLoginStatus 1 before Login and refuses calls with GW_NOT_LOGGED_IN', async () => {
    const c = await rawFor('carol');
    expect(await c.request('GetLoginStatus', [])).toMatchObject({ errCode: 0, data: '1' });
    expect((await c.request('GetTotalUnreadMsgCount', [])).errCode).toBe(catalog.GW_NOT_LOGGED_IN.code);
    await c.close();
  });
});

describe('Login, Logout and GetLoginStatus across tabs', () => {
  it('first login starts a session; a second tab attaches to it with errCode 0', async () => {
    const tab1 = await sdkFor('dave');
    const s1 = stack.gateway.supervisor.get('dave', 5);
    expect(s1).toMatchObject({ state: 'ready', connections: 1 });
    const t1 = ((await tab1.getSelfUserInfo()) as unknown as SdkResponse).data as { threadId: number };

    const tab2 = await sdkFor('dave');
    expect(stack.gateway.supervisor.get('dave', 5)).toMatchObject({ sessionId: s1!.sessionId, connections: 2 });
    const t2 = ((await tab2.getSelfUserInfo()) as unknown as SdkResponse).data as { threadId: number };
    expect(t2.threadId).toBe(t1.threadId);

    // Logout from one of two tabs: the other keeps its session.
    const out = (await tab1.logout()) as unknown as SdkResponse;
    expect(out.errCode).toBe(0);
    await eventually(() => stack.gateway.supervisor.get('dave', 5)?.connections === 1, 'one connection left');
    expect(((await tab2.getTotalUnreadMsgCount()) as unknown as SdkResponse).errCode).toBe(0);
    expect(((await tab2.getLoginStatus()) as unknown as SdkResponse).data).toBe(3);

    // Logout from the last tab stops the session.
    await tab2.logout();
    await eventually(() => stack.gateway.supervisor.get('dave', 5) === undefined, 'session stopped');
  });

  it('a client that reconnects after a dropped socket re-attaches to the warm session', async () => {
    const sdk = await sdkFor('erin');
    const before = ((await sdk.getSelfUserInfo()) as unknown as SdkResponse).data as { threadId: number };
    const sessionId = stack.gateway.supervisor.get('erin', 5)!.sessionId;
    const connectSuccess = events(sdk, CbEvents.OnConnectSuccess);

    // Drop the socket the way a network failure would: the server terminates it.
    for (const c of stack.gateway.server.connections) if (c.principal.userID === 'erin') c.terminate();
    await eventually(() => stack.gateway.supervisor.get('erin', 5)?.connections === 0, 'detached', 5_000);
    // 3.5.2 reconnects after 5 s and re-sends Login with the same URL; the warm core is reused.
    await eventually(() => stack.gateway.supervisor.get('erin', 5)?.connections === 1, 'reattached', 12_000);
    const after = ((await sdk.getSelfUserInfo()) as unknown as SdkResponse).data as { threadId: number };
    expect(after.threadId).toBe(before.threadId);
    expect(stack.gateway.supervisor.get('erin', 5)!.sessionId).toBe(sessionId);
    // No new core login; the session tells the returning tab once where the connection stands.
    expect(connectSuccess.length).toBe(1);
    await sdk.logout();
  }, 30_000);
});

describe('callbacks', () => {
  it('reach both tabs of a user and never a third user', async () => {
    const tab1 = await sdkFor('frank');
    const tab2 = await sdkFor('frank');
    const other = await sdkFor('grace');
    const got1 = events(tab1, CbEvents.OnConversationChanged);
    const got2 = events(tab2, CbEvents.OnConversationChanged);
    const got3 = events(other, CbEvents.OnConversationChanged);
    const count2 = events(tab2, CbEvents.OnTotalUnreadMessageCountChanged);

    const r = (await tab1.setConversationDraft({ conversationID: 'si_frank_grace', draftText: 'hi' })) as unknown as SdkResponse;
    expect(r.errCode).toBe(0);
    await eventually(() => got1.length === 1 && got2.length === 1 && count2.length === 1, 'callbacks on both tabs');
    expect(got2[0]).toMatchObject({ event: 'OnConversationChanged', errCode: 0, operationID: '', data: [{ conversationID: 'si_frank_grace', draftText: 'hi' }] });
    expect(count2[0]!.data).toBe(1);
    // A round trip on the third user's socket, then nothing must have arrived.
    expect(((await other.getTotalUnreadMsgCount()) as unknown as SdkResponse).data).toBe(0);
    expect(got3).toEqual([]);
    for (const s of [tab1, tab2, other]) dropSdk(s);
  });
});
