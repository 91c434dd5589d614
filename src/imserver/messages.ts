// Stored messages and per-conversation seqs. A message's MsgData is kept as protobuf bytes;
// read receipts, revokes and per-user deletes are columns applied when it is read back.

import { stmt, type Db } from './db.ts';
import { decodeMsg, encodeMsg, placeholderMsg, type MsgData } from './codec.ts';

export interface SeqInfo {
  maxSeq: number;
  minSeq: number;
  maxSeqTime: number;
}

export interface RevokeInfo {
  revokerID: string;
  revokerRole: number;
  revokerNickname: string;
  revokeTime: number;
  isAdminRevoke: boolean;
}

interface MsgRow {
  seq: number;
  data: Uint8Array;
  is_read: number;
  revoke: string | null;
}

const CT_REVOKE_NOTIFICATION = 2101;

export class Messages {
  #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  seqInfo(conversationID: string): SeqInfo {
    const r = stmt<{ max_seq: number; min_seq: number; max_seq_time: number }>(this.#db, 'SELECT max_seq, min_seq, max_seq_time FROM seqs WHERE conversation_id = ?').get(conversationID);
    return r ? { maxSeq: r.max_seq, minSeq: r.min_seq, maxSeqTime: r.max_seq_time } : { maxSeq: 0, minSeq: 0, maxSeqTime: 0 };
  }

  /** Allocate the next seq, store the message with it, and return the stored copy. */
  append(conversationID: string, m: MsgData): MsgData {
    const cur = this.seqInfo(conversationID);
    const seq = cur.maxSeq + 1;
    const stored: MsgData = { ...m, seq };
    stmt(
      this.#db,
      `INSERT INTO seqs (conversation_id, max_seq, min_seq, max_seq_time) VALUES (?, ?, 0, ?)
       ON CONFLICT (conversation_id) DO UPDATE SET max_seq = excluded.max_seq, max_seq_time = excluded.max_seq_time`,
    ).run(conversationID, seq, stored.sendTime);
    stmt(this.#db, 'INSERT INTO msgs (conversation_id, seq, client_msg_id, send_id, send_time, data) VALUES (?, ?, ?, ?, ?, ?)')
      .run(conversationID, seq, stored.clientMsgID, stored.sendID, stored.sendTime, encodeMsg(stored));
    return stored;
  }

  /** The raw stored message (before revoke substitution), or undefined. */
  raw(conversationID: string, seq: number): { msg: MsgData; revoked: boolean } | undefined {
    const r = stmt<MsgRow>(this.#db, 'SELECT seq, data, is_read, revoke FROM msgs WHERE conversation_id = ? AND seq = ?').get(conversationID, seq);
    if (!r) return undefined;
    return { msg: { ...decodeMsg(r.data), isRead: r.is_read !== 0 }, revoked: r.revoke !== null };
  }

  /**
   * Messages for `userID` at the given seqs, in the order given. Missing, below `minSeq`, or
   * deleted-for-the-user seqs come back as `{seq, status: 4}`; revoked ones as 2101 notices.
   */
  read(conversationID: string, seqs: readonly number[], userID: string, minSeq: number): MsgData[] {
    if (seqs.length === 0) return [];
    const lo = Math.min(...seqs);
    const hi = Math.max(...seqs);
    const rows = stmt<MsgRow>(this.#db, 'SELECT seq, data, is_read, revoke FROM msgs WHERE conversation_id = ? AND seq BETWEEN ? AND ?')
      .all(conversationID, lo, hi);
    const bySeq = new Map(rows.map((r) => [r.seq, r]));
    const deleted = new Set(
      (
        stmt<{ seq: number }>(this.#db, 'SELECT seq FROM msg_deleted WHERE user_id = ? AND conversation_id = ? AND seq BETWEEN ? AND ?')
          .all(userID, conversationID, lo, hi)
      ).map((r) => r.seq),
    );
    return seqs.map((seq) => {
      const r = bySeq.get(seq);
      if (!r || seq < minSeq || deleted.has(seq)) return placeholderMsg(seq);
      const m: MsgData = { ...decodeMsg(r.data), isRead: r.is_read !== 0 };
      return r.revoke ? revokedView(m, JSON.parse(r.revoke) as RevokeInfo) : m;
    });
  }

  markRead(conversationID: string, seqs: readonly number[]): void {
    const st = stmt(this.#db, 'UPDATE msgs SET is_read = 1 WHERE conversation_id = ? AND seq = ?');
    for (const s of seqs) st.run(conversationID, s);
  }

  /** Seqs in (from, to] not sent by `userID`. */
  seqsFromOthers(conversationID: string, from: number, to: number, userID: string): number[] {
    const rows = stmt<{ seq: number }>(this.#db, 'SELECT seq FROM msgs WHERE conversation_id = ? AND seq > ? AND seq <= ? AND send_id != ? ORDER BY seq')
      .all(conversationID, from, to, userID);
    return rows.map((r) => r.seq);
  }

  setRevoked(conversationID: string, seq: number, info: RevokeInfo): void {
    stmt(this.#db, 'UPDATE msgs SET revoke = ? WHERE conversation_id = ? AND seq = ?').run(JSON.stringify(info), conversationID, seq);
  }

  deleteForUser(userID: string, conversationID: string, seqs: readonly number[]): void {
    const st = stmt(this.#db, 'INSERT OR IGNORE INTO msg_deleted (user_id, conversation_id, seq) VALUES (?, ?, ?)');
    for (const s of seqs) st.run(userID, conversationID, s);
  }
}

/**
 * How a revoked message reads back (open-im-server msg controller): contentType 2101 with
 * content {"detail": JSON(MessageRevokedContent)}.
 */
function revokedView(m: MsgData, info: RevokeInfo): MsgData {
  const detail = {
    revokerID: info.revokerID,
    revokerRole: info.revokerRole,
    clientMsgID: m.clientMsgID,
    revokerNickname: info.revokerNickname,
    revokeTime: info.revokeTime,
    sourceMessageSendTime: m.sendTime,
    sourceMessageSendID: m.sendID,
    sourceMessageSenderNickname: m.senderNickname,
    sessionType: m.sessionType,
    seq: m.seq,
    ex: m.ex,
  };
  return { ...m, contentType: CT_REVOKE_NOTIFICATION, content: Buffer.from(JSON.stringify({ detail: JSON.stringify(detail) })) };
}
