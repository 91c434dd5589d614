// Real headless Chromium for browser tests, from npm alone: @sparticuz/chromium ships a Chromium
// build inside its package (brotli-compressed), puppeteer-core drives it over CDP. Nothing is
// downloaded at run time and nothing is installed by hand.
//
// One browser per test file (launchBrowser in beforeAll); pages that must not share storage get
// their own context (browser.createBrowserContext()). Test pages are served by startPageServer
// from an origin of their own, so the gateway and the IM API are cross-origin to them, as in a
// real deployment.

import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import chromium from '@sparticuz/chromium';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';

export type { Browser, BrowserContext, Page } from 'puppeteer-core';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Flags tuned for serverless that the tests must not have: `--single-process` crashes when a
 * second browser context opens, and the other two switch off the CORS and same-origin checks
 * the tests exercise.
 */
const DROPPED_FLAGS = new Set(['--single-process', '--disable-web-security', '--allow-running-insecure-content']);
/** The machine has no outside network: no update checks, sync, QUIC probes or first-run work. */
const OFFLINE_FLAGS = ['--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];

function chromiumArgs(): string[] {
  return [...chromium.args.filter((a) => !DROPPED_FLAGS.has(a)), ...OFFLINE_FLAGS];
}

let extracted: Promise<string> | undefined;

/**
 * The Chromium binary, extracted once per package version into node_modules/.cache. The library
 * extracts into os.tmpdir() (shared by everyone on the machine, and racy between processes), so
 * it is pointed at a private directory that is renamed into place when complete; a process that
 * loses the rename uses the winner's copy.
 */
function chromiumPath(): Promise<string> {
  extracted ??= (async () => {
    const pkg = join(ROOT, 'node_modules', '@sparticuz', 'chromium', 'package.json');
    const { version } = JSON.parse(readFileSync(pkg, 'utf8')) as { version: string };
    const cache = join(ROOT, 'node_modules', '.cache', 'sdkgate-browser');
    const dir = join(cache, `chromium-${version}`);
    if (!existsSync(join(dir, '.complete'))) {
      mkdirSync(cache, { recursive: true });
      const tmp = mkdtempSync(join(cache, 'extract-'));
      const saved = process.env.TMPDIR;
      process.env.TMPDIR = tmp; // read synchronously by executablePath() before its first await
      let p: Promise<string>;
      try {
        p = chromium.executablePath();
      } finally {
        if (saved === undefined) delete process.env.TMPDIR;
        else process.env.TMPDIR = saved;
      }
      await p;
      // Fonts from the package, so pages (and screenshots) render alike on any machine.
      writeFileSync(join(tmp, 'fonts.conf'),
        `<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig><dir>${dir}/fonts</dir><cachedir>${dir}/fonts-cache</cachedir></fontconfig>\n`);
      writeFileSync(join(tmp, '.complete'), '');
      try {
        renameSync(tmp, dir);
      } catch {
        rmSync(tmp, { recursive: true, force: true }); // another process finished first
      }
    }
    return join(dir, 'chromium');
  })();
  extracted.catch(() => (extracted = undefined));
  return extracted;
}

export async function launchBrowser(): Promise<Browser> {
  const executablePath = await chromiumPath();
  return puppeteer.launch({
    executablePath,
    args: chromiumArgs(),
    headless: 'shell',
    env: { ...process.env, FONTCONFIG_FILE: join(executablePath, '..', 'fonts.conf') },
    protocolTimeout: 30_000,
  });
}

// ---- pages from an origin of their own ----

export interface PageServer {
  /** http://127.0.0.1:PORT, a different origin from the gateway and the IM API. */
  readonly origin: string;
  close(): Promise<void>;
}

export interface StaticFile {
  readonly type: string;
  readonly body: string | Buffer;
}

export async function startPageServer(files: Record<string, StaticFile>): Promise<PageServer> {
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const f = files[(req.url ?? '/').split('?')[0]!];
    if (!f) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': f.type, 'cache-control': 'no-store' }).end(f.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

let clientJs: Promise<string> | undefined;

/**
 * open-im-sdk@3.5.2, unmodified, bundled for the browser with esbuild: `window.OpenIM` holds the
 * package's exports (OpenIMSDK, CbEvents, ...).
 */
function clientBundle(): Promise<string> {
  clientJs ??= (async () => {
    const esbuild = await import('esbuild');
    const out = await esbuild.build({
      stdin: { contents: "export * from 'open-im-sdk';", resolveDir: ROOT, loader: 'js' },
      bundle: true,
      format: 'iife',
      globalName: 'OpenIM',
      platform: 'browser',
      target: 'es2020',
      write: false,
      logLevel: 'silent',
    });
    return out.outputFiles[0]!.text;
  })();
  return clientJs;
}

/** A blank page that loads the real client, for tests that drive it with page.evaluate. */
export async function clientPageFiles(): Promise<Record<string, StaticFile>> {
  return {
    '/': { type: 'text/html', body: '<!doctype html><meta charset="utf-8"><title>client</title><script src="/client.js"></script>' },
    '/client.js': { type: 'text/javascript', body: await clientBundle() },
  };
}

// ---- what a page printed ----

/** Everything the page printed to its console, its uncaught errors, and its failed requests. */
export function recordConsole(page: Page): string[] {
  const lines: string[] = [];
  page.on('console', (m) => lines.push(`console.${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => lines.push(`pageerror: ${(e as Error).message ?? String(e)}`));
  page.on('requestfailed', (r) => lines.push(`requestfailed: ${r.url()} ${r.failure()?.errorText ?? ''}`));
  return lines;
}

/**
 * A screenshot for docs/screenshots/ (small PNG: the page's fixed viewport, no device scaling).
 * Every run takes it; only `npm run screenshots` (UPDATE_SCREENSHOTS=1) writes it into docs/, so
 * an ordinary test run leaves the work tree clean (the pictures hold clock times and live data).
 */
export async function docScreenshot(page: Page, name: string): Promise<void> {
  const path = process.env.UPDATE_SCREENSHOTS === '1' ? join(ROOT, 'docs', 'screenshots', name) : join(tmpdir(), `sdkgate-screenshot-${process.pid}-${name}`);
  mkdirSync(join(path, '..'), { recursive: true });
  await page.screenshot({ path, type: 'png' });
  if (process.env.UPDATE_SCREENSHOTS !== '1') rmSync(path, { force: true });
}
