// The demo chat at /demo/ in headless Chromium, against a gateway with the embedded IM server
// and the real SDK core, as `make run` starts it. Two browser contexts are two people.

import { describe, expect, it } from 'vitest';
import { docScreenshot, recordConsole, type BrowserContext, type Page } from '../helpers/browser.ts';
import { useDemoStack } from '../helpers/demo-stack.ts';

const stack = useDemoStack('sdkgate-demo-');

const T = { timeout: 15_000 };

async function openDemo(ctx: BrowserContext): Promise<{ page: Page; console: string[] }> {
  const page = await ctx.newPage();
  await page.setViewport({ width: 900, height: 560 });
  const console = recordConsole(page);
  await page.goto(stack.gateway.demoUrl!);
  return { page, console };
}

async function logIn(page: Page, userID: string): Promise<void> {
  await page.waitForSelector('body[data-state="login"]', T);
  await page.type('#login-user', userID);
  await page.type('#login-nickname', userID[0]!.toUpperCase() + userID.slice(1));
  await page.click('#login-form button[type=submit]');
  await page.waitForSelector('body[data-state="ready"]', T);
}

async function chatWith(page: Page, peer: string): Promise<void> {
  await page.type('#new-chat-user', peer);
  await page.click('#new-chat button');
  await page.waitForSelector('#composer:not([hidden])', T);
}

async function say(page: Page, text: string): Promise<void> {
  await page.type('#composer-text', text);
  await page.click('#composer button[type=submit]');
  await shows(page, text);
}

/** Wait until a message with this text is on the page. */
async function shows(page: Page, text: string): Promise<void> {
  await page.waitForFunction((t) => [...document.querySelectorAll('#messages .text')].some((e) => e.textContent === t), T, text);
}

function sessionOf(userID: string) {
  return stack.gateway.supervisor.get(userID, 5);
}

describe('the demo chat', () => {
  let alice: { page: Page; console: string[] };
  let bob: { page: Page; console: string[] };

  it('two people chat both ways, with unread counts, the conversation list, history and read receipts', async () => {
    alice = await openDemo(await stack.browser.createBrowserContext());
    bob = await openDemo(await stack.browser.createBrowserContext());
    await logIn(alice.page, 'alice');
    await logIn(bob.page, 'bob');

    await chatWith(alice.page, 'bob');
    await say(alice.page, 'Hi Bob, this goes through sdkgate');
    await say(alice.page, 'one worker thread per user');

    // Bob has not opened the chat: the conversation list and the total show 2 unread.
    await bob.page.waitForFunction(() => document.querySelector('#conversations li[data-peer="alice"] .unread')?.textContent === '2', T);
    await bob.page.waitForFunction(() => document.querySelector('#total-unread')?.textContent === '2', T);
    await bob.page.waitForFunction(() => document.querySelector('#conversations li[data-peer="alice"] .last')?.textContent === 'one worker thread per user', T);

    // Opening it loads the history and marks it read: Alice's messages turn "read".
    await bob.page.click('#conversations li[data-peer="alice"]');
    await shows(bob.page, 'Hi Bob, this goes through sdkgate');
    await shows(bob.page, 'one worker thread per user');
    await bob.page.waitForFunction(() => document.querySelector('#total-unread')?.hasAttribute('hidden'), T);
    await alice.page.waitForFunction(() => [...document.querySelectorAll('#messages li.mine .meta')].every((e) => e.textContent?.endsWith('read')), T);

    await say(bob.page, 'Hello Alice!');
    await shows(alice.page, 'Hello Alice!');
    await alice.page.waitForFunction(() => document.querySelector('#conversations li[data-peer="bob"] .last')?.textContent === 'Hello Alice!', T);
    // Alice has the chat open: what arrives there is read at once, so no unread count stays.
    await alice.page.waitForFunction(() => !document.querySelector('#conversations li[data-peer="bob"] .unread') && document.querySelector('#total-unread')?.hasAttribute('hidden'), T);
    await bob.page.waitForFunction(() => document.querySelector('#messages li.mine .meta')?.textContent?.endsWith('read'), T);

    await docScreenshot(alice.page, 'demo-alice.png');
    await docScreenshot(bob.page, 'demo-bob.png');
    for (const c of [alice, bob]) expect(c.console.filter((l) => /error/i.test(l))).toEqual([]);
  }, 60_000);

  it('a reload logs the tab in again to the same session, with its history', async () => {
    const before = sessionOf('bob')!;
    await bob.page.reload();
    await bob.page.waitForSelector('body[data-state="ready"]', T);
    await bob.page.waitForSelector('#conversations li[data-peer="alice"]', T);
    await bob.page.click('#conversations li[data-peer="alice"]');
    await shows(bob.page, 'Hello Alice!');
    const after = sessionOf('bob')!;
    expect(after.sessionId).toBe(before.sessionId);
    expect(after.threadId).toBe(before.threadId);
  }, 30_000);

  it('a second tab of the same person shares the session; logging out of one tab leaves the other working', async () => {
    const ctx = bob.page.browserContext();
    const second = await openDemo(ctx); // a new tab starts at the login form (sessionStorage is per tab)
    await logIn(second.page, 'bob');
    await chatWith(second.page, 'alice');
    await shows(second.page, 'Hello Alice!');
    expect(sessionOf('bob')).toMatchObject({ connections: 2, sessionId: sessionOf('bob')!.sessionId });

    await say(alice.page, 'both your tabs get this');
    await shows(second.page, 'both your tabs get this');
    await shows(bob.page, 'both your tabs get this');

    await second.page.click('#logout');
    await second.page.waitForSelector('body[data-state="login"]', T);
    await second.page.waitForFunction(() => document.querySelector('#messages')?.children.length === 0, T);
    await say(alice.page, 'still there?');
    await shows(bob.page, 'still there?');
    expect(sessionOf('bob')?.connections).toBe(1);

    // The last tab's logout ends the session.
    await bob.page.click('#logout');
    await bob.page.waitForSelector('body[data-state="login"]', T);
    await expect.poll(() => sessionOf('bob'), { timeout: 10_000 }).toBeUndefined();
    // And a reload after logout stays logged out.
    await bob.page.reload();
    await bob.page.waitForSelector('body[data-state="login"]', T);
  }, 60_000);
});
