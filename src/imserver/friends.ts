// Friends, friend requests and blacklists (open-im-server internal/rpc/relation). Friendship is
// one row per direction: deleting a friend removes only the owner's side, as upstream does.
// Every change is logged in the owner's version list (friends of U, blacks of U).

import type { SdkWsProto } from '@openim/protocol';
import { stmt, type Db } from './db.ts';
import type { Users } from './users.ts';
import { V_DELETE, V_INSERT, V_UPDATE, type Versions } from './versions.ts';

export type FriendInfo = SdkWsProto.FriendInfo;
export type FriendRequest = SdkWsProto.FriendRequest;
export type BlackInfo = SdkWsProto.BlackInfo;

/** Friend addSource (constant.BecomeFriendByImport / ByApply). */
export const ADD_SOURCE_IMPORT = 1;
export const ADD_SOURCE_APPLY = 2;

export function friendListKey(owner: string): string {
  return `friend:${owner}`;
}

export function blackListKey(owner: string): string {
  return `black:${owner}`;
}

interface FriendRow {
  owner_user_id: string;
  friend_user_id: string;
  remark: string;
  create_time: number;
  add_source: number;
  operator_user_id: string;
  ex: string;
  is_pinned: number;
}

interface RequestRow {
  from_user_id: string;
  to_user_id: string;
  handle_result: number;
  req_msg: string;
  create_time: number;
  handler_user_id: string;
  handle_msg: string;
  handle_time: number;
  ex: string;
}

interface BlackRow {
  owner_user_id: string;
  block_user_id: string;
  create_time: number;
  add_source: number;
  operator_user_id: string;
  ex: string;
}

export interface FriendPatch {
  remark?: string;
  ex?: string;
  isPinned?: boolean;
}

export class Friends {
  #db: Db;
  #users: Users;
  #versions: Versions;

  constructor(db: Db, users: Users, versions: Versions) {
    this.#db = db;
    this.#users = users;
    this.#versions = versions;
  }

  #friend(r: FriendRow): FriendInfo {
    return {
      ownerUserID: r.owner_user_id,
      remark: r.remark,
      createTime: r.create_time,
      friendUser: this.#users.get(r.friend_user_id) ?? { userID: r.friend_user_id, nickname: '', faceURL: '', ex: '', createTime: 0, appMangerLevel: 0, globalRecvMsgOpt: 0 },
      addSource: r.add_source,
      operatorUserID: r.operator_user_id,
      ex: r.ex,
      isPinned: r.is_pinned !== 0,
    };
  }

  #request(r: RequestRow): FriendRequest {
    const from = this.#users.get(r.from_user_id);
    const to = this.#users.get(r.to_user_id);
    return {
      fromUserID: r.from_user_id,
      fromNickname: from?.nickname ?? '',
      fromFaceURL: from?.faceURL ?? '',
      toUserID: r.to_user_id,
      toNickname: to?.nickname ?? '',
      toFaceURL: to?.faceURL ?? '',
      handleResult: r.handle_result,
      reqMsg: r.req_msg,
      createTime: r.create_time,
      handlerUserID: r.handler_user_id,
      handleMsg: r.handle_msg,
      handleTime: r.handle_time,
      ex: r.ex,
    };
  }

  #black(r: BlackRow): BlackInfo {
    const u = this.#users.get(r.block_user_id);
    return {
      ownerUserID: r.owner_user_id,
      createTime: r.create_time,
      blackUserInfo: { userID: r.block_user_id, nickname: u?.nickname ?? '', faceURL: u?.faceURL ?? '', ex: u?.ex ?? '' },
      addSource: r.add_source,
      operatorUserID: r.operator_user_id,
      ex: r.ex,
    };
  }

  // --- friends

  isFriend(owner: string, friend: string): boolean {
    return stmt(this.#db, 'SELECT 1 FROM friends WHERE owner_user_id = ? AND friend_user_id = ?').get(owner, friend) !== undefined;
  }

  friendIDs(owner: string): string[] {
    const rows = stmt<{ friend_user_id: string }>(this.#db, 'SELECT friend_user_id FROM friends WHERE owner_user_id = ? ORDER BY create_time, friend_user_id').all(owner);
    return rows.map((r) => r.friend_user_id);
  }

  /** Owners who have `userID` as a friend (whose friend lists show its profile). */
  ownersOf(userID: string): string[] {
    const rows = stmt<{ owner_user_id: string }>(this.#db, 'SELECT owner_user_id FROM friends WHERE friend_user_id = ?').all(userID);
    return rows.map((r) => r.owner_user_id);
  }

  page(owner: string, offset: number, limit: number): { total: number; friends: FriendInfo[] } {
    const total = stmt<{ n: number }>(this.#db, 'SELECT COUNT(*) AS n FROM friends WHERE owner_user_id = ?').get(owner)!.n;
    const rows = stmt<FriendRow>(this.#db, 'SELECT * FROM friends WHERE owner_user_id = ? ORDER BY create_time, friend_user_id LIMIT ? OFFSET ?')
      .all(owner, limit, offset);
    return { total, friends: rows.map((r) => this.#friend(r)) };
  }

  /** relation.FriendInfoOnly (no profile): what /jssdk conversation items carry. */
  only(owner: string, friend: string): { ownerUserID: string; friendUserID: string; remark: string; createTime: number; addSource: number; operatorUserID: string; ex: string; isPinned: boolean } | undefined {
    const r = stmt<FriendRow>(this.#db, 'SELECT * FROM friends WHERE owner_user_id = ? AND friend_user_id = ?').get(owner, friend);
    if (!r) return undefined;
    return {
      ownerUserID: r.owner_user_id,
      friendUserID: r.friend_user_id,
      remark: r.remark,
      createTime: r.create_time,
      addSource: r.add_source,
      operatorUserID: r.operator_user_id,
      ex: r.ex,
      isPinned: r.is_pinned !== 0,
    };
  }

  /** The owner's friends among `ids`, in the order asked. */
  getMany(owner: string, ids: readonly string[]): FriendInfo[] {
    const out: FriendInfo[] = [];
    for (const id of new Set(ids)) {
      const r = stmt<FriendRow>(this.#db, 'SELECT * FROM friends WHERE owner_user_id = ? AND friend_user_id = ?').get(owner, id);
      if (r) out.push(this.#friend(r));
    }
    return out;
  }

  /** Make `friend` a friend of `owner` (one direction). False if it already was. */
  add(owner: string, friend: string, addSource: number, operator: string, now = Date.now()): boolean {
    const res = stmt(
      this.#db,
      'INSERT OR IGNORE INTO friends (owner_user_id, friend_user_id, create_time, add_source, operator_user_id) VALUES (?, ?, ?, ?, ?)',
    ).run(owner, friend, now, addSource, operator);
    if (res.changes === 0) return false;
    this.#versions.bump(friendListKey(owner), friend, V_INSERT);
    return true;
  }

  remove(owner: string, friend: string): boolean {
    const res = stmt(this.#db, 'DELETE FROM friends WHERE owner_user_id = ? AND friend_user_id = ?').run(owner, friend);
    if (res.changes === 0) return false;
    this.#versions.bump(friendListKey(owner), friend, V_DELETE);
    return true;
  }

  patch(owner: string, friend: string, p: FriendPatch): void {
    const sets: string[] = [];
    const vals: (string | number)[] = [];
    const set = (column: string, v: string | number): void => {
      sets.push(`${column} = ?`);
      vals.push(v);
    };
    if (p.remark !== undefined) set('remark', p.remark);
    if (p.ex !== undefined) set('ex', p.ex);
    if (p.isPinned !== undefined) set('is_pinned', p.isPinned ? 1 : 0);
    if (sets.length > 0) {
      stmt(this.#db, `UPDATE friends SET ${sets.join(', ')} WHERE owner_user_id = ? AND friend_user_id = ?`).run(...vals, owner, friend);
    }
    this.#versions.bump(friendListKey(owner), friend, V_UPDATE);
  }

  /** A friend's profile changed: every owner's list logs an update for it. */
  profileChanged(userID: string): string[] {
    const owners = this.ownersOf(userID);
    for (const o of owners) this.#versions.bump(friendListKey(o), userID, V_UPDATE);
    return owners;
  }

  // --- requests

  request(from: string, to: string): FriendRequest | undefined {
    const r = stmt<RequestRow>(this.#db, 'SELECT * FROM friend_requests WHERE from_user_id = ? AND to_user_id = ?').get(from, to);
    return r ? this.#request(r) : undefined;
  }

  /** A new or repeated application: unhandled again, with the new message (upstream upserts). */
  apply(from: string, to: string, reqMsg: string, ex: string, now = Date.now()): FriendRequest {
    stmt(
      this.#db,
      `INSERT INTO friend_requests (from_user_id, to_user_id, handle_result, req_msg, create_time, ex) VALUES (?, ?, 0, ?, ?, ?)
       ON CONFLICT (from_user_id, to_user_id) DO UPDATE SET handle_result = 0, req_msg = excluded.req_msg, create_time = excluded.create_time,
         ex = excluded.ex, handler_user_id = '', handle_msg = '', handle_time = 0`,
    ).run(from, to, reqMsg, now, ex);
    return this.request(from, to)!;
  }

  handle(from: string, to: string, result: number, handler: string, handleMsg: string, now = Date.now()): void {
    stmt(this.#db, 'UPDATE friend_requests SET handle_result = ?, handler_user_id = ?, handle_msg = ?, handle_time = ? WHERE from_user_id = ? AND to_user_id = ?')
      .run(result, handler, handleMsg, now, from, to);
  }

  /** Requests received (`to`) or sent (`from`) by a user, newest first, optionally by handleResult. */
  requests(side: 'to' | 'from', userID: string, handleResults: readonly number[], offset: number, limit: number): { total: number; requests: FriendRequest[] } {
    const col = side === 'to' ? 'to_user_id' : 'from_user_id';
    const filter = handleResults.length ? ` AND handle_result IN (${handleResults.map(() => '?').join(',')})` : '';
    const where = `WHERE ${col} = ?${filter}`;
    const total = stmt<{ n: number }>(this.#db, `SELECT COUNT(*) AS n FROM friend_requests ${where}`).get(userID, ...handleResults)!.n;
    const rows = stmt<RequestRow>(this.#db, `SELECT * FROM friend_requests ${where} ORDER BY create_time DESC, from_user_id, to_user_id LIMIT ? OFFSET ?`)
      .all(userID, ...handleResults, limit, offset);
    return { total, requests: rows.map((r) => this.#request(r)) };
  }

  unhandledCount(to: string, since: number): number {
    return stmt<{ n: number }>(this.#db, 'SELECT COUNT(*) AS n FROM friend_requests WHERE to_user_id = ? AND handle_result = 0 AND create_time >= ?').get(to, since)!.n;
  }

  // --- blacks

  isBlack(owner: string, blocked: string): boolean {
    return stmt(this.#db, 'SELECT 1 FROM blacks WHERE owner_user_id = ? AND block_user_id = ?').get(owner, blocked) !== undefined;
  }

  blackIDs(owner: string): string[] {
    const rows = stmt<{ block_user_id: string }>(this.#db, 'SELECT block_user_id FROM blacks WHERE owner_user_id = ? ORDER BY create_time, block_user_id').all(owner);
    return rows.map((r) => r.block_user_id);
  }

  blackPage(owner: string, offset: number, limit: number): { total: number; blacks: BlackInfo[] } {
    const total = stmt<{ n: number }>(this.#db, 'SELECT COUNT(*) AS n FROM blacks WHERE owner_user_id = ?').get(owner)!.n;
    const rows = stmt<BlackRow>(this.#db, 'SELECT * FROM blacks WHERE owner_user_id = ? ORDER BY create_time, block_user_id LIMIT ? OFFSET ?')
      .all(owner, limit, offset);
    return { total, blacks: rows.map((r) => this.#black(r)) };
  }

  blacks(owner: string, ids: readonly string[]): BlackInfo[] {
    const out: BlackInfo[] = [];
    for (const id of new Set(ids)) {
      const r = stmt<BlackRow>(this.#db, 'SELECT * FROM blacks WHERE owner_user_id = ? AND block_user_id = ?').get(owner, id);
      if (r) out.push(this.#black(r));
    }
    return out;
  }

  /** Block (or re-block, refreshing ex). */
  addBlack(owner: string, blocked: string, operator: string, ex: string, now = Date.now()): void {
    const existed = this.isBlack(owner, blocked);
    stmt(
      this.#db,
      `INSERT INTO blacks (owner_user_id, block_user_id, create_time, operator_user_id, ex) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (owner_user_id, block_user_id) DO UPDATE SET ex = excluded.ex, operator_user_id = excluded.operator_user_id`,
    ).run(owner, blocked, now, operator, ex);
    this.#versions.bump(blackListKey(owner), blocked, existed ? V_UPDATE : V_INSERT);
  }

  removeBlack(owner: string, blocked: string): boolean {
    const res = stmt(this.#db, 'DELETE FROM blacks WHERE owner_user_id = ? AND block_user_id = ?').run(owner, blocked);
    if (res.changes === 0) return false;
    this.#versions.bump(blackListKey(owner), blocked, V_DELETE);
    return true;
  }
}
