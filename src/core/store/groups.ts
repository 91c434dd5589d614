// Joined groups, the members of each joined group, and group join requests (received as owner
// or admin, and sent by the logged-in user).

import type { DatabaseSync } from 'node:sqlite';
import type { GroupApplicationItem, GroupItem, GroupMemberItem } from '../types.ts';
import { query } from './db.ts';

type Row = { item: string };
const parse = <T>(rows: Row[]): T[] => rows.map((r) => JSON.parse(r.item) as T);
const like = (k: string) => `%${k.replace(/[\\%_]/g, (ch) => '\\' + ch)}%`;

export interface MemberQuery {
  /** Role levels to include; empty = all. */
  readonly roles: readonly number[];
  readonly offset: number;
  /** -1 = no limit. */
  readonly count: number;
  readonly joinTimeBegin?: number;
  readonly joinTimeEnd?: number;
  readonly excludeUserIDs?: readonly string[];
}

export class GroupStore {
  readonly #db: DatabaseSync;

  constructor(db: DatabaseSync) {
    this.#db = db;
  }

  // ---- joined groups ----
  group(groupID: string): GroupItem | undefined {
    return parse<GroupItem>(query<Row>(this.#db, 'SELECT item FROM joined_groups WHERE groupID = ?').all(groupID))[0];
  }

  groups(): GroupItem[] {
    return parse<GroupItem>(query<Row>(this.#db, 'SELECT item FROM joined_groups ORDER BY groupName, groupID').all());
  }

  putGroup(g: GroupItem): void {
    this.#db.prepare('INSERT OR REPLACE INTO joined_groups (groupID, groupName, item) VALUES (?, ?, ?)').run(g.groupID, g.groupName, JSON.stringify(g));
  }

  /** Removes the group and its members. */
  deleteGroup(groupID: string): void {
    this.#db.prepare('DELETE FROM joined_groups WHERE groupID = ?').run(groupID);
    this.#db.prepare('DELETE FROM group_members WHERE groupID = ?').run(groupID);
  }

  searchGroups(keywords: readonly string[], byID: boolean, byName: boolean): GroupItem[] {
    const cols = [byID && 'groupID', byName && 'groupName'].filter((c): c is string => !!c);
    const kws = keywords.filter((k) => k !== '');
    if (!cols.length || !kws.length) return [];
    const where = kws.flatMap(() => cols.map((c) => `${c} LIKE ? ESCAPE '\\'`)).join(' OR ');
    const args = kws.flatMap((k) => cols.map(() => like(k)));
    return parse<GroupItem>(query<Row>(this.#db, `SELECT item FROM joined_groups WHERE ${where} ORDER BY groupName, groupID`).all(...args));
  }

  // ---- members ----
  member(groupID: string, userID: string): GroupMemberItem | undefined {
    return parse<GroupMemberItem>(query<Row>(this.#db, 'SELECT item FROM group_members WHERE groupID = ? AND userID = ?').all(groupID, userID))[0];
  }

  /** Members ordered like the server's list: owner, admins, then by join time. */
  members(groupID: string, q: MemberQuery = { roles: [], offset: 0, count: -1 }): GroupMemberItem[] {
    const where = ['groupID = ?'];
    const args: (string | number)[] = [groupID];
    if (q.roles.length) {
      where.push(`roleLevel IN (${q.roles.map(() => '?').join(',')})`);
      args.push(...q.roles);
    }
    if (q.joinTimeBegin) {
      where.push('joinTime >= ?');
      args.push(q.joinTimeBegin);
    }
    if (q.joinTimeEnd) {
      where.push('joinTime <= ?');
      args.push(q.joinTimeEnd);
    }
    if (q.excludeUserIDs?.length) {
      where.push(`userID NOT IN (${q.excludeUserIDs.map(() => '?').join(',')})`);
      args.push(...q.excludeUserIDs);
    }
    return parse<GroupMemberItem>(
      query<Row>(this.#db, `SELECT item FROM group_members WHERE ${where.join(' AND ')} ORDER BY roleLevel DESC, joinTime, userID LIMIT ? OFFSET ?`)
        .all(...args, q.count, q.offset),
    );
  }

  memberIDs(groupID: string): string[] {
    return query<{ userID: string }>(this.#db, 'SELECT userID FROM group_members WHERE groupID = ?').all(groupID).map((r) => r.userID);
  }

  putMember(m: GroupMemberItem): void {
    this.#db
      .prepare('INSERT OR REPLACE INTO group_members (groupID, userID, roleLevel, joinTime, nickname, item) VALUES (?, ?, ?, ?, ?, ?)')
      .run(m.groupID, m.userID, m.roleLevel, m.joinTime, m.nickname, JSON.stringify(m));
  }

  deleteMember(groupID: string, userID: string): void {
    this.#db.prepare('DELETE FROM group_members WHERE groupID = ? AND userID = ?').run(groupID, userID);
  }

  searchMembers(groupID: string, keywords: readonly string[], byID: boolean, byNickname: boolean, offset: number, count: number): GroupMemberItem[] {
    const cols = [byID && 'userID', byNickname && 'nickname'].filter((c): c is string => !!c);
    const kws = keywords.filter((k) => k !== '');
    if (!cols.length || !kws.length) return [];
    const where = kws.flatMap(() => cols.map((c) => `${c} LIKE ? ESCAPE '\\'`)).join(' OR ');
    const args = kws.flatMap((k) => cols.map(() => like(k)));
    return parse<GroupMemberItem>(
      query<Row>(this.#db, `SELECT item FROM group_members WHERE groupID = ? AND (${where}) ORDER BY roleLevel DESC, joinTime, userID LIMIT ? OFFSET ?`)
        .all(groupID, ...args, count, offset),
    );
  }

  // ---- join requests ----
  requests(): GroupApplicationItem[] {
    return parse<GroupApplicationItem>(query<Row>(this.#db, 'SELECT item FROM group_requests').all());
  }

  /** Requests by `userID` (sent) or, with `not`, by everyone else (received as owner/admin). */
  requestsBy(userID: string, not = false): GroupApplicationItem[] {
    return parse<GroupApplicationItem>(
      query<Row>(this.#db, `SELECT item FROM group_requests WHERE userID ${not ? '<>' : '='} ? ORDER BY reqTime DESC`).all(userID),
    );
  }

  putRequest(r: GroupApplicationItem): void {
    this.#db
      .prepare('INSERT OR REPLACE INTO group_requests (groupID, userID, reqTime, item) VALUES (?, ?, ?, ?)')
      .run(r.groupID, r.userID, r.reqTime, JSON.stringify(r));
  }

  deleteRequest(groupID: string, userID: string): void {
    this.#db.prepare('DELETE FROM group_requests WHERE groupID = ? AND userID = ?').run(groupID, userID);
  }
}
