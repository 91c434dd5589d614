// Local reads of the SDK core: GetAllConversationList with 1,000 conversations and a 50-message
// history page (random start) from a 100,000-message conversation, measured three ways in the
// same run: the core in-process (offline, no Login: the local store plus the function layer —
// the baseline), the same calls through the gateway (a real client frame → allow-list → session
// worker → core → JSON back, logged in against the embedded IM server; the per-connection rate
// limit is lifted so it measures latency, not the limiter), and the bare SQLite
// query behind each call.
//
// Knobs: COREBENCH_CONVS (1000), COREBENCH_MSGS (100000), COREBENCH_ITER (300).
//
//   node bench/core-local-reads.ts

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createCore } from '../src/core/index.ts';
import { baseMessage } from '../src/core/msg/creators.ts';
import { emptyConversation } from '../src/core/store/conversations.ts';
import { Store } from '../src/core/store/index.ts';
import { ContentType, MsgStatus } from '../src/core/types.ts';
import { startImServer } from '../src/imserver/index.ts';
import { sessionDataDir } from '../src/ids.ts';
import { createGateway } from '../src/index.ts';
import { resolveOptions } from '../src/options.ts';
import { ImAdmin } from './lib/im-admin.ts';
import { envInt, header, printTable, table, type Sample } from './lib/stats.ts';
import { WireClient } from './lib/wsclient.ts';

const CONVS = envInt('COREBENCH_CONVS', 1000);
const MSGS = envInt('COREBENCH_MSGS', 100_000);
const ITER = envInt('COREBENCH_ITER', 300);
const PAGE = 50;
const ME = 'benchuser';
const BIG = `si_${ME}_peer0`;

function fill(dir: string): string[] {
  const store = new Store(dir);
  const sender = { userID: ME, nickname: 'Bench', faceURL: '', platformID: 5 };
  const ids: string[] = [];
  const t0 = Date.now() - MSGS * 10;
  store.tx(() => {
    for (let c = 0; c < CONVS; c++) {
      const id = `si_${ME}_peer${c}`;
      const conv = emptyConversation(id, 1, `peer${c}`, '');
      const m = baseMessage(sender, ContentType.Text, { content: `last message of ${c}` });
      Object.assign(m, { recvID: `peer${c}`, sessionType: 1, seq: 1, status: MsgStatus.Success, sendTime: t0 + c });
      if (c !== 0) store.messages.put(id, m);
      Object.assign(conv, { showName: `Peer ${c}`, latestMsg: JSON.stringify(m), latestMsgSendTime: m.sendTime, maxSeq: 1, hasReadSeq: 1 });
      store.conversations.put(conv, false);
      store.seqs.advance(id, 1);
    }
    for (let i = 1; i <= MSGS; i++) {
      const m = baseMessage(sender, ContentType.Text, { content: `message number ${i} with some text` });
      Object.assign(m, { recvID: 'peer0', sessionType: 1, seq: i, status: MsgStatus.Success, sendTime: t0 + i * 10 });
      store.messages.put(BIG, m);
      ids.push(m.clientMsgID);
    }
    const big = store.conversations.get(BIG)!;
    Object.assign(big, { maxSeq: MSGS, hasReadSeq: MSGS });
    store.conversations.put(big);
    store.seqs.advance(BIG, MSGS);
  });
  store.close();
  return ids;
}

async function measure(name: string, fn: (i: number) => Promise<unknown> | unknown): Promise<Sample> {
  for (let i = 0; i < 20; i++) await fn(i);
  const latencies: number[] = [];
  const start = performance.now();
  for (let i = 0; i < ITER; i++) {
    const t = performance.now();
    await fn(i);
    latencies.push(performance.now() - t);
  }
  return { name, latencies, ops: ITER, seconds: (performance.now() - start) / 1000 };
}

header('bench/core-local-reads.ts');
const root = mkdtempSync(join(tmpdir(), 'sdkgate-corebench-'));
const dbDir = join(root, 'sdk');
const dir = sessionDataDir(dbDir, ME, 5);
try {
  const tFill = performance.now();
  const ids = fill(dir);
  console.log(`filled ${CONVS} conversations and ${MSGS} messages in ${((performance.now() - tFill) / 1000).toFixed(1)} s`);
  const starts = Array.from({ length: ITER + 20 }, () => ids[PAGE + Math.floor(Math.random() * (ids.length - PAGE))]!);
  const pageArgs = (i: number) => ({ conversationID: BIG, startClientMsgID: starts[i]!, count: PAGE, lastMinSeq: 0 });

  // In-process (offline core over the same files).
  const core = await createCore({
    userID: ME,
    platformID: 5,
    dataDir: dir,
    apiAddress: 'http://127.0.0.1:1',
    wsAddress: 'ws://127.0.0.1:1',
    emit() {},
    log: { debug() {}, info() {}, warn() {}, error() {} },
  });
  const ctx = { operationID: 'bench', signal: new AbortController().signal };
  const list = await measure('in-process core', async () => {
    const r = (await core.functions.GetAllConversationList!(ctx)) as unknown[];
    if (r.length !== CONVS) throw new Error(`got ${r.length} conversations`);
    JSON.stringify(r);
  });
  const page = await measure('in-process core', async (i) => {
    const r = (await core.functions.GetAdvancedHistoryMessageList!(ctx, pageArgs(i))) as { messageList: unknown[] };
    if (r.messageList.length !== PAGE) throw new Error(`got ${r.messageList.length} messages`);
    JSON.stringify(r);
  });
  await core.close('drain');

  // Bare SQL.
  const raw = new Store(dir);
  const listSql = await measure('bare SQL', () => raw.db.prepare('SELECT * FROM conversations WHERE isHidden = 0 ORDER BY isPinned DESC, latestMsgSendTime DESC').all());
  const pageSql = await measure('bare SQL', (i) => {
    const m = raw.messages.get(starts[i]!)!;
    return raw.db.prepare('SELECT item FROM messages WHERE conversationID = ? AND sendTime < ? ORDER BY sendTime DESC LIMIT ?').all(BIG, m.sendTime, PAGE);
  });
  raw.close();

  // Through the gateway: embedded IM server, real supervisor and worker, the real core.
  const im = await startImServer({ apiPort: 0, wsPort: 0, host: '127.0.0.1', dataDir: join(root, 'im'), logLevel: 'silent' });
  const admin = new ImAdmin(im.apiAddress);
  await admin.register([ME]);
  const token = await admin.userToken(ME);
  const gw = await createGateway(resolveOptions([], {}, { port: 0, host: '127.0.0.1', logLevel: 'silent', apiAddress: im.apiAddress, wsAddress: im.wsAddress, dbDir, ratePerConn: 100_000, rateBurst: 100_000 }));
  const client = await WireClient.connect(gw.url, ME, token);
  const login = await client.call('Login', [ME, token]);
  if (login.errCode !== 0) throw new Error(`Login: ${login.errCode} ${login.errMsg}`);
  const check = (f: { errCode: number; errMsg: string }) => {
    if (f.errCode !== 0) throw new Error(`${f.errCode} ${f.errMsg}`);
  };
  const listGw = await measure('through the gateway', async () => check(await client.call('GetAllConversationList')));
  const pageGw = await measure('through the gateway', async (i) => check(await client.call('GetAdvancedHistoryMessageList', [JSON.stringify(pageArgs(i))])));
  await client.close();
  await gw.close();
  await im.close();

  printTable(`GetAllConversationList, ${CONVS} conversations (ratio = p50 / in-process p50)`, table([list, listGw, listSql], list.name, 'p50'));
  printTable(`GetAdvancedHistoryMessageList, ${PAGE} of ${MSGS} messages (ratio = p50 / in-process p50)`, table([page, pageGw, pageSql], page.name, 'p50'));
} finally {
  rmSync(root, { recursive: true, force: true });
}
