// sdkgate on the lowest supported Node (MIN_NODE, installed from the registry on first use):
// from a clone, `bin/sdkgate.js` cannot strip types in its own process on 22.13–22.17 and
// re-execs a child node with --experimental-strip-types. SIGTERM to the launched PID must end
// both (the gateway drains and exits 0), and a launcher killed outright must not leave the
// gateway running as an orphan. The installed package on this Node is in test/package.test.ts.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { answer, newSdk, noReconnect, settle, until } from './helpers/client.ts';
import { imPost, TEST_SECRET } from './helpers/im.ts';
import { enginesFloor, MIN_NODE, minNode } from './helpers/min-node.ts';
import { alive, killAll, startProcess, waitForOutput, type Proc } from './helpers/process.ts';

const BIN = fileURLToPath(new URL('../bin/sdkgate.js', import.meta.url));
let node: string;
let dir: string;

beforeAll(() => {
  node = minNode();
  dir = mkdtempSync(join(tmpdir(), 'sdkgate-min-node-'));
}, 300_000);
const gateways = new Set<number>();
afterEach(() => {
  killAll();
  // A failing run must not leave the orphan this file is about behind.
  for (const pid of gateways) if (alive(pid)) process.kill(pid, 'SIGKILL');
  gateways.clear();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function launch(name: string): Proc {
  return startProcess(node, [
    BIN, '--sdk_ws_port', '0', '--host', '127.0.0.1', '--openIMDbDir', join(dir, name, 'sdk'), '--openIM_log_level', 'info',
    '--imserver-api-port', '0', '--imserver-ws-port', '0', '--imserver-data-dir', join(dir, name, 'im'),
  ]);
}

/** The gateway's own pid: every JSON log line carries it (the launcher's differs: it re-execs). */
async function gatewayPid(p: Proc): Promise<number> {
  const pid = Number((await waitForOutput(p, /"pid":(\d+)/))[1]);
  gateways.add(pid);
  return pid;
}

describe(`sdkgate from a clone on Node ${MIN_NODE}`, () => {
  it('is the lowest version package.json supports', () => {
    expect(MIN_NODE.startsWith(`${enginesFloor()}.`)).toBe(true);
  });

  it('serves a real client, and SIGTERM to the launched PID drains both processes with exit 0', async () => {
    const p = launch('term');
    const url = (await waitForOutput(p, /listening on (ws:\/\/\S+)/, 60_000))[1]!;
    const api = (await waitForOutput(p, /embedded IM server at (http:\/\/\S+)/))[1]!;
    const gateway = await gatewayPid(p);
    expect(gateway).not.toBe(p.child.pid);

    const admin = (await imPost<{ token: string }>(api, '/auth/get_admin_token', { secret: TEST_SECRET, userID: 'imAdmin' })).token;
    await imPost(api, '/user/user_register', { users: [{ userID: 'old1', nickname: 'o', faceURL: '', ex: '' }] }, admin);
    const token = (await imPost<{ token: string }>(api, '/auth/get_user_token', { userID: 'old1', platformID: 5 }, admin)).token;
    const sdk = newSdk();
    const { ok, res } = await settle(sdk.login({ userID: 'old1', token, platformID: 5, apiAddr: api, wsAddr: url }), 30_000);
    expect(ok, JSON.stringify(res)).toBe(true);
    noReconnect(sdk);
    expect((await answer(sdk.getTotalUnreadMsgCount())).errCode).toBe(0);

    p.child.kill('SIGTERM');
    expect(await until(p.exited, 30_000, 'the launcher to exit')).toBe(0);
    expect(alive(gateway)).toBe(false);
  }, 120_000);

  it('drains the gateway when the launcher is killed outright (no orphan)', async () => {
    const p = launch('kill');
    await waitForOutput(p, /listening on ws:\/\//, 60_000);
    const gateway = await gatewayPid(p);
    p.child.kill('SIGKILL');
    await until(p.exited, 10_000, 'the launcher to die');
    await expect.poll(() => alive(gateway), { timeout: 30_000, interval: 50, message: 'the orphaned gateway to exit' }).toBeFalsy();
  }, 120_000);
});
