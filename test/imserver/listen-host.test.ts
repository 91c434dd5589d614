// The IM server's listen host: the option takes effect (through sdkgate's options too), and a
// non-loopback address with OpenIM's default secret is warned about loudly before listening.
// Tests stay on loopback: 127.0.0.2 stands for "another address", and the warning is checked
// with 192.0.2.1 (TEST-NET, never assigned), whose bind fails after the warning.

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { startEmbeddedIm } from '../../src/embedded-im.ts';
import { exposureWarning, isLoopbackHost } from '../../src/imserver/exposure.ts';
import { startImServer } from '../../src/imserver/index.ts';
import { createImServer } from '../../src/imserver/server.ts';
import { captureLogger, testOptions } from '../helpers/gateway.ts';
import { imPost } from '../helpers/im.ts';
import { uploadBytes } from '../helpers/upload.ts';

const CLI = fileURLToPath(new URL('../../src/imserver/cli.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'sdkgate-im-host-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function reachable(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host, port, method: 'OPTIONS', path: '/', timeout: 5000 }, (res) => {
      res.resume();
      resolve(true);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

describe('IM server listen host', () => {
  it('warns only for a non-loopback address with the default secret', () => {
    for (const h of ['127.0.0.1', '127.0.0.2', '::1', '[::1]', 'localhost']) {
      expect(isLoopbackHost(h)).toBe(true);
      expect(exposureWarning(h, 'openIM123')).toBeUndefined();
    }
    for (const h of ['0.0.0.0', '::', '192.168.1.5']) expect(exposureWarning(h, 'openIM123')).toMatch(/^SECURITY: .*get_admin_token/);
    expect(exposureWarning('0.0.0.0', 'a-real-secret')).toBeUndefined();
  });

  it('listens where --imserver-host says, and only there', async () => {
    const log = captureLogger('info');
    const options = testOptions({ imHost: '127.0.0.2', imApiPort: 0, imWsPort: 0, imDataDir: join(dir, 'a') });
    const im = await startEmbeddedIm(options, log.log, startImServer);
    try {
      const api = new URL(im.apiAddress);
      expect(api.hostname).toBe('127.0.0.2');
      expect(new URL(im.wsAddress).hostname).toBe('127.0.0.2');
      expect(await reachable('127.0.0.2', Number(api.port))).toBe(true);
      expect(await reachable('127.0.0.1', Number(api.port))).toBe(false);
      // Object URLs name the address the client used, so a browser elsewhere can follow them.
      const admin = (await imPost<{ token: string }>(im.apiAddress, '/auth/get_admin_token', { secret: 'openIM123', userID: 'imAdmin' })).token;
      const url = await uploadBytes(im.apiAddress, admin, 'imAdmin/a.txt', Buffer.from('hello'), 'text/plain');
      expect(new URL(url).host).toBe(api.host);
    } finally {
      await im.close();
    }
  });

  it('logs the warning before it listens (the embedded server)', async () => {
    const log = captureLogger('info');
    await expect(createImServer({ apiPort: 0, wsPort: 0, host: '192.0.2.1', dataDir: join(dir, 'b'), logger: log.log })).rejects.toThrow(/EADDRNOTAVAIL/);
    expect(log.lines.some((l) => JSON.parse(l).level === 40 && /SECURITY: the IM server listens on 192\.0\.2\.1/.test(l))).toBe(true);
    const quiet = captureLogger('info');
    await expect(createImServer({ apiPort: 0, wsPort: 0, host: '192.0.2.1', secret: 'mine', dataDir: join(dir, 'c'), logger: quiet.log })).rejects.toThrow();
    expect(quiet.text()).not.toMatch(/SECURITY/);
  });

  it('prints the warning on stderr (sdkgate imserver)', async () => {
    const code = `import { runImServerCli } from ${JSON.stringify(CLI)}; await runImServerCli(process.argv.slice(1));`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', code, '--', '--host', '192.0.2.1', '--api-port', '0', '--ws-port', '0', '--data-dir', join(dir, 'd'), '--log-level', 'silent'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exit = await new Promise<number | null>((resolve) => {
      const t = setTimeout(() => child.kill('SIGKILL'), 20_000);
      child.on('exit', (c) => {
        clearTimeout(t);
        resolve(c);
      });
    });
    expect(exit).not.toBe(0);
    expect(err).toMatch(/\*\*\* SECURITY: the IM server listens on 192\.0\.2\.1/);
  });
});
