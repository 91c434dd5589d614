// GET /readyz against an upstream the test controls (test/helpers/fake-im.ts answers the API,
// and, on any other path, plain HTTP as a message gateway would without an upgrade): ready only
// when the API answers parse_token, the message gateway answers, the gateway is not draining
// and not at capacity; each reason in the body, and in sdkgate_ready / sdkgate_upstream_up.
// Stopping the real upstream (and the core reconnecting to it) is in test/e2e/readiness.test.ts.

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../../src/index.ts';
import { RawClient, upgradeUrl } from '../helpers/client.ts';
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
afterEach(async () => {
  im.mode = 'ok';
  await Promise.all(gateways.splice(0).map((g) => g.close()));
});

interface Ready {
  status: number;
  body: { status: string; ready: boolean; reasons: string[]; upstream: { api: string; msgGateway: string } };
}

async function setup(overrides: OptionOverrides = {}): Promise<{ g: Gateway; sup: FakeSupervisor; readyz: () => Promise<Ready> }> {
  const sup = new FakeSupervisor();
  // The fake API's port doubles as a message gateway: it answers a plain GET (404) like one.
  const g = await startTestGateway({ apiAddress: im.apiAddress, wsAddress: im.apiAddress.replace('http', 'ws'), authTimeoutMs: 300, metricsToken: 'm', ...overrides }, { supervisor: sup });
  gateways.push(g);
  const base = g.url.replace(/^ws/, 'http');
  const readyz = async (): Promise<Ready> => {
    const res = await fetch(`${base}/readyz`);
    return { status: res.status, body: (await res.json()) as Ready['body'] };
  };
  return { g, sup, readyz };
}

async function metric(g: Gateway, line: RegExp): Promise<boolean> {
  const res = await fetch(`${g.url.replace(/^ws/, 'http')}/metrics`, { headers: { authorization: 'Bearer m' } });
  return line.test(await res.text());
}

describe('/readyz', () => {
  it('answers 200 without a token while the upstream answers and there is room', async () => {
    const { g, readyz } = await setup();
    const r = await readyz();
    expect(r).toEqual({ status: 200, body: { status: 'ready', node: g.nodeId, ready: true, reasons: [], upstream: { api: 'ok', msgGateway: 'ok' } } });
    expect(await metric(g, /^sdkgate_ready 1$/m)).toBe(true);
    expect(await metric(g, /^sdkgate_upstream_up\{target="api"\} 1$/m)).toBe(true);
  });

  it.each([
    ['http500', 'HTTP 500'],
    ['garbage', 'HTTP 200'],
    ['hang', 'timeout'],
  ] as const)('is not ready while parse_token answers %s, saying why', async (mode, why) => {
    const { g, readyz } = await setup();
    im.mode = mode;
    const r = await readyz();
    expect(r.status).toBe(503);
    expect(r.body).toMatchObject({ status: 'not_ready', ready: false, reasons: ['upstream_api'], upstream: { api: why, msgGateway: 'ok' } });
    expect(await metric(g, /^sdkgate_upstream_up\{target="api"\} 0$/m)).toBe(true);
    expect(await metric(g, /^sdkgate_ready 0$/m)).toBe(true);
  });

  it('is not ready while the message gateway does not answer', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r)); // nothing listens there now
    const { readyz } = await setup({ wsAddress: `ws://127.0.0.1:${port}` });
    const r = await readyz();
    expect(r.status).toBe(503);
    expect(r.body.reasons).toEqual(['msg_gateway']);
    expect(r.body.upstream.msgGateway).toMatch(/ECONNREFUSED|timeout/);
  });

  it('is not ready while admission is full', async () => {
    const { sup, readyz } = await setup();
    sup.full = true;
    expect((await readyz()).body.reasons).toEqual(['at_capacity']);
    sup.full = false;
    expect((await readyz()).status).toBe(200);
  });

  it('is not ready while draining, while /healthz keeps answering', async () => {
    const { g, sup, readyz } = await setup();
    let release!: () => void;
    sup.handlers.GetFriendList = () => new Promise((r) => (release = () => r([])));
    const c = await RawClient.open(upgradeUrl(g.url, { sendID: 'u1', token: im.issue('u1', 5), platformID: 5, operationID: 'o' }));
    expect((await c.request('Login', ['u1', 't'])).errCode).toBe(0);
    const pending = c.request('GetFriendList', []);
    await expect.poll(() => release, { interval: 5, message: 'the call reached the worker' }).toBeTypeOf('function');
    const closing = g.close();
    const r = await readyz();
    expect(r.status).toBe(503);
    expect(r.body.reasons).toContain('draining');
    release();
    await pending;
    await closing;
    await c.close();
  });

  it('asks the upstream at most once a second however often it is polled', async () => {
    const { readyz } = await setup();
    const before = im.requests.length;
    await Promise.all(Array.from({ length: 20 }, () => readyz()));
    expect(im.requests.length - before).toBe(1);
    // The probe asks parse_token with an empty token (any envelope proves the API is up).
    expect(im.requests.at(-1)!.token).toBe('');
  });
});
