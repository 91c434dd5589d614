// `sdkgate imserver`: flag parsing, and a real run that stops cleanly on SIGTERM.

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseImServerArgs } from '../../src/imserver/cli.ts';
import { startImServer } from '../../src/imserver/index.ts';
import { imPost } from '../helpers/im.ts';

const CLI = fileURLToPath(new URL('../../src/imserver/cli.ts', import.meta.url));

describe('imserver CLI', () => {
  it('parses --flag value and --flag=value, with defaults', () => {
    expect(parseImServerArgs(['--api-port', '1', '--ws-port=2', '--data-dir', '/d', '--secret', 's'])).toEqual({
      apiPort: 1,
      wsPort: 2,
      dataDir: '/d',
      secret: 's',
    });
    expect(parseImServerArgs([])).toEqual({ apiPort: 10002, wsPort: 10001, dataDir: './data/imserver' });
    expect(parseImServerArgs(['--max-object-mb', '5', '--object-quota-mb=7']).objects).toEqual({ maxObjectBytes: 5 * 1024 * 1024, quotaBytes: 7 * 1024 * 1024 });
    expect(parseImServerArgs(['--public-url', 'https://im.example.test/openim']).publicUrl).toBe('https://im.example.test/openim');
  });

  it('throws an error naming the bad flag', () => {
    expect(() => parseImServerArgs(['--bogus', '1'])).toThrow(/--bogus/);
    expect(() => parseImServerArgs(['--api-port', 'x'])).toThrow(/--api-port/);
    expect(() => parseImServerArgs(['--ws-port', '70000'])).toThrow(/--ws-port/);
    expect(() => parseImServerArgs(['--data-dir'])).toThrow(/--data-dir needs a value/);
    expect(() => parseImServerArgs(['--secret='])).toThrow(/--secret/);
    expect(() => parseImServerArgs(['stray'])).toThrow(/stray/);
    expect(() => parseImServerArgs(['--max-object-mb', '0'])).toThrow(/--max-object-mb/);
    expect(() => parseImServerArgs(['--public-url', 'ftp://x'])).toThrow(/--public-url/);
    expect(() => parseImServerArgs(['--public-url', 'not a url'])).toThrow(/--public-url/);
  });

  it('startImServer rejects when a port is taken', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sdkgate-im-cli-'));
    const a = await startImServer({ apiPort: 0, wsPort: 0, dataDir: join(dir, 'a'), logLevel: 'silent' });
    try {
      const port = Number(new URL(a.apiAddress).port);
      await expect(startImServer({ apiPort: port, wsPort: 0, dataDir: join(dir, 'b'), logLevel: 'silent' })).rejects.toThrow(/EADDRINUSE/);
    } finally {
      await a.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('runs until SIGTERM, serving REST, then exits 0', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sdkgate-im-cli-'));
    const code = `import { runImServerCli } from ${JSON.stringify(CLI)}; await runImServerCli(process.argv.slice(1));`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', code, '--', '--api-port', '0', '--ws-port', '0', '--data-dir', dir, '--secret', 'cli-secret', '--log-level', 'silent'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const line = await new Promise<string>((resolve, reject) => {
        let out = '';
        let err = '';
        child.stderr.on('data', (d: Buffer) => (err += d.toString()));
        const t = setTimeout(() => reject(new Error(`no banner; got ${out}`)), 15_000);
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes('\n')) {
            clearTimeout(t);
            resolve(out);
          }
        });
        child.once('exit', (c) => reject(new Error(`exited early with ${c}: ${err}`)));
      });
      const api = /REST (http:\/\/\S+)/.exec(line)![1]!;
      const admin = await imPost<{ token: string }>(api, '/auth/get_admin_token', { secret: 'cli-secret', userID: 'imAdmin' });
      expect(admin.token).toMatch(/^ey/);
      const exited = new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
      child.kill('SIGTERM');
      const result = await Promise.race([exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 15_000))]);
      expect(result).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
