// Group functions: writes go to the server, then the joined-group list and the group's members
// are synced (on the serial chain) before the call resolves; reads come from the local tables.

import type { CoreFunction } from '../contract.ts';
import { argsError, jsonArg, notFound, requireObject, requireString, requireStrings } from '../errors.ts';
import { checkIdCount } from '../limits.ts';
import type { CoreSession } from '../core-session.ts';
import { toGroup, toMember } from '../sync/relation-convert.ts';
import { syncGroupRequests, syncGroups } from '../sync/relations.ts';
import { GroupRole, type GroupItem, type GroupMemberItem } from '../types.ts';
import { online } from './guard.ts';

const WORKING_GROUP = 2;

function int(name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) throw argsError(`${name} must be an integer`);
  return v;
}

const optStr = (name: string, v: unknown): string => (v === undefined || v === null ? '' : requireString(name, v));

/** GroupMemberFilter of open-im-sdk: 0 all, 1 owner, 2 admin, 3 member, 4 admin+member, 5 owner+admin. */
function rolesOf(filter: number): number[] {
  switch (filter) {
    case 0:
      return [];
    case 1:
      return [GroupRole.Owner];
    case 2:
      return [GroupRole.Admin];
    case 3:
      return [GroupRole.Member];
    case 4:
      return [GroupRole.Admin, GroupRole.Member];
    case 5:
      return [GroupRole.Owner, GroupRole.Admin];
    default:
      throw argsError('filter must be 0…5');
  }
}

function count(name: string, v: unknown): number {
  const n = int(name, v);
  if (n < 0) throw argsError(`${name} must not be negative`);
  return n === 0 ? -1 : n;
}

export function groupFunctions(s: CoreSession): Record<string, CoreFunction> {
  const self = s.userID;

  /** Brings the joined groups, the group's members and (optionally) requests up to date. */
  const resync = (op: string, groupID: string, requests = false) =>
    s.serial(async () => {
      await syncGroups(s, op, [groupID]);
      if (requests) await syncGroupRequests(s, op);
    });

  const post = (op: string, route: string, body: unknown) => online(s).post(route, body, op);
  /** Accept (1) or refuse (-1) a join application; returns the group's ID. */
  const respond = async (op: string, groupID: unknown, fromUserID: unknown, handleMsg: unknown, handleResult: 1 | -1): Promise<string> => {
    const id = requireString('groupID', groupID);
    await post(op, '/group/group_application_response', {
      groupID: id,
      fromUserID: requireString('fromUserID', fromUserID),
      handledMsg: optStr('handleMsg', handleMsg),
      handleResult,
    });
    return id;
  };

  return {
    async CreateGroup(ctx, params: unknown) {
      const p = requireObject('params', jsonArg('params', params));
      const info = requireObject('groupInfo', p.groupInfo ?? {});
      const members = requireStrings('memberUserIDs', p.memberUserIDs ?? []);
      const admins = requireStrings('adminUserIDs', p.adminUserIDs ?? []);
      const owner = optStr('ownerUserID', p.ownerUserID) || self;
      const memberUserIDs = members.filter((u) => u !== owner && !admins.includes(u));
      checkIdCount('memberUserIDs', memberUserIDs);
      const data = await post(ctx.operationID, '/group/create_group', {
        memberUserIDs,
        adminUserIDs: admins.filter((u) => u !== owner),
        ownerUserID: owner,
        groupInfo: { ...info, groupType: WORKING_GROUP },
      });
      const g = toGroup((data as { groupInfo?: unknown } | undefined)?.groupInfo);
      await resync(ctx.operationID, g.groupID);
      return s.db().groups.group(g.groupID) ?? g;
    },

    async JoinGroup(ctx, groupID: unknown, reqMsg: unknown, joinSource: unknown, ex: unknown) {
      const id = requireString('groupID', groupID);
      await post(ctx.operationID, '/group/join_group', {
        groupID: id,
        reqMessage: optStr('reqMsg', reqMsg),
        joinSource: joinSource === undefined ? 3 : int('joinSource', joinSource),
        inviterUserID: '',
        ex: optStr('ex', ex),
      });
      await resync(ctx.operationID, id, true);
      return '';
    },

    async InviteUserToGroup(ctx, groupID: unknown, reason: unknown, userIDList: unknown) {
      const id = requireString('groupID', groupID);
      const ids = requireStrings('userIDList', jsonArg('userIDList', userIDList));
      checkIdCount('userIDList', ids);
      await post(ctx.operationID, '/group/invite_user_to_group', { groupID: id, reason: optStr('reason', reason), invitedUserIDs: ids });
      await resync(ctx.operationID, id);
      return '';
    },

    async KickGroupMember(ctx, groupID: unknown, reason: unknown, userIDList: unknown) {
      const id = requireString('groupID', groupID);
      const ids = requireStrings('userIDList', jsonArg('userIDList', userIDList));
      checkIdCount('userIDList', ids);
      await post(ctx.operationID, '/group/kick_group', { groupID: id, kickedUserIDs: ids, reason: optStr('reason', reason) });
      await resync(ctx.operationID, id);
      return '';
    },

    async QuitGroup(ctx, groupID: unknown) {
      const id = requireString('groupID', groupID);
      await post(ctx.operationID, '/group/quit_group', { groupID: id, userID: self });
      await resync(ctx.operationID, id);
      return '';
    },

    async DismissGroup(ctx, groupID: unknown) {
      const id = requireString('groupID', groupID);
      await post(ctx.operationID, '/group/dismiss_group', { groupID: id, deleteMember: false });
      await resync(ctx.operationID, id);
      return '';
    },

    async TransferGroupOwner(ctx, groupID: unknown, newOwnerUserID: unknown) {
      const id = requireString('groupID', groupID);
      await post(ctx.operationID, '/group/transfer_group', { groupID: id, oldOwnerUserID: self, newOwnerUserID: requireString('newOwnerUserID', newOwnerUserID) });
      await resync(ctx.operationID, id);
      return '';
    },

    async SetGroupInfo(ctx, groupInfo: unknown) {
      const o = requireObject('groupInfo', jsonArg('groupInfo', groupInfo));
      const id = requireString('groupID', o.groupID);
      const body: Record<string, unknown> = { groupID: id };
      for (const k of ['groupName', 'notification', 'introduction', 'faceURL', 'ex'] as const) {
        if (o[k] !== undefined && o[k] !== null) body[k] = requireString(k, o[k]);
      }
      for (const k of ['needVerification', 'lookMemberInfo', 'applyMemberFriend'] as const) {
        if (o[k] !== undefined && o[k] !== null) body[k] = int(k, o[k]);
      }
      await post(ctx.operationID, '/group/set_group_info_ex', body);
      await resync(ctx.operationID, id);
      return '';
    },

    async ChangeGroupMute(ctx, groupID: unknown, isMute: unknown) {
      const id = requireString('groupID', groupID);
      if (typeof isMute !== 'boolean') throw argsError('isMute must be a boolean');
      await post(ctx.operationID, isMute ? '/group/mute_group' : '/group/cancel_mute_group', { groupID: id });
      await resync(ctx.operationID, id);
      return '';
    },

    async ChangeGroupMemberMute(ctx, groupID: unknown, userID: unknown, mutedSeconds: unknown) {
      const id = requireString('groupID', groupID);
      const uid = requireString('userID', userID);
      const secs = int('mutedSeconds', mutedSeconds);
      if (secs < 0) throw argsError('mutedSeconds must not be negative');
      if (secs === 0) await post(ctx.operationID, '/group/cancel_mute_group_member', { groupID: id, userID: uid });
      else await post(ctx.operationID, '/group/mute_group_member', { groupID: id, userID: uid, mutedSeconds: secs });
      await resync(ctx.operationID, id);
      return '';
    },

    async SetGroupMemberInfo(ctx, params: unknown) {
      const p = requireObject('params', jsonArg('params', params));
      const id = requireString('groupID', p.groupID);
      const member: Record<string, unknown> = { groupID: id, userID: requireString('userID', p.userID) };
      for (const k of ['nickname', 'faceURL', 'ex'] as const) if (p[k] !== undefined && p[k] !== null) member[k] = requireString(k, p[k]);
      if (p.roleLevel !== undefined && p.roleLevel !== null) member.roleLevel = int('roleLevel', p.roleLevel);
      await post(ctx.operationID, '/group/set_group_member_info', { members: [member] });
      await resync(ctx.operationID, id);
      return '';
    },

    async AcceptGroupApplication(ctx, groupID: unknown, fromUserID: unknown, handleMsg: unknown) {
      const id = await respond(ctx.operationID, groupID, fromUserID, handleMsg, 1);
      await resync(ctx.operationID, id, true);
      return '';
    },

    async RefuseGroupApplication(ctx, groupID: unknown, fromUserID: unknown, handleMsg: unknown) {
      await respond(ctx.operationID, groupID, fromUserID, handleMsg, -1);
      await s.serial(() => syncGroupRequests(s, ctx.operationID));
      return '';
    },

    async GetJoinedGroupList() {
      return s.db().groups.groups();
    },

    async GetSpecifiedGroupsInfo(ctx, groupIDList: unknown) {
      const ids = requireStrings('groupIDList', jsonArg('groupIDList', groupIDList));
      const local = new Map<string, GroupItem>();
      for (const id of ids) {
        const g = s.db().groups.group(id);
        if (g) local.set(id, g);
      }
      // Groups this user is not in are looked up on the server.
      const missing = ids.filter((id) => !local.has(id));
      if (missing.length && s.rest) {
        const data = await s.rest.post<{ groupInfos?: unknown[] | null }>('/group/get_groups_info', { groupIDs: missing }, ctx.operationID);
        for (const raw of data?.groupInfos ?? []) {
          const g = toGroup(raw);
          if (g.groupID) local.set(g.groupID, g);
        }
      }
      return ids.map((id) => local.get(id)).filter((g): g is GroupItem => !!g);
    },

    async SearchGroups(_ctx, params: unknown) {
      const p = requireObject('params', jsonArg('params', params));
      return s.db().groups.searchGroups(requireStrings('keywordList', p.keywordList ?? []), p.isSearchGroupID === true, p.isSearchGroupName === true);
    },

    async GetGroupApplicationListAsRecipient() {
      return s.db().groups.requestsBy(self, true);
    },

    async GetGroupApplicationListAsApplicant() {
      return s.db().groups.requestsBy(self);
    },

    async GetGroupMemberList(_ctx, groupID: unknown, filter: unknown, offset: unknown, cnt: unknown) {
      const id = requireString('groupID', groupID);
      return s.db().groups.members(id, { roles: rolesOf(int('filter', filter)), offset: Math.max(0, int('offset', offset)), count: count('count', cnt) });
    },

    async GetSpecifiedGroupMembersInfo(ctx, groupID: unknown, userIDList: unknown) {
      const id = requireString('groupID', groupID);
      const ids = requireStrings('userIDList', jsonArg('userIDList', userIDList));
      if (s.db().groups.group(id)) {
        return ids.map((u) => s.db().groups.member(id, u)).filter((m): m is GroupMemberItem => !!m);
      }
      if (!s.rest) throw notFound(`group ${id}`);
      const data = await s.rest.post<{ members?: unknown[] | null }>('/group/get_group_members_info', { groupID: id, userIDs: ids }, ctx.operationID);
      return (data?.members ?? []).map(toMember);
    },

    async SearchGroupMembers(_ctx, params: unknown) {
      const p = requireObject('params', jsonArg('params', params));
      const id = requireString('groupID', p.groupID);
      const offset = p.offset === undefined ? 0 : Math.max(0, int('offset', p.offset));
      const n = p.count === undefined ? -1 : count('count', p.count);
      return s.db().groups.searchMembers(id, requireStrings('keywordList', p.keywordList ?? []), p.isSearchUserID === true, p.isSearchMemberNickname === true, offset, n);
    },

    async GetGroupMemberOwnerAndAdmin(_ctx, groupID: unknown) {
      return s.db().groups.members(requireString('groupID', groupID), { roles: [GroupRole.Owner, GroupRole.Admin], offset: 0, count: -1 });
    },

    async GetGroupMemberListByJoinTimeFilter(_ctx, groupID: unknown, offset: unknown, cnt: unknown, joinTimeBegin: unknown, joinTimeEnd: unknown, filterUserIDList: unknown) {
      const id = requireString('groupID', groupID);
      const exclude = filterUserIDList === undefined ? [] : requireStrings('filterUserIDList', jsonArg('filterUserIDList', filterUserIDList));
      return s.db().groups.members(id, {
        roles: [],
        offset: Math.max(0, int('offset', offset)),
        count: count('count', cnt),
        joinTimeBegin: int('joinTimeBegin', joinTimeBegin),
        joinTimeEnd: int('joinTimeEnd', joinTimeEnd),
        excludeUserIDs: exclude,
      });
    },
  };
}
