// Messaging semantics: send (seq allocation, lazy conversations, sender auto-read), pulls by
// range and by seqs, read state, revoke, delete and clear, and server notifications.
// Every method runs synchronously on the server's thread, so a caller can answer the request
// first and then run the returned `deliver` to push, which keeps the response ahead of the echo.

import { createHash, randomBytes } from 'node:crypto';
import { emptyMsg, type MsgData, type PullMsgs } from './codec.ts';
import type { Conversations, ConversationRecord } from './conversations.ts';
import { conversationIdOf, isNotificationId, notificationTwin, selfNotificationId, SESSION_GROUP, SESSION_NOTIFICATION, SESSION_SINGLE } from './convid.ts';
import { inTransaction, type Db } from './db.ts';
import { argsError, ImCode, imError } from './errs.ts';
import type { Messages } from './messages.ts';
import {
  notificationOptions,
  optionIs,
  OPT_CONVERSATION_UPDATE,
  OPT_HISTORY,
  OPT_IS_NOT_NOTIFICATION,
  OPT_OFFLINE_PUSH,
  OPT_PERSISTENT,
  OPT_SENDER_SYNC,
  OPT_UNREAD_COUNT,
} from './options.ts';
import type { Hub } from './push.ts';
import type { Users } from './users.ts';

export const MSG_FROM_USER = 100;
export const MSG_FROM_SYSTEM = 200;
export const STATUS_SEND_SUCCESS = 2;
export const CT_TYPING = 113;
export const CT_CONVERSATION_CHANGE = 1300;
export const CT_USER_INFO_UPDATED = 1303;
export const CT_CLEAR_CONVERSATION = 1703;
export const CT_REVOKE = 2101;
export const CT_DELETE_MSGS = 2102;
export const CT_HAS_READ_RECEIPT = 2200;

export interface Deliver {
  (): void;
}
const NOTHING: Deliver = () => {};

export interface SendResult {
  serverMsgID: string;
  clientMsgID: string;
  sendTime: number;
  deliver: Deliver;
}

export interface PullResult {
  msgs: Record<string, PullMsgs>;
  notificationMsgs: Record<string, PullMsgs>;
}

// Unique inputs for md5 IDs without a random draw per message: a per-process nonce and a counter.
const ID_NONCE = randomBytes(8).toString('hex');
let idCounter = 0;

/** Most messages one range (1002) or one conversation's seq list (1005) returns. */
export const MAX_PULL_PER_CONVERSATION = 1000;

export function md5Id(...parts: (string | number)[]): string {
  return createHash('md5').update(`${parts.join('-')}-${ID_NONCE}-${++idCounter}`).digest('hex');
}

export class Chat {
  #db: Db;
  #users: Users;
  #convs: Conversations;
  #msgs: Messages;
  #hub: Hub;

  constructor(db: Db, users: Users, convs: Conversations, msgs: Messages, hub: Hub) {
    this.#db = db;
    this.#users = users;
    this.#convs = convs;
    this.#msgs = msgs;
    this.#hub = hub;
  }

  /** Store (when history) and prepare the push of a user or admin message. */
  send(input: MsgData, operationID: string, now = Date.now()): SendResult {
    const m: MsgData = { ...input, options: { ...input.options } };
    if (!m.sendID) throw argsError('sendID is empty');
    if (!(m.contentType > 0)) throw argsError('contentType is invalid');
    if (m.sessionType === SESSION_SINGLE || m.sessionType === SESSION_NOTIFICATION) {
      if (!m.recvID) throw argsError('recvID is empty');
      if (!this.#users.exists(m.recvID)) throw imError(ImCode.UserIDNotFound, `recvID ${m.recvID} not found`);
    } else if (m.sessionType === SESSION_GROUP) {
      if (!m.groupID) throw argsError('groupID is empty');
      throw imError(ImCode.GroupIDNotFound, `group ${m.groupID} not found`);
    } else {
      throw argsError(`sessionType ${m.sessionType} is not supported`);
    }
    if (m.contentType === CT_TYPING) {
      for (const k of [OPT_HISTORY, OPT_PERSISTENT, OPT_UNREAD_COUNT, OPT_CONVERSATION_UPDATE, OPT_OFFLINE_PUSH]) m.options[k] = false;
    }
    m.serverMsgID = md5Id(now, m.sendID);
    if (!m.clientMsgID) m.clientMsgID = md5Id(now, m.sendID, 'c');
    if (!m.sendTime) m.sendTime = now;
    m.status = STATUS_SEND_SUCCESS;
    const deliver = this.#storeAndRoute(m);
    return { serverMsgID: m.serverMsgID, clientMsgID: m.clientMsgID, sendTime: m.sendTime, deliver: () => deliver(operationID) };
  }

  /** A server notification from `sendID` to `recvID` (single-chat routing). Stored ones get a seq. */
  notify(sendID: string, recvID: string, contentType: number, tips: unknown, stored: boolean, now = Date.now()): (op: string) => void {
    const m: MsgData = {
      ...emptyMsg(),
      sendID,
      recvID,
      clientMsgID: md5Id(now, sendID, 'n'),
      serverMsgID: md5Id(now, sendID),
      sessionType: SESSION_SINGLE,
      msgFrom: MSG_FROM_SYSTEM,
      contentType,
      content: Buffer.from(JSON.stringify({ detail: JSON.stringify(tips) })),
      sendTime: now,
      createTime: now,
      status: STATUS_SEND_SUCCESS,
      options: notificationOptions(stored),
    };
    return this.#storeAndRoute(m);
  }

  #storeAndRoute(m: MsgData): (op: string) => void {
    const notification = !optionIs(m.options, OPT_IS_NOT_NOTIFICATION);
    const convID = conversationIdOf(m, notification);
    let out: MsgData = m;
    if (optionIs(m.options, OPT_HISTORY)) {
      out = inTransaction(this.#db, () => {
        const stored = this.#msgs.append(convID, m);
        if (!notification) {
          for (const [owner, peer] of [
            [m.sendID, m.recvID],
            [m.recvID, m.sendID],
          ] as const) {
            this.#convs.ensure(owner, convID, m.sessionType, peer, m.groupID);
          }
          this.#convs.raiseHasReadSeq(m.sendID, convID, stored.seq);
        }
        return stored;
      });
    } else {
      out = { ...m, seq: 0 };
    }
    const recipients = [m.recvID];
    if (optionIs(m.options, OPT_SENDER_SYNC)) recipients.push(m.sendID);
    return (op: string) => this.#hub.push(recipients, convID, out, op);
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
      if (seqs.length > MAX_PULL_PER_CONVERSATION) throw argsError(`more than ${MAX_PULL_PER_CONVERSATION} seqs for ${c.conversationID}`);
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
    const ids = new Set<string>([selfNotificationId(userID)]);
    for (const c of this.#convs.list(userID)) {
      ids.add(c.conversationID);
      ids.add(notificationTwin(c.conversationID));
    }
    for (const id of ids) {
      const { maxSeq } = this.#msgs.seqInfo(id);
      if (maxSeq > 0) maxSeqs[id] = maxSeq;
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

  #ownConversation(userID: string, conversationID: string): ConversationRecord {
    const c = this.#convs.get(userID, conversationID);
    if (!c) throw imError(ImCode.RecordNotFound, `conversation ${conversationID} not found`);
    return c;
  }

  /** The 2200 receipt: single chats go to the peer (and the reader's devices), others to the reader's own stream. */
  #readReceipt(c: ConversationRecord, userID: string, seqs: readonly number[], hasReadSeq: number): (op: string) => void {
    const tips = { markAsReadUserID: userID, conversationID: c.conversationID, seqs, hasReadSeq };
    const peer = c.conversationType === SESSION_SINGLE && c.userID ? c.userID : userID;
    return this.notify(userID, peer, CT_HAS_READ_RECEIPT, tips, true);
  }

  markConversationAsRead(userID: string, conversationID: string, hasReadSeq: number, seqs: readonly number[]): (op: string) => void {
    return inTransaction(this.#db, () => {
      const c = this.#ownConversation(userID, conversationID);
      const { maxSeq } = this.#msgs.seqInfo(conversationID);
      if (hasReadSeq > maxSeq) throw argsError(`hasReadSeq ${hasReadSeq} is bigger than maxSeq ${maxSeq}`);
      const before = c.hasReadSeq;
      const now = this.#convs.setHasReadSeq(userID, conversationID, hasReadSeq);
      let marked = seqs.filter((s) => s > 0 && s <= maxSeq);
      if (c.conversationType === SESSION_SINGLE) {
        if (marked.length === 0 && now > before) marked = this.#msgs.seqsFromOthers(conversationID, before, now, userID);
        this.#msgs.markRead(conversationID, marked);
      }
      if (marked.length === 0 && now === before) return NOTHING;
      return this.#readReceipt(c, userID, marked, now);
    });
  }

  markMsgsAsRead(userID: string, conversationID: string, seqs: readonly number[]): (op: string) => void {
    if (seqs.length === 0) throw argsError('seqs is empty');
    return inTransaction(this.#db, () => {
      const c = this.#ownConversation(userID, conversationID);
      const { maxSeq } = this.#msgs.seqInfo(conversationID);
      const valid = seqs.filter((s) => s > 0 && s <= maxSeq);
      const top = Math.max(0, ...valid);
      const now = top > c.hasReadSeq ? this.#convs.setHasReadSeq(userID, conversationID, top) : c.hasReadSeq;
      if (c.conversationType === SESSION_SINGLE) this.#msgs.markRead(conversationID, valid);
      return this.#readReceipt(c, userID, valid, now);
    });
  }

  setHasReadSeq(userID: string, conversationID: string, hasReadSeq: number, noNotification: boolean): (op: string) => void {
    return inTransaction(this.#db, () => {
      this.#ownConversation(userID, conversationID);
      const { maxSeq } = this.#msgs.seqInfo(conversationID);
      if (hasReadSeq < 0 || hasReadSeq > maxSeq) throw argsError(`hasReadSeq ${hasReadSeq} is outside [0, maxSeq ${maxSeq}]`);
      const now = this.#convs.setHasReadSeq(userID, conversationID, hasReadSeq, true);
      if (noNotification) return NOTHING;
      return this.notify(userID, userID, CT_HAS_READ_RECEIPT, { markAsReadUserID: userID, conversationID, seqs: [], hasReadSeq: now }, true);
    });
  }

  /** Revoke: the message reads back as 2101; a 2101 notice is stored in the n_ stream. */
  revoke(opUserID: string, isAdmin: boolean, conversationID: string, seq: number, now = Date.now()): (op: string) => void {
    if (!(seq > 0)) throw argsError('seq is invalid');
    return inTransaction(this.#db, () => {
      if (!isAdmin) this.#ownConversation(opUserID, conversationID);
      const raw = this.#msgs.raw(conversationID, seq);
      if (!raw) throw imError(ImCode.RecordNotFound, `msg ${conversationID}:${seq} not found`);
      if (raw.revoked) throw imError(ImCode.MsgAlreadyRevoke, 'msg already revoked');
      const m = raw.msg;
      if (!isAdmin && m.sendID !== opUserID) throw imError(ImCode.NoPermission, 'only the sender can revoke this message');
      const revoker = this.#users.get(opUserID);
      this.#msgs.setRevoked(conversationID, seq, {
        revokerID: opUserID,
        revokerRole: 0,
        revokerNickname: revoker?.nickname ?? '',
        revokeTime: now,
        isAdminRevoke: isAdmin,
      });
      const tips = {
        revokerUserID: opUserID,
        clientMsgID: m.clientMsgID,
        revokeTime: now,
        sesstionType: m.sessionType,
        seq,
        conversationID,
        isAdminRevoke: isAdmin,
      };
      const peer = m.sendID === opUserID ? m.recvID : m.sendID;
      return this.notify(opUserID, peer, CT_REVOKE, tips, true, now);
    });
  }

  deleteMsgs(userID: string, conversationID: string, seqs: readonly number[], syncSelf: boolean): (op: string) => void {
    if (seqs.length === 0) throw argsError('seqs is empty');
    return inTransaction(this.#db, () => {
      this.#ownConversation(userID, conversationID);
      this.#msgs.deleteForUser(userID, conversationID, seqs);
      if (!syncSelf) return NOTHING;
      return this.notify(userID, userID, CT_DELETE_MSGS, { userID, conversationID, seqs }, true);
    });
  }

  /** Clear for one user: its minSeq moves past the current maxSeq. */
  clearConversations(userID: string, conversationIDs: readonly string[], syncSelf: boolean): (op: string) => void {
    return inTransaction(this.#db, () => {
      const cleared: string[] = [];
      for (const id of conversationIDs) {
        const c = this.#ownConversation(userID, id);
        const { maxSeq } = this.#msgs.seqInfo(id);
        this.#convs.patch(userID, id, { minSeq: maxSeq + 1 });
        this.#convs.setHasReadSeq(userID, id, Math.max(c.hasReadSeq, maxSeq));
        cleared.push(id);
      }
      if (!syncSelf || cleared.length === 0) return NOTHING;
      return this.notify(userID, userID, CT_CLEAR_CONVERSATION, { userID, conversationIDs: cleared }, false);
    });
  }

  clearAll(userID: string, syncSelf: boolean): (op: string) => void {
    return this.clearConversations(
      userID,
      this.#convs.list(userID).map((c) => c.conversationID),
      syncSelf,
    );
  }
}
