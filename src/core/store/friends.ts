// Friends, the blacklist and friend requests (both directions) of the logged-in user.

import type { DatabaseSync } from 'node:sqlite';
import type { BlackUserItem, FriendApplicationItem, FriendUserItem } from '../types.ts';
import { query } from './db.ts';

type Row = { item: string };
const parse = <T>(rows: Row[]): T[] => rows.map((r) => JSON.parse(r.item) as T);

export function requestKey(r: { fromUserID: string; toUserID: string }): string {
  return `${r.fromUserID}\u0000${r.toUserID}`;
}

export class FriendStore {
  readonly #db: DatabaseSync;

  constructor(db: DatabaseSync) {
    this.#db = db;
  }

  // ---- friends ----
  friend(userID: string): FriendUserItem | undefined {
    return parse<FriendUserItem>(query<Row>(this.#db, 'SELECT item FROM friends WHERE userID = ?').all(userID))[0];
  }

  friends(): FriendUserItem[] {
    return parse<FriendUserItem>(query<Row>(this.#db, 'SELECT item FROM friends ORDER BY nickname, userID').all());
  }

  putFriend(f: FriendUserItem): void {
    this.#db
      .prepare('INSERT OR REPLACE INTO friends (userID, nickname, remark, item) VALUES (?, ?, ?, ?)')
      .run(f.userID, f.nickname, f.remark, JSON.stringify(f));
  }

  deleteFriend(userID: string): void {
    this.#db.prepare('DELETE FROM friends WHERE userID = ?').run(userID);
  }

  /** Friends whose chosen fields contain any keyword (case-insensitive for ASCII). */
  searchFriends(keywords: readonly string[], byID: boolean, byNickname: boolean, byRemark: boolean): FriendUserItem[] {
    const cols = [byID && 'userID', byNickname && 'nickname', byRemark && 'remark'].filter((c): c is string => !!c);
    const kws = keywords.filter((k) => k !== '');
    if (!cols.length || !kws.length) return [];
    const where = kws.flatMap(() => cols.map((c) => `${c} LIKE ? ESCAPE '\\'`)).join(' OR ');
    const args = kws.flatMap((k) => cols.map(() => `%${k.replace(/[\\%_]/g, (ch) => '\\' + ch)}%`));
    return parse<FriendUserItem>(query<Row>(this.#db, `SELECT item FROM friends WHERE ${where} ORDER BY nickname, userID`).all(...args));
  }

  // ---- blacklist ----
  black(userID: string): BlackUserItem | undefined {
    return parse<BlackUserItem>(query<Row>(this.#db, 'SELECT item FROM blacks WHERE userID = ?').all(userID))[0];
  }

  blacks(): BlackUserItem[] {
    return parse<BlackUserItem>(query<Row>(this.#db, 'SELECT item FROM blacks ORDER BY userID').all());
  }

  putBlack(b: BlackUserItem): void {
    this.#db.prepare('INSERT OR REPLACE INTO blacks (userID, item) VALUES (?, ?)').run(b.userID, JSON.stringify(b));
  }

  deleteBlack(userID: string): void {
    this.#db.prepare('DELETE FROM blacks WHERE userID = ?').run(userID);
  }

  // ---- friend requests (received: toUserID = self; sent: fromUserID = self) ----
  requests(): FriendApplicationItem[] {
    return parse<FriendApplicationItem>(query<Row>(this.#db, 'SELECT item FROM friend_requests').all());
  }

  requestsTo(userID: string): FriendApplicationItem[] {
    return parse<FriendApplicationItem>(query<Row>(this.#db, 'SELECT item FROM friend_requests WHERE toUserID = ? ORDER BY createTime DESC').all(userID));
  }

  requestsFrom(userID: string): FriendApplicationItem[] {
    return parse<FriendApplicationItem>(query<Row>(this.#db, 'SELECT item FROM friend_requests WHERE fromUserID = ? ORDER BY createTime DESC').all(userID));
  }

  putRequest(r: FriendApplicationItem): void {
    this.#db
      .prepare('INSERT OR REPLACE INTO friend_requests (fromUserID, toUserID, createTime, item) VALUES (?, ?, ?, ?)')
      .run(r.fromUserID, r.toUserID, r.createTime, JSON.stringify(r));
  }

  deleteRequest(fromUserID: string, toUserID: string): void {
    this.#db.prepare('DELETE FROM friend_requests WHERE fromUserID = ? AND toUserID = ?').run(fromUserID, toUserID);
  }
}
