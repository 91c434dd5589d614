// startImServer runs the server off the caller's event loop: it keeps answering while the
// caller's thread is blocked.

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startImServer } from '../../src/imserver/index.ts';

describe('startImServer', () => {
  it('answers requests while the calling thread is blocked', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sdkgate-im-thread-'));
    const im = await startImServer({ apiPort: 0, wsPort: 0, dataDir: dir, logLevel: 'silent' });
    try {
      // A separate process polls the REST API and prints when each answer arrived.
      const poll = `
        const end = Date.now() + 4000;
        console.log('ready');
        while (Date.now() < end) {
          const r = await fetch(${JSON.stringify(im.apiAddress)} + '/auth/get_admin_token', {
            method: 'POST', headers: { operationID: 'x' }, body: '{"secret":"openIM123","userID":"imAdmin"}',
          });
          const env = await r.json();
          if (env.errCode === 0) console.log('ok ' + Date.now());
        }`;
      const child = spawn(process.execPath, ['--input-type=module', '-e', poll], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error('poller did not start')), 10_000);
        child.stdout.on('data', () => {
          if (out.includes('ok ')) {
            clearTimeout(t);
            resolve();
          }
        });
      });

      const blockedFrom = Date.now();
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1200);
      const blockedTo = Date.now();
      await exited;
      const answeredWhileBlocked = [...out.matchAll(/ok (\d+)/g)].map((m) => Number(m[1])).filter((t) => t > blockedFrom + 100 && t < blockedTo - 100);
      expect(answeredWhileBlocked.length).toBeGreaterThan(0);
    } finally {
      await im.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
