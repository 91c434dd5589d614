// The stack the demo's browser tests run against, as `make run` starts it: a gateway with the
// embedded IM server and the real SDK core, plus one headless Chromium. Registers its own
// beforeAll/afterAll; read the fields inside tests.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import type { Gateway } from '../../src/index.ts';
import { DEFAULT_CORE_MODULE } from '../../src/supervisor/index.ts';
import { launchBrowser, type Browser } from './browser.ts';
import { startTestGateway } from './gateway.ts';

interface DemoStack {
  gateway: Gateway;
  browser: Browser;
  /** A scratch dir removed after the file's tests. */
  dir: string;
}

export function useDemoStack(prefix: string): Readonly<DemoStack> {
  const s = {} as DemoStack;
  beforeAll(async () => {
    s.dir = mkdtempSync(join(tmpdir(), prefix));
    [s.gateway, s.browser] = await Promise.all([
      startTestGateway(
        { imApiPort: 0, imWsPort: 0, imDataDir: join(s.dir, 'im'), dbDir: join(s.dir, 'sdk'), maxUpgradesPerIp: 1000 },
        { coreModule: DEFAULT_CORE_MODULE },
      ),
      launchBrowser(),
    ]);
  }, 60_000);
  afterAll(async () => {
    await s.browser?.close();
    await s.gateway?.close();
    if (s.dir) rmSync(s.dir, { recursive: true, force: true });
  });
  return s;
}
