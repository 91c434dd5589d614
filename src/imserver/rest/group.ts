// /group/* for the group itself: create, read, set info, mute, transfer, dismiss
// (open-im-server internal/rpc/group/group.go). Members, applications and version sync live
// in group-members.ts, group-requests.ts and group-sync.ts.

import { createHash, randomBytes } from 'node:crypto';
import { inTransaction } from '../db.ts';
import { imArgsError, ImCode, imError } from '../errs.ts';
import {
  ALL_NEED_VERIFICATION,
  DIRECTLY,
  GROUP_DISMISSED,
  GROUP_MUTED,
  GROUP_OK,
  JOIN_BY_INVITATION,
  ROLE_ADMIN,
  ROLE_MEMBER,
  ROLE_OWNER,
  WORKING_GROUP,
  APPLY_NEEDS_APPROVAL_INVITE_DIRECT,
  type GroupPatch,
} from '../groups.ts';
import { CT_CONVERSATION_CHANGE, NOTHING, type Deliver } from '../msg-kinds.ts';
import { SESSION_GROUP } from '../convid.ts';
import { bool, int, maxLength, obj, optInt, optStr, required, str, strList } from './body.ts';
import {
  CT_GROUP_CANCEL_MUTED,
  CT_GROUP_CREATED,
  CT_GROUP_DISMISSED,
  CT_GROUP_INFO_SET,
  CT_GROUP_INFO_SET_ANNOUNCEMENT,
  CT_GROUP_INFO_SET_NAME,
  CT_GROUP_MUTED,
  CT_GROUP_OWNER_TRANSFERRED,
  groupIdOf,
  groupOf,
  join,
  manager,
  memberVersion,
  notDismissed,
  notifyGroup,
  operator,
} from './group-common.ts';
import { pageOf } from './paging.ts';
import { checkAccess, type RouteRequest, type Router } from './router.ts';

/** GroupAtType 4 (group notice): set on every member's group conversation when an announcement is posted. */
const GROUP_AT_NOTICE = 4;

/** Mark the announcement on each member's conversation, with the 1300 each of them gets for it. */
function announce(req: RouteRequest, groupID: string): Deliver {
  const convID = `sg_${groupID}`;
  const members = req.im.groups.memberIDs(groupID);
  for (const u of members) {
    req.im.convs.ensure(u, convID, SESSION_GROUP, '', groupID);
    req.im.convs.patch(u, convID, { groupAtType: GROUP_AT_NOTICE });
  }
  const ds = members.map((u) => req.im.sender.notify(u, u, CT_CONVERSATION_CHANGE, { userID: u, conversationIDList: [convID] }, false));
  return (opID) => ds.forEach((d) => d(opID));
}

/** Upstream's generated groupID: the first 4 bytes of an MD5, as a decimal number. */
function newGroupID(req: RouteRequest): string {
  for (;;) {
    const id = String(createHash('md5').update(`${req.operationID}-${Date.now()}-${randomBytes(8).toString('hex')}`).digest().readUInt32BE(0));
    if (!req.im.groups.exists(id)) return id;
  }
}

function verification(v: number | undefined): number | undefined {
  if (v !== undefined && ![APPLY_NEEDS_APPROVAL_INVITE_DIRECT, ALL_NEED_VERIFICATION, DIRECTLY].includes(v)) throw imArgsError('needVerification is invalid');
  return v;
}

/** set_group_info(_ex): owner or admin; `patch` holds only what the request sets. */
function setGroupInfo(req: RouteRequest, groupID: string, patch: GroupPatch): undefined {
  const g = groupOf(req, groupID);
  notDismissed(g);
  const op = manager(req, groupID);
  const changed = Object.entries(patch).filter(([, v]) => v !== undefined).map(([k]) => k);
  if (changed.length === 0) return undefined;
  if (patch.notification !== undefined) {
    patch.notificationUpdateTime = Date.now();
    patch.notificationUserID = req.userID;
  }
  const deliver = inTransaction(req.im.db, () => {
    req.im.groups.patch(groupID, patch);
    const group = req.im.groups.get(groupID);
    const base = { opUser: op, group, ...memberVersion(req, groupID) };
    // As upstream: a non-empty announcement gets 1519 (and marks every member's conversation
    // groupAtType 4), a name 1520, and any other field the general 1502.
    const out: Deliver[] = [];
    if (patch.notification) {
      out.push(announce(req, groupID));
      out.push(notifyGroup(req, groupID, CT_GROUP_INFO_SET_ANNOUNCEMENT, base));
    }
    if (patch.groupName !== undefined) out.push(notifyGroup(req, groupID, CT_GROUP_INFO_SET_NAME, base));
    if (changed.some((k) => k !== 'notification' && k !== 'groupName')) {
      out.push(notifyGroup(req, groupID, CT_GROUP_INFO_SET, { opUser: op, muteTime: 0, group, ...memberVersion(req, groupID) }));
    }
    return (opID: string) => out.forEach((d) => d(opID));
  });
  deliver(req.operationID);
  return undefined;
}

export function registerGroupRoutes(r: Router): void {
  r.add('/group/create_group', {
    auth: 'user',
    handle(req, b) {
      const owner = required(str(b, 'ownerUserID'), 'ownerUserID');
      checkAccess(req, owner);
      const info = obj(b, 'groupInfo');
      if (!info) throw imArgsError('groupInfo is empty');
      if (int(info, 'groupType') !== WORKING_GROUP) throw imArgsError('groupType must be 2 (working group)');
      const admins = strList(b, 'adminUserIDs');
      const members = maxLength(strList(b, 'memberUserIDs'), 'memberUserIDs');
      const all = [owner, ...admins, ...members];
      if (new Set(all).size !== all.length) throw imArgsError('ownerUserID, adminUserIDs and memberUserIDs repeat a user');
      for (const u of all) if (!req.im.users.exists(u)) throw imError(ImCode.UserIDNotFound, `user ${u} not found`);
      let groupID = str(info, 'groupID');
      if (groupID && req.im.groups.exists(groupID)) throw imError(ImCode.GroupIDExisted, `group ${groupID} exists`);
      if (!groupID) groupID = newGroupID(req);
      const deliver = inTransaction(req.im.db, () => {
        req.im.groups.create({
          groupID,
          groupName: str(info, 'groupName'),
          notification: str(info, 'notification'),
          introduction: str(info, 'introduction'),
          faceURL: str(info, 'faceURL'),
          ownerUserID: owner,
          ex: str(info, 'ex'),
          creatorUserID: req.userID,
          needVerification: verification(int(info, 'needVerification'))!,
          lookMemberInfo: int(info, 'lookMemberInfo'),
          applyMemberFriend: int(info, 'applyMemberFriend'),
        });
        const roles: [string, number][] = [[owner, ROLE_OWNER], ...admins.map((u): [string, number] => [u, ROLE_ADMIN]), ...members.map((u): [string, number] => [u, ROLE_MEMBER])];
        for (const [u, roleLevel] of roles) join(req, groupID, u, { roleLevel, joinSource: JOIN_BY_INVITATION, inviterUserID: req.userID });
        const g = req.im.groups;
        const group = g.get(groupID);
        const opUser = operator(req, groupID);
        const created = notifyGroup(req, groupID, CT_GROUP_CREATED, {
          group,
          opUser,
          memberList: g.members(groupID, g.memberIDs(groupID)),
          operationTime: Date.now(),
          groupOwnerUser: g.member(groupID, owner),
          ...memberVersion(req, groupID),
        });
        if (!group!.notification) return created;
        // A group created with an announcement also announces it, as upstream does.
        const a = announce(req, groupID);
        const n = notifyGroup(req, groupID, CT_GROUP_INFO_SET_ANNOUNCEMENT, { opUser, group, ...memberVersion(req, groupID) });
        return (opID: string) => [created, a, n].forEach((d) => d(opID));
      });
      deliver(req.operationID);
      return { groupInfo: req.im.groups.get(groupID) };
    },
  });

  r.add('/group/get_joined_group_list', {
    auth: 'user',
    handle(req, b) {
      const userID = required(str(b, 'fromUserID'), 'fromUserID');
      checkAccess(req, userID);
      const ids = req.im.groups.joinedGroupIDs(userID);
      const p = pageOf(b);
      const page = p.limit < 0 ? ids.slice(p.offset) : ids.slice(p.offset, p.offset + p.limit);
      return { total: ids.length, groups: req.im.groups.getMany(page) };
    },
  });

  r.add('/group/get_groups_info', {
    auth: 'user',
    handle(req, b) {
      const ids = strList(b, 'groupIDs');
      if (ids.length === 0) throw imArgsError('groupIDs is empty');
      return { groupInfos: req.im.groups.getMany(ids) };
    },
  });

  r.add('/group/set_group_info_ex', {
    auth: 'user',
    handle: (req, b) =>
      setGroupInfo(req, groupIdOf(b), {
        groupName: optStr(b, 'groupName'),
        notification: optStr(b, 'notification'),
        introduction: optStr(b, 'introduction'),
        faceURL: optStr(b, 'faceURL'),
        ex: optStr(b, 'ex'),
        needVerification: verification(optInt(b, 'needVerification')),
        lookMemberInfo: optInt(b, 'lookMemberInfo'),
        applyMemberFriend: optInt(b, 'applyMemberFriend'),
      }),
  });

  // The older form: plain strings where "" means unchanged; the three numbers are wrappers.
  r.add('/group/set_group_info', {
    auth: 'user',
    handle(req, b) {
      const info = obj(b, 'groupInfoForSet');
      if (!info) throw imArgsError('groupInfoForSet is empty');
      const text = (k: string) => str(info, k) || undefined;
      return setGroupInfo(req, groupIdOf(info), {
        groupName: text('groupName'),
        notification: text('notification'),
        introduction: text('introduction'),
        faceURL: text('faceURL'),
        ex: text('ex'),
        needVerification: verification(optInt(info, 'needVerification')),
        lookMemberInfo: optInt(info, 'lookMemberInfo'),
        applyMemberFriend: optInt(info, 'applyMemberFriend'),
      });
    },
  });

  const muteGroup = (mute: boolean) => ({
    auth: 'user' as const,
    handle(req: RouteRequest, b: Record<string, unknown>) {
      const groupID = groupIdOf(b);
      groupOf(req, groupID);
      const op = manager(req, groupID);
      const deliver = inTransaction(req.im.db, () => {
        req.im.groups.patch(groupID, { status: mute ? GROUP_MUTED : GROUP_OK });
        return notifyGroup(req, groupID, mute ? CT_GROUP_MUTED : CT_GROUP_CANCEL_MUTED, {
          group: req.im.groups.get(groupID),
          opUser: op,
          operationTime: Date.now(),
          ...memberVersion(req, groupID),
        });
      });
      deliver(req.operationID);
      return undefined;
    },
  });
  r.add('/group/mute_group', muteGroup(true));
  r.add('/group/cancel_mute_group', muteGroup(false));

  r.add('/group/transfer_group', {
    auth: 'user',
    handle(req, b) {
      const groupID = groupIdOf(b);
      const oldOwner = required(str(b, 'oldOwnerUserID'), 'oldOwnerUserID');
      const newOwner = required(str(b, 'newOwnerUserID'), 'newOwnerUserID');
      if (oldOwner === newOwner) throw imArgsError('oldOwnerUserID and newOwnerUserID are the same');
      const g = groupOf(req, groupID);
      notDismissed(g);
      const oldInfo = req.im.groups.member(groupID, oldOwner);
      const newInfo = req.im.groups.member(groupID, newOwner);
      if (!oldInfo || !newInfo) throw imArgsError(`${!oldInfo ? oldOwner : newOwner} is not in group ${groupID}`);
      if (!req.isAdmin && !(req.userID === oldOwner && oldInfo.roleLevel === ROLE_OWNER)) {
        throw imError(ImCode.NoPermission, 'only the owner may transfer the group');
      }
      const op = operator(req, groupID);
      const deliver = inTransaction(req.im.db, () => {
        const gs = req.im.groups;
        // As upstream: the old owner takes the new owner's former role, and a muted new owner is unmuted.
        gs.patchMember(groupID, newOwner, { roleLevel: ROLE_OWNER, muteEndTime: newInfo.muteEndTime > Date.now() ? 0 : undefined });
        gs.patchMember(groupID, oldOwner, { roleLevel: newInfo.roleLevel });
        gs.patch(groupID, { ownerUserID: newOwner });
        return notifyGroup(req, groupID, CT_GROUP_OWNER_TRANSFERRED, {
          group: gs.get(groupID),
          opUser: op,
          newGroupOwner: gs.member(groupID, newOwner),
          oldGroupOwner: oldOwner,
          operationTime: Date.now(),
          oldGroupOwnerInfo: oldInfo,
          ...memberVersion(req, groupID),
        });
      });
      deliver(req.operationID);
      return undefined;
    },
  });

  r.add('/group/dismiss_group', {
    auth: 'user',
    handle(req, b) {
      const groupID = groupIdOf(b);
      const deleteMember = bool(b, 'deleteMember');
      const g = groupOf(req, groupID);
      if (g.status === GROUP_DISMISSED && !deleteMember) throw imError(ImCode.DismissedAlready, `group ${groupID} is dismissed`);
      if (!req.isAdmin && req.userID !== g.ownerUserID) throw imError(ImCode.NoPermission, 'only the owner may dismiss the group');
      const op = operator(req, groupID);
      const deliver = inTransaction(req.im.db, () => {
        const gs = req.im.groups;
        gs.patch(groupID, { status: GROUP_DISMISSED });
        // As upstream, deleting the members as well sends no 1511.
        if (deleteMember) {
          for (const u of gs.memberIDs(groupID)) gs.removeMember(groupID, u);
          return NOTHING;
        }
        return notifyGroup(req, groupID, CT_GROUP_DISMISSED, { group: gs.get(groupID), opUser: op, operationTime: Date.now() });
      });
      deliver(req.operationID);
      return undefined;
    },
  });
}
