// The admin dashboard's server side: cookie sessions (login, expiry, rate limit, CSRF header),
// the once-a-second feed and its history, and the SSE stream with its cap. The page itself is
// tested in Chromium (test/browser/dashboard.test.ts).

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { catalog } from '../../src/errors.ts';
import type { Gateway } from '../../src/index.ts';
import { createMetrics } from '../../src/metrics.ts';
import { AdminSessions, COOKIE_NAME } from '../../src/gateway/admin-auth.ts';
import { createAdminFeed, SERIES, type Snapshot } from '../../src/gateway/admin-history.ts';
import { startFakeIm, type FakeIm } from '../helpers/fake-im.ts';
import { FakeSupervisor } from '../helpers/fake-supervisor.ts';
import { startTestGateway } from '../helpers/gateway.ts';

const ADMIN = 'dash-admin-token-0123456789';
let im: FakeIm;
const gateways: Gateway[] = [];
beforeAll(async () => {
  im = await startFakeIm();
});
afterAll(async () => {
  await im.close();
});
afterEach(async () => {
  await Promise.all(gateways.splice(0).map((g) => g.close()));
});

async function gateway(overrides: Record<string, unknown> = {}): Promise<string> {
  const g = await startTestGateway({ apiAddress: im.apiAddress, wsAddress: 'ws://127.0.0.1:9', adminToken: ADMIN, ...overrides }, { supervisor: new FakeSupervisor() });
  gateways.push(g);
  return g.url.replace(/^ws/, 'http');
}

function login(base: string, token: string): Promise<Response> {
  return fetch(`${base}/admin/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token }) });
}

/** Read SSE events from a streaming response until `n` events arrived. */
async function events(res: Response, n: number): Promise<Array<{ event: string; data: any }>> {
  const reader = res.body!.getReader();
  const out: Array<{ event: string; data: any }> = [];
  let buf = '';
  while (out.length < n) {
    const { value, done } = await reader.read();
    if (done) break;
    buf += new TextDecoder().decode(value);
    let i;
    while ((i = buf.indexOf('\n\n')) >= 0) {
      const block = buf.slice(0, i);
      buf = buf.slice(i + 2);
      const ev = /^event: (.+)$/m.exec(block)?.[1];
      const data = /^data: (.+)$/m.exec(block)?.[1];
      if (ev && data) out.push({ event: ev, data: JSON.parse(data) });
    }
  }
  await reader.cancel();
  return out;
}

describe('dashboard login', () => {
  it('gives a session cookie for the admin token only, HttpOnly, SameSite=Strict, for /admin', async () => {
    const base = await gateway();
    const bad = await login(base, 'wrong');
    expect(bad.status).toBe(401);
    expect(bad.headers.get('set-cookie')).toBeNull();
    const ok = await login(base, ADMIN);
    expect(ok.status).toBe(204);
    const cookie = ok.headers.get('set-cookie')!;
    expect(cookie).toMatch(new RegExp(`^${COOKIE_NAME}=[A-Za-z0-9_-]{43}; HttpOnly; SameSite=Strict; Path=/admin; Max-Age=28800$`));
    expect(cookie).not.toContain(ADMIN);
    const jar = cookie.split(';')[0]!;
    expect(await (await fetch(`${base}/admin/whoami`, { headers: { cookie: jar } })).json()).toEqual({ authenticated: true });
    expect(await (await fetch(`${base}/admin/whoami`)).json()).toEqual({ authenticated: false });
    expect((await fetch(`${base}/admin/sessions`, { headers: { cookie: jar } })).status).toBe(200);
    // Behind a TLS-terminating proxy the cookie is Secure.
    const tls = await fetch(`${base}/admin/login`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-proto': 'https' }, body: JSON.stringify({ token: ADMIN }) });
    expect(tls.headers.get('set-cookie')).toMatch(/; Secure$/);
  });

  it('refuses a form post, and more than a trickle of attempts from one address', async () => {
    const base = await gateway();
    const form = await fetch(`${base}/admin/login`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `token=${ADMIN}` });
    expect(form.status).toBe(415);
    expect(((await form.json()) as { errCode: number }).errCode).toBe(catalog.GW_ADMIN_UNSUPPORTED_MEDIA_TYPE.code);
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) statuses.push((await login(base, `guess-${i}`)).status);
    expect(statuses.slice(0, 4)).toEqual([401, 401, 401, 401]);
    expect(statuses.at(-1)).toBe(429);
    const limited = await login(base, ADMIN);
    expect(limited.status).toBe(429);
    expect(((await limited.json()) as { errCode: number }).errCode).toBe(catalog.GW_ADMIN_LIMITED.code);
  });

  it('expires sessions, and a cookie needs the CSRF header to change anything', () => {
    let now = 1_000_000;
    const s = new AdminSessions(ADMIN, () => now);
    const headers: Record<string, string> = {};
    const res = { setHeader: (k: string, v: string) => (headers[k] = v) } as never;
    const req = (h: Record<string, string>, method = 'GET') => ({ headers: h, method, socket: {} }) as never;
    expect(s.login(ADMIN, req({}), res)).toBe(true);
    const jar = headers['set-cookie']!.split(';')[0]!;
    expect(s.check(req({ cookie: `other=1; ${jar}` }))).toBe('cookie');
    expect(AdminSessions.csrfOk(req({ cookie: jar }, 'POST'), 'cookie')).toBe(false);
    expect(AdminSessions.csrfOk(req({ cookie: jar, 'x-sdkgate-admin': '1' }, 'POST'), 'cookie')).toBe(true);
    expect(AdminSessions.csrfOk(req({}, 'POST'), 'bearer')).toBe(true);
    expect(s.check(req({ authorization: `Bearer ${ADMIN}` }))).toBe('bearer');
    expect(s.check(req({ authorization: 'Bearer nope', cookie: jar }))).toBeNull(); // a wrong bearer is not rescued by a cookie
    now += 8 * 3600_000;
    expect(s.check(req({ cookie: jar }))).toBeNull();
  });
});

describe('dashboard feed', () => {
  it('samples counters that the metrics registry has, as per-second rates, in a bounded ring', async () => {
    const metrics = createMetrics();
    for (const names of Object.values(SERIES)) {
      for (const n of names) expect(metrics.registry.getSingleMetric(n.replace(/_count$/, '')), n).toBeDefined();
    }
    const feed = createAdminFeed(new FakeSupervisor(), metrics, pino({ level: 'silent' }));
    try {
      await feed.current(); // the baseline
      const got: Snapshot[] = [];
      feed.subscribe((s) => got.push(s));
      metrics.callErrors.inc({ outcome: 'refused', code: '20004' }, 3);
      metrics.calls.inc({ function: 'GetLoginStatus', outcome: 'ok' });
      await expect.poll(() => got.length, { timeout: 5_000 }).toBeGreaterThanOrEqual(1);
      const s = got[0]!.sample;
      expect(s.errorsPerS).toBeGreaterThan(0);
      expect(s.callsPerS).toBeGreaterThan(0);
      expect(s.restartsPerS).toBe(0);
      expect(s.rssMb).toBeGreaterThan(10);
      expect(feed.history().length).toBeGreaterThanOrEqual(2); // the baseline and the first tick
    } finally {
      feed.close();
    }
  });
});

describe('dashboard stream', () => {
  it('sends hello with the config and history, then snapshots with every session field', async () => {
    const base = await gateway({ faultInjection: true });
    const res = await fetch(`${base}/admin/events`, { headers: { authorization: `Bearer ${ADMIN}` } });
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const [hello, first, second] = await events(res, 3);
    expect(hello!.event).toBe('hello');
    expect(hello!.data.config).toMatchObject({ faultInjection: true, faultKinds: expect.arrayContaining(['throw', 'oom']), isolation: 'thread' });
    expect(Array.isArray(hello!.data.history)).toBe(true);
    expect(first!.event).toBe('snapshot');
    expect(second!.data.at).toBeGreaterThan(first!.data.at);
    expect(second!.data).toMatchObject({ sessions: [], sample: { at: second!.data.at } });
    expect((await fetch(`${base}/admin/events`)).status).toBe(401);
  });

  it('caps open streams', async () => {
    const base = await gateway();
    const open: Response[] = [];
    try {
      for (let i = 0; i < 16; i++) {
        const r = await fetch(`${base}/admin/events`, { headers: { authorization: `Bearer ${ADMIN}` } });
        expect(r.status).toBe(200);
        open.push(r);
      }
      const over = await fetch(`${base}/admin/events`, { headers: { authorization: `Bearer ${ADMIN}` } });
      expect(over.status).toBe(429);
      expect(((await over.json()) as { errCode: number }).errCode).toBe(catalog.GW_ADMIN_LIMITED.code);
    } finally {
      await Promise.all(open.map(async (r) => r.body?.cancel()));
    }
    // Closed streams free their places.
    await expect.poll(async () => {
      const r = await fetch(`${base}/admin/events`, { headers: { authorization: `Bearer ${ADMIN}` } });
      await r.body?.cancel();
      return r.status;
    }, { timeout: 5_000 }).toBe(200);
  });

  it('serves the page with a policy that allows only its own script', async () => {
    const base = await gateway();
    const page = await fetch(`${base}/admin/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect((await fetch(`${base}/admin/app.js`)).headers.get('content-type')).toMatch(/^text\/javascript/);
  });
});
