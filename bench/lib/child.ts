// The child process half of bench/lib/procs.ts: one of an embedded IM server, a gateway, a
// bare `ws` echo server, or the raw floor (a bare `ws` server forwarding to N workers over
// MessagePorts), driven over the IPC channel. Benches run the server under test in its
// own process so the load generator (the parent) neither shares its event loop nor its RSS.
//
//   parent ── {type:'start', ...} ──▶ child ── {type:'started', ...} ──▶ parent
//          ── {type:'rss'} ─────────▶       ── {type:'rss', rss} ─────▶
//          ── {type:'cpu'} ─────────▶       ── {type:'cpu', main, total} ▶
//          ── {type:'close'} ───────▶       (closes and exits)

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { WebSocketServer, type WebSocket } from 'ws';

type Start =
  | { type: 'start'; kind: 'im'; dataDir: string }
  | { type: 'start'; kind: 'gateway'; overrides: Record<string, unknown>; coreModule?: string }
  | { type: 'start'; kind: 'echo' }
  | { type: 'start'; kind: 'floor'; workers: number };
type Msg = Start | { type: 'rss' } | { type: 'cpu' } | { type: 'close' };

let close: () => Promise<void> = async () => {};
const send = (m: unknown): void => void process.send!(m);

async function start(m: Start): Promise<void> {
  if (m.kind === 'im') {
    const { startImServer } = await import('../../src/imserver/index.ts');
    const im = await startImServer({ apiPort: 0, wsPort: 0, host: '127.0.0.1', dataDir: m.dataDir, logLevel: 'silent' });
    close = () => im.close();
    send({ type: 'started', apiAddress: im.apiAddress, wsAddress: im.wsAddress });
  } else if (m.kind === 'gateway') {
    const { createGateway } = await import('../../src/index.ts');
    const { resolveOptions } = await import('../../src/options.ts');
    const dbDir = mkdtempSync(join(tmpdir(), 'sdkgate-bench-db-'));
    const gw = await createGateway(resolveOptions([], {}, { port: 0, host: '127.0.0.1', logLevel: 'silent', dbDir, ...m.overrides }), m.coreModule ? { coreModule: m.coreModule } : {});
    close = async () => {
      await gw.close();
      rmSync(dbDir, { recursive: true, force: true });
    };
    send({ type: 'started', url: gw.url, http: gw.url.replace(/^ws/, 'http') });
  } else if (m.kind === 'floor') {
    await startFloor(m.workers);
  } else {
    // The ceiling of the edge: a bare ws server that parses each request and answers it with a
    // frame of the gateway's shape, nothing else (no auth, no allow-list, no session, no RPC).
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: false });
    await new Promise<void>((r) => wss.once('listening', () => r()));
    wss.on('connection', (ws) => {
      ws.send(JSON.stringify({ event: 'InitSDK', errCode: 0, errMsg: '', data: '', operationID: '' }));
      ws.on('message', (raw) => {
        const req = JSON.parse(String(raw)) as { reqFuncName: string; operationID: string };
        ws.send(JSON.stringify({ event: req.reqFuncName, errCode: 0, errMsg: '', data: '3', operationID: req.operationID }));
      });
    });
    close = () => new Promise((r) => wss.close(() => r()));
    const port = (wss.address() as { port: number }).port;
    send({ type: 'started', url: `ws://127.0.0.1:${port}` });
  }
}

/**
 * The raw floor of thread isolation: what a worker per user costs with no product code at all.
 * Connection i is served by worker i % n over its own MessagePort; the worker answers each call
 * with the same JSON text a logged-in GetLoginStatus returns. Main thread: parse the frame, post
 * {id, fn} to the worker, put the worker's answer on the wire.
 */
const FLOOR_WORKER = `
const { parentPort } = require('node:worker_threads');
parentPort.once('message', (port) => {
  port.on('message', (m) => port.postMessage({ id: m.id, json: '3' }));
  parentPort.postMessage('ready');
});`;

async function startFloor(n: number): Promise<void> {
  const ports: MessagePort[] = [];
  const workers: Worker[] = [];
  for (let i = 0; i < Math.max(1, n); i++) {
    const w = new Worker(FLOOR_WORKER, { eval: true });
    const { port1, port2 } = new MessageChannel();
    w.postMessage(port2, [port2]);
    await new Promise((r) => w.once('message', r));
    workers.push(w);
    ports.push(port1);
  }
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: false });
  await new Promise<void>((r) => wss.once('listening', () => r()));
  let next = 0;
  let ids = 0;
  wss.on('connection', (ws: WebSocket) => {
    const port = ports[next++ % ports.length]!;
    const waiting = new Map<number, { fn: string; op: string }>();
    const onAnswer = (a: { id: number; json: string }): void => {
      const c = waiting.get(a.id);
      if (!c) return;
      waiting.delete(a.id);
      ws.send(JSON.stringify({ event: c.fn, errCode: 0, errMsg: '', data: a.json, operationID: c.op }));
    };
    port.on('message', onAnswer);
    ws.once('close', () => port.off('message', onAnswer));
    ws.send(JSON.stringify({ event: 'InitSDK', errCode: 0, errMsg: '', data: '', operationID: '' }));
    ws.on('message', (raw) => {
      const req = JSON.parse(String(raw)) as { reqFuncName: string; operationID: string; data: string };
      const id = ++ids; // unique across the connections that share a port
      waiting.set(id, { fn: req.reqFuncName, op: req.operationID });
      port.postMessage({ id, fn: req.reqFuncName, args: JSON.parse(req.data || '[]') as unknown[] });
    });
  });
  close = async () => {
    await new Promise((r) => wss.close(() => r(undefined)));
    await Promise.all(workers.map((w) => w.terminate()));
  };
  const port = (wss.address() as { port: number }).port;
  send({ type: 'started', url: `ws://127.0.0.1:${port}` });
}

process.on('message', (m: Msg) => {
  if (m.type === 'start') {
    start(m).catch((e: unknown) => {
      console.error(e);
      process.exit(1);
    });
  } else if (m.type === 'rss') {
    send({ type: 'rss', rss: process.memoryUsage().rss });
  } else if (m.type === 'cpu') {
    // The main thread's CPU apart from the whole process's (the rest is the workers'), seconds.
    const main = process.threadCpuUsage();
    const all = process.cpuUsage();
    send({ type: 'cpu', main: (main.user + main.system) / 1e6, total: (all.user + all.system) / 1e6 });
  } else if (m.type === 'close') {
    close().finally(() => process.exit(0));
  }
});
process.on('disconnect', () => void close().finally(() => process.exit(0)));
