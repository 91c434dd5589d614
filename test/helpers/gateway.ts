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
  readonly im: TestIm;
  readonly gateway: Gateway;
  readonly dbDir: string;
  /** Register the user (once) and get its token for the platform. */
  token(userID: string, platformID?: number): Promise<string>;
  close(): Promise<void>;
}

export async function startStack(overrides: OptionOverrides = {}, deps: GatewayDeps = {}): Promise<Stack> {
  const im = await startTestIm();
  const dbDir = mkdtempSync(join(tmpdir(), 'sdkgate-e2e-'));
  let gateway: Gateway;
  try {
    gateway = await startTestGateway(
      // Every test client shares 127.0.0.1; the per-IP upgrade rate has its own tests.
      { apiAddress: im.apiAddress, wsAddress: im.wsAddress, dbDir, maxUpgradesPerIp: 1000, ...overrides },
      { coreModule: GATEWAY_CORE, ...deps },
    );
  } catch (e) {
    await im.close();
    rmSync(dbDir, { recursive: true, force: true });
    throw e;
  }
  const registered = new Map<string, Promise<void>>();
  return {
    im,
    gateway,
    dbDir,
    async token(userID, platformID = 5) {
      let r = registered.get(userID);
      if (!r) {
        r = im.register(userID);
        registered.set(userID, r);
      }
      await r;
      return im.userToken(userID, platformID);
    },
    async close() {
      try {
        await gateway.close();
      } finally {
        await im.close();
        rmSync(dbDir, { recursive: true, force: true });
      }
    },
  };
}
