// Local messages: one row per clientMsgID, the client's MessageItem JSON plus the columns the
// queries need. Deletion is a tombstone (status 4) so a later sync or history pull cannot bring
// a deleted message back and a duplicate push is recognised.

import type { DatabaseSync } from 'node:sqlite';
import { MsgStatus, type MessageItem } from '../types.ts';
import { searchTextOf } from '../msg/search-text.ts';
import { query, type Query } from './db.ts';

interface Row {
  item: string;
}

export interface Cursor {
  readonly sendTime: number;
  readonly seq: number;
  readonly clientMsgID: string;
}

export interface SearchQuery {
  readonly conversationIDs: readonly string[] | null;
  readonly keywords: readonly string[];
  readonly matchAll: boolean;
  readonly senderIDs: readonly string[];
  readonly contentTypes: readonly number[];
  readonly fromTime: number;
  readonly toTime: number;
}

const READ_RUN_TO_STOP = 20;

const parse = (r: Row | undefined): MessageItem | undefined => (r ? (JSON.parse(r.item) as MessageItem) : undefined);

export class MessageStore {
  readonly #db: DatabaseSync;
  readonly #put: Query<never>;
  readonly #get: Query<Row>;

  constructor(db: DatabaseSync) {
    this.#db = db;
    this.#put = query<never>(db, `
      INSERT INTO messages (clientMsgID, conversationID, seq, sendTime, status, contentType, sendID, searchText, item)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT(clientMsgID) DO UPDATE SET conversationID = excluded.conversationID, seq = excluded.seq,
        sendTime = excluded.sendTime, status = excluded.status, contentType = excluded.contentType,
        sendID = excluded.sendID, searchText = excluded.searchText, item = excluded.item`);
    this.#get = query<Row>(db, 'SELECT item FROM messages WHERE clientMsgID = ?');
  }

  put(conversationID: string, m: MessageItem): void {
    const sendTime = m.sendTime || m.createTime || 0;
    this.#put.run(m.clientMsgID, conversationID, m.seq || 0, sendTime, m.status, m.contentType, m.sendID, searchTextOf(m), JSON.stringify(m));
  }

  /** Any row, tombstones included. */
  get(clientMsgID: string): MessageItem | undefined {
    return parse(this.#get.get(clientMsgID));
  }

  conversationOf(clientMsgID: string): string | undefined {
    const r = query<{ conversationID: string }>(this.#db, 'SELECT conversationID FROM messages WHERE clientMsgID = ?').get(clientMsgID);
    return r?.conversationID;
  }

  getBySeq(conversationID: string, seq: number): MessageItem | undefined {
    return parse(query<Row>(this.#db, 'SELECT item FROM messages WHERE conversationID = ? AND seq = ?').get(conversationID, seq));
  }

  /** Seqs in [lo, hi] that have a local row (tombstones count: they need no pull). */
  presentSeqs(conversationID: string, lo: number, hi: number): Set<number> {
    const rows = query<{ seq: number }>(this.#db, 'SELECT seq FROM messages WHERE conversationID = ? AND seq BETWEEN ? AND ?')
      .all(conversationID, lo, hi);
    return new Set(rows.map((r) => r.seq));
  }

  /** Visible stored messages with seq in [lo, hi]. */
  countVisible(conversationID: string, lo: number, hi: number): number {
    const r = query<{ n: number }>(this.#db, 'SELECT COUNT(*) AS n FROM messages WHERE conversationID = ? AND seq BETWEEN ? AND ? AND status < 4')
      .get(conversationID, lo, hi)!;
    return r.n;
  }

  maxSeq(conversationID: string): number {
    const r = query<{ m: number | null }>(this.#db, 'SELECT MAX(seq) AS m FROM messages WHERE conversationID = ?').get(conversationID)!;
    return r.m ?? 0;
  }

  /**
   * Visible messages strictly older than `before` (or the newest), newest first. With `minSeq`,
   * stored messages below it are left out (seq-0 local sends are always candidates).
   */
  older(conversationID: string, before: Cursor | null, limit: number, minSeq = 0): MessageItem[] {
    const cursor = before
      ? 'AND (sendTime < $t OR (sendTime = $t AND (seq < $q OR (seq = $q AND clientMsgID < $id))))'
      : '';
    const rows = query<Row>(
      this.#db,
      `SELECT item FROM messages WHERE conversationID = $c AND status < 4 AND (seq = 0 OR seq >= $min) ${cursor}
       ORDER BY sendTime DESC, seq DESC, clientMsgID DESC LIMIT $n`,
    ).all({ c: conversationID, min: minSeq, n: limit, ...(before ? { t: before.sendTime, q: before.seq, id: before.clientMsgID } : {}) });
    return rows.map((r) => JSON.parse(r.item) as MessageItem);
  }

  /** Visible messages strictly newer than `after`, oldest first; stored ones above `maxSeq` left out. */
  newer(conversationID: string, after: Cursor, limit: number, maxSeq = Number.MAX_SAFE_INTEGER): MessageItem[] {
    const rows = query<Row>(
      this.#db,
      `SELECT item FROM messages WHERE conversationID = $c AND status < 4 AND (seq = 0 OR seq <= $max)
         AND (sendTime > $t OR (sendTime = $t AND (seq > $q OR (seq = $q AND clientMsgID > $id))))
       ORDER BY sendTime ASC, seq ASC, clientMsgID ASC LIMIT $n`,
    ).all({ c: conversationID, max: maxSeq, t: after.sendTime, q: after.seq, id: after.clientMsgID, n: limit });
    return rows.map((r) => JSON.parse(r.item) as MessageItem);
  }

  latest(conversationID: string): MessageItem | undefined {
    return this.older(conversationID, null, 1)[0];
  }

  /**
   * Seqs of the visible messages from `peerID` this device has not marked read, whatever the
   * read seq (a reply raises it past them). Newest first until a run of read ones, like markRead.
   */
  unreadFrom(conversationID: string, peerID: string): number[] {
    const walk = query<Row & { seq: number }>(this.#db, 'SELECT seq, item FROM messages WHERE conversationID = ? AND sendID = ? AND seq > 0 AND status < 4 ORDER BY seq DESC')
      .iterate(conversationID, peerID);
    const out: number[] = [];
    let readInARow = 0;
    for (const r of walk) {
      if (!(JSON.parse(r.item) as MessageItem).isRead) {
        readInARow = 0;
        out.push(r.seq);
      } else if (++readInARow >= READ_RUN_TO_STOP) {
        break;
      }
    }
    return out.reverse();
  }

  /**
   * Sets isRead on messages sent by `sendID`: those with the given seqs, and every one up to
   * `upTo`. Reads move forward, so the walk down from `upTo` stops after a run of messages that
   * are already read instead of visiting the whole conversation (a run, not the first one, so a
   * message marked alone by seq does not hide unread ones below it). Returns the changed items.
   */
  markRead(conversationID: string, sendID: string, seqs: readonly number[], upTo: number): MessageItem[] {
    const changed: MessageItem[] = [];
    const mark = (m: MessageItem) => {
      m.isRead = true;
      this.put(conversationID, m);
      changed.push(m);
    };
    const pending: MessageItem[] = [];
    const walk = query<Row>(this.#db, 'SELECT item FROM messages WHERE conversationID = ? AND sendID = ? AND seq > 0 AND seq <= ? AND status < 4 ORDER BY seq DESC')
      .iterate(conversationID, sendID, upTo);
    let readInARow = 0;
    for (const r of walk) {
      const m = JSON.parse(r.item) as MessageItem;
      if (!m.isRead) {
        readInARow = 0;
        pending.push(m);
      } else if (++readInARow >= READ_RUN_TO_STOP) {
        break;
      }
    }
    for (const m of pending) mark(m);
    const rest = seqs.filter((q) => q > upTo);
    for (let i = 0; i < rest.length; i += 500) {
      const chunk = rest.slice(i, i + 500);
      const rows = query<Row>(this.#db, `SELECT item FROM messages WHERE conversationID = ? AND sendID = ? AND status < 4 AND seq IN (${chunk.map(() => '?').join(',')})`)
        .all(conversationID, sendID, ...chunk);
      for (const r of rows) {
        const m = JSON.parse(r.item) as MessageItem;
        if (!m.isRead) mark(m);
      }
    }
    return changed;
  }

  /** Messages left "sending" by a previous run can no longer complete: mark them failed. */
  failStaleSending(): number {
    const rows = query<{ conversationID: string; item: string }>(this.#db, 'SELECT conversationID, item FROM messages WHERE status = 1').all();
    for (const r of rows) this.put(r.conversationID, { ...(JSON.parse(r.item) as MessageItem), status: MsgStatus.Failed });
    return rows.length;
  }

  tombstone(conversationID: string, m: MessageItem): void {
    this.put(conversationID, { ...m, status: MsgStatus.Deleted });
  }

  /** Tombstones every visible message of one conversation, or of all when `conversationID` is null. */
  tombstoneAll(conversationID: string | null): void {
    type Tombstoned = { conversationID: string; item: string };
    const rows =
      conversationID === null
        ? query<Tombstoned>(this.#db, 'SELECT conversationID, item FROM messages WHERE status < 4').all()
        : query<Tombstoned>(this.#db, 'SELECT conversationID, item FROM messages WHERE status < 4 AND conversationID = ?').all(conversationID);
    for (const r of rows) this.tombstone(r.conversationID, JSON.parse(r.item) as MessageItem);
  }

  find(conversationID: string, clientMsgIDs: readonly string[]): MessageItem[] {
    const out: MessageItem[] = [];
    for (const id of clientMsgIDs) {
      const m = this.get(id);
      if (m && m.status < MsgStatus.Deleted && this.conversationOf(id) === conversationID) out.push(m);
    }
    return out;
  }

  search(q: SearchQuery): { conversationID: string; item: MessageItem }[] {
    const where: string[] = ['status < 4', 'sendTime >= ?', 'sendTime <= ?'];
    const args: (string | number)[] = [q.fromTime, q.toTime];
    if (q.conversationIDs) {
      where.push(`conversationID IN (${q.conversationIDs.map(() => '?').join(',') || "''"})`);
      args.push(...q.conversationIDs);
    }
    if (q.senderIDs.length) {
      where.push(`sendID IN (${q.senderIDs.map(() => '?').join(',')})`);
      args.push(...q.senderIDs);
    }
    if (q.contentTypes.length) {
      where.push(`contentType IN (${q.contentTypes.map(() => '?').join(',')})`);
      args.push(...q.contentTypes);
    }
    const kws = q.keywords.filter((k) => k !== '');
    if (kws.length) {
      const like = kws.map(() => "searchText LIKE ? ESCAPE '\\'");
      where.push(`(${like.join(q.matchAll ? ' AND ' : ' OR ')})`);
      args.push(...kws.map((k) => `%${k.replace(/[\\%_]/g, (c) => '\\' + c)}%`));
    } else if (!q.senderIDs.length && !q.contentTypes.length) {
      return [];
    }
    const rows = query<{ conversationID: string; item: string }>(this.#db, `SELECT conversationID, item FROM messages WHERE ${where.join(' AND ')} ORDER BY sendTime DESC`)
      .all(...args);
    return rows.map((r) => ({ conversationID: r.conversationID, item: JSON.parse(r.item) as MessageItem }));
  }
}
