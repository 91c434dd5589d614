// Drain with the real supervisor and workers: calls in flight when SIGTERM's drain starts are
// answered, new upgrades get 503, the sessions stop, and clients are closed with 1001.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { catalog } from '../../src/errors.ts';
import { inBandRefusal, newSdk, noReconnect, RawClient, settle, upgradeUrl } from '../helpers/client.ts';
import { startStack, type Stack } from '../helpers/gateway.ts';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ drainTimeoutMs: 5_000 });
});
afterAll(async () => {
  await stack?.close();
});

describe('drain', () => {
  it('completes in-flight calls, refuses new upgrades in band (GW_DRAINING) and closes clients with 1001', async () => {
    const g = stack.gateway;
    const users = ['d1', 'd2'];
    const sdks = await Promise.all(users.map(async (u) => {
      const sdk = newSdk();
      const { ok } = await settle(sdk.login({ userID: u, token: await stack.token(u), platformID: 5, apiAddr: stack.im.apiAddress, wsAddr: g.url }));
      expect(ok).toBe(true);
      noReconnect(sdk);
      return sdk;
    }));
    const watcher = await RawClient.open(upgradeUrl(g.url, { sendID: 'd1', token: await stack.token('d1'), platformID: 5, operationID: 'w' }));
    expect((await watcher.request('Login', ['d1', 'x'])).errCode).toBe(0);

    const inflight = sdks.map((s) => settle(s.searchLocalMessages({ conversationID: '', keywordList: ['sleep:600'] })));
    await new Promise((r) => setTimeout(r, 100)); // the calls are in the workers now
    const closing = g.close();

    // A new upgrade during the drain is refused in band: login() learns GW_DRAINING (try later).
    const refused = await inBandRefusal(upgradeUrl(g.url, { sendID: 'd3', token: await stack.token('d3'), platformID: 5, operationID: 'o' }));
    expect(refused.code).toBe(4503);
    expect(refused.frames[0]?.errCode).toBe(catalog.GW_DRAINING.code);

    const results = await Promise.all(inflight);
    for (const { ok, res } of results) {
      expect(ok, JSON.stringify(res)).toBe(true);
      expect(res.data).toEqual({ totalCount: 0, searchResultItems: [] });
    }
    await closing;
    expect((await watcher.whenClosed()).code).toBe(1001);
    expect(g.supervisor.list().filter((s) => s.state !== 'stopped')).toEqual([]);
  });
});
