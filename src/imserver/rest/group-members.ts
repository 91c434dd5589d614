// /group/* for membership: list, join, quit, invite, kick, member info, member mutes
// (open-im-server internal/rpc/group/group.go).

import { inTransaction } from '../db.ts';
import { imArgsError, ImCode, imError } from '../errs.ts';
import {
  ALL_NEED_VERIFICATION,
  DIRECTLY,
  JOIN_BY_INVITATION,
  ROLE_ADMIN,
  ROLE_MEMBER,
  ROLE_OWNER,
  type GroupMember,
  type MemberPatch,
} from '../groups.ts';
import type { Deliver } from '../msg-kinds.ts';
import { int, maxLength, objList, optInt, optStr, required, str, strList } from './body.ts';
import {
  capLeavers,
  CT_GROUP_MEMBER_CANCEL_MUTED,
  CT_GROUP_MEMBER_INFO_SET,
  CT_GROUP_MEMBER_MUTED,
  CT_GROUP_MEMBER_SET_TO_ADMIN,
  CT_GROUP_MEMBER_SET_TO_ORDINARY,
  CT_JOIN_GROUP_APPLICATION,
  CT_MEMBER_ENTER,
  CT_MEMBER_INVITED,
  CT_MEMBER_KICKED,
  CT_MEMBER_QUIT,
  groupIdOf,
  groupOf,
  join,
  leave,
  manager,
  memberOrFail,
  memberVersion,
  notDismissed,
  notifyGroup,
  notifyUsers,
  operator,
} from './group-common.ts';
import { pageOf } from './paging.ts';
import { checkAccess, type RouteRequest, type Router } from './router.ts';

/** Upstream lets any user read a group's members; the group must exist. */
function reader(req: RouteRequest, groupID: string): void {
  groupOf(req, groupID);
}

/** Ask the owner and admins to approve `applicant` (1503 to each of them and to the applicant). */
function askManagers(req: RouteRequest, groupID: string, applicant: string, reqMsg: string): Deliver {
  const u = req.im.users.get(applicant);
  const tips = {
    group: req.im.groups.get(groupID),
    applicant: { userID: applicant, nickname: u?.nickname ?? '', faceURL: u?.faceURL ?? '', ex: u?.ex ?? '' },
    reqMsg,
  };
  return notifyUsers(req, applicant, [...req.im.groups.managerIDs(groupID), applicant], CT_JOIN_GROUP_APPLICATION, () => tips);
}

/** The 1510 notice for a member who just entered. */
export function entered(req: RouteRequest, groupID: string, userID: string): Deliver {
  return notifyGroup(req, groupID, CT_MEMBER_ENTER, {
    group: req.im.groups.get(groupID),
    entrantUser: req.im.groups.member(groupID, userID),
    operationTime: Date.now(),
    ...memberVersion(req, groupID),
  });
}

function distinct(ids: string[], key: string): string[] {
  if (ids.length === 0) throw imArgsError(`${key} is empty`);
  if (new Set(ids).size !== ids.length) throw imArgsError(`${key} has repeats`);
  return ids;
}

export function registerGroupMemberRoutes(r: Router): void {
  r.add('/group/get_group_member_list', {
    auth: 'user',
    handle(req, b) {
      const groupID = groupIdOf(b);
      reader(req, groupID);
      const p = pageOf(b);
      return req.im.groups.memberPage(groupID, int(b, 'filter'), str(b, 'keyword'), p.offset, p.limit);
    },
  });

  r.add('/group/get_group_members_info', {
    auth: 'user',
    handle(req, b) {
      const groupID = groupIdOf(b);
      const ids = strList(b, 'userIDs');
      if (ids.length === 0) throw imArgsError('userIDs is empty');
      reader(req, groupID);
      return { members: req.im.groups.members(groupID, ids) };
    },
  });

  r.add('/group/get_group_member_user_id', {
    auth: 'user',
    handle(req, b) {
      const groupID = groupIdOf(b);
      reader(req, groupID);
      return { userIDs: req.im.groups.memberIDs(groupID) };
    },
  });

  r.add('/group/join_group', {
    auth: 'user',
    handle(req, b) {
      const groupID = groupIdOf(b);
      const g = groupOf(req, groupID);
      notDismissed(g);
      // Upstream takes the applicant from inviterUserID (the SDKs send their own userID there).
      const userID = str(b, 'inviterUserID') || req.userID;
      checkAccess(req, userID);
      if (!req.im.users.exists(userID)) throw imError(ImCode.UserIDNotFound, `user ${userID} not found`);
      if (req.im.groups.member(groupID, userID)) throw imArgsError(`${userID} is already in group ${groupID}`);
      const reqMessage = str(b, 'reqMessage');
      const deliver = inTransaction(req.im.db, () => {
        if (g.needVerification === DIRECTLY) {
          join(req, groupID, userID, { joinSource: int(b, 'joinSource'), inviterUserID: userID });
          return entered(req, groupID, userID);
        }
        req.im.groupRequests.apply(groupID, userID, { reqMsg: reqMessage, joinSource: int(b, 'joinSource'), inviterUserID: '', ex: str(b, 'ex') });
        return askManagers(req, groupID, userID, reqMessage);
      });
      deliver(req.operationID);
      return undefined;
    },
  });

  r.add('/group/quit_group', {
    auth: 'user',
    handle(req, b) {
      const groupID = groupIdOf(b);
      const userID = required(str(b, 'userID'), 'userID');
      checkAccess(req, userID);
      groupOf(req, groupID);
      const m = memberOrFail(req, groupID, userID);
      if (m.roleLevel === ROLE_OWNER) throw imError(ImCode.NoPermission, 'the owner cannot quit; transfer or dismiss the group');
      const deliver = inTransaction(req.im.db, () => {
        leave(req, groupID, userID);
        const d = notifyGroup(
          req,
          groupID,
          CT_MEMBER_QUIT,
          { group: req.im.groups.get(groupID), quitUser: m, operationTime: Date.now(), ...memberVersion(req, groupID) },
          [userID],
        );
        capLeavers(req, groupID, [userID]);
        return d;
      });
      deliver(req.operationID);
      return undefined;
    },
  });

  r.add('/group/invite_user_to_group', {
    auth: 'user',
    handle(req, b) {
      const groupID = groupIdOf(b);
      const invited = maxLength(distinct(strList(b, 'invitedUserIDs'), 'invitedUserIDs'), 'invitedUserIDs');
      const g = groupOf(req, groupID);
      notDismissed(g);
      const op = operator(req, groupID);
      for (const u of invited) {
        if (!req.im.users.exists(u)) throw imError(ImCode.UserIDNotFound, `user ${u} not found`);
        if (req.im.groups.member(groupID, u)) throw imArgsError(`${u} is already in group ${groupID}`);
      }
      const reason = str(b, 'reason');
      const deliver = inTransaction(req.im.db, (): Deliver => {
        // An ordinary member's invitation to a group where everyone needs approval is an application.
        if (g.needVerification === ALL_NEED_VERIFICATION && op.rank < ROLE_ADMIN) {
          const asks = invited.map((u) => {
            req.im.groupRequests.apply(groupID, u, { reqMsg: reason, joinSource: JOIN_BY_INVITATION, inviterUserID: req.userID, ex: '' });
            return askManagers(req, groupID, u, reason);
          });
          return (opID) => asks.forEach((d) => d(opID));
        }
        for (const u of invited) join(req, groupID, u, { joinSource: JOIN_BY_INVITATION, inviterUserID: req.userID });
        return notifyGroup(req, groupID, CT_MEMBER_INVITED, {
          group: req.im.groups.get(groupID),
          opUser: op,
          invitedUserList: req.im.groups.members(groupID, invited),
          operationTime: Date.now(),
          ...memberVersion(req, groupID),
          inviterUser: op,
        });
      });
      deliver(req.operationID);
      return undefined;
    },
  });

  r.add('/group/kick_group', {
    auth: 'user',
    handle(req, b) {
      const groupID = groupIdOf(b);
      const kicked = maxLength(distinct(strList(b, 'kickedUserIDs'), 'kickedUserIDs'), 'kickedUserIDs');
      groupOf(req, groupID);
      if (kicked.includes(req.userID)) throw imArgsError('cannot kick yourself');
      if (kicked.includes(groupOf(req, groupID).ownerUserID)) throw imArgsError('the owner cannot be kicked');
      const op = manager(req, groupID);
      const infos: GroupMember[] = kicked.map((u) => {
        const m = req.im.groups.member(groupID, u);
        if (!m) throw imError(ImCode.UserIDNotFound, `${u} is not in group ${groupID}`);
        if (m.roleLevel >= op.rank) throw imError(ImCode.NoPermission, `${req.userID} may not kick ${u}`);
        return m;
      });
      const deliver = inTransaction(req.im.db, () => {
        for (const u of kicked) leave(req, groupID, u);
        const d = notifyGroup(
          req,
          groupID,
          CT_MEMBER_KICKED,
          { group: req.im.groups.get(groupID), opUser: op, kickedUserList: infos, operationTime: Date.now(), ...memberVersion(req, groupID) },
          kicked,
        );
        capLeavers(req, groupID, kicked);
        return d;
      });
      deliver(req.operationID);
      return undefined;
    },
  });

  r.add('/group/set_group_member_info', {
    auth: 'user',
    handle(req, b) {
      const items = maxLength(objList(b, 'members'), 'members');
      if (items.length === 0) throw imArgsError('members is empty');
      const changes = items.map((it) => {
        const groupID = groupIdOf(it);
        const userID = required(str(it, 'userID'), 'userID');
        const roleLevel = optInt(it, 'roleLevel');
        if (roleLevel === ROLE_OWNER) throw imError(ImCode.NoPermission, 'roleLevel 100 is set by transfer_group');
        if (roleLevel !== undefined && roleLevel !== ROLE_ADMIN && roleLevel !== ROLE_MEMBER) throw imArgsError('roleLevel must be 60 or 20');
        groupOf(req, groupID);
        const op = operator(req, groupID);
        const target = req.im.groups.member(groupID, userID);
        if (!target) throw imArgsError(`${userID} is not in group ${groupID}`);
        const patch: MemberPatch = { nickname: optStr(it, 'nickname'), faceURL: optStr(it, 'faceURL'), ex: optStr(it, 'ex'), roleLevel };
        if (patch.roleLevel !== undefined) {
          if (target.roleLevel === ROLE_OWNER && userID === req.userID && !req.isAdmin) throw imArgsError('the owner cannot change its own role');
          if (op.rank <= ROLE_ADMIN || target.roleLevel === ROLE_OWNER) throw imError(ImCode.NoPermission, 'only the owner may change roles');
        }
        if (userID !== req.userID && op.rank <= target.roleLevel) throw imError(ImCode.NoPermission, `${req.userID} may not change ${userID}`);
        return { groupID, userID, op, patch };
      });
      const deliver = inTransaction(req.im.db, () => {
        const out: Deliver[] = [];
        for (const c of changes) {
          req.im.groups.patchMember(c.groupID, c.userID, c.patch);
          const tips = () => ({
            group: req.im.groups.get(c.groupID),
            opUser: c.op,
            operationTime: Date.now(),
            changedUser: req.im.groups.member(c.groupID, c.userID),
            ...memberVersion(req, c.groupID),
            groupSortVersion: 0,
          });
          const others = c.patch.nickname !== undefined || c.patch.faceURL !== undefined || c.patch.ex !== undefined;
          if (c.patch.roleLevel === ROLE_ADMIN) out.push(notifyGroup(req, c.groupID, CT_GROUP_MEMBER_SET_TO_ADMIN, tips()));
          if (c.patch.roleLevel === ROLE_MEMBER) out.push(notifyGroup(req, c.groupID, CT_GROUP_MEMBER_SET_TO_ORDINARY, tips()));
          if (others) out.push(notifyGroup(req, c.groupID, CT_GROUP_MEMBER_INFO_SET, tips()));
        }
        return (opID: string) => out.forEach((d) => d(opID));
      });
      deliver(req.operationID);
      return undefined;
    },
  });

  const muteMember = (mute: boolean) => ({
    auth: 'user' as const,
    handle(req: RouteRequest, b: Record<string, unknown>) {
      const groupID = groupIdOf(b);
      const userID = required(str(b, 'userID'), 'userID');
      const seconds = mute ? int(b, 'mutedSeconds') : 0;
      if (seconds < 0) throw imArgsError('mutedSeconds is invalid');
      groupOf(req, groupID);
      const op = manager(req, groupID);
      const target = memberOrFail(req, groupID, userID);
      if (target.roleLevel >= op.rank) throw imError(ImCode.NoPermission, `${req.userID} may not mute ${userID}`);
      const now = Date.now();
      const deliver = inTransaction(req.im.db, () => {
        req.im.groups.patchMember(groupID, userID, { muteEndTime: mute ? now + seconds * 1000 : 0 });
        const base = {
          group: req.im.groups.get(groupID),
          opUser: op,
          operationTime: now,
          mutedUser: req.im.groups.member(groupID, userID),
        };
        return mute
          ? notifyGroup(req, groupID, CT_GROUP_MEMBER_MUTED, { ...base, mutedSeconds: seconds, ...memberVersion(req, groupID) })
          : notifyGroup(req, groupID, CT_GROUP_MEMBER_CANCEL_MUTED, { ...base, ...memberVersion(req, groupID) });
      });
      deliver(req.operationID);
      return undefined;
    },
  });
  r.add('/group/mute_group_member', muteMember(true));
  r.add('/group/cancel_mute_group_member', muteMember(false));
}
