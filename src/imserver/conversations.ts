// Per-user conversation documents (conversation.Conversation) plus the user's hasReadSeq.
// Created lazily when a conversation's first message is stored.

import type { ConversationProto } from '@openim/protocol';
import { onRollback, stmt, type Db } from './db.ts';
import { V_INSERT, V_UPDATE, Versions } from './versions.ts';

export type Conversation = ConversationProto.Conversation;

export interface ConversationRecord extends Conversation {
  hasReadSeq: number;
}

interface Row {
  owner_user_id: string;
  conversation_id: string;
  conversation_type: number;
  user_id: string;
  group_id: string;
  recv_msg_opt: number;
  is_pinned: number;
  attached_info: string;
  is_private_chat: number;
  group_at_type: number;
  ex: string;
  burn_duration: number;
  min_seq: number;
  max_seq: number;
  msg_destruct_time: number;
  latest_msg_destruct_time: number;
  is_msg_destruct: number;
  has_read_seq: number;
}

function toRecord(r: Row): ConversationRecord {
  return {
    ownerUserID: r.owner_user_id,
    conversationID: r.conversation_id,
    recvMsgOpt: r.recv_msg_opt,
    conversationType: r.conversation_type,
    userID: r.user_id,
    groupID: r.group_id,
    isPinned: r.is_pinned !== 0,
    attachedInfo: r.attached_info,
    isPrivateChat: r.is_private_chat !== 0,
    groupAtType: r.group_at_type,
    ex: r.ex,
    burnDuration: r.burn_duration,
    minSeq: r.min_seq,
    maxSeq: r.max_seq,
    msgDestructTime: r.msg_destruct_time,
    latestMsgDestructTime: r.latest_msg_destruct_time,
    isMsgDestruct: r.is_msg_destruct !== 0,
    hasReadSeq: r.has_read_seq,
  };
}

/** The wire object: a record without the server-side read state. */
export function toConversation(c: ConversationRecord): Conversation {
  const { hasReadSeq: _omit, ...conv } = c;
  return conv;
}

/** Fields set_conversations may change; undefined = unchanged (OpenIM wrapper semantics). */
export interface ConversationPatch {
  recvMsgOpt?: number;
  isPinned?: boolean;
  attachedInfo?: string;
  isPrivateChat?: boolean;
  ex?: string;
  burnDuration?: number;
  minSeq?: number;
  maxSeq?: number;
  groupAtType?: number;
  msgDestructTime?: number;
  isMsgDestruct?: boolean;
}

const PATCH_COLUMNS: Record<keyof ConversationPatch, string> = {
  recvMsgOpt: 'recv_msg_opt',
  isPinned: 'is_pinned',
  attachedInfo: 'attached_info',
  isPrivateChat: 'is_private_chat',
  ex: 'ex',
  burnDuration: 'burn_duration',
  minSeq: 'min_seq',
  maxSeq: 'max_seq',
  groupAtType: 'group_at_type',
  msgDestructTime: 'msg_destruct_time',
  isMsgDestruct: 'is_msg_destruct',
};

export function conversationList(ownerUserID: string): string {
  return `conv:${ownerUserID}`;
}

export class Conversations {
  #db: Db;
  #versions: Versions;
  /** Documents are never deleted, so "exists" can be remembered (owner NUL conversationID). */
  #known = new Set<string>();

  constructor(db: Db, versions: Versions) {
    this.#db = db;
    this.#versions = versions;
    onRollback(db, () => this.#known.clear());
  }

  get(owner: string, conversationID: string): ConversationRecord | undefined {
    const r = stmt<Row>(this.#db, 'SELECT * FROM conversations WHERE owner_user_id = ? AND conversation_id = ?').get(owner, conversationID);
    return r ? toRecord(r) : undefined;
  }

  list(owner: string): ConversationRecord[] {
    const rows = stmt<Row>(this.#db, 'SELECT * FROM conversations WHERE owner_user_id = ? ORDER BY conversation_id').all(owner);
    return rows.map(toRecord);
  }

  getMany(owner: string, ids: readonly string[]): ConversationRecord[] {
    const out: ConversationRecord[] = [];
    for (const id of new Set(ids)) {
      const c = this.get(owner, id);
      if (c) out.push(c);
    }
    return out;
  }

  /** Create the document if missing. Returns true when it was created. */
  ensure(owner: string, conversationID: string, type: number, userID: string, groupID: string, now = Date.now()): boolean {
    const key = `${owner}\u0000${conversationID}`;
    if (this.#known.has(key)) return false;
    const res = stmt(
      this.#db,
      `INSERT OR IGNORE INTO conversations (owner_user_id, conversation_id, conversation_type, user_id, group_id, create_time)
       VALUES (?, ?, ?, ?, ?, ?)`,
    ).run(owner, conversationID, type, userID, groupID, now);
    if (res.changes === 0) {
      this.#known.add(key);
      return false;
    }
    this.#known.add(key);
    this.#versions.bump(conversationList(owner), conversationID, V_INSERT);
    return true;
  }

  patch(owner: string, conversationID: string, p: ConversationPatch): void {
    const sets: string[] = [];
    const vals: (string | number)[] = [];
    for (const [k, col] of Object.entries(PATCH_COLUMNS) as [keyof ConversationPatch, string][]) {
      const v = p[k];
      if (v === undefined) continue;
      sets.push(`${col} = ?`);
      vals.push(typeof v === 'boolean' ? (v ? 1 : 0) : v);
    }
    if (sets.length === 0) return;
    stmt(this.#db, `UPDATE conversations SET ${sets.join(', ')} WHERE owner_user_id = ? AND conversation_id = ?`).run(...vals, owner, conversationID);
    this.#versions.bump(conversationList(owner), conversationID, V_UPDATE);
  }

  /** Raise hasReadSeq (or set it, with `force`). */
  raiseHasReadSeq(owner: string, conversationID: string, seq: number, force = false): void {
    const sql = force
      ? 'UPDATE conversations SET has_read_seq = ? WHERE owner_user_id = ? AND conversation_id = ?'
      : 'UPDATE conversations SET has_read_seq = MAX(has_read_seq, ?) WHERE owner_user_id = ? AND conversation_id = ?';
    stmt(this.#db, sql).run(seq, owner, conversationID);
  }

  /** raiseHasReadSeq, then the value now stored. */
  setHasReadSeq(owner: string, conversationID: string, seq: number, force = false): number {
    this.raiseHasReadSeq(owner, conversationID, seq, force);
    const r = stmt<{ has_read_seq: number }>(this.#db, 'SELECT has_read_seq FROM conversations WHERE owner_user_id = ? AND conversation_id = ?').get(owner, conversationID);
    return r?.has_read_seq ?? 0;
  }

  /** Owners of a conversation ID (who hold a document for it). */
  owners(conversationID: string): string[] {
    const rows = stmt<{ owner_user_id: string }>(this.#db, 'SELECT owner_user_id FROM conversations WHERE conversation_id = ?').all(conversationID);
    return rows.map((r) => r.owner_user_id);
  }
}
