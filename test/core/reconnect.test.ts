// Reconnect behaviour: the IM server restarting under live cores, and a silent gateway that
// stops answering heartbeats (a tiny fake: the real server always answers pings).

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { startImServer } from '../../src/imserver/index.ts';
import { startTestIm, TEST_SECRET } from '../helpers/im.ts';
import { createCoreWith } from '../../src/core/index.ts';
import { TestCore, tempDir } from './harness.ts';

const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

describe('reconnect', () => {
  it('cores reconnect with back-off after the IM server restarts, then messages flow again', async () => {
    const imDir = mkdtempSync(join(tmpdir(), 'core-reim-'));
    cleanups.push(() => rmSync(imDir, { recursive: true, force: true }));
    const im1 = await startTestIm({ dataDir: imDir });
    await im1.register('hank');
    await im1.register('ivy');
    const db = tempDir('core-re-');
    cleanups.push(db.cleanup);
    const hank = new TestCore('hank', db.dir, im1);
    const ivy = new TestCore('ivy', db.dir, im1);
    cleanups.push(() => hank.core.close('drain'), () => ivy.core.close('drain'));
    for (const c of [hank, ivy]) {
      await c.call('Login', c.userID, await im1.userToken(c.userID));
      await c.waitFor('OnSyncServerFinish');
    }
    const from = hank.events.length;
    await im1.close();
    await hank.waitFor('OnConnecting', undefined, 8000, from);
    const api = new URL(im1.apiAddress);
    const ws = new URL(im1.wsAddress);
    const im2 = await startImServer({ apiPort: Number(api.port), wsPort: Number(ws.port), host: '127.0.0.1', dataDir: imDir, secret: TEST_SECRET, logLevel: 'silent' });
    cleanups.push(() => im2.close());
    await hank.waitFor('OnConnectSuccess', undefined, 8000, from);
    await hank.waitFor('OnSyncServerFinish', undefined, 8000, from);
    await ivy.waitFor('OnConnectSuccess', undefined, 8000, from);
    const m = await ivy.call('CreateTextMessage', 'after restart');
    const sent = await ivy.call('SendMessageNotOss', m, 'hank', '', undefined, false);
    await hank.waitFor('OnRecvNewMessages', (d) => d.some((x: any) => x.clientMsgID === sent.clientMsgID), 8000, from);
  });

  it('a gateway that stops answering heartbeats is dropped after two missed pongs and redialled', async () => {
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await new Promise<void>((r) => wss.once('listening', () => r()));
    cleanups.push(() => new Promise<void>((r) => wss.close(() => r())));
    let connections = 0;
    const urls: URL[] = [];
    wss.on('connection', (sock, req) => {
      connections++;
      urls.push(new URL(req.url ?? '/', 'ws://x'));
      sock.send('{"errCode":0,"errMsg":"","errDlt":""}');
      // Never answers {"type":"ping"}.
    });
    const port = (wss.address() as { port: number }).port;
    const events: string[] = [];
    const db = tempDir('core-hb-');
    cleanups.push(db.cleanup);
    const core = createCoreWith(
      {
        userID: 'jack',
        platformID: 5,
        dataDir: join(db.dir, 'jack'),
        apiAddress: 'http://127.0.0.1:1',
        wsAddress: `ws://127.0.0.1:${port}`,
        emit: (e) => events.push(e),
        log: { debug() {}, info() {}, warn() {}, error() {} },
      },
      { heartbeatMs: 150, backoffMinMs: 20, backoffMaxMs: 50 },
    );
    cleanups.push(() => core.close('drain'));
    await core.functions.Login!({ operationID: 'op', signal: new AbortController().signal }, 'jack', 'tok');
    await expect.poll(() => connections, { interval: 20 }).toBeGreaterThanOrEqual(2);
    expect(events.filter((e) => e === 'OnConnectSuccess').length).toBeGreaterThanOrEqual(1);
    const q = urls[0]!.searchParams;
    expect(Object.fromEntries(q)).toMatchObject({ sendID: 'jack', token: 'tok', platformID: '5', isBackground: 'false', isMsgResp: 'true', sdkType: 'js' });
    expect(q.get('operationID')).toBeTruthy();
    // The background state set while connected is used by the next dial.
    await core.functions.SetAppBackgroundStatus!({ operationID: 'bg', signal: AbortSignal.timeout(3000) }, true).catch(() => {});
    const n = connections;
    await expect.poll(() => connections, { timeout: 10_000, interval: 20 }).toBeGreaterThan(n);
    expect(urls.at(-1)!.searchParams.get('isBackground')).toBe('true');
    // Each dial uses a fresh operationID.
    expect(urls[1]!.searchParams.get('operationID')).not.toBe(q.get('operationID'));
  });
});
