// A peer that stops reading is cut off once its unread output passes the cap, instead of
// growing the server's memory without bound.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createImServer, type RunningImServer } from '../../src/imserver/server.ts';
import { imPost, TEST_SECRET } from '../helpers/im.ts';
import { connect, encodeMsg, textMsg } from './wsclient.ts';

describe('slow consumer', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'sdkgate-im-slow-'));
  let server: RunningImServer;
  let ws: string;
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    server = await createImServer({ apiPort: 0, wsPort: 0, dataDir, secret: TEST_SECRET, logLevel: 'silent', msgGateway: { maxBufferedBytes: 256 * 1024 } });
    const api = `http://127.0.0.1:${server.apiPort}`;
    ws = `ws://127.0.0.1:${server.wsPort}`;
    const admin = (await imPost<{ token: string }>(api, '/auth/get_admin_token', { secret: TEST_SECRET, userID: 'imAdmin' })).token;
    await imPost(api, '/user/user_register', { users: [{ userID: 'fast' }, { userID: 'stalled' }] }, admin);
    for (const u of ['fast', 'stalled']) tokens[u] = (await imPost<{ token: string }>(api, '/auth/get_user_token', { userID: u, platformID: 5 }, admin)).token;
  });
  afterAll(async () => {
    await server?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('terminates a connection that stops reading while pushes pile up', async () => {
    const { client: stalled } = await connect(ws, { userID: 'stalled', token: tokens.stalled! });
    stalled.ws.pause();
    const { client: fast } = await connect(ws, { userID: 'fast', token: tokens.fast! });
    const big = 'x'.repeat(30_000);
    let closedOnServer = false;
    for (let i = 0; i < 600 && !closedOnServer; i++) {
      const r = await fast.request(1003, encodeMsg(textMsg('fast', 'stalled', big)));
      expect(r.errCode).toBe(0);
      closedOnServer = !server.context.hub.connections('stalled').length;
    }
    expect(closedOnServer).toBe(true);
    stalled.ws.resume();
    await stalled.closed;
    // The sender is unaffected.
    expect(fast.ws.readyState).toBe(fast.ws.OPEN);
    fast.close();
  });
});
