// The ops dashboard at /admin/ in headless Chromium, against the real supervisor and workers:
// login with the admin token (then only an HttpOnly cookie), live updates over SSE, and a fault
// injected from the page that crashes one user's worker while another user's row stays ready.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OpenIMSDK } from 'open-im-sdk';
import { answer, newSdk, noReconnect, settle } from '../helpers/client.ts';
import { docScreenshot, launchBrowser, recordConsole, type Browser, type Page } from '../helpers/browser.ts';
import { startStack, type Stack } from '../helpers/gateway.ts';

const ADMIN = 'dashboard-admin-token-7f3a9c';
let stack: Stack;
let browser: Browser;
let base: string;
const sdks: OpenIMSDK[] = [];

beforeAll(async () => {
  [stack, browser] = await Promise.all([
    startStack({
      adminToken: ADMIN, faultInjection: true,
      // The first restart waits 2-4 s (equal jitter): a 1 s dashboard sample sees the backoff
      // even on a loaded machine.
      restartBackoffMs: 4_000, restartBackoffMaxMs: 8_000,
    }),
    launchBrowser(),
  ]);
  base = stack.gateway.url.replace(/^ws/, 'http');
  for (const userID of ['dash-a', 'dash-b']) {
    const sdk = newSdk();
    const { ok, res } = await settle(sdk.login({ userID, token: await stack.token(userID), platformID: 5, apiAddr: stack.im.apiAddress, wsAddr: stack.gateway.url }));
    expect(ok, JSON.stringify(res)).toBe(true);
    noReconnect(sdk);
    sdks.push(sdk);
  }
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

const T = { timeout: 15_000 };

async function logIn(page: Page, token = ADMIN): Promise<void> {
  await page.goto(base + '/admin/');
  await page.waitForSelector('body[data-state="login"]', T);
  await page.type('#admin-token', token);
  await page.click('#login-form button[type=submit]');
}

describe('the admin dashboard', () => {
  it('shows a fault injected from the page crash one session, back off and come back, while the other stays ready', async () => {
    const page = await (await browser.createBrowserContext()).newPage();
    await page.setViewport({ width: 1366, height: 400 });
    const console = recordConsole(page);
    const urls: string[] = [];
    page.on('request', (r) => urls.push(r.url()));
    await logIn(page);
    await page.waitForSelector('body[data-state="live"]', T);
    await page.waitForSelector('tr[data-user="dash-a"][data-state="ready"]', T);
    await page.waitForSelector('tr[data-user="dash-b"][data-state="ready"]', T);
    for (const s of ['callsPerS', 'errorsPerS', 'restartsPerS', 'rssMb', 'sessionHeapMb']) await page.waitForSelector(`.chart[data-series="${s}"]`, T);
    expect(await page.$eval('.card[data-card="capacity"] .value', (e) => e.textContent)).toMatch(/^2 \/ \d+$/);

    // Some traffic for the charts (a few seconds of calls by both users).
    const until = Date.now() + 3_000;
    await Promise.all(sdks.map(async (sdk) => {
      while (Date.now() < until) {
        await sdk.getTotalUnreadMsgCount();
        await new Promise((r) => setTimeout(r, 40));
      }
    }));
    await page.waitForFunction(() => Number(document.querySelector('.chart[data-series="callsPerS"] b')?.textContent) > 0, T);

    // Record every state each row shows from here on.
    await page.evaluate(() => {
      const seen: Record<string, string[]> = {};
      (globalThis as unknown as { seen: typeof seen }).seen = seen;
      const note = (): void => {
        for (const tr of document.querySelectorAll<HTMLElement>('#sessions tr[data-user]')) {
          const list = (seen[tr.dataset.user!] ??= []);
          if (list.at(-1) !== tr.dataset.state) list.push(tr.dataset.state!);
        }
      };
      note();
      new MutationObserver(note).observe(document.querySelector('#sessions tbody')!, { subtree: true, attributes: true, childList: true });
    });

    await page.select('#fault-kind', 'throw');
    await page.click('tr[data-user="dash-a"] button[data-action="fault"]');
    await page.waitForFunction(() => document.querySelector('#action-result')?.textContent === 'fault throw dash-a/5: done', T);
    await page.waitForSelector('tr[data-user="dash-a"][data-state="backoff"]', T);
    await docScreenshot(page, 'dashboard.png');
    await page.waitForSelector('tr[data-user="dash-a"][data-state="ready"]', T);
    const row = await page.$eval('tr[data-user="dash-a"]', (tr) => ({
      restarts: tr.querySelector('[data-col="restarts"]')?.textContent,
      lastExit: tr.querySelector('[data-col="lastExit"]')?.textContent,
    }));
    expect(row.restarts).toBe('1');
    expect(row.lastExit).toMatch(/^exception/);
    const seen = await page.evaluate(() => (globalThis as unknown as { seen: Record<string, string[]> }).seen);
    expect(seen['dash-a']![0]).toBe('ready');
    expect(seen['dash-a']).toContain('backoff');
    expect(seen['dash-a']!.at(-1)).toBe('ready');
    expect(seen['dash-b']).toEqual(['ready']);

    // The other user was never touched.
    expect((await answer(sdks[1]!.getTotalUnreadMsgCount())).errCode).toBe(0);

    // The other actions: unquarantine applies to quarantined sessions only; restart from the page.
    expect(await page.$eval('tr[data-user="dash-b"] button[data-action="unquarantine"]', (b) => b.disabled)).toBe(true);
    const threadBefore = await page.$eval('tr[data-user="dash-b"] [data-col="threadId"]', (e) => e.textContent);
    await page.click('tr[data-user="dash-b"] button[data-action="restart"]');
    await page.waitForFunction(() => document.querySelector('#action-result')?.textContent === 'restart dash-b/5: done', T);
    await page.waitForFunction((before) => {
      const tr = document.querySelector<HTMLElement>('tr[data-user="dash-b"]');
      const thread = tr?.querySelector('[data-col="threadId"]')?.textContent;
      return tr?.dataset.state === 'ready' && thread !== before && thread !== '–';
    }, T, threadBefore);
    expect(urls.join('\n')).not.toContain(ADMIN);
    expect(console.filter((l) => /error/i.test(l))).toEqual([]);
  }, 60_000);

  it('keeps the token out of the page: an HttpOnly SameSite=Strict cookie for /admin, refused without the CSRF header, gone after logout', async () => {
    const page = await (await browser.createBrowserContext()).newPage();
    await logIn(page, 'not-the-token');
    await page.waitForFunction(() => document.querySelector('#login-error')?.textContent === 'Wrong token.', T);
    await logIn(page);
    await page.waitForSelector('body[data-state="live"]', T);

    const cookies = await page.browserContext().cookies();
    expect(cookies).toHaveLength(1);
    const cookie = cookies[0]!;
    expect(cookie).toMatchObject({ name: 'sdkgate_admin', httpOnly: true, sameSite: 'Strict', path: '/admin' });
    expect(cookie.value).not.toContain(ADMIN);
    expect(await page.evaluate(() => document.cookie)).toBe('');

    // The cookie alone does not make a state-changing request (a cross-site form could send it
    // if SameSite were ever lost); the page's own requests carry the header.
    const jar = `${cookie.name}=${cookie.value}`;
    const bare = await fetch(`${base}/admin/sessions/dash-b/5/restart`, { method: 'POST', headers: { cookie: jar } });
    expect(bare.status).toBe(401);
    expect((await fetch(`${base}/admin/sessions`, { headers: { cookie: jar } })).status).toBe(200);

    await page.click('#logout');
    await page.waitForSelector('body[data-state="login"]', T);
    expect((await fetch(`${base}/admin/sessions`, { headers: { cookie: jar } })).status).toBe(401);
    expect(await page.browserContext().cookies()).toEqual([]);
  }, 30_000);
});
