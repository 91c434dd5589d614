// Friend and group routes the JS SDK calls at login, answered with valid empty results until
// the relations-and-groups work registers the real ones (rest/friend.ts, rest/group.ts). Each
// is added only if no real route claimed the path first.

import { required, str, type Body } from './body.ts';
import { fullIds } from './conversation.ts';
import { checkAccess, type Route, type RouteRequest, type Router } from './router.ts';

function forUser(key: string, answer: (req: RouteRequest, userID: string, b: Body) => unknown): Route {
  return {
    auth: 'user',
    handle(req, b) {
      const userID = required(str(b, key), key);
      checkAccess(req, userID);
      return answer(req, userID, b);
    },
  };
}

/** An empty list's incremental answer: a foreign versionID means `full`, else nothing changed. */
function emptyIncremental(req: RouteRequest, list: string, b: Body): Record<string, unknown> {
  const v = req.im.versions.current(list);
  const full = str(b, 'versionID') !== v.versionID;
  return { version: v.version, versionID: v.versionID, full, delete: [], insert: [], update: [], sortVersion: 0 };
}

export function registerRelationStubs(r: Router): void {
  const add = (path: string, route: Route) => r.addIfAbsent(path, route);

  add('/friend/get_incremental_friends', forUser('userID', (req, u, b) => emptyIncremental(req, `friend:${u}`, b)));
  add('/friend/get_full_friend_user_ids', forUser('userID', (req, u, b) => fullIds(req, b, `friend:${u}`, [], 'userIDs')));
  add('/friend/get_incremental_blacks', forUser('userID', (req, u, b) => emptyIncremental(req, `black:${u}`, b)));
  add('/friend/get_friend_list', forUser('userID', () => ({ friendsInfo: [], total: 0 })));
  add('/friend/get_designated_friends', forUser('ownerUserID', () => ({ friendsInfo: [] })));
  add('/friend/get_friend_apply_list', forUser('userID', () => ({ FriendRequests: [], total: 0 })));
  add('/friend/get_self_friend_apply_list', forUser('userID', () => ({ friendRequests: [], total: 0 })));
  add('/friend/get_black_list', forUser('userID', () => ({ blacks: [], total: 0 })));
  add('/friend/get_specified_blacks', forUser('ownerUserID', () => ({ blacks: [], total: 0 })));
  add('/friend/get_self_unhandled_apply_count', forUser('userID', () => ({ count: 0 })));
  add('/friend/is_friend', {
    auth: 'user',
    handle(req, b) {
      const u1 = required(str(b, 'userID1'), 'userID1');
      required(str(b, 'userID2'), 'userID2');
      checkAccess(req, u1);
      return { inUser1Friends: false, inUser2Friends: false };
    },
  });

  add('/group/get_incremental_join_groups', forUser('userID', (req, u, b) => emptyIncremental(req, `joingroup:${u}`, b)));
  add('/group/get_full_join_group_ids', forUser('userID', (req, u, b) => fullIds(req, b, `joingroup:${u}`, [], 'groupIDs')));
  add('/group/get_joined_group_list', forUser('fromUserID', () => ({ total: 0, groups: [] })));
  add('/group/get_incremental_group_members_batch', forUser('userID', () => ({ respList: {} })));
  add('/group/get_recv_group_applicationList', forUser('fromUserID', () => ({ total: 0, groupRequests: [] })));
  add('/group/get_user_req_group_applicationList', forUser('userID', () => ({ total: 0, groupRequests: [] })));
  add('/group/get_groups_info', { auth: 'user', handle: () => ({ groupInfos: [] }) });
}
