// Local conversations: one row per conversationID, mapped 1:1 to the client's ConversationItem.

import type { DatabaseSync } from 'node:sqlite';
import type { ConversationItem } from '../types.ts';
import { query } from './db.ts';

const COLUMNS = [
  'conversationID', 'conversationType', 'userID', 'groupID', 'showName', 'faceURL', 'recvMsgOpt', 'unreadCount',
  'groupAtType', 'latestMsg', 'latestMsgSendTime', 'draftText', 'draftTextTime', 'isPinned', 'isPrivateChat',
  'burnDuration', 'isNotInGroup', 'updateUnreadCountTime', 'attachedInfo', 'ex', 'maxSeq', 'minSeq', 'hasReadSeq',
  'msgDestructTime', 'isMsgDestruct',
] as const satisfies readonly (keyof ConversationItem)[];

/** The client's columns in its order (isHidden is the store's own). */
const SELECT = `SELECT ${COLUMNS.join(', ')} FROM conversations`;

type Flag = 'isPinned' | 'isPrivateChat' | 'isNotInGroup' | 'isMsgDestruct';
/** A row as SELECT returns it: the client's fields, its flags stored as 0/1. */
type Row = Pick<ConversationItem, Exclude<(typeof COLUMNS)[number], Flag>> & Record<Flag, number>;

function fromRow(r: Row): ConversationItem {
  return { ...r, isPinned: r.isPinned === 1, isPrivateChat: r.isPrivateChat === 1, isNotInGroup: r.isNotInGroup === 1, isMsgDestruct: r.isMsgDestruct === 1 };
}

export function emptyConversation(conversationID: string, conversationType: number, userID: string, groupID: string): ConversationItem {
  return {
    conversationID, conversationType, userID, groupID, showName: '', faceURL: '', recvMsgOpt: 0, unreadCount: 0,
    groupAtType: 0, latestMsg: '', latestMsgSendTime: 0, draftText: '', draftTextTime: 0, isPinned: false,
    isPrivateChat: false, burnDuration: 0, isNotInGroup: false, updateUnreadCountTime: 0, attachedInfo: '', ex: '',
    maxSeq: 0, minSeq: 0, hasReadSeq: 0, msgDestructTime: 0, isMsgDestruct: false,
  };
}

const ORDER = 'ORDER BY isPinned DESC, MAX(latestMsgSendTime, draftTextTime) DESC, conversationID';

export class ConversationStore {
  readonly #db: DatabaseSync;

  constructor(db: DatabaseSync) {
    this.#db = db;
  }

  get(conversationID: string): ConversationItem | undefined {
    const r = query<Row>(this.#db, `${SELECT} WHERE conversationID = ?`).get(conversationID);
    return r ? fromRow(r) : undefined;
  }

  isHidden(conversationID: string): boolean {
    const r = query<{ isHidden: number }>(this.#db, 'SELECT isHidden FROM conversations WHERE conversationID = ?').get(conversationID);
    return r?.isHidden === 1;
  }

  /** Inserts or replaces the row; `hidden` keeps its value unless given. */
  put(c: ConversationItem, hidden?: boolean): void {
    const vals = COLUMNS.map((k) => {
      const v = c[k];
      return typeof v === 'boolean' ? (v ? 1 : 0) : (v ?? (typeof v === 'number' ? 0 : ''));
    });
    const hiddenSql = hidden === undefined ? 'COALESCE((SELECT isHidden FROM conversations WHERE conversationID = ?), 0)' : '?';
    this.#db
      .prepare(`INSERT OR REPLACE INTO conversations (${COLUMNS.join(', ')}, isHidden) VALUES (${COLUMNS.map(() => '?').join(', ')}, ${hiddenSql})`)
      .run(...vals, hidden === undefined ? c.conversationID : hidden ? 1 : 0);
  }

  setHidden(conversationID: string | null, hidden: boolean): void {
    if (conversationID === null) this.#db.prepare('UPDATE conversations SET isHidden = ?').run(hidden ? 1 : 0);
    else this.#db.prepare('UPDATE conversations SET isHidden = ? WHERE conversationID = ?').run(hidden ? 1 : 0, conversationID);
  }

  delete(conversationID: string): void {
    this.#db.prepare('DELETE FROM conversations WHERE conversationID = ?').run(conversationID);
  }

  /** Visible conversations, pinned first, then by latest activity. */
  list(offset = 0, count = -1): ConversationItem[] {
    const rows = query<Row>(this.#db, `${SELECT} WHERE isHidden = 0 ${ORDER} LIMIT ? OFFSET ?`)
      .all(count, offset);
    return rows.map(fromRow);
  }

  /** Every row, hidden ones included. */
  all(): ConversationItem[] {
    return query<Row>(this.#db, SELECT).all().map(fromRow);
  }

  totalUnread(): number {
    const r = query<{ n: number }>(this.#db, 'SELECT COALESCE(SUM(unreadCount), 0) AS n FROM conversations WHERE isHidden = 0 AND recvMsgOpt = 0')
      .get()!;
    return r.n;
  }
}
