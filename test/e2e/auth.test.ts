// Auth failures of each kind against the real embedded IM server's parse_token, with the real
// supervisor: a refusal the app can act on comes in band (login() rejects with the gateway's
// code), a bad query as HTTP (login() rejects with 10000); either way the server holds no socket
// and no session or worker was created.

import { catalog } from '../../src/errors.ts';
import { inBandRefusal, newSdk, rawUpgrade, settle, upgradeUrl } from '../helpers/client.ts';
import { GATEWAY_CORE, startTestGateway, type Stack } from '../helpers/gateway.ts';
import { expectNoSocketHeld } from '../helpers/no-socket-held.ts';
import type { Gateway } from '../../src/index.ts';
import { describe, expect, test, vi } from '../helpers/fixtures.ts';

let stack: Stack;
test.override('stackSetup', { deps: { coreModule: GATEWAY_CORE } });
test.beforeAll(async ({ stack: s }) => {
  stack = s;
});

async function expectRefused(g: Gateway, userID: string, token: string, platformID: number, status: number, code: number): Promise<void> {
  const url = upgradeUrl(g.url, { sendID: userID, token, platformID, operationID: 'op-auth' });
  const inBand = status !== 400;
  if (inBand) {
    const r = await inBandRefusal(url);
    expect(r.frames[0]).toEqual({ event: 'Login', errCode: code, errMsg: expect.any(String), data: '', operationID: 'op-auth' });
    expect(r.code).toBe(4000 + status);
  } else {
    const ans = await rawUpgrade(url);
    expect(ans.status).toBe(status);
    expect(JSON.parse(ans.body)).toEqual({ errCode: code, errMsg: expect.any(String) });
  }
  const pool = (g.supervisor as { warmPool?: { spawned: number; available: number; size: number } | null }).warmPool;
  // The pool fills one spare after another from start-up: count only once it is full.
  if (pool) await vi.waitFor(() => expect(pool.available).toBe(pool.size), { timeout: 20_000, interval: 20 });
  const spares = pool?.spawned;
  const sdk = newSdk();
  const { ok, res } = await settle(sdk.login({ userID, token, platformID, apiAddr: stack.im.apiAddress, wsAddr: g.url }));
  expect(ok).toBe(false);
  expect(res.errCode).toBe(inBand ? code : 10000);
  await expectNoSocketHeld(g);
  expect(g.supervisor.list()).toEqual([]);
  // No spare worker was taken (the pool would have spawned a replacement).
  expect((g.supervisor as { warmPool?: { spawned: number } | null }).warmPool?.spawned).toBe(spares);
}

describe('auth at the upgrade (real parse_token)', () => {
  test('refuses a token the IM server did not issue (20031, close 4401)', async () => {
    await expectRefused(stack.gateway, 'mallory', 'eyJhbGciOiJIUzI1NiJ9.e30.forged', 5, 401, catalog.GW_BAD_TOKEN.code);
  });

  test("refuses another user's valid token (20032, close 4403)", async () => {
    const aliceToken = await stack.token('alice');
    await stack.token('mallory');
    await expectRefused(stack.gateway, 'mallory', aliceToken, 5, 403, catalog.GW_TOKEN_MISMATCH.code);
  });

  test("refuses the user's token for another platform (20032, close 4403)", async () => {
    const iosToken = await stack.token('alice', 1);
    await expectRefused(stack.gateway, 'alice', iosToken, 5, 403, catalog.GW_TOKEN_MISMATCH.code);
  });

  test('refuses a bad query with HTTP 400', async () => {
    await expectRefused(stack.gateway, 'alice', await stack.token('alice'), 0, 400, catalog.GW_BAD_QUERY.code);
  });

  test('answers 20036 (close 4503) when the IM server is down', async () => {
    // A second gateway whose upstream address has nothing listening.
    const g = await startTestGateway(
      { apiAddress: 'http://127.0.0.1:9', wsAddress: 'ws://127.0.0.1:9', authTimeoutMs: 500, dbDir: stack.dbDir },
      { coreModule: GATEWAY_CORE },
    );
    try {
      await expectRefused(g, 'alice', await stack.token('alice'), 5, 503, catalog.GW_UPSTREAM_UNAVAILABLE.code);
    } finally {
      await g.close();
    }
  });
});
