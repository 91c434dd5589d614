// Version sync for groups (docs/protocol.md "Version sync"): the joined groups of a user and the members of a group,
// incremental and full-ID forms. A member delta also carries the group when its own info
// changed (the empty element in the member log) or when the client must reload everything.

import { GROUP_CHANGE_ELEMENT, joinedGroupListKey, memberListKey } from '../groups.ts';
import { int, objList, required, str, type Body } from './body.ts';
import { fullIds } from './conversation.ts';
import { groupIdOf, groupOf, notDismissed } from './group-common.ts';
import { checkAccess, type RouteRequest, type Router } from './router.ts';

function memberDelta(req: RouteRequest, groupID: string, versionID: string, version: number): Record<string, unknown> {
  const d = req.im.versions.since(memberListKey(groupID), versionID, version);
  const groupChanged = d.full || d.update.includes(GROUP_CHANGE_ELEMENT) || d.insert.includes(GROUP_CHANGE_ELEMENT);
  const load = (ids: string[]) => req.im.groups.members(groupID, ids.filter((id) => id !== GROUP_CHANGE_ELEMENT));
  const out: Record<string, unknown> = {
    version: d.version,
    versionID: d.versionID,
    full: d.full,
    delete: d.delete.filter((id) => id !== GROUP_CHANGE_ELEMENT),
    insert: load(d.insert),
    update: load(d.update),
    sortVersion: 0,
  };
  if (groupChanged) out.group = req.im.groups.get(groupID);
  return out;
}

function userOf(req: RouteRequest, b: Body): string {
  const userID = required(str(b, 'userID'), 'userID');
  checkAccess(req, userID);
  return userID;
}

export function registerGroupSyncRoutes(r: Router): void {
  r.add('/group/get_incremental_join_groups', {
    auth: 'user',
    handle(req, b) {
      const userID = userOf(req, b);
      const d = req.im.versions.since(joinedGroupListKey(userID), str(b, 'versionID'), int(b, 'version'));
      const load = (ids: string[]) => req.im.groups.getMany(ids);
      return { version: d.version, versionID: d.versionID, full: d.full, delete: d.delete, insert: load(d.insert), update: load(d.update), sortVersion: 0 };
    },
  });

  r.add('/group/get_full_join_group_ids', {
    auth: 'user',
    handle(req, b) {
      const userID = userOf(req, b);
      return fullIds(req, b, joinedGroupListKey(userID), req.im.groups.joinedGroupIDs(userID), 'groupIDs');
    },
  });

  r.add('/group/get_incremental_group_members', {
    auth: 'user',
    handle(req, b) {
      const groupID = groupIdOf(b);
      // As upstream: any user may ask, but a dismissed group answers 1204.
      notDismissed(groupOf(req, groupID));
      return memberDelta(req, groupID, str(b, 'versionID'), int(b, 'version'));
    },
  });

  r.add('/group/get_incremental_group_members_batch', {
    auth: 'user',
    handle(req, b) {
      const userID = userOf(req, b);
      // An empty reqList (a user in no groups at login) is an empty answer.
      const list = objList(b, 'reqList');
      const respList: Record<string, unknown> = {};
      // Groups the user is not (or no longer) in are left out rather than failing the batch.
      // A dismissed group the user is still listed in is answered (its members stay, and the
      // client keeps showing it with status 2), where a lone request answers 1204.
      for (const item of list) {
        const groupID = groupIdOf(item);
        if (!req.im.groups.member(groupID, userID)) continue;
        respList[groupID] = memberDelta(req, groupID, str(item, 'versionID'), int(item, 'version'));
      }
      return { respList };
    },
  });

  r.add('/group/get_full_group_member_user_ids', {
    auth: 'user',
    handle(req, b) {
      const groupID = groupIdOf(b);
      groupOf(req, groupID);
      return fullIds(req, b, memberListKey(groupID), req.im.groups.memberIDs(groupID), 'userIDs');
    },
  });
}
