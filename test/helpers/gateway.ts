// Start a gateway on an ephemeral loopback port with test-friendly options.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { pino, type Logger } from 'pino';
import { createGateway, type Gateway, type GatewayDeps } from '../../src/index.ts';
import { REDACT_PATHS } from '../../src/log.ts';
import { resolveOptions, type GatewayOptions, type optionSpecs } from '../../src/options.ts';
import { startTestIm, type TestIm } from './im.ts';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.ts';

export type OptionOverrides = Partial<Record<keyof typeof optionSpecs, unknown>>;

export function testOptions(overrides: OptionOverrides = {}): GatewayOptions {
  return resolveOptions([], {}, {
    port: 0,
    host: '127.0.0.1',
    logLevel: 'silent',
    drainTimeoutMs: 5_000,
    ...overrides,
  });
}

/** A logger whose JSON lines are kept in memory (and can be grepped). */
export function captureLogger(level = 'debug'): { log: Logger; lines: string[]; text: () => string } {
  const lines: string[] = [];
  const dest = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString('utf8').split('\n')) if (l) lines.push(l);
      cb();
    },
  });
  const log = pino({ level, base: { pid: process.pid }, redact: { paths: REDACT_PATHS, censor: '[redacted]' } }, dest);
  return { log, lines, text: () => lines.join('\n') };
}

export async function startTestGateway(overrides: OptionOverrides = {}, deps: GatewayDeps = {}): Promise<Gateway> {
  const options = testOptions(overrides);
  return createGateway(options, deps);
}

// ---- the whole stack: real IM server (parse_token), real supervisor and workers, a core ----


/** The gateway fixture core: allow-listed names only (test/fixtures/cores/gateway-core.ts). */
export const GATEWAY_CORE = fileURLToPath(new URL('../fixtures/cores/gateway-core.ts', import.meta.url));

export interface Stack {
  /** The IM server (a new one after restartIm()). */
  readonly im: TestIm;
  readonly gateway: Gateway;
  readonly dbDir: string;
  /** With `proxyIm`: the TCP proxies the gateway's sessions reach the IM server through. */
  readonly imProxy: { readonly api: TcpProxy; readonly ws: TcpProxy } | null;
  /** Register the user (once) and get its token for the platform. */
  token(userID: string, platformID?: number): Promise<string>;
  /**
   * With `proxyIm`: stop the IM server under the running gateway and start it again on the same
   * data, behind the same proxies. `whileDown` runs while it is down.
   */
  restartIm(whileDown?: () => Promise<void>): Promise<void>;
  close(): Promise<void>;
}

export interface StackOptions {
  /**
   * Put TCP proxies (tcp-proxy.ts) between the gateway and the IM server, so a test can cut the
   * sessions' long connections and restart the IM server under the gateway.
   */
  readonly proxyIm?: boolean;
}

export async function startStack(overrides: OptionOverrides = {}, deps: GatewayDeps = {}, opts: StackOptions = {}): Promise<Stack> {
  // A restart keeps the data, so the stack owns the IM server's data dir when it may restart it.
  const imDir = opts.proxyIm ? mkdtempSync(join(tmpdir(), 'sdkgate-im-')) : undefined;
  let im = await startTestIm(imDir === undefined ? {} : { dataDir: imDir });
  const dbDir = mkdtempSync(join(tmpdir(), 'sdkgate-e2e-'));
  let gateway: Gateway;
  let imProxy: Stack['imProxy'] = null;
  try {
    if (opts.proxyIm) imProxy = { api: await startTcpProxy(portOf(im.apiAddress)), ws: await startTcpProxy(portOf(im.wsAddress)) };
    gateway = await startTestGateway(
      // Every test client shares 127.0.0.1; the per-IP upgrade rate has its own tests.
      {
        apiAddress: imProxy ? imProxy.api.url('http') : im.apiAddress,
        wsAddress: imProxy ? imProxy.ws.url('ws') : im.wsAddress,
        dbDir,
        maxUpgradesPerIp: 1000,
        ...overrides,
      },
      { coreModule: GATEWAY_CORE, ...deps },
    );
  } catch (e) {
    await im.close();
    await imProxy?.api.close();
    await imProxy?.ws.close();
    rmSync(dbDir, { recursive: true, force: true });
    if (imDir) rmSync(imDir, { recursive: true, force: true });
    throw e;
  }
  const registered = new Map<string, Promise<void>>();
  // Tokens outlive an IM restart (same secret, same data); a new one would kick the old one's sessions.
  const tokens = new Map<string, Promise<string>>();
  return {
    get im() {
      return im;
    },
    gateway,
    dbDir,
    imProxy,
    async token(userID, platformID = 5) {
      let r = registered.get(userID);
      if (!r) {
        r = im.register(userID);
        registered.set(userID, r);
      }
      await r;
      const key = `${userID}\u0000${platformID}`;
      let t = tokens.get(key);
      if (!t) {
        t = im.userToken(userID, platformID);
        tokens.set(key, t);
      }
      return t;
    },
    async restartIm(whileDown) {
      if (!imProxy || !imDir) throw new Error('restartIm needs startStack(..., { proxyIm: true })');
      imProxy.api.paused = true;
      imProxy.ws.paused = true;
      await im.close();
      imProxy.api.cut();
      imProxy.ws.cut();
      await whileDown?.();
      im = await startTestIm({ dataDir: imDir });
      imProxy.api.retarget(portOf(im.apiAddress));
      imProxy.ws.retarget(portOf(im.wsAddress));
      imProxy.api.paused = false;
      imProxy.ws.paused = false;
    },
    async close() {
      try {
        await gateway.close();
      } finally {
        await im.close();
        await imProxy?.api.close();
        await imProxy?.ws.close();
        rmSync(dbDir, { recursive: true, force: true });
        if (imDir) rmSync(imDir, { recursive: true, force: true });
      }
    },
  };
}

function portOf(address: string): number {
  return Number(new URL(address).port);
}
