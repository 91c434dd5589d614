// The 30 s read deadline (shortened here): silence closes the connection; any frame resets it.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createImServer, type RunningImServer } from '../../src/imserver/server.ts';
import { imPost, TEST_SECRET } from '../helpers/im.ts';
import { connect } from './wsclient.ts';

describe('read deadline', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'sdkgate-im-deadline-'));
  let server: RunningImServer;
  let api: string;
  let ws: string;
  let token: string;

  beforeAll(async () => {
    server = await createImServer({ apiPort: 0, wsPort: 0, dataDir, secret: TEST_SECRET, logLevel: 'silent', msgGateway: { readTimeoutMs: 400 } });
    api = `http://127.0.0.1:${server.apiPort}`;
    ws = `ws://127.0.0.1:${server.wsPort}`;
    const admin = (await imPost<{ token: string }>(api, '/auth/get_admin_token', { secret: TEST_SECRET, userID: 'imAdmin' })).token;
    await imPost(api, '/user/user_register', { users: [{ userID: 'idle' }] }, admin);
    token = (await imPost<{ token: string }>(api, '/auth/get_user_token', { userID: 'idle', platformID: 5 }, admin)).token;
  });
  afterAll(async () => {
    await server?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('closes a silent connection after the deadline', async () => {
    const { client } = await connect(ws, { userID: 'idle', token });
    const started = Date.now();
    await client.closed;
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('text pings keep a connection alive past the deadline', async () => {
    const { client } = await connect(ws, { userID: 'idle', token });
    let closed = false;
    void client.closed.then(() => (closed = true));
    for (let i = 0; i < 6; i++) {
      client.ws.send(JSON.stringify({ type: 'ping' }));
      await new Promise((r) => setTimeout(r, 150));
    }
    expect(closed).toBe(false);
    expect(client.texts.filter((t) => t.includes('pong')).length).toBeGreaterThanOrEqual(5);
    client.close();
  });
});
