// The logged-in user's own profile and a cache of other users' public profiles.

import type { DatabaseSync } from 'node:sqlite';
import type { PublicUserInfo, SelfUserInfo } from '../types.ts';
import { query } from './db.ts';

export class UserStore {
  readonly #db: DatabaseSync;

  constructor(db: DatabaseSync) {
    this.#db = db;
  }

  getSelf(userID: string): SelfUserInfo | undefined {
    return query<SelfUserInfo>(this.#db, 'SELECT * FROM self_user WHERE userID = ?').get(userID);
  }

  putSelf(u: SelfUserInfo): void {
    this.#db
      .prepare(
        `INSERT OR REPLACE INTO self_user (userID, nickname, faceURL, ex, attachedInfo, createTime, globalRecvMsgOpt)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(u.userID, u.nickname, u.faceURL, u.ex, u.attachedInfo, u.createTime, u.globalRecvMsgOpt);
    this.put({ userID: u.userID, nickname: u.nickname, faceURL: u.faceURL, ex: u.ex, createTime: u.createTime });
  }

  get(userID: string): PublicUserInfo | undefined {
    return query<PublicUserInfo>(this.#db, 'SELECT userID, nickname, faceURL, ex, createTime FROM users WHERE userID = ?').get(userID);
  }

  /** When the cached profile was fetched (ms), or 0 when there is none. */
  cachedAt(userID: string): number {
    const r = query<{ cachedAt: number }>(this.#db, 'SELECT cachedAt FROM users WHERE userID = ?').get(userID);
    return r?.cachedAt ?? 0;
  }

  put(u: PublicUserInfo): void {
    this.#db
      .prepare('INSERT OR REPLACE INTO users (userID, nickname, faceURL, ex, createTime, cachedAt) VALUES (?, ?, ?, ?, ?, ?)')
      .run(u.userID, u.nickname, u.faceURL, u.ex, u.createTime, Date.now());
  }
}
