// The `sdkgate` process: starts, prints where it listens, serves the real client with the real
// SDK core, and drains on SIGTERM/SIGINT with exit status 0. With no --openIM_api_address it
// starts the embedded IM server.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { newSdk, noReconnect, settle, until, type SdkResponse } from '../helpers/client.ts';
import { imPost, startTestIm, TEST_SECRET, type TestIm } from '../helpers/im.ts';

const cli = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));

interface Proc {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

function start(args: string[]): Proc {
  const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH ?? '' } });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, stdout: () => out, stderr: () => err, exited };
}

async function waitFor(p: Proc, re: RegExp, ms = 20_000): Promise<RegExpExecArray> {
  return until((async () => {
    for (;;) {
      const m = re.exec(p.stdout());
      if (m) return m;
      if (p.child.exitCode !== null) throw new Error(`exited ${p.child.exitCode}: ${p.stderr()}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  })(), ms, `${re} on stdout`);
}

const procs: Proc[] = [];
const dirs: string[] = [];
afterEach(() => {
  for (const p of procs.splice(0)) if (p.child.exitCode === null) p.child.kill('SIGKILL');
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
    procs.push(p);
    const url = (await waitFor(p, /listening on (ws:\/\/\S+)/))[1]!;
    await im.register('cli1');
    const sdk = newSdk();
    const { ok, res } = await settle(sdk.login({ userID: 'cli1', token: await im.userToken('cli1'), platformID: 5, apiAddr: im.apiAddress, wsAddr: url }), 20_000);
    expect(ok, JSON.stringify(res)).toBe(true);
    noReconnect(sdk);
    const r = (await sdk.getTotalUnreadMsgCount()) as unknown as SdkResponse;
    expect(r.errCode).toBe(0);
    expect(r.data).toBe(0);
    p.child.kill('SIGTERM');
    expect(await until(p.exited, 20_000, 'exit after SIGTERM')).toBe(0);
    expect(p.stdout() + p.stderr()).not.toContain(await im.userToken('cli1'));
  }, 60_000);

  it('exits 0 on SIGINT too', async () => {
    const p = start(['--sdk_ws_port', '0', '--host', '127.0.0.1', '-openIM_api_address', im.apiAddress, '-openIM_ws_address', im.wsAddress, '--openIMDbDir', tmp(), '--openIM_log_level', 'silent']);
    procs.push(p);
    await waitFor(p, /listening on/);
    p.child.kill('SIGINT');
    expect(await until(p.exited, 20_000, 'exit after SIGINT')).toBe(0);
  }, 40_000);

  it('starts the embedded IM server when no OpenIM address is given', async () => {
    const p = start([
      '--sdk_ws_port', '0', '--host', '127.0.0.1', '--openIMDbDir', tmp(), '--openIM_log_level', 'silent',
      '--imserver-api-port', '0', '--imserver-ws-port', '0', '--imserver-data-dir', tmp(),
    ]);
    procs.push(p);
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
    expect(((await sdk.getLoginStatus()) as unknown as SdkResponse).data).toBe(3);
    p.child.kill('SIGTERM');
    expect(await until(p.exited, 20_000, 'exit')).toBe(0);
  }, 60_000);

  it('exits 1 with a clear message when it cannot listen', async () => {
    const first = start(['--sdk_ws_port', '0', '--host', '127.0.0.1', '-openIM_api_address', im.apiAddress, '-openIM_ws_address', im.wsAddress, '--openIMDbDir', tmp(), '--openIM_log_level', 'silent']);
    procs.push(first);
    const port = (await waitFor(first, /listening on ws:\/\/127\.0\.0\.1:(\d+)/))[1]!;
    const second = start(['--sdk_ws_port', port, '--host', '127.0.0.1', '-openIM_api_address', im.apiAddress, '-openIM_ws_address', im.wsAddress, '--openIMDbDir', tmp(), '--openIM_log_level', 'silent']);
    procs.push(second);
    expect(await until(second.exited, 20_000, 'exit')).toBe(1);
    expect(second.stderr()).toMatch(/cannot start.*EADDRINUSE/);
  }, 40_000);

  it('delegates `sdkgate imserver` and exits 2 on its bad flags', async () => {
    const p = start(['imserver', '--api-port', 'nope']);
    procs.push(p);
    expect(await until(p.exited, 20_000, 'exit')).toBe(2);
    expect(p.stderr()).toMatch(/--api-port/);
  });
});
