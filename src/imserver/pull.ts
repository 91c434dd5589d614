// Reading messages and seqs for one user: ranges (1002), exact seqs (1005), newest seqs (1001),
// read state (1006), last messages (1007). A user reads a chat conversation it holds a
// document for, and the n_ stream of such a conversation or its own n_<u>_<u>.

import type { MsgData, PullMsgs } from './codec.ts';
import type { ConversationRecord, Conversations } from './conversations.ts';
import { isNotificationId, notificationTwin, selfNotificationId } from './convid.ts';
import { imArgsError } from './errs.ts';
import type { Messages } from './messages.ts';

/** Most messages one range (1002) or one conversation's seq list (1005) returns. */
const MAX_PULL_PER_CONVERSATION = 1000;

export interface PullResult {
  msgs: Record<string, PullMsgs>;
  notificationMsgs: Record<string, PullMsgs>;
}

export class Reader {
  #convs: Conversations;
  #msgs: Messages;

  constructor(convs: Conversations, msgs: Messages) {
    this.#convs = convs;
    this.#msgs = msgs;
  }

  /** May `userID` read `conversationID`? Chat IDs need a document; n_ IDs a document of their twin. */
  #readable(userID: string, conversationID: string): ConversationRecord | 'notification' | undefined {
    if (!isNotificationId(conversationID)) return this.#convs.get(userID, conversationID);
    if (conversationID === selfNotificationId(userID)) return 'notification';
    const rest = conversationID.slice(2);
    for (const prefix of ['si_', 'sn_', 'sg_']) if (this.#convs.get(userID, prefix + rest)) return 'notification';
    return undefined;
  }

  /** 1002: the newest `num` messages of each range (every seq for n_ streams). */
  pullRange(userID: string, ranges: readonly { conversationID: string; begin: number; end: number; num: number }[], order: number): PullResult {
    const res: PullResult = { msgs: {}, notificationMsgs: {} };
    for (const r of ranges) {
      const access = this.#readable(userID, r.conversationID);
      if (!access) continue;
      const info = this.#msgs.seqInfo(r.conversationID);
      let begin = Math.max(r.begin, 1, info.minSeq);
      let end = Math.min(r.end, info.maxSeq);
      let minSeq = info.minSeq;
      if (access !== 'notification') {
        begin = Math.max(begin, access.minSeq);
        minSeq = Math.max(minSeq, access.minSeq);
        if (access.maxSeq > 0) end = Math.min(end, access.maxSeq);
        if (r.num > 0 && end - begin + 1 > r.num) begin = end - r.num + 1;
      }
      if (end - begin + 1 > MAX_PULL_PER_CONVERSATION) begin = end - MAX_PULL_PER_CONVERSATION + 1;
      const seqs: number[] = [];
      for (let s = begin; s <= end; s++) seqs.push(s);
      const msgs = this.#msgs.read(r.conversationID, seqs, userID, minSeq);
      const isEnd = order === 1 ? begin <= Math.max(1, minSeq) : info.maxSeq <= r.end;
      (access === 'notification' ? res.notificationMsgs : res.msgs)[r.conversationID] = { Msgs: msgs, isEnd };
    }
    return res;
  }

  /** 1005: exactly the requested seqs. */
  pullSeqs(userID: string, conversations: readonly { conversationID: string; seqs: readonly number[] }[]): PullResult {
    const res: PullResult = { msgs: {}, notificationMsgs: {} };
    for (const c of conversations) {
      const access = this.#readable(userID, c.conversationID);
      if (!access) continue;
      const info = this.#msgs.seqInfo(c.conversationID);
      const seqs = [...new Set(c.seqs.filter((s) => s > 0))].sort((a, b) => a - b);
      if (seqs.length > MAX_PULL_PER_CONVERSATION) throw imArgsError(`more than ${MAX_PULL_PER_CONVERSATION} seqs for ${c.conversationID}`);
      const minSeq = Math.max(info.minSeq, access === 'notification' ? 0 : access.minSeq);
      const msgs = this.#msgs.read(c.conversationID, seqs, userID, minSeq);
      const isEnd = seqs.length === 0 || info.maxSeq <= seqs[seqs.length - 1]!;
      (access === 'notification' ? res.notificationMsgs : res.msgs)[c.conversationID] = { Msgs: msgs, isEnd };
    }
    return res;
  }

  /** 1001 / newest_seq: every conversation of the user, its n_ twin, and the user's own n_ stream. */
  maxSeqs(userID: string): { maxSeqs: Record<string, number>; minSeqs: Record<string, number> } {
    const maxSeqs: Record<string, number> = {};
    // A conversation's own maxSeq, when set (a member who left a group), caps what it reports.
    const caps = new Map<string, number>();
    const ids = new Set<string>([selfNotificationId(userID)]);
    for (const c of this.#convs.list(userID)) {
      ids.add(c.conversationID);
      ids.add(notificationTwin(c.conversationID));
      if (c.maxSeq > 0) caps.set(c.conversationID, c.maxSeq);
    }
    for (const id of ids) {
      const { maxSeq } = this.#msgs.seqInfo(id);
      const cap = caps.get(id);
      const seq = cap === undefined ? maxSeq : Math.min(maxSeq, cap);
      if (seq > 0) maxSeqs[id] = seq;
    }
    return { maxSeqs, minSeqs: {} };
  }

  /** 1006: maxSeq (capped by the user's conversation.maxSeq), hasReadSeq, maxSeqTime. */
  hasReadAndMaxSeq(userID: string, conversationIDs: readonly string[]): Record<string, { maxSeq: number; hasReadSeq: number; maxSeqTime: number }> {
    const convs = conversationIDs.length ? this.#convs.getMany(userID, conversationIDs) : this.#convs.list(userID);
    const out: Record<string, { maxSeq: number; hasReadSeq: number; maxSeqTime: number }> = {};
    for (const c of convs) {
      const info = this.#msgs.seqInfo(c.conversationID);
      const maxSeq = c.maxSeq > 0 ? Math.min(c.maxSeq, info.maxSeq) : info.maxSeq;
      out[c.conversationID] = { maxSeq, hasReadSeq: Math.min(c.hasReadSeq, maxSeq), maxSeqTime: info.maxSeqTime };
    }
    return out;
  }

  /** The newest readable message of a conversation for a user (status < 4), if any. */
  lastMessage(userID: string, conversationID: string): MsgData | undefined {
    const access = this.#readable(userID, conversationID);
    if (!access) return undefined;
    const info = this.#msgs.seqInfo(conversationID);
    let end = info.maxSeq;
    let minSeq = info.minSeq;
    if (access !== 'notification') {
      if (access.maxSeq > 0) end = Math.min(end, access.maxSeq);
      minSeq = Math.max(minSeq, access.minSeq);
    }
    for (let hi = end; hi >= Math.max(1, minSeq); hi -= 50) {
      const seqs: number[] = [];
      for (let s = hi; s > hi - 50 && s >= Math.max(1, minSeq); s--) seqs.push(s);
      const found = this.#msgs.read(conversationID, seqs, userID, minSeq).find((m) => m.status < 4);
      if (found) return found;
    }
    return undefined;
  }
}
