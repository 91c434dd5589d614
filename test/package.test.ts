// The package as an operator gets it: `npm pack` (which builds dist/ through `prepack`), the
// tarball installed into an empty directory, and there, outside the git checkout, where Node
// refuses to strip types under node_modules: the command, a real client logging in through it,
// the README's launch path with SIGTERM, and a program that imports createGateway.
//
// The install resolves the tarball's dependencies from the local npm cache first (`make test`
// ran `npm ci`, which filled it); it reaches the registry only for what the cache lacks.

import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { newSdk, noReconnect, settle, until, type SdkResponse } from './helpers/client.ts';
import { imPost, TEST_SECRET } from './helpers/im.ts';
import { MIN_NODE, minNode } from './helpers/min-node.ts';
import { alive, killAll, nodePath, startProcess, waitForOutput } from './helpers/process.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const env = { PATH: nodePath(), HOME: process.env.HOME ?? '' };

let dir: string;
let app: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sdkgate-pack-'));
  app = join(dir, 'app');
  const tarball = execFileSync('npm', ['pack', '--silent', '--pack-destination', dir], { cwd: ROOT, env, encoding: 'utf8', timeout: 170_000 }).trim().split('\n').pop()!;
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
  execFileSync('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', join(dir, tarball)], { cwd: app, env, encoding: 'utf8', timeout: 170_000 });
}, 360_000);

afterEach(killAll);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const bin = (): string => join(app, 'node_modules', '.bin', 'sdkgate');

/** Flags for a gateway and its embedded IM server on free ports, data in the temp dir. */
function localFlags(name: string): string[] {
  return [
    '--sdk_ws_port', '0', '--host', '127.0.0.1', '--openIMDbDir', join(dir, name, 'sdk'), '--openIM_log_level', 'warn',
    '--imserver-api-port', '0', '--imserver-ws-port', '0', '--imserver-data-dir', join(dir, name, 'im'),
  ];
}

async function userToken(api: string, userID: string): Promise<string> {
  const admin = (await imPost<{ token: string }>(api, '/auth/get_admin_token', { secret: TEST_SECRET, userID: 'imAdmin' })).token;
  await imPost(api, '/user/user_register', { users: [{ userID, nickname: userID, faceURL: '', ex: '' }] }, admin);
  return (await imPost<{ token: string }>(api, '/auth/get_user_token', { userID, platformID: 5 }, admin)).token;
}

describe('the installed package', () => {
  it('ships built JS and declarations, and no TypeScript sources', () => {
    const pkg = join(app, 'node_modules', 'sdkgate');
    expect(() => readFileSync(join(pkg, 'dist', 'src', 'index.js'))).not.toThrow();
    expect(() => readFileSync(join(pkg, 'dist', 'src', 'index.d.ts'))).not.toThrow();
    expect(() => readFileSync(join(pkg, 'dist', 'workers', 'session-worker.js'))).not.toThrow();
    // Built at pack time (src/supervisor/worker-bundle.ts): esbuild is not installed here.
    expect(() => readFileSync(join(pkg, 'dist', 'workers', 'session-worker.bundle.mjs'))).not.toThrow();
    expect(() => readFileSync(join(pkg, 'src', 'cli.ts'))).toThrow();
    expect(readFileSync(join(pkg, 'LICENSE'), 'utf8')).toContain('Apache License');
  });

  it('answers `npx sdkgate --version`', () => {
    expect(execFileSync('npx', ['sdkgate', '--version'], { cwd: app, env, encoding: 'utf8', timeout: 60_000 }).trim()).toBe(`sdkgate ${VERSION}`);
  });

  it('starts with `npx sdkgate` (embedded IM server) and serves a real client', async () => {
    // npm runs the bin under `sh -c`; its own group, so the test can signal all of it at once.
    const p = startProcess('npx', ['sdkgate', ...localFlags('npx')], { cwd: app, detached: true });
    const url = (await waitForOutput(p, /listening on (ws:\/\/\S+)/, 60_000))[1]!;
    const api = (await waitForOutput(p, /embedded IM server at (http:\/\/\S+)/))[1]!;
    const token = await userToken(api, 'pkg1');
    const sdk = newSdk();
    const { ok, res } = await settle(sdk.login({ userID: 'pkg1', token, platformID: 5, apiAddr: api, wsAddr: url }), 30_000);
    expect(ok, JSON.stringify(res)).toBe(true);
    noReconnect(sdk);
    // A function that runs in the user's worker: the worker and the core load as JS.
    const r = (await sdk.getTotalUnreadMsgCount()) as unknown as SdkResponse;
    expect(r).toMatchObject({ errCode: 0, data: 0 });
    process.kill(-p.child.pid!, 'SIGTERM');
    await until(p.exited, 30_000, 'npx sdkgate to exit');
  }, 120_000);

  it('drains and exits 0 on SIGTERM to the PID of the README launch path (node_modules/.bin/sdkgate)', async () => {
    const p = startProcess(bin(), localFlags('bin'), { cwd: app });
    await waitForOutput(p, /listening on ws:\/\//, 60_000);
    const pid = p.child.pid!;
    p.child.kill('SIGTERM');
    expect(await until(p.exited, 30_000, 'exit after SIGTERM')).toBe(0);
    expect(alive(pid)).toBe(false);
  }, 90_000);

  it(`runs on Node ${MIN_NODE} too, and SIGTERM to the launched PID exits 0`, async () => {
    const old = minNode();
    const p = startProcess(bin(), localFlags('min-node'), { cwd: app, env: { PATH: `${dirname(old)}:${nodePath()}` } });
    await waitForOutput(p, /listening on ws:\/\//, 60_000);
    const pid = p.child.pid!;
    p.child.kill('SIGTERM');
    expect(await until(p.exited, 30_000, 'exit after SIGTERM'), p.stderr()).toBe(0);
    expect(alive(pid)).toBe(false);
  }, 300_000);

  it('serves the dashboard and the demo chat, whose pages were built at pack time', async () => {
    const p = startProcess(bin(), [...localFlags('web'), '--admin-token', 'pkg-admin-token'], { cwd: app });
    const url = (await waitForOutput(p, /listening on (ws:\/\/\S+)/, 60_000))[1]!;
    const demo = (await waitForOutput(p, /demo chat at (http:\/\/\S+)/))[1]!;
    const base = url.replace(/^ws/, 'http');
    const get = async (u: string) => {
      const r = await fetch(u);
      return { status: r.status, text: await r.text() };
    };
    expect(await get(`${base}/admin/`)).toMatchObject({ status: 200, text: expect.stringContaining('sdkgate admin') });
    expect((await get(`${base}/admin/app.js`)).status).toBe(200);
    expect(await get(demo)).toMatchObject({ status: 200, text: expect.stringContaining('app.js') });
    // The bundle holds the client (esbuild and open-im-sdk are not installed here).
    expect(await get(`${demo}app.js`)).toMatchObject({ status: 200, text: expect.stringContaining('login repeat') });
    const login = await fetch(`${demo}api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ userID: 'pkg-demo' }) });
    expect(login.status).toBe(200);
    expect(await login.json()).toMatchObject({ userID: 'pkg-demo', platformID: 5, token: expect.any(String) });
    p.child.kill('SIGTERM');
    expect(await until(p.exited, 30_000, 'exit after SIGTERM')).toBe(0);
  }, 90_000);

  it('lets a program import createGateway and start it', async () => {
    const program = join(app, 'main.mjs');
    writeFileSync(program, `
      import { createGateway, resolveOptions, VERSION } from 'sdkgate';
      const gateway = await createGateway(resolveOptions(${JSON.stringify(localFlags('program'))}));
      const res = await fetch(gateway.url.replace('ws:', 'http:') + '/healthz');
      console.log(JSON.stringify({ version: VERSION, url: gateway.url, healthz: res.status }));
      await gateway.close();
    `);
    const p = startProcess(process.execPath, [program], { cwd: app });
    expect(await until(p.exited, 60_000, 'the program to finish'), p.stderr()).toBe(0);
    const out = JSON.parse(p.stdout().trim().split('\n').pop()!) as { version: string; url: string; healthz: number };
    expect(out).toMatchObject({ version: VERSION, healthz: 200 });
    expect(out.url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+$/);
  }, 90_000);

  it('type-checks a TypeScript program against its declarations', () => {
    writeFileSync(join(app, 'consumer.ts'), `
      import { createGateway, resolveOptions, type Gateway, type GatewayOptions } from 'sdkgate';
      const options: GatewayOptions = resolveOptions(['--sdk_ws_port', '0']);
      const gateway: Gateway = await createGateway(options);
      const port: number = gateway.address.port;
      console.log(port, gateway.nodeId);
      await gateway.close();
    `);
    writeFileSync(join(app, 'tsconfig.json'), JSON.stringify({
      compilerOptions: { target: 'es2023', module: 'nodenext', moduleResolution: 'nodenext', strict: true, noEmit: true, types: ['node'] },
      files: ['consumer.ts'],
    }));
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    execFileSync(process.execPath, [tsc, '-p', join(app, 'tsconfig.json')], { cwd: app, env, encoding: 'utf8', timeout: 60_000 });
  }, 90_000);
});
