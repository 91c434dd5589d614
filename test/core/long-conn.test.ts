// The long connection against tiny fake gateways: edge cases the real server cannot be made to
// produce on demand (silence, out-of-order answers, refused upgrades).

import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { LongConn, type LongConnEvents } from '../../src/core/net/long-conn.ts';

const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

interface Fake {
  url: string;
  dials: number;
  onConn(fn: (ws: WebSocket) => void): void;
}

async function fakeGateway(handshake = '{"errCode":0,"errMsg":"","errDlt":""}'): Promise<Fake> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise<void>((r) => wss.once('listening', () => r()));
  closers.push(() => new Promise<void>((r) => wss.close(() => r())));
  let handler: (ws: WebSocket) => void = () => {};
  const fake: Fake = {
    url: `ws://127.0.0.1:${(wss.address() as { port: number }).port}`,
    dials: 0,
    onConn(fn) {
      handler = fn;
    },
  };
  wss.on('connection', (ws) => {
    fake.dials++;
    ws.send(handshake);
    handler(ws);
  });
  return fake;
}

function recorder() {
  const seen: string[] = [];
  const events: LongConnEvents & { seen: string[]; codes: number[] } = {
    seen,
    codes: [],
    connecting: () => seen.push('connecting'),
    connected: () => seen.push('connected'),
    connectFailed: (code) => {
      seen.push('failed');
      events.codes.push(code);
    },
    push: () => seen.push('push'),
    kicked: () => seen.push('kicked'),
    tokenError: (code) => {
      seen.push('token');
      events.codes.push(code);
    },
  };
  return events;
}

function conn(url: string, events: LongConnEvents, extra: Partial<ConstructorParameters<typeof LongConn>[0]> = {}): LongConn {
  const c = new LongConn({ wsAddress: url, userID: 'u1', platformID: 5, token: () => 't', events, log: quiet, backoff: { minMs: 20, maxMs: 40 }, ...extra });
  closers.push(() => c.stop());
  return c;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('long connection', () => {
  it('correlates responses by msgIncr, in whatever order they come', async () => {
    const fake = await fakeGateway();
    fake.onConn((ws) => {
      const held: { msgIncr: string; reqIdentifier: number; data: string }[] = [];
      ws.on('message', (raw, isBinary) => {
        if (!isBinary) return;
        held.push(JSON.parse(raw.toString()));
        if (held.length < 2) return;
        for (const r of held.reverse()) {
          ws.send(Buffer.from(JSON.stringify({ reqIdentifier: r.reqIdentifier, msgIncr: r.msgIncr, operationID: 'x', errCode: 0, errMsg: '', data: r.data })), { binary: true });
        }
      });
    });
    const c = conn(fake.url, recorder());
    c.start();
    const [a, b] = await Promise.all([c.request(1006, new Uint8Array([1]), 'op1'), c.request(1006, new Uint8Array([2]), 'op2')]);
    expect([...a!]).toEqual([1]);
    expect([...b!]).toEqual([2]);
  });

  it('a request without an answer fails with 10001 at its deadline; the server errCode passes through', async () => {
    const fake = await fakeGateway();
    fake.onConn((ws) =>
      ws.on('message', (raw, isBinary) => {
        if (!isBinary) return;
        const r = JSON.parse(raw.toString()) as { msgIncr: string; reqIdentifier: number };
        if (r.reqIdentifier === 1005) ws.send(Buffer.from(JSON.stringify({ reqIdentifier: 1005, msgIncr: r.msgIncr, errCode: 1004, errMsg: 'RecordNotFound', data: null })), { binary: true });
      }),
    );
    const c = conn(fake.url, recorder());
    c.start();
    const t0 = Date.now();
    await expect(c.request(1006, new Uint8Array(), 'op', 150)).rejects.toMatchObject({ code: 10001 });
    expect(Date.now() - t0).toBeLessThan(1000);
    await expect(c.request(1005, new Uint8Array(), 'op')).rejects.toMatchObject({ code: 1004, message: 'RecordNotFound' });
    expect(c.connected).toBe(true);
  });

  it('a token error in the handshake frame stops the connection for good', async () => {
    const fake = await fakeGateway('{"errCode":1501,"errMsg":"TokenExpired","errDlt":""}');
    const ev = recorder();
    const c = conn(fake.url, ev);
    c.start();
    await sleep(300);
    expect(ev.seen).toEqual(['connecting', 'token']);
    expect(ev.codes).toEqual([1501]);
    expect(fake.dials).toBe(1);
    expect(c.stopped).toBe(true);
  });

  it('2002 from the gateway is a kick: reported once, no redial', async () => {
    const fake = await fakeGateway();
    fake.onConn((ws) => setTimeout(() => ws.send(Buffer.from(JSON.stringify({ reqIdentifier: 2002, msgIncr: '', operationID: '', errCode: 0, errMsg: '', data: null })), { binary: true }), 30));
    const ev = recorder();
    const c = conn(fake.url, ev);
    c.start();
    await sleep(300);
    expect(ev.seen).toEqual(['connecting', 'connected', 'kicked']);
    expect(fake.dials).toBe(1);
    await expect(c.request(1006, new Uint8Array(), 'op')).rejects.toMatchObject({ code: 10101 });
  });

  it('a refused upgrade whose body carries a token error stops; other refusals are retried', async () => {
    let code = 1507;
    let dials = 0;
    const server: Server = createServer((_req, res) => res.end());
    server.on('upgrade', (_req, socket) => {
      dials++;
      // The client may reset the connection first (a loaded machine): not this test's concern.
      socket.on('error', () => {});
      const body = JSON.stringify({ errCode: code, errMsg: 'nope', errDlt: '' });
      socket.end(`HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body}`);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    closers.push(() => new Promise<void>((r) => server.close(() => r())));
    const url = `ws://127.0.0.1:${(server.address() as { port: number }).port}`;
    const ev = recorder();
    conn(url, ev).start();
    await sleep(300);
    expect(ev.seen).toEqual(['connecting', 'token']);
    expect(dials).toBe(1);
    code = 1601;
    const ev2 = recorder();
    conn(url, ev2).start();
    await sleep(400);
    expect(dials).toBeGreaterThan(2);
    expect(ev2.codes.every((c) => c === 1601)).toBe(true);
  });

  it('sends its text heartbeat only when the server did not ping it since the last one', async () => {
    const fake = await fakeGateway();
    let textPings = 0;
    let serverPings: NodeJS.Timeout | undefined;
    fake.onConn((ws) => {
      ws.on('message', (raw, isBinary) => {
        if (isBinary || !raw.toString().includes('"ping"')) return;
        textPings++;
        ws.send('{"type":"pong","body":null}');
      });
      // Like OpenIM's gateway for Web connections: control pings, here more often than our ticks.
      serverPings = setInterval(() => ws.ping(), 25);
      closers.push(() => clearInterval(serverPings));
    });
    const events = recorder();
    const c = conn(fake.url, events, { heartbeatMs: 200 });
    c.start();
    await sleep(1000);
    expect(events.seen).toContain('connected');
    expect(textPings).toBe(0);
    // The server stops pinging: the text heartbeat resumes and keeps the link up.
    clearInterval(serverPings);
    await sleep(700);
    expect(textPings).toBeGreaterThanOrEqual(2);
    expect(c.connected).toBe(true);
    expect(fake.dials).toBe(1);
  });
});
