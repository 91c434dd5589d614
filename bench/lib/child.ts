// The child process half of bench/lib/procs.ts: one of an embedded IM server, a gateway, a
// bare `ws` echo server, or the raw floor (a bare `ws` server forwarding to N workers over
// MessagePorts), driven over the IPC channel. Benches run the server under test in its
// own process so the load generator (the parent) neither shares its event loop nor its RSS.
//
//   parent ── {type:'start', ...} ──▶ child ── {type:'started', ...} ──▶ parent
//          ── {type:'rss'} ─────────▶       ── {type:'rss', rss} ─────▶
//          ── {type:'cpu'} ─────────▶       ── {type:'cpu', ...} ─────▶  (process CPU, main-thread CPU)
//          ── {type:'requests'} ────▶       ── {type:'requests', routes} ▶  (IM server with requestLog)
//          ── {type:'tree'} ────────▶       ── {type:'tree', rss, pss, processes} ─▶  (itself + descendants)
//          ── {type:'close'} ───────▶       (closes and exits)

import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { WebSocketServer, type WebSocket } from 'ws';

type Start =
  | { type: 'start'; kind: 'im'; dataDir: string; requestLog?: number }
  | { type: 'start'; kind: 'gateway'; overrides: Record<string, unknown>; coreModule?: string }
  | { type: 'start'; kind: 'echo' }
  | { type: 'start'; kind: 'floor'; workers: number };
type Msg = Start | { type: 'rss' } | { type: 'cpu' } | { type: 'requests' } | { type: 'tree' } | { type: 'close' };

/** This process and every descendant (session processes), from /proc: the children of every thread. */
function tree(pid: number): number[] {
  const out = [pid];
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const t of tasks) {
    let kids: string;
    try {
      kids = readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8');
    } catch {
      continue;
    }
    for (const k of kids.split(' ').filter(Boolean)) out.push(...tree(Number(k)));
  }
  return out;
}

/** RSS and PSS (shared pages split among the processes sharing them), kB, summed over the tree. */
function treeMemory(): { rss: number; pss: number; processes: number } {
  let rss = 0;
  let pss = 0;
  const pids = tree(process.pid);
  for (const pid of pids) {
    try {
      const text = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
      rss += Number(/^Rss:\s+(\d+)/m.exec(text)?.[1] ?? 0);
      pss += Number(/^Pss:\s+(\d+)/m.exec(text)?.[1] ?? 0);
    } catch {
      // exited meanwhile
    }
  }
  return { rss: rss * 1024, pss: pss * 1024, processes: pids.length };
}

let close: () => Promise<void> = async () => {};
let requests: () => Promise<string[]> = async () => [];
const send = (m: unknown): void => void process.send!(m);

async function start(m: Start): Promise<void> {
  if (m.kind === 'im') {
    const { startImServer } = await import('../../src/imserver/index.ts');
    const im = await startImServer({ apiPort: 0, wsPort: 0, host: '127.0.0.1', dataDir: m.dataDir, logLevel: 'silent', ...(m.requestLog ? { requestLog: m.requestLog } : {}) });
    close = () => im.close();
    requests = async () => (await im.requestLog()).map((e) => e.route);
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
    const { user, system } = process.cpuUsage();
    // The main thread's own CPU (Node >= 23.9); event-loop busy time otherwise, which also
    // counts time the thread was runnable but not scheduled.
    const main = (process as { threadCpuUsage?: () => { user: number; system: number } }).threadCpuUsage?.();
    send({ type: 'cpu', cpuMs: (user + system) / 1000, mainCpuMs: main ? (main.user + main.system) / 1000 : performance.eventLoopUtilization().active });
  } else if (m.type === 'requests') {
    void requests().then((routes) => send({ type: 'requests', routes }));
  } else if (m.type === 'tree') {
    send({ type: 'tree', ...treeMemory() });
  } else if (m.type === 'close') {
    void close().finally(() => process.exit(0));
  }
});
process.on('disconnect', () => void close().finally(() => process.exit(0)));
