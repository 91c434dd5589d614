// The `sdkgate` process: starts, prints where it listens, serves the real client with the real
// SDK core, and drains on SIGTERM/SIGINT with exit status 0. With no --openIM_api_address it
// starts the embedded IM server.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { answer, newSdk, noReconnect, settle, until } from '../helpers/client.ts';
import { imPost, startTestIm, TEST_SECRET, type TestIm } from '../helpers/im.ts';
import { killAll, startProcess, waitForOutput as waitFor, type Proc } from '../helpers/process.ts';

const cli = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));

function start(args: string[]): Proc {
  return startProcess(process.execPath, [cli, ...args]);
}

const dirs: string[] = [];
afterEach(() => {
  killAll();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

let im: TestIm;
beforeAll(async () => {
  im = await startTestIm();
});
afterAll(async () => {
  await im?.close();
});

function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'sdkgate-cli-'));
  dirs.push(d);
  return d;
}

describe('sdkgate', () => {
  it('serves the real client with the real core and drains on SIGTERM with exit 0', async () => {
    const p = start([
      '--sdk_ws_port', '0', '--host', '127.0.0.1', '-openIM_api_address', im.apiAddress, '-openIM_ws_address', im.wsAddress,
      '--openIMDbDir', tmp(), '--openIM_log_level', 'warn',
    ]);
    const url = (await waitFor(p, /listening on (ws:\/\/\S+)/))[1]!;
    await im.register('cli1');
    const sdk = newSdk();
    const { ok, res } = await settle(sdk.login({ userID: 'cli1', token: await im.userToken('cli1'), platformID: 5, apiAddr: im.apiAddress, wsAddr: url }), 20_000);
    expect(ok, JSON.stringify(res)).toBe(true);
    noReconnect(sdk);
    const r = await answer(sdk.getTotalUnreadMsgCount());
    expect(r.errCode).toBe(0);
    expect(r.data).toBe(0);
    p.child.kill('SIGTERM');
    expect(await until(p.exited, 20_000, 'exit after SIGTERM')).toBe(0);
    expect(p.stdout() + p.stderr()).not.toContain(await im.userToken('cli1'));
  }, 60_000);

  it('reloads the log level from the config file on SIGHUP, says what needs a restart, and keeps running on a bad file', async () => {
    const config = join(tmp(), 'sdkgate.json');
    writeFileSync(config, JSON.stringify({ openIM_log_level: 'warn' }));
    const p = start(['--config', config, '--sdk_ws_port', '0', '--host', '127.0.0.1', '-openIM_api_address', im.apiAddress, '-openIM_ws_address', im.wsAddress, '--openIMDbDir', tmp()]);
    const url = (await waitFor(p, /listening on (ws:\/\/\S+)/))[1]!;
    expect(p.stdout()).not.toContain('"level":30'); // warn: no info lines yet

    writeFileSync(config, JSON.stringify({ openIM_log_level: 'info', 'max-conns': 5 }));
    p.child.kill('SIGHUP');
    await waitFor(p, /"msg":"SIGHUP: reloaded"/);
    expect(p.stdout()).toMatch(/"flags":\["max-conns"\],"msg":"SIGHUP: these changed options take effect only after a restart"/);

    writeFileSync(config, JSON.stringify({ openIM_log_level: 'loud' }));
    p.child.kill('SIGHUP');
    await waitFor(p, /"msg":"SIGHUP: reload refused; the running configuration stays"/);
    expect(p.stdout()).toMatch(/openIM_log_level/);
    expect((await fetch(`${url.replace('ws:', 'http:')}/healthz`)).status).toBe(200);

    p.child.kill('SIGTERM');
    expect(await until(p.exited, 20_000, 'exit after SIGTERM')).toBe(0);
  }, 60_000);

  it('exits 0 on SIGINT too', async () => {
    const p = start(['--sdk_ws_port', '0', '--host', '127.0.0.1', '-openIM_api_address', im.apiAddress, '-openIM_ws_address', im.wsAddress, '--openIMDbDir', tmp(), '--openIM_log_level', 'silent']);
    await waitFor(p, /listening on/);
    p.child.kill('SIGINT');
    expect(await until(p.exited, 20_000, 'exit after SIGINT')).toBe(0);
  }, 40_000);

  it('starts the embedded IM server when no OpenIM address is given', async () => {
    const p = start([
      '--sdk_ws_port', '0', '--host', '127.0.0.1', '--openIMDbDir', tmp(), '--openIM_log_level', 'silent',
      '--imserver-api-port', '0', '--imserver-ws-port', '0', '--imserver-data-dir', tmp(),
    ]);
    const url = (await waitFor(p, /listening on (ws:\/\/\S+)/))[1]!;
    const api = (await waitFor(p, /embedded IM server at (http:\/\/\S+)/))[1]!;
    // With the embedded IM server the demo chat is on, and its URL is printed.
    const demo = (await waitFor(p, /demo chat at (http:\/\/\S+)/))[1]!;
    expect(demo).toBe(url.replace(/^ws/, 'http') + '/demo/');
    const admin = (await imPost<{ token: string }>(api, '/auth/get_admin_token', { secret: TEST_SECRET, userID: 'imAdmin' })).token;
    await imPost(api, '/user/user_register', { users: [{ userID: 'emb1', nickname: 'e', faceURL: '', ex: '' }] }, admin);
    const token = (await imPost<{ token: string }>(api, '/auth/get_user_token', { userID: 'emb1', platformID: 5 }, admin)).token;
    const sdk = newSdk();
    const { ok, res } = await settle(sdk.login({ userID: 'emb1', token, platformID: 5, apiAddr: api, wsAddr: url }), 20_000);
    expect(ok, JSON.stringify(res)).toBe(true);
    noReconnect(sdk);
    expect((await answer(sdk.getLoginStatus())).data).toBe(3);
    p.child.kill('SIGTERM');
    expect(await until(p.exited, 20_000, 'exit')).toBe(0);
  }, 60_000);

  it('exits 1 with a clear message when it cannot listen', async () => {
    const first = start(['--sdk_ws_port', '0', '--host', '127.0.0.1', '-openIM_api_address', im.apiAddress, '-openIM_ws_address', im.wsAddress, '--openIMDbDir', tmp(), '--openIM_log_level', 'silent']);
    const port = (await waitFor(first, /listening on ws:\/\/127\.0\.0\.1:(\d+)/))[1]!;
    const second = start(['--sdk_ws_port', port, '--host', '127.0.0.1', '-openIM_api_address', im.apiAddress, '-openIM_ws_address', im.wsAddress, '--openIMDbDir', tmp(), '--openIM_log_level', 'silent']);
    expect(await until(second.exited, 20_000, 'exit')).toBe(1);
    expect(second.stderr()).toMatch(/cannot start.*EADDRINUSE/);
  }, 40_000);

  it('delegates `sdkgate imserver` and exits 2 on its bad flags', async () => {
    const p = start(['imserver', '--api-port', 'nope']);
    expect(await until(p.exited, 20_000, 'exit')).toBe(2);
    expect(p.stderr()).toMatch(/--api-port/);
  });
});
