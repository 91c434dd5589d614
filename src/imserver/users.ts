// Registered users (sdkws.UserInfo).

import type { SdkWsProto } from '@openim/protocol';
import { stmt, type Db } from './db.ts';

export type UserInfo = SdkWsProto.UserInfo;

interface UserRow {
  user_id: string;
  nickname: string;
  face_url: string;
  ex: string;
  create_time: number;
  app_manger_level: number;
  global_recv_msg_opt: number;
}

function toInfo(r: UserRow): UserInfo {
  return {
    userID: r.user_id,
    nickname: r.nickname,
    faceURL: r.face_url,
    ex: r.ex,
    createTime: r.create_time,
    appMangerLevel: r.app_manger_level,
    globalRecvMsgOpt: r.global_recv_msg_opt,
  };
}

export interface UserPatch {
  nickname?: string;
  faceURL?: string;
  ex?: string;
  globalRecvMsgOpt?: number;
}

export class Users {
  #db: Db;
  /** Users are never deleted, so a positive answer can be remembered. */
  #known = new Set<string>();

  constructor(db: Db) {
    this.#db = db;
  }

  get(userID: string): UserInfo | undefined {
    const r = stmt<UserRow>(this.#db, 'SELECT * FROM users WHERE user_id = ?').get(userID);
    return r ? toInfo(r) : undefined;
  }

  exists(userID: string): boolean {
    if (this.#known.has(userID)) return true;
    const found = stmt(this.#db, 'SELECT 1 FROM users WHERE user_id = ?').get(userID) !== undefined;
    if (found) this.#known.add(userID);
    return found;
  }

  /** Users in the order asked; unknown IDs are skipped (as OpenIM does). */
  getMany(userIDs: readonly string[]): UserInfo[] {
    const out: UserInfo[] = [];
    const seen = new Set<string>();
    for (const id of userIDs) {
      if (seen.has(id)) continue;
      seen.add(id);
      const u = this.get(id);
      if (u) out.push(u);
    }
    return out;
  }

  insert(u: { userID: string; nickname: string; faceURL: string; ex: string; appMangerLevel?: number }, now = Date.now()): void {
    stmt(this.#db, 'INSERT INTO users (user_id, nickname, face_url, ex, create_time, app_manger_level) VALUES (?, ?, ?, ?, ?, ?)')
      .run(u.userID, u.nickname, u.faceURL, u.ex, now, u.appMangerLevel ?? 1);
  }

  update(userID: string, p: UserPatch): void {
    const cur = this.get(userID);
    if (!cur) return;
    stmt(this.#db, 'UPDATE users SET nickname = ?, face_url = ?, ex = ?, global_recv_msg_opt = ? WHERE user_id = ?')
      .run(p.nickname ?? cur.nickname, p.faceURL ?? cur.faceURL, p.ex ?? cur.ex, p.globalRecvMsgOpt ?? cur.globalRecvMsgOpt, userID);
  }

  page(offset: number, limit: number): { total: number; userIDs: string[] } {
    const total = stmt<{ n: number }>(this.#db, 'SELECT COUNT(*) AS n FROM users').get()!.n;
    const rows = stmt<{ user_id: string }>(this.#db, 'SELECT user_id FROM users ORDER BY create_time, user_id LIMIT ? OFFSET ?').all(limit, offset);
    return { total, userIDs: rows.map((r) => r.user_id) };
  }
}
