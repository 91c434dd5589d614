// The README's client snippet ("For web developers") builds and runs with open-im-sdk@3.5.2:
// type-checked as browser TypeScript, bundled by esbuild, and run in Chromium on a page of its
// own origin against a real gateway (the snippet's two addresses swapped for the test's).

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CORE_MODULE } from '../../src/supervisor/index.ts';
import { newSdk, noReconnect } from '../helpers/client.ts';
import { launchBrowser, recordConsole, startPageServer, type Browser, type PageServer } from '../helpers/browser.ts';
import { startStack, type Stack } from '../helpers/gateway.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function readmeSnippet(): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.indexOf('### For web developers');
  expect(section).toBeGreaterThan(0);
  const m = /```ts\n([\s\S]*?)```/.exec(readme.slice(section));
  expect(m).not.toBeNull();
  return m![1]!;
}

let stack: Stack;
let browser: Browser;
let pages: PageServer | undefined;

beforeAll(async () => {
  [stack, browser] = await Promise.all([startStack({}, { coreModule: DEFAULT_CORE_MODULE }), launchBrowser()]);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await pages?.close();
  await stack?.close();
});

describe('the README client snippet', () => {
  it('type-checks as browser TypeScript against open-im-sdk@3.5.2', () => {
    // Under node_modules so that 'open-im-sdk' resolves to the project's copy.
    const dir = join(ROOT, 'node_modules', '.cache', 'sdkgate-readme');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'snippet.ts');
    writeFileSync(file, readmeSnippet());
    const program = ts.createProgram([file], {
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.Bundler,
      lib: ['lib.es2023.d.ts', 'lib.dom.d.ts'],
      types: [],
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      moduleDetection: ts.ModuleDetectionKind.Force,
    });
    const errors = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    expect(errors).toEqual([]);
  }, 30_000);

  it('logs in from a browser page and receives a message', async () => {
    const snippet = readmeSnippet();
    const api = "'http://127.0.0.1:10002'";
    const ws = "'ws://127.0.0.1:10003'";
    expect(snippet).toContain(api);
    expect(snippet).toContain(ws);
    const source = snippet.replace(api, JSON.stringify(stack.im.apiAddress)).replace(ws, JSON.stringify(stack.gateway.url));
    const esbuild = await import('esbuild');
    const out = await esbuild.build({
      stdin: { contents: source, loader: 'ts', resolveDir: ROOT },
      bundle: true, format: 'esm', platform: 'browser', target: 'es2022', write: false, logLevel: 'silent',
    });
    const userID = 'readme-user';
    pages = await startPageServer({
      '/': { type: 'text/html', body: '<!doctype html><meta charset="utf-8"><script type="module" src="/app.js"></script>' },
      '/app.js': { type: 'text/javascript', body: out.outputFiles[0]!.text },
      '/my-backend/openim-token': { type: 'application/json', body: JSON.stringify({ userID, token: await stack.token(userID) }) },
    });
    const page = await (await browser.createBrowserContext()).newPage();
    const lines = recordConsole(page);
    await page.goto(pages.origin + '/');
    await expect.poll(() => lines, { timeout: 15_000 }).toContain(`console.log: logged in as ${userID}`);

    const peer = newSdk();
    await peer.login({ userID: 'readme-peer', token: await stack.token('readme-peer'), platformID: 5, apiAddr: stack.im.apiAddress, wsAddr: stack.gateway.url });
    noReconnect(peer);
    const msg = await peer.createTextMessage('hello README');
    await peer.sendMessage({ recvID: userID, groupID: '', message: msg.data });
    await expect.poll(() => lines, { timeout: 15_000 }).toContain('console.log: new messages 1');
    await peer.logout();
    expect(lines.filter((l) => /error/i.test(l))).toEqual([]);
  }, 60_000);
});
