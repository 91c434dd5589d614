// The real client (open-im-sdk@3.5.2, bundled by esbuild) in headless Chromium, on a page served
// from its own origin, through the gateway and the real SDK core to the embedded IM server: what
// a web app does. Two browser contexts (separate storage, like two people) chat both ways.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CORE_MODULE } from '../../src/supervisor/index.ts';
import { clientPageFiles, launchBrowser, recordConsole, startPageServer, type Browser, type Page, type PageServer } from '../helpers/browser.ts';
import { startStack, type Stack } from '../helpers/gateway.ts';

let stack: Stack;
let browser: Browser;
let pages: PageServer;

beforeAll(async () => {
  [stack, browser, pages] = await Promise.all([
    startStack({}, { coreModule: DEFAULT_CORE_MODULE }),
    launchBrowser(),
    clientPageFiles().then((f) => startPageServer(f)),
  ]);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await pages?.close();
  await stack?.close();
});

interface PageClient {
  page: Page;
  console: string[];
}

/** A fresh context (own storage) with the client page loaded and `window.sdk` logged in. */
async function loggedIn(userID: string): Promise<PageClient> {
  const ctx = await browser.createBrowserContext();
  const page = await ctx.newPage();
  const console = recordConsole(page);
  await page.goto(pages.origin + '/');
  const token = await stack.token(userID);
  const res = await page.evaluate(async (p) => {
    const w = globalThis as unknown as { OpenIM: typeof import('open-im-sdk'); sdk: unknown; got: unknown[] };
    const sdk = new w.OpenIM.OpenIMSDK();
    w.sdk = sdk;
    w.got = [];
    sdk.on(w.OpenIM.CbEvents.OnRecvNewMessages, (r) => { w.got.push(...(r.data as unknown[])); });
    try {
      const r = await sdk.login(p);
      return { ok: true, errCode: r.errCode };
    } catch (e) {
      return { ok: false, errCode: (e as { errCode: number }).errCode, errMsg: (e as { errMsg: string }).errMsg };
    }
  }, { userID, token, platformID: 5, apiAddr: stack.im.apiAddress, wsAddr: stack.gateway.url });
  expect(res, JSON.stringify(res)).toMatchObject({ ok: true, errCode: 0 });
  return { page, console };
}

async function sendText(c: PageClient, to: string, text: string): Promise<void> {
  const r = await c.page.evaluate(async (to, text) => {
    const sdk = (globalThis as unknown as { sdk: import('open-im-sdk').OpenIMSDK }).sdk;
    const m = await sdk.createTextMessage(text);
    const sent = await sdk.sendMessage({ recvID: to, groupID: '', message: m.data });
    return sent.errCode;
  }, to, text);
  expect(r).toBe(0);
}

async function received(c: PageClient, text: string): Promise<void> {
  await c.page.waitForFunction(
    (t) => (globalThis as unknown as { got: Array<{ textElem?: { content: string } }> }).got.some((m) => m.textElem?.content === t),
    { timeout: 15_000 },
    text,
  );
}

describe('the real client in Chromium', () => {
  it('logs in from a page on another origin and two people chat both ways', async () => {
    const alice = await loggedIn('br-alice');
    const bob = await loggedIn('br-bob');
    await sendText(alice, 'br-bob', 'hello from alice');
    await received(bob, 'hello from alice');
    await sendText(bob, 'br-alice', 'hi alice');
    await received(alice, 'hi alice');
    // The token never reaches the console (the client logs nothing of it on success either).
    const token = await stack.token('br-alice');
    expect([...alice.console, ...bob.console].join('\n')).not.toContain(token);
  }, 60_000);
});
