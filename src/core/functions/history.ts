// Reading messages: history pages both ways (local first, missing seqs pulled with 1005 and
// stored), local search, and lookups by clientMsgID.

import type { CoreFunction } from '../contract.ts';
import { argsError, jsonArg, requireArray, requireObject, requireString } from '../errors.ts';
import type { CoreSession } from '../core-session.ts';
import { ingest } from '../sync/ingest.ts';
import { pullSeqs } from '../sync/pull.ts';
import type { ConversationItem, MessageItem } from '../types.ts';

const MAX_PAGE = 1000;
const MAX_ROUNDS = 8;

interface HistoryParams {
  conversationID: string;
  startClientMsgID: string;
  count: number;
}

function historyParams(v: unknown): HistoryParams {
  const o = requireObject('params', jsonArg('params', v));
  const conversationID = requireString('conversationID', o.conversationID);
  const startClientMsgID = typeof o.startClientMsgID === 'string' ? o.startClientMsgID : '';
  const count = o.count;
  if (typeof count !== 'number' || !Number.isInteger(count) || count <= 0 || count > MAX_PAGE) throw argsError(`count must be 1..${MAX_PAGE}`);
  return { conversationID, startClientMsgID, count };
}

const result = (messageList: MessageItem[], isEnd: boolean) => ({
  messageList,
  lastMinSeq: messageList.reduce((m, x) => (x.seq > 0 && (m === 0 || x.seq < m) ? x.seq : m), 0),
  isEnd,
  errCode: 0,
  errMsg: '',
});

/** Pulls (1005) the seqs of [lo, hi] that have no local row, and stores them. False when offline. */
async function ensureSeqs(s: CoreSession, conversationID: string, lo: number, hi: number, operationID: string): Promise<boolean> {
  if (hi < lo) return true;
  const present = s.db().messages.presentSeqs(conversationID, lo, hi);
  const missing: number[] = [];
  for (let q = lo; q <= hi; q++) if (!present.has(q)) missing.push(q);
  if (missing.length === 0) return true;
  if (!s.conn?.connected) return false;
  for (let i = 0; i < missing.length; i += 100) {
    const got = await pullSeqs(s, conversationID, missing.slice(i, i + 100), operationID);
    await ingest(s, conversationID, got.msgs, 'history', operationID);
  }
  return true;
}

/** The highest seq whose message this device is allowed to treat as history (already synced). */
function ceiling(s: CoreSession, c: ConversationItem): number {
  return Math.max(s.db().seqs.synced(c.conversationID), 0) || c.maxSeq;
}

async function olderPage(s: CoreSession, p: HistoryParams, operationID: string) {
  const store = s.db();
  const c = store.conversations.get(p.conversationID);
  if (!c) return result([], true);
  const start = p.startClientMsgID ? store.messages.get(p.startClientMsgID) : undefined;
  if (p.startClientMsgID && !start) throw argsError('startClientMsgID not found');
  const floor = Math.max(1, c.minSeq);
  const top = start && start.seq > 0 ? start.seq - 1 : ceiling(s, c);
  // Grow the seq window [lo, top] downwards until it holds a page of visible messages (pulling
  // the seqs that have no local row), or reaches the conversation's first seq.
  let lo = top + 1;
  let have = 0;
  let complete = true;
  for (let round = 0; round < MAX_ROUNDS && lo > floor && have < p.count; round++) {
    const next = Math.max(floor, lo - (p.count - have));
    if (!(await ensureSeqs(s, p.conversationID, next, lo - 1, operationID))) {
      complete = false;
      break;
    }
    lo = next;
    have = store.messages.countVisible(p.conversationID, lo, top);
  }
  if (!complete) {
    // Offline with a gap: show what is stored, without claiming the window is complete.
    const rows = store.messages.older(p.conversationID, start ?? null, p.count + 1);
    return result(rows.slice(0, p.count).reverse(), rows.length <= p.count && lo <= floor);
  }
  const atStart = lo <= floor;
  const rows = store.messages.older(p.conversationID, start ?? null, atStart ? p.count + 1 : p.count, lo);
  return result(rows.slice(0, p.count).reverse(), atStart && rows.length <= p.count);
}

async function newerPage(s: CoreSession, p: HistoryParams, operationID: string) {
  const store = s.db();
  const c = store.conversations.get(p.conversationID);
  if (!c) return result([], true);
  const start = p.startClientMsgID ? store.messages.get(p.startClientMsgID) : undefined;
  if (!start) return result([], true);
  const top = ceiling(s, c);
  const from = start.seq > 0 ? start.seq + 1 : top + 1;
  let hi = from - 1;
  let have = 0;
  let complete = true;
  for (let round = 0; round < MAX_ROUNDS && hi < top && have < p.count; round++) {
    const next = Math.min(top, hi + (p.count - have));
    if (!(await ensureSeqs(s, p.conversationID, hi + 1, next, operationID))) {
      complete = false;
      break;
    }
    hi = next;
    have = store.messages.countVisible(p.conversationID, from, hi);
  }
  if (!complete) {
    const rows = store.messages.newer(p.conversationID, start, p.count + 1);
    return result(rows.slice(0, p.count), rows.length <= p.count && hi >= top);
  }
  const atEnd = hi >= top;
  const rows = store.messages.newer(p.conversationID, start, atEnd ? p.count + 1 : p.count, hi);
  return result(rows.slice(0, p.count), atEnd && rows.length <= p.count);
}

function searchParams(v: unknown) {
  const o = requireObject('params', jsonArg('params', v));
  const strs = (k: string): string[] => (o[k] === undefined || o[k] === null ? [] : requireArray(k, o[k]).map(String));
  const nums = (k: string): number[] => (o[k] === undefined || o[k] === null ? [] : requireArray(k, o[k]).map(Number));
  const n = (k: string, d: number): number => (typeof o[k] === 'number' ? o[k] : d);
  return {
    conversationID: typeof o.conversationID === 'string' ? o.conversationID : '',
    keywords: strs('keywordList'),
    matchAll: n('keywordListMatchType', 0) === 1,
    senderIDs: strs('senderUserIDList'),
    contentTypes: nums('messageTypeList'),
    position: n('searchTimePosition', 0),
    period: n('searchTimePeriod', 0),
    pageIndex: Math.max(1, n('pageIndex', 1)),
    count: Math.max(0, n('count', 0)),
  };
}

function resultItem(c: ConversationItem | undefined, conversationID: string, messageList: MessageItem[], messageCount = messageList.length) {
  return {
    conversationID,
    messageCount,
    conversationType: c?.conversationType ?? 0,
    showName: c?.showName ?? '',
    faceURL: c?.faceURL ?? '',
    messageList,
  };
}

export function historyFunctions(s: CoreSession): Record<string, CoreFunction> {
  return {
    async GetAdvancedHistoryMessageList(ctx, params: unknown) {
      return olderPage(s, historyParams(params), ctx.operationID);
    },

    async GetAdvancedHistoryMessageListReverse(ctx, params: unknown) {
      return newerPage(s, historyParams(params), ctx.operationID);
    },

    async SearchLocalMessages(_ctx, params: unknown) {
      const q = searchParams(params);
      if (q.keywords.every((k) => k === '') && !q.contentTypes.length && !q.senderIDs.length) throw argsError('keywordList is empty');
      const to = q.position > 0 ? q.position * 1000 : Number.MAX_SAFE_INTEGER;
      const from = q.period > 0 ? (q.position > 0 ? q.position * 1000 : Date.now()) - q.period * 1000 : 0;
      const store = s.db();
      const hits = store.messages.search({
        conversationIDs: q.conversationID ? [q.conversationID] : null,
        keywords: q.keywords,
        matchAll: q.matchAll,
        senderIDs: q.senderIDs,
        contentTypes: q.contentTypes,
        fromTime: from,
        toTime: to,
      });
      if (q.conversationID) {
        const all = hits.map((h) => h.item);
        const page = q.count > 0 ? all.slice((q.pageIndex - 1) * q.count, q.pageIndex * q.count) : all;
        const items = all.length ? [resultItem(store.conversations.get(q.conversationID), q.conversationID, page, all.length)] : [];
        return { totalCount: all.length, searchResultItems: items };
      }
      const byConv = new Map<string, MessageItem[]>();
      for (const h of hits) {
        const list = byConv.get(h.conversationID) ?? [];
        list.push(h.item);
        byConv.set(h.conversationID, list);
      }
      const items = [...byConv].map(([id, list]) => resultItem(store.conversations.get(id), id, list));
      return { totalCount: hits.length, searchResultItems: items };
    },

    async FindMessageList(_ctx, params: unknown) {
      const list = requireArray('params', jsonArg('params', params));
      const store = s.db();
      const items = [];
      let total = 0;
      for (const [i, x] of list.entries()) {
        const o = requireObject(`params[${i}]`, x);
        const id = requireString('conversationID', o.conversationID);
        const ids = requireArray('clientMsgIDList', o.clientMsgIDList).map(String);
        const found = store.messages.find(id, ids);
        if (!found.length) continue;
        total += found.length;
        items.push(resultItem(store.conversations.get(id), id, found));
      }
      return { totalCount: total, findResultItems: items };
    },
  };
}
