// Groups and their members (open-im-server internal/rpc/group; join requests are in
// group-requests.ts). Two version lists follow them: the joined groups of each user
// (`joingroup:U`, element = groupID) and the members of each group (`member:G`, element = userID). A change of the group's own info is
// logged in the members list under the empty element ID, as upstream's VersionGroupChangeID,
// so an incremental member sync also says "the group changed".

import type { SdkWsProto } from '@openim/protocol';
import { stmt, type Db } from './db.ts';
import type { Users } from './users.ts';
import { V_DELETE, V_INSERT, V_UPDATE, type Versions } from './versions.ts';

export type GroupInfo = SdkWsProto.GroupInfo;
export type GroupMember = SdkWsProto.GroupMemberFullInfo;

export const ROLE_OWNER = 100;
export const ROLE_ADMIN = 60;
export const ROLE_MEMBER = 20;

export const GROUP_OK = 0;
export const GROUP_DISMISSED = 2;
export const GROUP_MUTED = 3;

/** groupType: only WorkingGroup exists in v3. */
export const WORKING_GROUP = 2;

// needVerification
export const APPLY_NEEDS_APPROVAL_INVITE_DIRECT = 0;
export const ALL_NEED_VERIFICATION = 1;
export const DIRECTLY = 2;

// joinSource
export const JOIN_BY_INVITATION = 2;

/** The member-list element that stands for "the group's own info changed". */
export const GROUP_CHANGE_ELEMENT = '';

export function joinedGroupListKey(userID: string): string {
  return `joingroup:${userID}`;
}

export function memberListKey(groupID: string): string {
  return `member:${groupID}`;
}

interface GroupRow {
  group_id: string;
  group_name: string;
  notification: string;
  introduction: string;
  face_url: string;
  owner_user_id: string;
  create_time: number;
  ex: string;
  status: number;
  creator_user_id: string;
  group_type: number;
  need_verification: number;
  look_member_info: number;
  apply_member_friend: number;
  notification_update_time: number;
  notification_user_id: string;
}

interface MemberRow {
  group_id: string;
  user_id: string;
  role_level: number;
  join_time: number;
  nickname: string;
  face_url: string;
  join_source: number;
  operator_user_id: string;
  inviter_user_id: string;
  ex: string;
  mute_end_time: number;
}

export interface NewGroup {
  groupID: string;
  groupName: string;
  notification: string;
  introduction: string;
  faceURL: string;
  ownerUserID: string;
  ex: string;
  creatorUserID: string;
  needVerification: number;
  lookMemberInfo: number;
  applyMemberFriend: number;
}

export interface GroupPatch {
  groupName?: string;
  notification?: string;
  introduction?: string;
  faceURL?: string;
  ex?: string;
  needVerification?: number;
  lookMemberInfo?: number;
  applyMemberFriend?: number;
  ownerUserID?: string;
  status?: number;
  notificationUpdateTime?: number;
  notificationUserID?: string;
}

const GROUP_COLUMNS: Record<keyof GroupPatch, string> = {
  groupName: 'group_name',
  notification: 'notification',
  introduction: 'introduction',
  faceURL: 'face_url',
  ex: 'ex',
  needVerification: 'need_verification',
  lookMemberInfo: 'look_member_info',
  applyMemberFriend: 'apply_member_friend',
  ownerUserID: 'owner_user_id',
  status: 'status',
  notificationUpdateTime: 'notification_update_time',
  notificationUserID: 'notification_user_id',
};

export interface MemberPatch {
  nickname?: string;
  faceURL?: string;
  roleLevel?: number;
  ex?: string;
  muteEndTime?: number;
}

const MEMBER_COLUMNS: Record<keyof MemberPatch, string> = {
  nickname: 'nickname',
  faceURL: 'face_url',
  roleLevel: 'role_level',
  ex: 'ex',
  muteEndTime: 'mute_end_time',
};

function updateSql(cols: Record<string, string>, p: Record<string, unknown>): { sets: string[]; vals: (string | number)[] } {
  const sets: string[] = [];
  const vals: (string | number)[] = [];
  for (const [k, col] of Object.entries(cols)) {
    const v = p[k];
    if (v === undefined) continue;
    sets.push(`${col} = ?`);
    vals.push(v as string | number);
  }
  return { sets, vals };
}

export class Groups {
  #db: Db;
  #users: Users;
  #versions: Versions;

  constructor(db: Db, users: Users, versions: Versions) {
    this.#db = db;
    this.#users = users;
    this.#versions = versions;
  }

  #group(r: GroupRow): GroupInfo {
    return {
      groupID: r.group_id,
      groupName: r.group_name,
      notification: r.notification,
      introduction: r.introduction,
      faceURL: r.face_url,
      ownerUserID: r.owner_user_id,
      createTime: r.create_time,
      memberCount: this.memberCount(r.group_id),
      ex: r.ex,
      status: r.status,
      creatorUserID: r.creator_user_id,
      groupType: r.group_type,
      needVerification: r.need_verification,
      lookMemberInfo: r.look_member_info,
      applyMemberFriend: r.apply_member_friend,
      notificationUpdateTime: r.notification_update_time,
      notificationUserID: r.notification_user_id,
      displayIsRead: false,
    };
  }

  #member(r: MemberRow): GroupMember {
    const u = this.#users.get(r.user_id);
    return {
      groupID: r.group_id,
      userID: r.user_id,
      roleLevel: r.role_level,
      joinTime: r.join_time,
      // An empty group nickname reads as the user's own profile, as upstream fills it.
      nickname: r.nickname || (u?.nickname ?? ''),
      faceURL: r.face_url || (u?.faceURL ?? ''),
      appMangerLevel: u?.appMangerLevel ?? 0,
      joinSource: r.join_source,
      operatorUserID: r.operator_user_id,
      ex: r.ex,
      muteEndTime: r.mute_end_time,
      inviterUserID: r.inviter_user_id,
    };
  }

  // --- groups

  exists(groupID: string): boolean {
    return stmt(this.#db, 'SELECT 1 FROM groups WHERE group_id = ?').get(groupID) !== undefined;
  }

  get(groupID: string): GroupInfo | undefined {
    const r = stmt<GroupRow>(this.#db, 'SELECT * FROM groups WHERE group_id = ?').get(groupID);
    return r ? this.#group(r) : undefined;
  }

  getMany(groupIDs: readonly string[]): GroupInfo[] {
    const out: GroupInfo[] = [];
    for (const id of new Set(groupIDs)) {
      const g = this.get(id);
      if (g) out.push(g);
    }
    return out;
  }

  create(g: NewGroup, now = Date.now()): void {
    stmt(
      this.#db,
      `INSERT INTO groups (group_id, group_name, notification, introduction, face_url, owner_user_id, create_time, ex, status, creator_user_id,
         group_type, need_verification, look_member_info, apply_member_friend, notification_update_time, notification_user_id)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      g.groupID,
      g.groupName,
      g.notification,
      g.introduction,
      g.faceURL,
      g.ownerUserID,
      now,
      g.ex,
      g.creatorUserID,
      WORKING_GROUP,
      g.needVerification,
      g.lookMemberInfo,
      g.applyMemberFriend,
      g.notification ? now : 0,
      g.notification ? g.creatorUserID : '',
    );
    this.#versions.current(memberListKey(g.groupID));
  }

  /** Change the group's own fields; every member's joined-group list and the member list log it. */
  patch(groupID: string, p: GroupPatch): void {
    const { sets, vals } = updateSql(GROUP_COLUMNS, p as Record<string, unknown>);
    if (sets.length > 0) stmt(this.#db, `UPDATE groups SET ${sets.join(', ')} WHERE group_id = ?`).run(...vals, groupID);
    this.groupChanged(groupID);
  }

  /** Log "group info changed" (member count, status, fields) where clients look for it. */
  groupChanged(groupID: string): void {
    for (const u of this.memberIDs(groupID)) this.#versions.bump(joinedGroupListKey(u), groupID, V_UPDATE);
    this.#versions.bump(memberListKey(groupID), GROUP_CHANGE_ELEMENT, V_UPDATE);
  }

  joinedGroupIDs(userID: string): string[] {
    const rows = stmt<{ group_id: string }>(this.#db, 'SELECT group_id FROM group_members WHERE user_id = ? ORDER BY join_time, group_id').all(userID);
    return rows.map((r) => r.group_id);
  }

  // --- members

  memberCount(groupID: string): number {
    return stmt<{ n: number }>(this.#db, 'SELECT COUNT(*) AS n FROM group_members WHERE group_id = ?').get(groupID)!.n;
  }

  member(groupID: string, userID: string): GroupMember | undefined {
    const r = stmt<MemberRow>(this.#db, 'SELECT * FROM group_members WHERE group_id = ? AND user_id = ?').get(groupID, userID);
    return r ? this.#member(r) : undefined;
  }

  memberIDs(groupID: string): string[] {
    const rows = stmt<{ user_id: string }>(this.#db, 'SELECT user_id FROM group_members WHERE group_id = ? ORDER BY join_time, user_id').all(groupID);
    return rows.map((r) => r.user_id);
  }

  /** Owner and admins: who handles join applications. */
  managerIDs(groupID: string): string[] {
    const rows = stmt<{ user_id: string }>(this.#db, 'SELECT user_id FROM group_members WHERE group_id = ? AND role_level >= ? ORDER BY role_level DESC, user_id')
      .all(groupID, ROLE_ADMIN);
    return rows.map((r) => r.user_id);
  }

  members(groupID: string, userIDs: readonly string[]): GroupMember[] {
    const out: GroupMember[] = [];
    for (const id of new Set(userIDs)) {
      const m = this.member(groupID, id);
      if (m) out.push(m);
    }
    return out;
  }

  /** A page of members by role filter (SDK GroupMemberFilter: 0 all, 1 owner, 2 admin, 3 ordinary, 4 admin+ordinary, 5 owner+admin) and keyword. */
  memberPage(groupID: string, filter: number, keyword: string, offset: number, limit: number): { total: number; members: GroupMember[] } {
    const roles: Record<number, number[]> = {
      0: [],
      1: [ROLE_OWNER],
      2: [ROLE_ADMIN],
      3: [ROLE_MEMBER],
      4: [ROLE_ADMIN, ROLE_MEMBER],
      5: [ROLE_OWNER, ROLE_ADMIN],
    };
    const want = roles[filter] ?? [];
    const rows = stmt<MemberRow>(this.#db, 'SELECT * FROM group_members WHERE group_id = ? ORDER BY role_level DESC, join_time, user_id').all(groupID);
    let members = rows.filter((r) => want.length === 0 || want.includes(r.role_level)).map((r) => this.#member(r));
    // Upstream matches the keyword exactly against the userID or the nickname.
    if (keyword) members = members.filter((m) => m.userID === keyword || m.nickname === keyword);
    return { total: members.length, members: limit < 0 ? members.slice(offset) : members.slice(offset, offset + limit) };
  }

  addMember(
    groupID: string,
    userID: string,
    m: { roleLevel: number; joinSource: number; operatorUserID: string; inviterUserID: string },
    now = Date.now(),
  ): void {
    stmt(
      this.#db,
      `INSERT INTO group_members (group_id, user_id, role_level, join_time, join_source, operator_user_id, inviter_user_id)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    ).run(groupID, userID, m.roleLevel, now, m.joinSource, m.operatorUserID, m.inviterUserID);
    this.#versions.bump(memberListKey(groupID), userID, V_INSERT);
    this.#versions.bump(joinedGroupListKey(userID), groupID, V_INSERT);
  }

  removeMember(groupID: string, userID: string): void {
    stmt(this.#db, 'DELETE FROM group_members WHERE group_id = ? AND user_id = ?').run(groupID, userID);
    this.#versions.bump(memberListKey(groupID), userID, V_DELETE);
    this.#versions.bump(joinedGroupListKey(userID), groupID, V_DELETE);
  }

  patchMember(groupID: string, userID: string, p: MemberPatch): void {
    const { sets, vals } = updateSql(MEMBER_COLUMNS, p as Record<string, unknown>);
    if (sets.length > 0) stmt(this.#db, `UPDATE group_members SET ${sets.join(', ')} WHERE group_id = ? AND user_id = ?`).run(...vals, groupID, userID);
    this.#versions.bump(memberListKey(groupID), userID, V_UPDATE);
  }

  /**
   * The groups whose member row shows the profile (no own nickname or face), as upstream's
   * NotificationUserInfoUpdate picks them; each logs a member update. Returns their IDs.
   */
  profileChanged(userID: string): string[] {
    const rows = stmt(this.#db, "SELECT group_id FROM group_members WHERE user_id = ? AND (nickname = '' OR face_url = '') ORDER BY join_time, group_id").all(userID) as { group_id: string }[];
    for (const r of rows) this.#versions.bump(memberListKey(r.group_id), userID, V_UPDATE);
    return rows.map((r) => r.group_id);
  }

  /** Groups a user owns or administers. */
  managedGroupIDs(userID: string): string[] {
    const rows = stmt<{ group_id: string }>(this.#db, 'SELECT group_id FROM group_members WHERE user_id = ? AND role_level >= ?').all(userID, ROLE_ADMIN);
    return rows.map((r) => r.group_id);
  }
}
