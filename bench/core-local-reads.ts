// Local reads of the SDK core, in-process: GetAllConversationList with 1,000 conversations and a
// 50-message history page (random start) from a 100,000-message conversation. The core runs
// offline (no Login), so every number is the local store plus the function layer. Baseline,
// measured in the same run: the bare SQLite query behind each call (no JSON, no function layer).
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
import { envInt, header, printTable, table, type Sample } from './lib/stats.ts';

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
const dir = mkdtempSync(join(tmpdir(), 'sdkgate-corebench-'));
try {
  const tFill = performance.now();
  const ids = fill(dir);
  console.log(`filled ${CONVS} conversations and ${MSGS} messages in ${((performance.now() - tFill) / 1000).toFixed(1)} s`);
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
  const raw = new Store(dir);
  const starts = Array.from({ length: ITER + 20 }, () => ids[PAGE + Math.floor(Math.random() * (ids.length - PAGE))]!);

  const list = await measure('GetAllConversationList (core)', async () => {
    const r = (await core.functions.GetAllConversationList!(ctx)) as unknown[];
    if (r.length !== CONVS) throw new Error(`got ${r.length} conversations`);
    JSON.stringify(r);
  });
  const listSql = await measure('  bare SQL: all conversations', () => raw.db.prepare('SELECT * FROM conversations WHERE isHidden = 0 ORDER BY isPinned DESC, latestMsgSendTime DESC').all());
  const page = await measure(`history page of ${PAGE} (core)`, async (i) => {
    const r = (await core.functions.GetAdvancedHistoryMessageList!(ctx, { conversationID: BIG, startClientMsgID: starts[i]!, count: PAGE, lastMinSeq: 0 })) as { messageList: unknown[] };
    if (r.messageList.length !== PAGE) throw new Error(`got ${r.messageList.length} messages`);
    JSON.stringify(r);
  });
  const pageSql = await measure(`  bare SQL: ${PAGE} rows by sendTime`, (i) => {
    const m = raw.messages.get(starts[i]!)!;
    return raw.db.prepare('SELECT item FROM messages WHERE conversationID = ? AND sendTime < ? ORDER BY sendTime DESC LIMIT ?').all(BIG, m.sendTime, PAGE);
  });
  printTable(`conversation list (${CONVS} conversations), ratio = p50 / bare SQL p50`, table([list, listSql], listSql.name, 'p50'));
  printTable(`history page (${MSGS} messages in one conversation), ratio = p50 / bare SQL p50`, table([page, pageSql], pageSql.name, 'p50'));
  raw.close();
  await core.close('drain');
} finally {
  rmSync(dir, { recursive: true, force: true });
}
