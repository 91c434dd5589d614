// Message-gateway reads: seqs (1006), messages by seq (1005) and by range (1002).

import type { SdkWsProto } from '@openim/protocol';
import { encodeUserReq, PbCoder, ReqId } from '../net/codec.ts';
import type { CoreSession } from '../core-session.ts';

export interface ConvSeqs {
  maxSeq: number;
  hasReadSeq: number;
  maxSeqTime: number;
}

function conn(s: CoreSession) {
  if (!s.conn) throw new Error('not logged in');
  return s.conn;
}

export async function getConvSeqs(s: CoreSession, operationID: string): Promise<Map<string, ConvSeqs>> {
  const data = PbCoder.GetConversationsHasReadAndMaxSeqReq.encode({ userID: s.userID, conversationIDs: [] }).finish();
  const raw = await conn(s).request(ReqId.GetConvMaxReadSeq, data, operationID);
  const out = new Map<string, ConvSeqs>();
  if (!raw) return out;
  const resp = PbCoder.GetConversationsHasReadAndMaxSeqResp.decode(raw);
  for (const [id, v] of Object.entries(resp.seqs ?? {})) {
    out.set(id, { maxSeq: v?.maxSeq ?? 0, hasReadSeq: v?.hasReadSeq ?? 0, maxSeqTime: v?.maxSeqTime ?? 0 });
  }
  return out;
}

/** 1001: max seqs of every conversation of the user, including the `n_` notification streams. */
export async function getNewestSeqs(s: CoreSession, operationID: string): Promise<Map<string, number>> {
  const raw = await conn(s).request(ReqId.GetNewestSeq, encodeUserReq(s.userID), operationID);
  const out = new Map<string, number>();
  if (!raw) return out;
  for (const [id, seq] of Object.entries(PbCoder.GetMaxSeqResp.decode(raw).maxSeqs ?? {})) out.set(id, Number(seq) || 0);
  return out;
}

export interface Pulled {
  msgs: SdkWsProto.MsgData[];
  isEnd: boolean;
}

function pick(resp: SdkWsProto.PullMessageBySeqsResp, conversationID: string): Pulled {
  const p = resp.msgs?.[conversationID] ?? resp.notificationMsgs?.[conversationID];
  const msgs = [...(p?.Msgs ?? [])].sort((a, b) => a.seq - b.seq);
  return { msgs, isEnd: p?.isEnd ?? true };
}

/** 1005: exactly these seqs (deleted ones come back as status-4 placeholders). */
export async function pullSeqs(s: CoreSession, conversationID: string, seqs: readonly number[], operationID: string): Promise<Pulled> {
  if (seqs.length === 0) return { msgs: [], isEnd: true };
  const data = PbCoder.GetSeqMessageReq.encode({ userID: s.userID, conversations: [{ conversationID, seqs: [...seqs] }] }).finish();
  const raw = await conn(s).request(ReqId.PullMsgBySeqList, data, operationID);
  if (!raw) return { msgs: [], isEnd: true };
  return pick(PbCoder.GetSeqMessageResp.decode(raw), conversationID);
}

/** 1005 for several conversations at once: `want` maps conversationID → seqs. */
export async function pullSeqsMany(s: CoreSession, want: ReadonlyMap<string, readonly number[]>, operationID: string): Promise<Map<string, Pulled>> {
  const out = new Map<string, Pulled>();
  if (want.size === 0) return out;
  const conversations = [...want].map(([conversationID, seqs]) => ({ conversationID, seqs: [...seqs] }));
  const raw = await conn(s).request(ReqId.PullMsgBySeqList, PbCoder.GetSeqMessageReq.encode({ userID: s.userID, conversations }).finish(), operationID);
  const resp = raw ? PbCoder.GetSeqMessageResp.decode(raw) : undefined;
  for (const id of want.keys()) out.set(id, resp ? pick(resp, id) : { msgs: [], isEnd: true });
  return out;
}

export const RANGE_BATCH = 100;

/** 1002 for [begin, end] in batches of ≤ 100, oldest batch first; `onBatch` sees each in seq order. */
export async function pullRange(
  s: CoreSession,
  conversationID: string,
  begin: number,
  end: number,
  operationID: string,
  onBatch: (msgs: SdkWsProto.MsgData[]) => Promise<void>,
): Promise<void> {
  for (let lo = begin; lo <= end; lo += RANGE_BATCH) {
    const hi = Math.min(end, lo + RANGE_BATCH - 1);
    const data = PbCoder.PullMessageBySeqsReq.encode({
      userID: s.userID,
      seqRanges: [{ conversationID, begin: lo, end: hi, num: hi - lo + 1 }],
      order: 0,
    }).finish();
    const raw = await conn(s).request(ReqId.PullMsgByRange, data, operationID);
    const got = raw ? pick(PbCoder.PullMessageBySeqsResp.decode(raw), conversationID) : { msgs: [], isEnd: true };
    await onBatch(got.msgs.filter((m) => m.seq >= lo && m.seq <= hi));
  }
}
