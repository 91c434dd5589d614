// Upgrade refusals. A broken request (bad query, not GET, not a handshake) or an IP over its rate
// gets a plain HTTP answer {errCode, errMsg} and the socket is destroyed without upgrading; the
// real client's login() rejects with 10000. A refusal the app can act on (token, origin, cap,
// draining, upstream) is answered in band: the handshake completes, a Login-shaped frame carries
// the gateway's code, a Logout frame resets 3.5.2, and the socket closes with 4000 + status,
// so login() rejects with that code. Either way the server holds nothing afterwards.

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { catalog } from '../../src/errors.ts';
import type { Gateway } from '../../src/index.ts';
import { connect as tcpConnect } from 'node:net';
import { randomBytes } from 'node:crypto';
import { REFUSAL_CLOSE_MS } from '../../src/gateway/refusal.ts';
import { inBandRefusal, newSdk, rawUpgrade, settle, upgradeUrl, RawClient, until } from '../helpers/client.ts';
import { startFakeIm, type FakeIm } from '../helpers/fake-im.ts';
import { FakeSupervisor } from '../helpers/fake-supervisor.ts';
import { startTestGateway, type OptionOverrides } from '../helpers/gateway.ts';
import { expectNoSocketHeld } from '../helpers/no-socket-held.ts';

let im: FakeIm;
let sup: FakeSupervisor;
beforeAll(async () => {
  im = await startFakeIm();
});
afterAll(async () => {
  await im.close();
});

const gateways: Gateway[] = [];
afterEach(async () => {
  im.mode = 'ok';
  await Promise.all(gateways.splice(0).map((g) => g.close()));
});

async function start(overrides: OptionOverrides = {}): Promise<Gateway> {
  const g = await startTestGateway(
    { apiAddress: im.apiAddress, wsAddress: 'ws://127.0.0.1:9', authTimeoutMs: 300, ...overrides },
    { supervisor: (sup = new FakeSupervisor()) },
  );
  gateways.push(g);
  return g;
}

interface Case {
  name: string;
  overrides?: OptionOverrides;
  setup?: () => void;
  query: () => { sendID?: string; token?: string; platformID?: number | string; operationID?: string };
  headers?: Record<string, string>;
  status: number;
  code: number;
  /** Answered after a handshake (refusal.ts), closing with 4000 + status. */
  inBand?: true;
  retryAfter?: boolean;
  /** The real client cannot produce this request (it always sends an operationID, cannot set Origin). */
  rawOnly?: boolean;
}

const cases: Case[] = [
  { name: 'missing token', query: () => ({ sendID: 'u1', platformID: 5, operationID: 'op1' }), status: 400, code: catalog.GW_BAD_QUERY.code },
  { name: 'platformID out of range', query: () => ({ sendID: 'u1', token: im.issue('u1', 5), platformID: 12, operationID: 'op1' }), status: 400, code: catalog.GW_BAD_QUERY.code },
  { name: 'sendID with a slash', query: () => ({ sendID: '../u1', token: im.issue('u1', 5), platformID: 5, operationID: 'op1' }), status: 400, code: catalog.GW_BAD_QUERY.code },
  { name: 'missing operationID', rawOnly: true, query: () => ({ sendID: 'u1', token: im.issue('u1', 5), platformID: 5 }), status: 400, code: catalog.GW_BAD_QUERY.code },
  { name: 'unknown token', inBand: true, query: () => ({ sendID: 'u1', token: 'nope', platformID: 5, operationID: 'op1' }), status: 401, code: catalog.GW_BAD_TOKEN.code },
  {
    name: 'revoked token', inBand: true,
    query: () => {
      const t = im.issue('u1', 5);
      im.revoke(t, 1506);
      return { sendID: 'u1', token: t, platformID: 5, operationID: 'op1' };
    },
    status: 401, code: catalog.GW_BAD_TOKEN.code,
  },
  { name: "another user's token", inBand: true, query: () => ({ sendID: 'victim', token: im.issue('u1', 5), platformID: 5, operationID: 'op1' }), status: 403, code: catalog.GW_TOKEN_MISMATCH.code },
  { name: "another platform's token", inBand: true, query: () => ({ sendID: 'u1', token: im.issue('u1', 2), platformID: 5, operationID: 'op1' }), status: 403, code: catalog.GW_TOKEN_MISMATCH.code },
  {
    name: 'origin not allowed', inBand: true, rawOnly: true, overrides: { allowedOrigins: ['https://app.example'] }, headers: { origin: 'https://evil.example' },
    query: () => ({ sendID: 'u1', token: im.issue('u1', 5), platformID: 5, operationID: 'op1' }), status: 403, code: catalog.GW_ORIGIN_FORBIDDEN.code,
  },
  {
    name: 'upstream answering HTTP 500', inBand: true, setup: () => (im.mode = 'http500'),
    query: () => ({ sendID: 'u1', token: im.issue('u1', 5), platformID: 5, operationID: 'op1' }), status: 503, code: catalog.GW_UPSTREAM_UNAVAILABLE.code,
  },
  {
    name: 'upstream timing out', inBand: true, setup: () => (im.mode = 'hang'),
    query: () => ({ sendID: 'u1', token: im.issue('u1', 5), platformID: 5, operationID: 'op1' }), status: 503, code: catalog.GW_UPSTREAM_UNAVAILABLE.code,
  },
  {
    name: 'upstream unreachable', inBand: true, overrides: { apiAddress: 'http://127.0.0.1:9', wsAddress: 'ws://127.0.0.1:9' },
    query: () => ({ sendID: 'u1', token: 'tk', platformID: 5, operationID: 'op1' }), status: 503, code: catalog.GW_UPSTREAM_UNAVAILABLE.code,
  },
];

/**
 * A peer that completes the handshake and then never answers anything (no close frame, no
 * FIN): resolves when the server destroys the socket, with how long that took.
 */
function silentPeer(url: string): { upgraded: Promise<string>; closed: Promise<number> } {
  const u = new URL(url);
  const sock = tcpConnect(Number(u.port), u.hostname);
  let text = '';
  let t0 = 0;
  const upgraded = new Promise<string>((resolve) => {
    sock.on('data', (d) => {
      text += d.toString('latin1');
      if (t0 === 0 && text.includes('\r\n\r\n')) {
        t0 = performance.now();
        resolve(text.slice(0, text.indexOf('\r\n')));
      }
    });
  });
  sock.write(`GET ${u.pathname}${u.search} HTTP/1.1\r\nHost: ${u.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
    `Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\n\r\n`);
  const closed = new Promise<number>((resolve) => sock.on('close', () => resolve(performance.now() - t0)));
  sock.on('error', () => {});
  return { upgraded, closed };
}

describe('upgrade refusals', () => {
  for (const c of cases) {
    if (c.inBand) {
      it(`answers ${c.name} in band (${c.code}, close ${4000 + c.status}) and holds nothing`, async () => {
        const g = await start(c.overrides);
        c.setup?.();
        const r = await inBandRefusal(upgradeUrl(g.url, c.query()), c.headers);
        expect(r.frames).toEqual([
          { event: 'Login', errCode: c.code, errMsg: expect.stringMatching(/\S/), data: '', operationID: 'op1' },
          { event: 'Logout', errCode: 0, errMsg: '', data: '', operationID: '' },
        ]);
        expect(r.code).toBe(4000 + c.status);
        expect(r.reason).toMatch(/^GW_/);
        expect(sup.logins).toEqual([]);
        await expectNoSocketHeld(g);
      });
    } else {
      it(`answers HTTP ${c.status} for ${c.name} and holds no socket`, async () => {
        const g = await start(c.overrides);
        c.setup?.();
        const ans = await rawUpgrade(upgradeUrl(g.url, c.query()), c.headers);
        expect(ans.status).toBe(c.status);
        expect(ans.headers['content-type']).toBe('application/json');
        const body = JSON.parse(ans.body) as { errCode: number; errMsg: string };
        expect(body).toEqual({ errCode: c.code, errMsg: expect.any(String) });
        expect(Object.keys(body)).toEqual(['errCode', 'errMsg']);
        if (c.retryAfter) expect(Number(ans.headers['retry-after'])).toBeGreaterThan(0);
        await expectNoSocketHeld(g);
      });
    }

    if (c.rawOnly) continue;
    const expected = c.inBand ? c.code : 10000;
    it(`makes the real client's login() reject with ${expected} for ${c.name}`, async () => {
      const g = await start(c.overrides);
      c.setup?.();
      const q = c.query();
      const sdk = newSdk();
      const { ok, res } = await settle(sdk.login({
        userID: String(q.sendID ?? ''), token: String(q.token ?? ''), platformID: Number(q.platformID ?? 5),
        apiAddr: im.apiAddress, wsAddr: g.url,
      }, q.operationID));
      expect(ok).toBe(false);
      expect(res.errCode).toBe(expected);
      if (c.inBand) expect(res.errMsg).not.toBe('');
      await expectNoSocketHeld(g);
    });
  }

  it('lets the same client instance log in again after an in-band refusal', async () => {
    const g = await start();
    const sdk = newSdk();
    const bad = await settle(sdk.login({ userID: 'u1', token: 'expired-or-wrong', platformID: 5, apiAddr: im.apiAddress, wsAddr: g.url }));
    expect(bad.res.errCode).toBe(catalog.GW_BAD_TOKEN.code);
    // The Logout frame made 3.5.2 drop its dead socket: no "login repeat" answer without trying.
    await expect.poll(() => (sdk as unknown as { wsManager?: unknown }).wsManager, { timeout: 3_000, interval: 10, message: 'the client to reset' }).toBeFalsy();
    const good = await settle(sdk.login({ userID: 'u1', token: im.issue('u1', 5), platformID: 5, apiAddr: im.apiAddress, wsAddr: g.url }));
    expect(good).toMatchObject({ ok: true, res: { errCode: 0 } });
    await settle(sdk.logout());
  });

  it('destroys an in-band refusal whose peer never answers the close, within the bound', async () => {
    const g = await start();
    const peer = silentPeer(upgradeUrl(g.url, { sendID: 'u1', token: 'nope', platformID: 5, operationID: 'o' }));
    expect(await peer.upgraded).toBe('HTTP/1.1 101 Switching Protocols');
    const ms = await until(peer.closed, 10_000, 'the server to drop the silent peer');
    expect(ms).toBeGreaterThanOrEqual(REFUSAL_CLOSE_MS - 50);
    expect(ms).toBeLessThan(REFUSAL_CLOSE_MS + 5_000); // generous: a loaded machine delays timers
    await expectNoSocketHeld(g);
  });

  it('answers over HTTP once an IP has its limit of in-band refusals open', async () => {
    const g = await start({ maxUpgradesPerIp: 20 });
    const url = upgradeUrl(g.url, { sendID: 'u1', token: 'nope', platformID: 5, operationID: 'o' });
    const held = Array.from({ length: 20 }, () => silentPeer(url));
    for (const p of held) expect(await p.upgraded).toBe('HTTP/1.1 101 Switching Protocols');
    await new Promise((r) => setTimeout(r, 150)); // the upgrade rate refills a token or two
    const ans = await rawUpgrade(url);
    expect(ans.status).toBe(401);
    expect(JSON.parse(ans.body).errCode).toBe(catalog.GW_BAD_TOKEN.code);
    await Promise.all(held.map((p) => until(p.closed, 10_000, 'held refusals to end')));
    expect((await inBandRefusal(url)).code).toBe(4401); // room again
  });

  it('keeps a + in the token (the client does not URL-encode)', async () => {
    const g = await start();
    const token = im.issue('u1', 5);
    expect(token).toContain('+');
    const c = await RawClient.open(upgradeUrl(g.url, { sendID: 'u1', token, platformID: 5, operationID: 'op1' }));
    expect(im.requests.at(-1)?.token).toBe(token);
    await c.close();
  });

  it('sends the URL operationID to parse_token and echoes it in InitSDK', async () => {
    const g = await start();
    const c = await RawClient.open(upgradeUrl(g.url, { sendID: 'u1', token: im.issue('u1', 5), platformID: 5, operationID: 'opINIT' }));
    expect(c.frames[0]).toEqual({ event: 'InitSDK', errCode: 0, errMsg: '', data: '', operationID: 'opINIT' });
    expect(im.requests.at(-1)?.operationID).toBe('opINIT');
    await c.close();
  });

  it('answers 405 to a non-GET upgrade', async () => {
    const g = await start();
    const ans = await rawUpgrade(upgradeUrl(g.url, { sendID: 'u1', token: 't', platformID: 5, operationID: 'o' }), {}, 'POST');
    expect(ans.status).toBe(405);
    expect(JSON.parse(ans.body).errCode).toBe(catalog.GW_METHOD_NOT_ALLOWED.code);
    await expectNoSocketHeld(g);
  });

  it('does not call parse_token for a request that is not a WebSocket handshake', async () => {
    const g = await start();
    const before = im.requests.length;
    const ans = await rawUpgrade(upgradeUrl(g.url, { sendID: 'u1', token: im.issue('u1', 5), platformID: 5, operationID: 'o' }), { upgrade: 'h2c' });
    expect(ans.status).toBe(400);
    expect(im.requests.length).toBe(before);
  });

  it('caches a positive verdict: a second connection does not ask parse_token again', async () => {
    const g = await start();
    const token = im.issue('u1', 5);
    const url = upgradeUrl(g.url, { sendID: 'u1', token, platformID: 5, operationID: 'o1' });
    const a = await RawClient.open(url);
    const before = im.requests.length;
    const b = await RawClient.open(url);
    expect(im.requests.length).toBe(before);
    await Promise.all([a.close(), b.close()]);
  });

  it('caches a negative verdict briefly but never an unreachable upstream', async () => {
    const g = await start({ authNegativeTtlMs: 60_000 });
    const bad = { sendID: 'u1', token: 'unknown-token', platformID: 5, operationID: 'o' };
    expect((await inBandRefusal(upgradeUrl(g.url, bad))).code).toBe(4401);
    const n = im.requests.length;
    expect((await inBandRefusal(upgradeUrl(g.url, bad))).code).toBe(4401);
    expect(im.requests.length).toBe(n);

    const token = im.issue('u1', 5);
    im.mode = 'http500';
    expect((await inBandRefusal(upgradeUrl(g.url, { ...bad, token }))).code).toBe(4503);
    im.mode = 'ok';
    const c = await RawClient.open(upgradeUrl(g.url, { ...bad, token }));
    await c.close();
  });

  it('caps connections per (userID, platformID) even when upgrades race the token check', async () => {
    const g = await start({ maxConnsPerUser: 2, maxUpgradesPerIp: 1000 });
    const token = im.issue('u1', 5);
    const url = upgradeUrl(g.url, { sendID: 'u1', token, platformID: 5, operationID: 'o' });
    // All five start before any parse_token answer arrives (verdict not cached yet).
    const results = await Promise.allSettled(Array.from({ length: 5 }, () => RawClient.open(url)));
    const opened = results.filter((r) => r.status === 'fulfilled').map((r) => r.value);
    expect(opened.length).toBe(2);
    const refused = await inBandRefusal(url);
    expect(refused.code).toBe(4429);
    expect(refused.frames[0]?.errCode).toBe(catalog.GW_TOO_MANY_CONNECTIONS.code);
    // Another platform of the same user is a different pair.
    const other = await RawClient.open(upgradeUrl(g.url, { sendID: 'u1', token: im.issue('u1', 2), platformID: 2, operationID: 'o' }));
    await Promise.all([...opened, other].map((c) => c.close()));
    // Closing frees the slots.
    await expect.poll(() => g.server.caps.total, { timeout: 3_000, interval: 10, message: 'slots released' }).toBe(0);
    const again = await RawClient.open(url);
    await again.close();
  });

  it('does not let fake tokens that claim a user hold that user\'s connection slots', async () => {
    const g = await start({ maxConnsPerUser: 2, maxUpgradesPerIp: 1000, authTimeoutMs: 1_000 });
    const token = im.issue('victim', 5);
    const url = upgradeUrl(g.url, { sendID: 'victim', token, platformID: 5, operationID: 'o' });
    await (await RawClient.open(url)).close(); // the victim's verdict is now cached
    await expect.poll(() => g.server.caps.total, { timeout: 3_000, interval: 10, message: 'slot released' }).toBe(0);
    // A slow upstream keeps the attacker's made-up tokens in parse_token...
    im.mode = 'hang';
    const fakes = Array.from({ length: 5 }, (_, i) =>
      inBandRefusal(upgradeUrl(g.url, { sendID: 'victim', token: `made-up-${i}`, platformID: 5, operationID: `f${i}` })));
    await new Promise((r) => setTimeout(r, 100));
    // ...while the victim still connects, twice (its whole cap).
    const mine = [await RawClient.open(url), await RawClient.open(url)];
    for (const f of await Promise.all(fakes)) expect(f.frames[0]?.errCode).toBe(catalog.GW_UPSTREAM_UNAVAILABLE.code);
    await Promise.all(mine.map((c) => c.close()));
  });

  it('caps the total number of connections', async () => {
    const g = await start({ maxConns: 1 });
    const a = await RawClient.open(upgradeUrl(g.url, { sendID: 'u1', token: im.issue('u1', 5), platformID: 5, operationID: 'o' }));
    const ans = await inBandRefusal(upgradeUrl(g.url, { sendID: 'u2', token: im.issue('u2', 5), platformID: 5, operationID: 'o' }));
    expect(ans.code).toBe(4429);
    await a.close();
  });

  it('limits upgrade attempts per IP per second', async () => {
    const g = await start({ maxUpgradesPerIp: 1 }); // one attempt per second
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await rawUpgrade(upgradeUrl(g.url, { sendID: 'u1', platformID: 5, operationID: 'o' }))).status);
    expect(statuses).toEqual([400, 429, 429]);
    await expectNoSocketHeld(g);
  });

  it('allows a listed Origin', async () => {
    const g = await start({ allowedOrigins: ['https://app.example'] });
    const c = await RawClient.open(upgradeUrl(g.url, { sendID: 'u1', token: im.issue('u1', 5), platformID: 5, operationID: 'o' }), { origin: 'https://app.example' });
    await c.close();
  });
});
