import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { catalog } from '../../src/errors.ts';
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
const clients: RawClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(gateways.splice(0).map((g) => g.close()));
});

const ADMIN = 'admin-secret-0123456789';

async function setup(overrides: OptionOverrides = {}): Promise<{ g: Gateway; sup: FakeSupervisor; http: (method: string, path: string, o?: { token?: string | null; body?: string }) => Promise<{ status: number; body: string; headers: Headers }> }> {
  const sup = new FakeSupervisor();
  const g = await startTestGateway({ apiAddress: im.apiAddress, wsAddress: 'ws://127.0.0.1:9', adminToken: ADMIN, ...overrides }, { supervisor: sup });
  gateways.push(g);
  const base = g.url.replace(/^ws/, 'http');
  const http = async (method: string, path: string, o: { token?: string | null; body?: string } = {}) => {
    const token = o.token === undefined ? ADMIN : o.token;
    const res = await fetch(base + path, {
      method,
      headers: { ...(token !== null ? { authorization: `Bearer ${token}` } : {}), ...(o.body ? { 'content-type': 'application/json' } : {}) },
      ...(o.body !== undefined ? { body: o.body } : {}),
    });
    return { status: res.status, body: await res.text(), headers: res.headers };
  };
  return { g, sup, http };
}

async function loggedIn(g: Gateway, userID: string): Promise<RawClient> {
  const c = await RawClient.open(upgradeUrl(g.url, { sendID: userID, token: im.issue(userID, 5), platformID: 5, operationID: 'o' }));
  clients.push(c);
  expect((await c.request('Login', [userID, 't'])).errCode).toBe(0);
  return c;
}

describe('admin API', () => {
  it('requires the bearer token', async () => {
    const { http } = await setup();
    for (const token of [null, 'wrong', `${ADMIN}x`, ADMIN.slice(0, -1)]) {
      const r = await http('GET', '/admin/sessions', { token });
      expect(r.status).toBe(401);
      expect(JSON.parse(r.body)).toEqual({ errCode: catalog.GW_ADMIN_UNAUTHORIZED.code, errMsg: expect.any(String) });
      expect(r.headers.get('www-authenticate')).toBe('Bearer');
    }
    expect((await http('GET', '/metrics', { token: null })).status).toBe(401);
  });

  it('does not exist without --admin-token', async () => {
    const { http } = await setup({ adminToken: '' });
    expect((await http('GET', '/admin/sessions', { token: '' })).status).toBe(404);
    expect((await http('GET', '/metrics', { token: null })).status).toBe(404);
    for (const path of ['/admin/', '/admin/app.js', '/admin/whoami', '/admin/events']) expect((await http('GET', path, { token: null })).status).toBe(404);
    expect((await http('POST', '/admin/login', { token: null, body: '{"token":""}' })).status).toBe(404);
  });

  it('lists sessions', async () => {
    const { g, http } = await setup();
    await loggedIn(g, 'u1');
    const r = await http('GET', '/admin/sessions');
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body).sessions).toEqual([expect.objectContaining({ userID: 'u1', platformID: 5, state: 'ready', connections: 1, restarts: 0 })]);
  });

  it('names the node that answers /admin/sessions', async () => {
    const { http } = await setup({ nodeId: 'node-a' });
    expect(JSON.parse((await http('GET', '/admin/sessions')).body)).toEqual({ node: 'node-a', sessions: [] });
  });

  it('drains the node on POST /admin/drain: clients closed once their calls are answered, the node stays up but unready', async () => {
    const { g, sup, http } = await setup({ nodeId: 'node-a' });
    let release!: () => void;
    sup.handlers.GetFriendList = () => new Promise((r) => (release = () => r([])));
    const busy = await loggedIn(g, 'u1');
    const idle = await loggedIn(g, 'u2');
    const pending = busy.request('GetFriendList', []);
    await expect.poll(() => release, { interval: 5, message: 'the call reached the worker' }).toBeTypeOf('function');
    expect((await http('POST', '/admin/drain', { token: null })).status).toBe(401);
    const drained = http('POST', '/admin/drain');
    // The idle tab goes at once, to reconnect elsewhere; the busy one gets its answer first.
    expect((await idle.whenClosed()).code).toBe(1001);
    expect(busy.closed).toBeUndefined();
    release();
    expect((await pending).errCode).toBe(0);
    expect((await busy.whenClosed()).code).toBe(1001);
    const r = await drained;
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toMatchObject({ ok: true, node: 'node-a', connections: 2, complete: true });
    expect(sup.drained).toBe(true);
    // Still serving: readiness says draining, the admin API answers, a second drain is the same one.
    expect((await http('GET', '/readyz', { token: null })).status).toBe(503);
    expect(JSON.parse((await http('GET', '/readyz', { token: null })).body).reasons).toContain('draining');
    expect((await http('POST', '/admin/drain')).status).toBe(200);
    expect((await http('GET', '/metrics')).body).toMatch(/^sdkgate_draining 1$/m);
  });

  it('restarts and unquarantines a session, 404 for an unknown one', async () => {
    const { g, http, sup } = await setup();
    await loggedIn(g, 'u1');
    const r = await http('POST', '/admin/sessions/u1/5/restart');
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body).session.restarts).toBe(1);
    expect(sup.get('u1', 5)!.restarts).toBe(1);
    expect((await http('POST', '/admin/sessions/u1/5/unquarantine')).status).toBe(200);
    const missing = await http('POST', '/admin/sessions/nobody/5/restart');
    expect(missing.status).toBe(404);
    expect(JSON.parse(missing.body).errCode).toBe(catalog.GW_ADMIN_NOT_FOUND.code);
    expect((await http('POST', '/admin/sessions/..%2F/5/restart')).status).toBe(400);
    expect((await http('POST', '/admin/sessions/u1/99/restart')).status).toBe(400);
  });

  it('refuses fault injection unless enabled', async () => {
    const { g, http, sup } = await setup();
    await loggedIn(g, 'u1');
    const r = await http('POST', '/admin/sessions/u1/5/fault', { body: '{"kind":"throw"}' });
    expect(r.status).toBe(403);
    expect(JSON.parse(r.body).errCode).toBe(catalog.GW_FAULT_INJECTION_OFF.code);
    expect(sup.faults).toEqual([]);
  });

  it('injects a fault with --fault-injection and validates the body', async () => {
    const { g, http, sup } = await setup({ faultInjection: true });
    await loggedIn(g, 'u1');
    expect((await http('POST', '/admin/sessions/u1/5/fault', { body: '{"kind":"oom"}' })).status).toBe(200);
    expect(sup.faults).toEqual([{ userID: 'u1', platformID: 5, kind: 'oom' }]);
    expect((await http('POST', '/admin/sessions/u1/5/fault', { body: '{"kind":"rm -rf"}' })).status).toBe(400);
    expect((await http('POST', '/admin/sessions/u1/5/fault', { body: 'nope' })).status).toBe(400);
    const big = await http('POST', '/admin/sessions/u1/5/fault', { body: JSON.stringify({ kind: 'throw', pad: 'x'.repeat(5000) }) });
    expect(big.status).toBe(413);
    expect(JSON.parse(big.body).errCode).toBe(catalog.GW_ADMIN_BODY_TOO_LARGE.code);
    expect((await http('POST', '/admin/sessions/u2/5/fault', { body: '{"kind":"throw"}' })).status).toBe(404);
  });

  it('serves Prometheus metrics', async () => {
    const { g, http } = await setup();
    await loggedIn(g, 'u1');
    const r = await http('GET', '/metrics');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/text\/plain/);
    expect(r.body).toMatch(/^sdkgate_connections 1$/m);
  });

  it('serves /healthz without a token, 503 while draining', async () => {
    const { g, http, sup } = await setup();
    expect((await http('GET', '/healthz', { token: null })).status).toBe(200);
    let release!: () => void;
    sup.handlers.GetFriendList = () => new Promise((r) => (release = () => r([])));
    const c = await loggedIn(g, 'u1');
    const pending = c.request('GetFriendList', []);
    await expect.poll(() => release, { interval: 5, message: 'the call reached the worker' }).toBeTypeOf('function');
    const closing = g.close();
    const h = await http('GET', '/healthz', { token: null });
    expect(h.status).toBe(503);
    expect(JSON.parse(h.body)).toEqual({ status: 'draining', node: g.nodeId });
    release();
    await pending;
    await closing;
  });

  it('answers unknown plain-HTTP paths with 404 JSON', async () => {
    const { http } = await setup();
    const r = await http('GET', '/nope', { token: null });
    expect(r.status).toBe(404);
    expect(JSON.parse(r.body).errCode).toBe(catalog.GW_ADMIN_NOT_FOUND.code);
  });
});
