// One connection: InitSDK, Login, calls, and every way a frame can be refused. Each request
// gets exactly one response matched by operationID, in the documented shape.

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { catalog } from '../../src/errors.ts';
import type { Gateway } from '../../src/index.ts';
import { RawClient, upgradeUrl, until, type WireFrame } from '../helpers/client.ts';
import { startFakeIm, type FakeIm } from '../helpers/fake-im.ts';
import { FakeSupervisor } from '../helpers/fake-supervisor.ts';
import { startTestGateway, type OptionOverrides } from '../helpers/gateway.ts';

let im: FakeIm;
beforeAll(async () => {
  im = await startFakeIm();
});
afterAll(async () => {
  await im.close();
});

const gateways: Gateway[] = [];
const clients: RawClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(gateways.splice(0).map((g) => g.close()));
});

async function setup(overrides: OptionOverrides = {}): Promise<{ g: Gateway; sup: FakeSupervisor; open: (userID: string, platformID?: number, opts?: WebSocket.ClientOptions) => Promise<RawClient> }> {
  const sup = new FakeSupervisor();
  const g = await startTestGateway({ apiAddress: im.apiAddress, wsAddress: 'ws://127.0.0.1:9', ...overrides }, { supervisor: sup });
  gateways.push(g);
  const open = async (userID: string, platformID = 5, opts: WebSocket.ClientOptions = {}): Promise<RawClient> => {
    const c = await RawClient.open(upgradeUrl(g.url, { sendID: userID, token: im.issue(userID, platformID), platformID, operationID: `init-${userID}` }), opts);
    clients.push(c);
    return c;
  };
  return { g, sup, open };
}

const ok = (f: WireFrame): void => expect(f.errCode, f.errMsg).toBe(0);

describe('ClientConnection', () => {
  it('greets with InitSDK, then Login, then a call', async () => {
    const { open, sup } = await setup();
    const c = await open('u1');
    expect(c.frames[0]).toEqual({ event: 'InitSDK', errCode: 0, errMsg: '', data: '', operationID: 'init-u1' });

    const login = await c.request('Login', ['u1', 'whatever'], { operationID: 'init-u1', userID: 'u1' });
    expect(login).toEqual({ event: 'Login', errCode: 0, errMsg: '', data: '""', operationID: 'init-u1' });
    // The supervisor logs in with the token checked at the upgrade, not the frame's argument.
    expect(sup.logins[0]!.token).not.toBe('whatever');
    expect(sup.logins[0]!.token).toMatch(/^tk\+/);

    const r = await c.request('GetTotalUnreadMsgCount', [], { userID: 'u1' });
    expect(r.event).toBe('GetTotalUnreadMsgCount');
    expect(r.data).toBe('7');
    // Key order on the wire.
    const raw = await new Promise<string>((resolve) => {
      c.ws.once('message', (d) => resolve(String(d)));
      c.ws.send(JSON.stringify({ reqFuncName: 'CreateTextMessage', operationID: 'k1', userID: 'u1', data: '["hi"]' }));
    });
    expect(Object.keys(JSON.parse(raw))).toEqual(['event', 'errCode', 'errMsg', 'data', 'operationID']);
    expect(JSON.parse(JSON.parse(raw).data)).toMatchObject({ contentType: 101, textElem: { content: 'hi' } });
  });

  it('delivers decoded JSON arguments to the supervisor', async () => {
    const { open, sup } = await setup();
    const c = await open('u1');
    ok(await c.request('Login', ['u1', 't']));
    ok(await c.request('GetSpecifiedFriendsInfo', [JSON.stringify(['u2', 'u3'])]));
    expect(sup.calls.at(-1)).toMatchObject({ fn: 'GetSpecifiedFriendsInfo', args: [['u2', 'u3']] });
  });

  it('encodes results: "" as "\\"\\"" and undefined as ""', async () => {
    const { open } = await setup();
    const c = await open('u1');
    ok(await c.request('Login', ['u1', 't']));
    expect((await c.request('SetConversationDraft', ['c', 'd'])).data).toBe('""');
    expect((await c.request('MarkConversationMessageAsRead', ['c'])).data).toBe('');
  });

  it('runs SendMessage as SendMessageNotOss but answers with the requested name', async () => {
    const { open, sup } = await setup();
    const c = await open('u1');
    ok(await c.request('Login', ['u1', 't']));
    const r = await c.request('SendMessage', [JSON.stringify({ clientMsgID: 'x' }), 'u2', '', JSON.stringify({ title: '' }), false]);
    ok(r);
    expect(r.event).toBe('SendMessage');
    expect(sup.calls.at(-1)!.fn).toBe('SendMessageNotOss');
  });

  it('answers GetLoginStatus 1 before Login and refuses other calls with GW_NOT_LOGGED_IN', async () => {
    const { open } = await setup();
    const c = await open('u1');
    const st = await c.request('GetLoginStatus', []);
    expect(st).toMatchObject({ event: 'GetLoginStatus', errCode: 0, data: '1' });
    const r = await c.request('GetAllConversationList', []);
    expect(r).toMatchObject({ event: 'GetAllConversationList', errCode: catalog.GW_NOT_LOGGED_IN.code, data: '' });
    expect((await c.request('GetLoginUserID', [])).errCode).toBe(catalog.GW_NOT_LOGGED_IN.code);
    ok(await c.request('Login', ['u1', 't']));
    expect((await c.request('GetLoginStatus', [])).data).toBe('3');
    expect((await c.request('GetLoginUserID', [])).data).toBe('"u1"');
  });

  it('refuses an unknown function', async () => {
    const { open, sup } = await setup();
    const c = await open('u1');
    ok(await c.request('Login', ['u1', 't']));
    const r = await c.request('RemoveAllMyFriendsPlease', [], { operationID: 'x1' });
    expect(r).toEqual({ event: 'Protocol Error', errCode: catalog.GW_UNKNOWN_FUNCTION.code, errMsg: expect.stringContaining('RemoveAllMyFriendsPlease'), data: '', operationID: 'x1' });
    expect(sup.calls.length).toBe(0);
  });

  it('refuses internal functions', async () => {
    const { open, sup } = await setup();
    const c = await open('u1');
    ok(await c.request('Login', ['u1', 't']));
    for (const fn of ['InitSDK', 'UnInitSDK', 'UploadLogs', 'CreateFileMessageFromFullPath']) {
      const r = await c.request(fn, ['{}']);
      // Not echoed as the event: the client ignores frames named InitSDK.
      expect(r.event).toBe('Protocol Error');
      expect(r.errCode, fn).toBe(catalog.GW_FUNCTION_FORBIDDEN.code);
    }
    expect(sup.calls.length).toBe(0);
  });

  it('answers malformed frames and keeps the connection', async () => {
    const { open } = await setup();
    const c = await open('u1');
    c.sendRaw('{not json');
    const a = await c.next((f) => f.event === 'Protocol Error');
    expect(a).toEqual({ event: 'Protocol Error', errCode: catalog.GW_PROTOCOL_ERROR.code, errMsg: expect.any(String), data: '', operationID: '' });

    c.sendRaw(JSON.stringify({ reqFuncName: 'GetAllConversationList', operationID: 'm2', userID: 'u1', data: ['not', 'a', 'string'] }));
    const b = await c.next((f) => f.operationID === 'm2');
    expect(b).toMatchObject({ event: 'GetAllConversationList', errCode: catalog.GW_PROTOCOL_ERROR.code });

    c.sendRaw(JSON.stringify({ reqFuncName: 'GetAllConversationList', operationID: 'm3', userID: 'u1', data: '{"a":1}' }));
    expect((await c.next((f) => f.operationID === 'm3')).errCode).toBe(catalog.GW_PROTOCOL_ERROR.code);

    c.sendRaw(JSON.stringify({ reqFuncName: 'GetAllConversationList', userID: 'u1', data: '[]' }));
    const d = await c.next((f) => f.errCode === catalog.GW_PROTOCOL_ERROR.code && f.event === 'GetAllConversationList' && f.operationID === '');
    expect(d.errMsg).toMatch(/operationID/);

    // Still usable.
    ok(await c.request('Login', ['u1', 't']));
  });

  it('refuses bad arguments naming the argument', async () => {
    const { open } = await setup();
    const c = await open('u1');
    ok(await c.request('Login', ['u1', 't']));
    const r = await c.request('PinConversation', ['c1', 'yes']);
    expect(r.errCode).toBe(catalog.GW_BAD_ARGUMENTS.code);
    expect(r.errMsg).toMatch(/isPinned/);
  });

  it('refuses a body userID of another user', async () => {
    const { open, sup } = await setup();
    const c = await open('u1');
    ok(await c.request('Login', ['u1', 't']));
    const r = await c.request('GetAllConversationList', [], { userID: 'u2' });
    expect(r).toMatchObject({ event: 'GetAllConversationList', errCode: catalog.GW_USER_MISMATCH.code, data: '' });
    expect(sup.calls.length).toBe(0);
  });

  it('refuses a Login for another user', async () => {
    const { open, sup } = await setup();
    const c = await open('u1');
    const r = await c.request('Login', ['u2', 't'], { userID: 'u1' });
    expect(r).toMatchObject({ event: 'Login', errCode: catalog.GW_USER_MISMATCH.code });
    expect(sup.logins.length).toBe(0);
  });

  it('refuses an operationID that is still in flight', async () => {
    const { open, sup } = await setup();
    let release!: () => void;
    sup.handlers.GetFriendList = () => new Promise<unknown[]>((r) => (release = () => r([])));
    const c = await open('u1');
    ok(await c.request('Login', ['u1', 't']));
    c.sendRaw(JSON.stringify({ reqFuncName: 'GetFriendList', operationID: 'dup', userID: 'u1', data: '[]' }));
    await until((async () => {
      while (!release) await new Promise((r) => setTimeout(r, 5));
    })(), 2_000, 'call started');
    c.sendRaw(JSON.stringify({ reqFuncName: 'GetBlackList', operationID: 'dup', userID: 'u1', data: '[]' }));
    const refused = await c.next((f) => f.operationID === 'dup' && f.event === 'GetBlackList');
    expect(refused.errCode).toBe(catalog.GW_DUPLICATE_OPERATION.code);
    release();
    const first = await c.next((f) => f.operationID === 'dup' && f.event === 'GetFriendList');
    expect(first).toMatchObject({ errCode: 0, data: '[]' });
    expect(c.frames.filter((f) => f.operationID === 'dup').length).toBe(2);
  });

  it('bounds the calls in flight on one connection with GW_BUSY', async () => {
    const { open, sup } = await setup();
    sup.inFlightCap = 2; // what a real supervisor answers for sessionConcurrency 1 + sessionQueue 1
    const releases: Array<() => void> = [];
    sup.handlers.GetFriendList = () => new Promise((r) => releases.push(() => r([])));
    const c = await open('u1');
    ok(await c.request('Login', ['u1', 't']));
    const a = c.request('GetFriendList', [], { operationID: 'a' });
    const b = c.request('GetFriendList', [], { operationID: 'b' });
    const busy = await c.request('GetFriendList', [], { operationID: 'c' });
    expect(busy).toMatchObject({ event: 'GetFriendList', errCode: catalog.GW_BUSY.code, operationID: 'c' });
    while (releases.length < 2) await new Promise((r) => setTimeout(r, 5));
    releases.forEach((r) => r());
    expect((await a).errCode).toBe(0);
    expect((await b).errCode).toBe(0);
    // Slots free again once the calls are answered.
    sup.handlers.GetFriendList = () => [];
    ok(await c.request('GetFriendList', [], { operationID: 'd' }));
  });

  it('rate-limits requests per connection', async () => {
    const { open } = await setup({ ratePerConn: 0.1, rateBurst: 3 }); // one token per 10 s: no refill during the test
    const c = await open('u1');
    const codes: number[] = [];
    for (let i = 0; i < 5; i++) codes.push((await c.request('GetLoginStatus', [])).errCode);
    expect(codes.slice(0, 3)).toEqual([0, 0, 0]);
    expect(codes.slice(3)).toEqual([catalog.GW_RATE_LIMITED.code, catalog.GW_RATE_LIMITED.code]);
  });

  it('charges refused and large frames against the rate limit too', async () => {
    const { open } = await setup({ ratePerConn: 0.1, rateBurst: 20 });
    const c = await open('u1');
    // Frames refused for bad arguments still cost tokens: they are parsed before being refused.
    const codes: number[] = [];
    for (let i = 0; i < 25; i++) codes.push((await c.request('CreateTextMessage', [1, 2, 3])).errCode);
    expect(codes.slice(0, 20).every((x) => x === catalog.GW_BAD_ARGUMENTS.code)).toBe(true);
    expect(codes.slice(20).every((x) => x === catalog.GW_RATE_LIMITED.code)).toBe(true);

    // A 640 KiB frame costs 11 tokens: two of them exhaust a fresh burst of 20.
    const d = await open('u2');
    const big = 'x'.repeat(640 * 1024);
    expect((await d.request('CreateTextMessage', [big])).errCode).not.toBe(catalog.GW_RATE_LIMITED.code);
    expect((await d.request('CreateTextMessage', [big])).errCode).toBe(catalog.GW_RATE_LIMITED.code);
  });

  it('closes a connection that keeps sending past the rate limit with 1008', async () => {
    const { open } = await setup({ ratePerConn: 0.1, rateBurst: 2 });
    const c = await open('u1');
    for (let i = 0; i < 10 && !c.closed; i++) c.ws.send(JSON.stringify({ reqFuncName: 'GetLoginStatus', operationID: `r${i}`, data: '[]' }));
    expect((await c.whenClosed()).code).toBe(1008);
  });

  it('accepts UTF-8 binary frames and answers with text', async () => {
    const { open } = await setup();
    const c = await open('u1');
    const text = await new Promise<{ data: string; isBinary: boolean }>((resolve) => {
      c.ws.once('message', (d, isBinary) => resolve({ data: String(d), isBinary }));
      c.sendRaw(Buffer.from(JSON.stringify({ reqFuncName: 'Login', operationID: 'b1', userID: 'u1', data: '["u1","t"]' })), true);
    });
    expect(text.isBinary).toBe(false);
    expect(JSON.parse(text.data)).toMatchObject({ event: 'Login', errCode: 0, operationID: 'b1' });
    c.sendRaw(Buffer.from([0xff, 0xfe, 0x00]), true);
    expect((await c.next((f) => f.event === 'Protocol Error')).errCode).toBe(catalog.GW_PROTOCOL_ERROR.code);
  });

  it('delivers a callback to both tabs of a user and nothing to a third user', async () => {
    const { open, sup } = await setup();
    const tab1 = await open('u1');
    const tab2 = await open('u1');
    const other = await open('u3');
    for (const [c, u] of [[tab1, 'u1'], [tab2, 'u1'], [other, 'u3']] as const) ok(await c.request('Login', [u, 't']));
    expect(sup.emit('u1', 5, 'OnRecvNewMessages', '[{"clientMsgID":"m1"}]')).toBe(2);
    for (const tab of [tab1, tab2]) {
      const ev = await tab.next((f) => f.event === 'OnRecvNewMessages');
      expect(ev).toEqual({ event: 'OnRecvNewMessages', errCode: 0, errMsg: '', data: '[{"clientMsgID":"m1"}]', operationID: '' });
    }
    // A round trip on the third user's socket: anything sent before it has arrived.
    ok(await other.request('GetLoginStatus', []));
    expect(other.frames.some((f) => f.event === 'OnRecvNewMessages')).toBe(false);
  });

  it('detaches from the supervisor when the socket closes', async () => {
    const { open, sup, g } = await setup();
    const c = await open('u1');
    ok(await c.request('Login', ['u1', 't']));
    await c.close();
    await until((async () => {
      while (sup.detached.length === 0 || g.server.caps.total !== 0) await new Promise((r) => setTimeout(r, 5));
    })(), 2_000, 'detach');
    expect(sup.get('u1', 5)?.connections ?? 0).toBe(0);
  });

  it('hands back the callbacks its socket never took (it was closing already), in order, once', async () => {
    const { open, sup } = await setup();
    const c = await open('u1');
    ok(await c.request('Login', ['u1', 't']));
    const client = [...sup.sessions.get('u1/5')!.clients][0]!;
    sup.emit('u1', 5, 'OnRecvNewMessages', '[1]');
    await c.next((f) => f.event === 'OnRecvNewMessages');
    client.close(1000, 'bye');
    sup.emit('u1', 5, 'OnRecvNewMessages', '[2]');
    sup.emit('u1', 5, 'OnConversationChanged', '[3]');
    await c.whenClosed(3_000);
    expect(c.frames.filter((f) => f.event.startsWith('On')).map((f) => f.data)).toEqual(['[1]']);
    expect(client.undelivered!().map((cb) => [cb.event, cb.data])).toEqual([
      ['OnRecvNewMessages', '[2]'],
      ['OnConversationChanged', '[3]'],
    ]);
    expect(client.undelivered!()).toEqual([]);
  });

  it('terminates a connection that misses a pong', async () => {
    const { open } = await setup({ pingIntervalMs: 100 });
    const c = await open('u1', 5, { autoPong: false });
    const closed = await c.whenClosed(3_000);
    expect(closed.code).toBe(1006);
  });

  it('keeps a connection that answers pings', async () => {
    const { open } = await setup({ pingIntervalMs: 150 });
    const c = await open('u1');
    await new Promise((r) => setTimeout(r, 650));
    expect(c.closed).toBeUndefined();
  });

  it('closes a slow consumer with 1013', async () => {
    const { open, sup } = await setup({ slowConsumerBytes: 1024 });
    const c = await open('u1');
    ok(await c.request('Login', ['u1', 't']));
    // Stop reading: the server's socket buffer fills and bufferedAmount grows.
    (c.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    const big = 'x'.repeat(64 * 1024);
    for (let i = 0; i < 200 && !c.closed; i++) {
      sup.emit('u1', 5, 'OnRecvNewMessages', JSON.stringify([big]));
      await new Promise((r) => setImmediate(r));
    }
    (c.ws as unknown as { _socket: { resume(): void } })._socket.resume();
    const closed = await c.whenClosed(5_000);
    expect(closed.code).toBe(1013);
    // The server stopped queueing once over the mark instead of buffering all 200 events.
    expect(c.frames.filter((f) => f.event === 'OnRecvNewMessages').length).toBeLessThan(200);
  });

  it('closes a connection that sends a frame over --max-payload with 1009', async () => {
    const { open } = await setup({ maxPayload: 2048 });
    const c = await open('u1');
    c.sendRaw(JSON.stringify({ reqFuncName: 'CreateTextMessage', operationID: 'big', userID: 'u1', data: JSON.stringify(['x'.repeat(4096)]) }));
    expect((await c.whenClosed()).code).toBe(1009);
  });

  it('keeps the socket after Logout; the connection can log in again', async () => {
    const { open, sup } = await setup();
    const c = await open('u1');
    ok(await c.request('Login', ['u1', 't']));
    expect(await c.request('Logout', [])).toMatchObject({ event: 'Logout', errCode: 0, data: '""' });
    expect((await c.request('GetLoginStatus', [])).data).toBe('1');
    expect((await c.request('GetTotalUnreadMsgCount', [])).errCode).toBe(catalog.GW_NOT_LOGGED_IN.code);
    ok(await c.request('Login', ['u1', 't']));
    expect(sup.logins.length).toBe(2);
    expect(c.closed).toBeUndefined();
  });

  it('answers GetLoginStatus 2 itself while the session is starting or restarting', async () => {
    const { open, sup } = await setup();
    const c = await open('u1');
    ok(await c.request('Login', ['u1', 't']));
    sup.loginStatus = () => 2;
    expect(await c.request('GetLoginStatus', [])).toMatchObject({ errCode: 0, data: '2' });
    expect(sup.calls.some((x) => x.fn === 'GetLoginStatus')).toBe(false);
  });

  it('refuses new frames while draining and answers the ones in flight', async () => {
    const { open, sup, g } = await setup();
    let release!: () => void;
    sup.handlers.GetFriendList = () => new Promise<unknown[]>((r) => (release = () => r(['done'])));
    const c = await open('u1');
    ok(await c.request('Login', ['u1', 't']));
    const inflight = c.request('GetFriendList', [], { operationID: 'slow' });
    await until((async () => {
      while (!release) await new Promise((r) => setTimeout(r, 5));
    })(), 2_000, 'call started');
    const closing = g.close();
    const refused = await c.request('GetBlackList', []);
    expect(refused.errCode).toBe(catalog.GW_DRAINING.code);
    release();
    expect(await inflight).toMatchObject({ errCode: 0, data: '["done"]' });
    await closing;
    expect((await c.whenClosed()).code).toBe(1001);
  });
});
