// The demo's HTTP side: what /demo/api/login hands out (a user token for Web, one per user, never
// the IM server's admin), what it refuses, the page's headers, and that a gateway pointed at an
// external OpenIM has no demo at all.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDemoRoutes } from '../../src/demo/routes.ts';
import { isLoopback } from '../../src/gateway/static.ts';
import { startStack } from '../helpers/gateway.ts';
import { imPost, startTestIm, TEST_SECRET, type TestIm } from '../helpers/im.ts';

let im: TestIm;
let server: Server;
let base: string;

beforeAll(async () => {
  im = await startTestIm();
  const route = createDemoRoutes({ apiAddress: im.apiAddress, secret: TEST_SECRET, log: pino({ level: 'silent' }) });
  server = createServer((req, res) => {
    route(req, res).then((handled) => {
      if (!handled) res.writeHead(404).end();
    }, () => res.writeHead(500).end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}, 30_000);

afterAll(async () => {
  server?.close();
  await im?.close();
});

async function login(body: unknown, contentType = 'application/json'): Promise<{ status: number; json: Record<string, unknown>; text: string }> {
  const res = await fetch(`${base}/demo/api/login`, { method: 'POST', headers: { 'content-type': contentType }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, json: JSON.parse(text) as Record<string, unknown>, text };
}

describe('demo login', () => {
  it('hands out a Web token of the named user, the same one to every tab, and lists the other users', async () => {
    const a = await login({ userID: 'demo-ann', nickname: 'Ann' });
    expect(a.status).toBe(200);
    expect(a.json).toMatchObject({ userID: 'demo-ann', platformID: 5, apiAddr: im.apiAddress });
    const claims = await imPost<{ userID: string; platformID: number }>(im.apiAddress, '/auth/parse_token', { token: a.json.token });
    expect(claims).toMatchObject({ userID: 'demo-ann', platformID: 5 });
    // A second tab gets the same token: a new one would kick the first tab's session.
    expect((await login({ userID: 'demo-ann' })).json.token).toBe(a.json.token);
    const b = await login({ userID: 'demo-ben' });
    expect(b.json.peers).toContain('demo-ann');
    expect(b.json.peers).not.toContain('imAdmin');
    for (const r of [a, b]) expect(r.text).not.toContain(TEST_SECRET);
  });

  it('replaces a kept token the IM server no longer accepts', async () => {
    const first = (await login({ userID: 'demo-cat' })).json.token as string;
    await imPost(im.apiAddress, '/auth/force_logout', { userID: 'demo-cat', platformID: 5 }, await im.adminToken());
    const second = (await login({ userID: 'demo-cat' })).json.token as string;
    expect(second).not.toBe(first);
    await expect(imPost(im.apiAddress, '/auth/parse_token', { token: second })).resolves.toMatchObject({ userID: 'demo-cat' });
  });

  it('refuses the IM server admin, bad IDs, bodies that are not JSON, and other content types', async () => {
    expect((await login({ userID: 'imAdmin' })).status).toBe(403);
    expect((await login({ userID: 'no spaces' })).status).toBe(400);
    expect((await login({ userID: 'x'.repeat(65) })).status).toBe(400);
    expect((await login('{not json')).status).toBe(400);
    expect((await login({ userID: 'x'.repeat(2000) })).status).toBe(400);
    // A form post (what a cross-site page can send without a preflight) is refused.
    expect((await login('userID=demo-dan', 'application/x-www-form-urlencoded')).status).toBe(415);
  });

  it('refuses a request that came through a proxy (every client would look local)', async () => {
    for (const h of [{ 'x-forwarded-for': '203.0.113.9' }, { forwarded: 'for=203.0.113.9' }, { 'x-real-ip': '203.0.113.9' }]) {
      const res = await fetch(`${base}/demo/api/login`, { method: 'POST', headers: { 'content-type': 'application/json', ...h }, body: JSON.stringify({ userID: 'demo-eve' }) });
      expect(res.status).toBe(403);
    }
  });

  it('answers loopback addresses only', () => {
    for (const a of ['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1']) expect(isLoopback(a)).toBe(true);
    for (const a of ['10.0.0.1', '192.168.1.2', '::ffff:10.0.0.1', '2001:db8::1', undefined]) expect(isLoopback(a)).toBe(false);
  });
});

describe('demo page', () => {
  it('is served with a policy that allows only its own script, and the bundle holds the unmodified client', async () => {
    const page = await fetch(`${base}/demo/`);
    expect(page.status).toBe(200);
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain(new URL(im.apiAddress).origin); // uploads go to the IM server
    expect(await page.text()).toContain('<script type="module" src="app.js">');
    const js = await fetch(`${base}/demo/app.js`);
    expect(js.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(await js.text()).toContain('login repeat'); // a string only open-im-sdk's login has
    expect((await fetch(`${base}/demo`, { redirect: 'manual' })).headers.get('location')).toBe('/demo/');
  }, 30_000);

  it('does not exist on a gateway that uses an external OpenIM', async () => {
    const stack = await startStack();
    try {
      expect(stack.gateway.demoUrl).toBeNull();
      const res = await fetch(stack.gateway.url.replace(/^ws/, 'http') + '/demo/');
      expect(res.status).toBe(404);
    } finally {
      await stack.close();
    }
  });
});
