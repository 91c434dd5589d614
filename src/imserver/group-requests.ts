// Requests to join a group (open-im-server internal/rpc/group): one row per (group, applicant),
// re-applying resets it. Not versioned: clients fetch them whole after a notification.

import type { SdkWsProto } from '@openim/protocol';
import { stmt, stmtOnce, type Db } from './db.ts';
import type { Groups } from './groups.ts';
import type { Users } from './users.ts';

export type GroupRequest = SdkWsProto.GroupRequest;

interface RequestRow {
  group_id: string;
  user_id: string;
  handle_result: number;
  req_msg: string;
  handle_msg: string;
  req_time: number;
  handle_user_id: string;
  handle_time: number;
  join_source: number;
  inviter_user_id: string;
  ex: string;
}

export class GroupRequests {
  #db: Db;
  #users: Users;
  #groups: Groups;

  constructor(db: Db, users: Users, groups: Groups) {
    this.#db = db;
    this.#users = users;
    this.#groups = groups;
  }

  #request(r: RequestRow): GroupRequest {
    const u = this.#users.get(r.user_id);
    return {
      userInfo: { userID: r.user_id, nickname: u?.nickname ?? '', faceURL: u?.faceURL ?? '', ex: u?.ex ?? '' },
      groupInfo: this.#groups.get(r.group_id),
      handleResult: r.handle_result,
      reqMsg: r.req_msg,
      handleMsg: r.handle_msg,
      reqTime: r.req_time,
      handleUserID: r.handle_user_id,
      handleTime: r.handle_time,
      ex: r.ex,
      joinSource: r.join_source,
      inviterUserID: r.inviter_user_id,
    };
  }

  request(groupID: string, userID: string): GroupRequest | undefined {
    const r = stmt<RequestRow>(this.#db, 'SELECT * FROM group_requests WHERE group_id = ? AND user_id = ?').get(groupID, userID);
    return r ? this.#request(r) : undefined;
  }

  apply(groupID: string, userID: string, r: { reqMsg: string; joinSource: number; inviterUserID: string; ex: string }, now = Date.now()): void {
    stmt(
      this.#db,
      `INSERT INTO group_requests (group_id, user_id, handle_result, req_msg, req_time, join_source, inviter_user_id, ex) VALUES (?, ?, 0, ?, ?, ?, ?, ?)
       ON CONFLICT (group_id, user_id) DO UPDATE SET handle_result = 0, req_msg = excluded.req_msg, req_time = excluded.req_time,
         join_source = excluded.join_source, inviter_user_id = excluded.inviter_user_id, ex = excluded.ex, handle_msg = '', handle_user_id = '', handle_time = 0`,
    ).run(groupID, userID, r.reqMsg, now, r.joinSource, r.inviterUserID, r.ex);
  }

  handle(groupID: string, userID: string, result: number, handler: string, handleMsg: string, now = Date.now()): void {
    stmt(this.#db, 'UPDATE group_requests SET handle_result = ?, handle_user_id = ?, handle_msg = ?, handle_time = ? WHERE group_id = ? AND user_id = ?')
      .run(result, handler, handleMsg, now, groupID, userID);
  }

  /** Requests of the given groups (by group) or of one applicant (by user), newest first. */
  requests(
    by: { groupIDs: readonly string[] } | { userID: string },
    groupIDs: readonly string[],
    handleResults: readonly number[],
    offset: number,
    limit: number,
  ): { total: number; groupRequests: GroupRequest[] } {
    const where: string[] = [];
    const vals: (string | number)[] = [];
    if ('userID' in by) {
      where.push('user_id = ?');
      vals.push(by.userID);
    } else {
      if (by.groupIDs.length === 0) return { total: 0, groupRequests: [] };
      where.push(`group_id IN (${by.groupIDs.map(() => '?').join(',')})`);
      vals.push(...by.groupIDs);
    }
    if (groupIDs.length) {
      where.push(`group_id IN (${groupIDs.map(() => '?').join(',')})`);
      vals.push(...groupIDs);
    }
    if (handleResults.length) {
      where.push(`handle_result IN (${handleResults.map(() => '?').join(',')})`);
      vals.push(...handleResults);
    }
    const w = where.join(' AND ');
    const total = stmtOnce<{ n: number }>(this.#db, `SELECT COUNT(*) AS n FROM group_requests WHERE ${w}`).get(...vals)!.n;
    const rows = stmtOnce<RequestRow>(this.#db, `SELECT * FROM group_requests WHERE ${w} ORDER BY req_time DESC, group_id, user_id LIMIT ? OFFSET ?`)
      .all(...vals, limit, offset);
    return { total, groupRequests: rows.map((r) => this.#request(r)) };
  }
}
