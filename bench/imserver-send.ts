// Send → push latency and messages/s of the embedded IM server with N connected users chatting
// in pairs over the message gateway (sdkType=js). Baseline, measured in the same run: a raw
// `ws` relay on loopback in its own worker thread that forwards the same frames to the partner
// with no storage — the floor any IM server sits on.
//
// Knobs: IMBENCH_USERS (100, even), IMBENCH_MSGS per user (100), IMBENCH_WINDOW messages in
// flight per sender (2), IMBENCH_WARMUP per user (5).
//
//   node bench/imserver-send.ts

import { PbCoder, type SdkWsProto } from '@openim/protocol';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { isMainThread, parentPort, Worker } from 'node:worker_threads';
import WebSocket, { WebSocketServer } from 'ws';
import { startImServer } from '../src/imserver/index.ts';
import { ImAdmin } from './lib/im-admin.ts';
import { envInt, header, printTable, table, type Sample } from './lib/stats.ts';

const USERS = envInt('IMBENCH_USERS', 100) & ~1;
const MSGS = envInt('IMBENCH_MSGS', 100);
const WINDOW = Math.max(1, envInt('IMBENCH_WINDOW', 2));
const WARMUP = envInt('IMBENCH_WARMUP', 5);
const TIMEOUT_MS = 90_000;

// ---- baseline relay (runs in a worker thread) ----

function runRelay(): void {
  const byId = new Map<string, WebSocket>();
  const server = createServer();
  const wss = new WebSocketServer({ server, perMessageDeflate: false });
  wss.on('connection', (ws, req) => {
    const q = new URL(req.url ?? '/', 'http://x').searchParams;
    const id = q.get('sendID') ?? '';
    const peer = q.get('peer') ?? '';
    byId.set(id, ws);
    ws.send('{"errCode":0,"errMsg":"","errDlt":""}');
    ws.on('message', (data, isBinary) => {
      if (!isBinary) return;
      byId.get(peer)?.send(data, { binary: true });
    });
  });
  server.listen(0, '127.0.0.1', () => parentPort!.postMessage((server.address() as AddressInfo).port));
}

// ---- clients ----

function msgData(sendID: string, recvID: string, clientMsgID: string): SdkWsProto.MsgData {
  return {
    sendID, recvID, groupID: '', clientMsgID, serverMsgID: '', senderPlatformID: 5, senderNickname: sendID, senderFaceURL: '',
    sessionType: 1, msgFrom: 100, contentType: 101, content: Buffer.from(JSON.stringify({ content: `hello from ${sendID}` })),
    seq: 0, sendTime: 0, createTime: Date.now(), status: 1, isRead: false, options: {}, offlinePushInfo: undefined,
    atUserIDList: [], attachedInfo: '', ex: '', keyVersion: 0, dstUserIDs: [],
  };
}

interface Peer {
  userID: string;
  partner: string;
  ws: WebSocket;
}

function connectOne(url: string, userID: string, partner: string): Promise<Peer> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    const t = setTimeout(() => reject(new Error(`connect ${userID} timed out`)), 10_000);
    ws.once('message', (data, isBinary) => {
      clearTimeout(t);
      const first = JSON.parse(String(data)) as { errCode: number };
      if (isBinary || first.errCode !== 0) reject(new Error(`connect ${userID}: ${String(data)}`));
      else resolve({ userID, partner, ws });
    });
    ws.once('error', reject);
  });
}

/**
 * Every user sends `count` messages to its partner keeping `WINDOW` in flight; a message is
 * done when the partner receives its push. `kind` picks how the partner finds clientMsgIDs.
 */
async function drive(peers: Peer[], count: number, kind: 'imserver' | 'relay'): Promise<Sample> {
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  const total = peers.length * count;
  let done = 0;
  let seq = 0;
  const byId = new Map(peers.map((p) => [p.userID, p]));
  const remaining = new Map(peers.map((p) => [p.userID, count]));

  const sendNext = (p: Peer) => {
    const left = remaining.get(p.userID)!;
    if (left === 0) return;
    remaining.set(p.userID, left - 1);
    const clientMsgID = `${p.userID}-${++seq}`;
    const data = Buffer.from(PbCoder.MsgData.encode(msgData(p.userID, p.partner, clientMsgID)).finish()).toString('base64');
    const frame = JSON.stringify({ reqIdentifier: 1003, msgIncr: clientMsgID, sendID: p.userID, operationID: clientMsgID, data });
    sentAt.set(clientMsgID, performance.now());
    p.ws.send(Buffer.from(frame), { binary: true });
  };

  const start = performance.now();
  const finished = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${kind}: only ${done}/${total} delivered in ${TIMEOUT_MS} ms`)), TIMEOUT_MS);
    for (const p of peers) {
      p.ws.removeAllListeners('message');
      p.ws.on('message', (raw: Buffer, isBinary) => {
        if (!isBinary) return;
        const f = JSON.parse(raw.toString('utf8')) as { reqIdentifier: number; data: string };
        let ids: { clientMsgID: string; sendID: string }[];
        if (kind === 'relay') {
          ids = [PbCoder.MsgData.decode(Buffer.from(f.data, 'base64'))];
        } else {
          if (f.reqIdentifier !== 2001) return;
          const push = PbCoder.PushMessages.decode(Buffer.from(f.data, 'base64'));
          ids = Object.values(push.msgs).flatMap((m) => m.Msgs);
        }
        for (const m of ids) {
          if (m.sendID === p.userID) continue; // own echo
          const t0 = sentAt.get(m.clientMsgID);
          if (t0 === undefined) continue;
          sentAt.delete(m.clientMsgID);
          latencies.push(performance.now() - t0);
          done++;
          sendNext(byId.get(m.sendID)!);
          if (done === total) {
            clearTimeout(timer);
            resolve();
          }
        }
      });
    }
  });
  for (const p of peers) for (let i = 0; i < Math.min(WINDOW, count); i++) sendNext(p);
  if (total > 0) await finished;
  return { name: '', latencies, ops: total, seconds: (performance.now() - start) / 1000 };
}

async function connectAll(urlOf: (u: string, partner: string) => Promise<string>, users: string[]): Promise<Peer[]> {
  const peers: Peer[] = [];
  for (let i = 0; i < users.length; i += 2) {
    const [a, b] = [users[i]!, users[i + 1]!];
    peers.push(await connectOne(await urlOf(a, b), a, b), await connectOne(await urlOf(b, a), b, a));
  }
  return peers;
}

async function main(): Promise<void> {
  header('bench/imserver-send.ts');
  console.log(`users=${USERS} (${USERS / 2} pairs), msgs/user=${MSGS}, window=${WINDOW}, warmup/user=${WARMUP}`);
  const users = Array.from({ length: USERS }, (_, i) => `bench_u${i}`);
  const q = (u: string) => `sendID=${u}&platformID=5&operationID=op-${u}&isBackground=false&isMsgResp=true&sdkType=js`;

  // Baseline.
  const relay = new Worker(new URL(import.meta.url));
  const relayPort = await new Promise<number>((resolve) => relay.once('message', resolve));
  const relayPeers = await connectAll(async (u, p) => `ws://127.0.0.1:${relayPort}/?${q(u)}&token=x&peer=${p}`, users);
  await drive(relayPeers, WARMUP, 'relay');
  const base = { ...(await drive(relayPeers, MSGS, 'relay')), name: 'ws relay (baseline)' };
  for (const p of relayPeers) p.ws.terminate();
  await relay.terminate();

  // The IM server, in its own worker thread as in production.
  const dataDir = mkdtempSync(join(tmpdir(), 'imbench-'));
  const im = await startImServer({ apiPort: 0, wsPort: 0, dataDir, logLevel: 'warn' });
  try {
    const admin = new ImAdmin(im.apiAddress);
    await admin.register(users);
    const imPeers = await connectAll(async (u) => `${im.wsAddress}/?${q(u)}&token=${await admin.userToken(u)}`, users);
    await drive(imPeers, WARMUP, 'imserver');
    const sample = { ...(await drive(imPeers, MSGS, 'imserver')), name: 'imserver 1003 → 2001' };
    for (const p of imPeers) p.ws.terminate();

    const byP50 = table([base, sample], base.name, 'p50');
    const byOps = table([base, sample], base.name, 'ops');
    printTable(
      `send → push, ${USERS} users in pairs (ratio = ÷ baseline)`,
      byP50.map((r, i) => {
        const { ratio, ...rest } = r;
        return { ...rest, 'p50 ratio': ratio, 'ops/s ratio': byOps[i]!.ratio };
      }),
    );
  } finally {
    await im.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (isMainThread) {
  main().catch((e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  });
} else {
  runRelay();
}
