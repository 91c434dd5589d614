// Refusals an app can understand, with the real client in Chromium on a page of its own origin:
// for each refusal login() rejects with the gateway's errCode and a message (instead of a bare
// 10000), the three classes are told apart by code, and the token never reaches the console
// (Chrome prints the URL of a WebSocket whose upgrade failed; an in-band refusal upgrades).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OpenIMSDK } from 'open-im-sdk';
import { catalog } from '../../src/errors.ts';
import type { Gateway } from '../../src/index.ts';
import { newSdk, noReconnect, settle } from '../helpers/client.ts';
import { clientPageFiles, launchBrowser, recordConsole, startPageServer, type Browser, type Page, type PageServer } from '../helpers/browser.ts';
import { GATEWAY_CORE, startStack, startTestGateway, type OptionOverrides, type Stack } from '../helpers/gateway.ts';

let stack: Stack;
let browser: Browser;
let pages: PageServer;
const extra: Gateway[] = [];
const nodeClients: OpenIMSDK[] = [];

beforeAll(async () => {
  [stack, browser, pages] = await Promise.all([
    startStack({ maxConnsPerUser: 1 }),
    launchBrowser(),
    clientPageFiles().then((f) => startPageServer(f)),
  ]);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await pages?.close();
  for (const s of nodeClients) await settle(s.logout(), 2_000).catch(() => undefined);
  await Promise.all(extra.map((g) => g.close()));
  await stack?.close();
});

/** Another gateway on the same IM server. */
async function gatewayWith(overrides: OptionOverrides): Promise<Gateway> {
  const g = await startTestGateway(
    { apiAddress: stack.im.apiAddress, wsAddress: stack.im.wsAddress, dbDir: stack.dbDir, maxUpgradesPerIp: 1000, ...overrides },
    { coreModule: GATEWAY_CORE },
  );
  extra.push(g);
  return g;
}

interface Outcome {
  ok: boolean;
  errCode: number;
  errMsg: string;
}

async function page(): Promise<{ page: Page; console: string[] }> {
  const p = await (await browser.createBrowserContext()).newPage();
  const console = recordConsole(p);
  await p.goto(pages.origin + '/');
  await p.evaluate(() => {
    const w = globalThis as unknown as { OpenIM: typeof import('open-im-sdk'); sdk: OpenIMSDK };
    w.sdk = new w.OpenIM.OpenIMSDK();
  });
  return { page: p, console };
}

function browserLogin(p: Page, g: Gateway, userID: string, token: string): Promise<Outcome> {
  return p.evaluate(async (params) => {
    const sdk = (globalThis as unknown as { sdk: OpenIMSDK }).sdk;
    try {
      const r = await sdk.login(params);
      return { ok: true, errCode: r.errCode, errMsg: r.errMsg };
    } catch (e) {
      const r = e as { errCode: number; errMsg: string };
      return { ok: false, errCode: r.errCode, errMsg: r.errMsg };
    }
  }, { userID, token, platformID: 5, apiAddr: stack.im.apiAddress, wsAddr: g.url });
}

async function nodeLogin(g: Gateway, userID: string): Promise<OpenIMSDK> {
  const sdk = newSdk();
  const { ok, res } = await settle(sdk.login({ userID, token: await stack.token(userID), platformID: 5, apiAddr: stack.im.apiAddress, wsAddr: g.url }));
  expect(ok, JSON.stringify(res)).toBe(true);
  noReconnect(sdk);
  nodeClients.push(sdk);
  return sdk;
}

/** What every refusal must look like in the browser. */
function expectUnderstood(out: Outcome, code: number, lines: string[], token: string): void {
  expect(out.ok).toBe(false);
  expect(out.errCode).toBe(code);
  expect(out.errMsg).toMatch(/\S/);
  const printed = lines.join('\n');
  expect(printed).not.toContain(token);
  expect(printed).not.toMatch(/WebSocket connection to .* failed/);
}

describe('refusals in Chromium', () => {
  it('a token the server did not issue: "log in again" (GW_BAD_TOKEN)', async () => {
    const { page: p, console } = await page();
    const forged = 'eyJhbGciOiJIUzI1NiJ9.eyJVc2VySUQiOiJtYWxsb3J5In0.forged-signature';
    expectUnderstood(await browserLogin(p, stack.gateway, 'mallory', forged), catalog.GW_BAD_TOKEN.code, console, forged);
  });

  it('another user\'s token: "log in again" (GW_TOKEN_MISMATCH)', async () => {
    const { page: p, console } = await page();
    const alice = await stack.token('ref-alice');
    await stack.token('ref-mallory');
    expectUnderstood(await browserLogin(p, stack.gateway, 'ref-mallory', alice), catalog.GW_TOKEN_MISMATCH.code, console, alice);
    expect(stack.gateway.supervisor.list().find((s) => s.userID === 'ref-mallory')).toBeUndefined();
  });

  it('a page origin that is not allowed: "not allowed here" (GW_ORIGIN_FORBIDDEN)', async () => {
    const g = await gatewayWith({ allowedOrigins: ['https://app.example'] });
    const { page: p, console } = await page();
    const token = await stack.token('ref-origin');
    expectUnderstood(await browserLogin(p, g, 'ref-origin', token), catalog.GW_ORIGIN_FORBIDDEN.code, console, token);
  });

  it('the per-user connection cap: "try later", and the same client logs in once a tab is gone (GW_TOO_MANY_CONNECTIONS)', async () => {
    const first = await nodeLogin(stack.gateway, 'ref-cap'); // maxConnsPerUser is 1
    const { page: p, console } = await page();
    const token = await stack.token('ref-cap');
    expectUnderstood(await browserLogin(p, stack.gateway, 'ref-cap', token), catalog.GW_TOO_MANY_CONNECTIONS.code, console, token);
    await first.logout();
    nodeClients.splice(nodeClients.indexOf(first), 1);
    await expect.poll(() => stack.gateway.server.caps.total, { timeout: 5_000 }).toBe(0);
    // The refusal's Logout frame reset the client: the same instance tries again (no "login repeat").
    expect(await browserLogin(p, stack.gateway, 'ref-cap', token)).toMatchObject({ ok: true, errCode: 0 });
  });

  it('the session capacity: "try later" (GW_CAPACITY, from the Login answer)', async () => {
    const g = await gatewayWith({ memoryBudgetMb: 100, memoryHeadroomMb: 50, sessionCostMb: 50, warmPool: 0 });
    await nodeLogin(g, 'ref-full');
    const { page: p, console } = await page();
    const token = await stack.token('ref-late');
    expectUnderstood(await browserLogin(p, g, 'ref-late', token), catalog.GW_CAPACITY.code, console, token);
  });

  it('a draining gateway: "try later" (GW_DRAINING)', async () => {
    const g = await gatewayWith({ drainTimeoutMs: 10_000 });
    const busy = await nodeLogin(g, 'ref-busy');
    const call = settle(busy.searchLocalMessages({ conversationID: '', keywordList: ['sleep:1500'] }));
    await new Promise((r) => setTimeout(r, 100));
    const closing = g.close();
    const { page: p, console } = await page();
    const token = await stack.token('ref-drain');
    expectUnderstood(await browserLogin(p, g, 'ref-drain', token), catalog.GW_DRAINING.code, console, token);
    await call;
    await closing;
    nodeClients.splice(nodeClients.indexOf(busy), 1); // closed by the drain: nothing to log out
  });

  it('an IM server that does not answer: "try later" (GW_UPSTREAM_UNAVAILABLE)', async () => {
    const g = await gatewayWith({ apiAddress: 'http://127.0.0.1:9', wsAddress: 'ws://127.0.0.1:9', authTimeoutMs: 500 });
    const { page: p, console } = await page();
    const token = await stack.token('ref-down');
    expectUnderstood(await browserLogin(p, g, 'ref-down', token), catalog.GW_UPSTREAM_UNAVAILABLE.code, console, token);
  });

  it('a refusal before the upgrade (a bad query) is still a bare 10000, and Chrome prints the URL', async () => {
    // What in-band refusals avoid, shown once: platformID 0 is refused as plain HTTP 400.
    const { page: p, console } = await page();
    const token = await stack.token('ref-query');
    const out = await p.evaluate(async (params) => {
      const sdk = (globalThis as unknown as { sdk: OpenIMSDK }).sdk;
      try {
        await sdk.login(params);
        return { errCode: 0, errMsg: '' };
      } catch (e) {
        return e as { errCode: number; errMsg: string };
      }
    }, { userID: 'ref-query', token, platformID: 0, apiAddr: stack.im.apiAddress, wsAddr: stack.gateway.url });
    expect(out.errCode).toBe(10000);
    await expect.poll(() => console.join('\n'), { timeout: 5_000 }).toMatch(/WebSocket connection to .* failed/);
  });
});
