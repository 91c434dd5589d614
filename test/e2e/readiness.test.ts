// Stopping the real upstream under a logged-in real client: /readyz turns 503 naming the API and
// the message gateway while /healthz stays 200; once the upstream is back on the same ports the
// core reconnects by itself, the reconnect is counted, and /readyz is 200 again.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Gateway } from '../../src/index.ts';
import { startImServer, type ImServerHandle } from '../../src/imserver/index.ts';
import { DEFAULT_CORE_MODULE } from '../../src/supervisor/index.ts';
import { answer, newSdk, settle } from '../helpers/client.ts';
import { startTestGateway } from '../helpers/gateway.ts';
import { startTestIm, TEST_SECRET, type TestIm } from '../helpers/im.ts';

let dir: string;
let im: TestIm;
let restarted: ImServerHandle | undefined;
let gateway: Gateway;
let base: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sdkgate-readyz-'));
  im = await startTestIm({ dataDir: join(dir, 'im') });
  gateway = await startTestGateway(
    { apiAddress: im.apiAddress, wsAddress: im.wsAddress, dbDir: join(dir, 'sdk'), adminToken: 'adm', maxUpgradesPerIp: 1000 },
    { coreModule: DEFAULT_CORE_MODULE },
  );
  base = gateway.url.replace(/^ws/, 'http');
});
afterAll(async () => {
  await gateway?.close();
  await restarted?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function get(path: string): Promise<{ status: number; text: string }> {
  const res = await fetch(base + path, { headers: { authorization: 'Bearer adm' } });
  return { status: res.status, text: await res.text() };
}

const reconnects = async (): Promise<number> => Number(/^sdkgate_upstream_ws_reconnects_total (\d+)/m.exec((await get('/metrics')).text)?.[1] ?? 0);

describe('/readyz with the upstream stopped and started again', () => {
  it('turns 503 naming both upstream parts, then 200 after the core reconnected', async () => {
    await im.register('ready1');
    const sdk = newSdk();
    const { ok, res } = await settle(sdk.login({ userID: 'ready1', token: await im.userToken('ready1'), platformID: 5, apiAddr: im.apiAddress, wsAddr: gateway.url }), 30_000);
    expect(ok, JSON.stringify(res)).toBe(true);
    expect((await get('/readyz')).status).toBe(200);
    const before = await reconnects();

    const api = new URL(im.apiAddress);
    const ws = new URL(im.wsAddress);
    await im.close();
    const down = await vi.waitFor(async () => {
      const r = await get('/readyz');
      expect(r.status).toBe(503);
      return r;
    }, { timeout: 10_000, interval: 100 });
    expect(JSON.parse(down.text)).toMatchObject({ status: 'not_ready', reasons: ['upstream_api', 'msg_gateway'] });
    expect((await get('/healthz')).status).toBe(200); // liveness is not readiness

    restarted = await startImServer({ apiPort: Number(api.port), wsPort: Number(ws.port), host: '127.0.0.1', dataDir: join(dir, 'im'), secret: TEST_SECRET, logLevel: 'silent' });
    await expect.poll(async () => (await get('/readyz')).status, { timeout: 15_000, interval: 100 }).toBe(200);
    // The core's long connection backs off (0.5 s doubling) before it redials.
    await expect.poll(reconnects, { timeout: 45_000, interval: 100, message: 'a counted reconnect' }).toBeGreaterThan(before);
    expect((await answer(sdk.getLoginStatus())).data).toBe(3);
    sdk.logout().catch(() => {});
  }, 90_000);
});
