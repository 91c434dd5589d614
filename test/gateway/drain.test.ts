// Graceful drain (SIGTERM/SIGINT path): in-flight calls complete, new upgrades get 503, the
// supervisor drains, clients are closed with 1001, and the whole thing is bounded.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { catalog } from '../../src/errors.ts';
import { inBandRefusal, RawClient, upgradeUrl } from '../helpers/client.ts';
import { startFakeIm, type FakeIm } from '../helpers/fake-im.ts';
import { FakeSupervisor } from '../helpers/fake-supervisor.ts';
import { startTestGateway } from '../helpers/gateway.ts';

let im: FakeIm;
beforeAll(async () => {
  im = await startFakeIm();
});
afterAll(async () => {
  await im.close();
});

describe('GatewayServer#close', () => {
  it('completes in-flight calls, refuses new upgrades with 503, then closes clients with 1001', async () => {
    const sup = new FakeSupervisor();
    const g = await startTestGateway({ apiAddress: im.apiAddress, wsAddress: 'ws://127.0.0.1:9' }, { supervisor: sup });
    const releases: Array<() => void> = [];
    sup.handlers.GetFriendList = () => new Promise((r) => releases.push(() => r(['ok'])));
    const tabs = await Promise.all(['u1', 'u1', 'u2'].map(async (u) => {
      const c = await RawClient.open(upgradeUrl(g.url, { sendID: u, token: im.issue(u, 5), platformID: 5, operationID: 'o' }));
      expect((await c.request('Login', [u, 't'])).errCode).toBe(0);
      return c;
    }));
    const inflight = tabs.map((c, i) => c.request('GetFriendList', [], { operationID: `slow${i}` }));
    await expect.poll(() => releases.length, { interval: 5, message: 'the calls reached the worker' }).toBe(3);

    const closing = g.close();
    // A new upgrade during the drain is refused in band: login() learns GW_DRAINING (try later).
    const refused = await inBandRefusal(upgradeUrl(g.url, { sendID: 'u3', token: im.issue('u3', 5), platformID: 5, operationID: 'o' }));
    expect(refused.code).toBe(4503);
    expect(refused.frames[0]?.errCode).toBe(catalog.GW_DRAINING.code);
    // Sockets are still open while calls run.
    expect(tabs.every((c) => c.closed === undefined)).toBe(true);

    setTimeout(() => releases.forEach((r) => r()), 100);
    const answers = await Promise.all(inflight);
    for (const a of answers) expect(a).toMatchObject({ event: 'GetFriendList', errCode: 0, data: '["ok"]' });
    await closing;
    expect(sup.drained).toBe(true);
    for (const c of tabs) expect((await c.whenClosed()).code).toBe(1001);
  });

  it('is bounded when a call never finishes', async () => {
    const sup = new FakeSupervisor();
    const g = await startTestGateway({ apiAddress: im.apiAddress, wsAddress: 'ws://127.0.0.1:9', drainTimeoutMs: 300 }, { supervisor: sup });
    sup.handlers.GetFriendList = () => new Promise(() => undefined);
    const c = await RawClient.open(upgradeUrl(g.url, { sendID: 'u1', token: im.issue('u1', 5), platformID: 5, operationID: 'o' }));
    expect((await c.request('Login', ['u1', 't'])).errCode).toBe(0);
    void c.request('GetFriendList', []).catch(() => undefined);
    const t0 = Date.now();
    await g.close();
    expect(Date.now() - t0).toBeLessThan(4_000);
    await c.whenClosed();
  });

  it('is idempotent', async () => {
    const g = await startTestGateway({ apiAddress: im.apiAddress, wsAddress: 'ws://127.0.0.1:9' }, { supervisor: new FakeSupervisor() });
    await Promise.all([g.close(), g.close()]);
    await g.close();
  });
});
