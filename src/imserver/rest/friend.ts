// /friend/*: applications, friends, remarks, blacklists and their version sync
// (open-im-server internal/rpc/relation). Notifications follow spec §3.7: all online-only in
// the n_ stream, except that an approval (1201) also leaves a stored copy in the si_ chat.

import { SESSION_SINGLE } from '../convid.ts';
import { inTransaction } from '../db.ts';
import { imArgsError, ImCode, imError } from '../errs.ts';
import { ADD_SOURCE_APPLY, ADD_SOURCE_IMPORT, blackListKey, friendListKey } from '../friends.ts';
import type { Deliver } from '../msg-kinds.ts';
import { int, intList, maxLength, optBool, optStr, required, str, strList, type Body } from './body.ts';
import { fullIds } from './conversation.ts';
import { pageOf } from './paging.ts';
import { checkAccess, type RouteRequest, type Router } from './router.ts';

// contentType (constant.go)
const CT_FRIEND_APPROVED = 1201;
const CT_FRIEND_REJECTED = 1202;
const CT_FRIEND_APPLICATION = 1203;
const CT_FRIEND_DELETED = 1205;
const CT_FRIEND_REMARK_SET = 1206;
const CT_BLACK_ADDED = 1207;
const CT_BLACK_DELETED = 1208;
const CT_FRIENDS_INFO_UPDATE = 1210;

const AGREE = 1;
const REFUSE = -1;

function userOf(req: RouteRequest, b: Body, key: string): string {
  const userID = required(str(b, key), key);
  checkAccess(req, userID);
  return userID;
}

function mustExist(req: RouteRequest, ...userIDs: string[]): void {
  for (const u of userIDs) if (!req.im.users.exists(u)) throw imError(ImCode.UserIDNotFound, `user ${u} not found`);
}

function mustBeFriend(req: RouteRequest, owner: string, friend: string): void {
  if (!req.im.friends.isFriend(owner, friend)) throw imError(ImCode.RecordNotFound, `${friend} is not a friend of ${owner}`);
}

/** A friend notification from `from` to `to` (the sender's own devices get it too: senderSync). */
function notify(req: RouteRequest, from: string, to: string, contentType: number, tips: unknown, isSendMsg = false): Deliver {
  return req.im.sender.relationNotify({ sendID: from, recvID: to, sessionType: SESSION_SINGLE, contentType, tips, isSendMsg });
}

/** friendVersion / friendVersionID of an owner's friend list, for tips that carry them. */
function friendVersion(req: RouteRequest, owner: string): { friendVersion: number; friendVersionID: string } {
  const v = req.im.versions.current(friendListKey(owner));
  return { friendVersion: v.version, friendVersionID: v.versionID };
}

function incremental(req: RouteRequest, list: string, b: Body, load: (ids: string[]) => unknown[]): Record<string, unknown> {
  const d = req.im.versions.since(list, str(b, 'versionID'), int(b, 'version'));
  return { version: d.version, versionID: d.versionID, full: d.full, delete: d.delete, insert: load(d.insert), update: load(d.update), sortVersion: 0 };
}

export function registerFriendRoutes(r: Router): void {
  r.add('/friend/add_friend', {
    auth: 'user',
    handle(req, b) {
      const from = userOf(req, b, 'fromUserID');
      const to = required(str(b, 'toUserID'), 'toUserID');
      if (from === to) throw imError(ImCode.CanNotAddYourself, 'cannot add yourself');
      mustExist(req, from, to);
      const f = req.im.friends;
      if (f.isFriend(from, to) && f.isFriend(to, from)) throw imError(ImCode.RelationshipAlready, `${from} and ${to} are friends already`);
      const request = inTransaction(req.im.db, () => f.apply(from, to, str(b, 'reqMsg'), str(b, 'ex')));
      notify(req, from, to, CT_FRIEND_APPLICATION, { fromToUserID: { fromUserID: from, toUserID: to }, request })(req.operationID);
      return undefined;
    },
  });

  r.add('/friend/add_friend_response', {
    auth: 'user',
    handle(req, b) {
      const applicant = required(str(b, 'fromUserID'), 'fromUserID');
      const responder = userOf(req, b, 'toUserID');
      const result = int(b, 'handleResult');
      if (result !== AGREE && result !== REFUSE) throw imArgsError('handleResult must be 1 or -1');
      const handleMsg = str(b, 'handleMsg');
      const f = req.im.friends;
      const deliver = inTransaction(req.im.db, () => {
        const existing = f.request(applicant, responder);
        if (!existing) throw imError(ImCode.RecordNotFound, `no friend request from ${applicant} to ${responder}`);
        if (existing.handleResult !== 0) throw imError(ImCode.FriendRequestHandled, 'friend request handled already');
        f.handle(applicant, responder, result, responder, handleMsg);
        const fromTo = { fromUserID: applicant, toUserID: responder };
        const request = f.request(applicant, responder);
        if (result === REFUSE) return notify(req, responder, applicant, CT_FRIEND_REJECTED, { fromToUserID: fromTo, handleMsg, request });
        f.add(applicant, responder, ADD_SOURCE_APPLY, responder);
        f.add(responder, applicant, ADD_SOURCE_APPLY, responder);
        return notify(
          req,
          responder,
          applicant,
          CT_FRIEND_APPROVED,
          { fromToUserID: fromTo, handleMsg, request, ...friendVersion(req, applicant) },
          true,
        );
      });
      deliver(req.operationID);
      return undefined;
    },
  });

  r.add('/friend/get_friend_list', {
    auth: 'user',
    handle(req, b) {
      const userID = userOf(req, b, 'userID');
      const p = pageOf(b);
      const { total, friends } = req.im.friends.page(userID, p.offset, p.limit);
      return { friendsInfo: friends, total };
    },
  });

  r.add('/friend/get_designated_friends', {
    auth: 'user',
    handle(req, b) {
      const owner = userOf(req, b, 'ownerUserID');
      const ids = strList(b, 'friendUserIDs');
      if (new Set(ids).size !== ids.length) throw imArgsError('friendUserIDs has repeats');
      // Those that are not friends are left out (current upstream; v3.5–3.7 answered 1004). The
      // JS SDK asks for a peer before its first message, friend or not.
      return { friendsInfo: req.im.friends.getMany(owner, ids) };
    },
  });

  r.add('/friend/delete_friend', {
    auth: 'user',
    handle(req, b) {
      const owner = userOf(req, b, 'ownerUserID');
      const friend = required(str(b, 'friendUserID'), 'friendUserID');
      mustBeFriend(req, owner, friend);
      inTransaction(req.im.db, () => req.im.friends.remove(owner, friend));
      notify(req, owner, friend, CT_FRIEND_DELETED, { fromToUserID: { fromUserID: owner, toUserID: friend }, ...friendVersion(req, owner) })(req.operationID);
      return undefined;
    },
  });

  const applyList = (side: 'to' | 'from', key: 'FriendRequests' | 'friendRequests') => ({
    auth: 'user' as const,
    handle(req: RouteRequest, b: Body) {
      const userID = userOf(req, b, 'userID');
      const p = pageOf(b);
      const { total, requests } = req.im.friends.requests(side, userID, intList(b, 'handleResults'), p.offset, p.limit);
      return { [key]: requests, total };
    },
  });
  // Upstream's JSON tag for the received list really is capitalised.
  r.add('/friend/get_friend_apply_list', applyList('to', 'FriendRequests'));
  r.add('/friend/get_self_friend_apply_list', applyList('from', 'friendRequests'));

  r.add('/friend/get_designated_friend_apply', {
    auth: 'user',
    handle(req, b) {
      const from = required(str(b, 'fromUserID'), 'fromUserID');
      const to = required(str(b, 'toUserID'), 'toUserID');
      if (!req.isAdmin && req.userID !== from && req.userID !== to) throw imError(ImCode.NoPermission, `${req.userID} is neither side`);
      const out = [req.im.friends.request(from, to), req.im.friends.request(to, from)].filter((x) => x !== undefined);
      return { friendRequests: out };
    },
  });

  r.add('/friend/get_self_unhandled_apply_count', {
    auth: 'user',
    handle(req, b) {
      const userID = userOf(req, b, 'userID');
      return { count: req.im.friends.unhandledCount(userID, int(b, 'time')) };
    },
  });

  r.add('/friend/update_friends', {
    auth: 'user',
    handle(req, b) {
      const owner = userOf(req, b, 'ownerUserID');
      const ids = maxLength(strList(b, 'friendUserIDs'), 'friendUserIDs');
      if (ids.length === 0) throw imArgsError('friendUserIDs is empty');
      if (new Set(ids).size !== ids.length) throw imArgsError('friendUserIDs has repeats');
      for (const id of ids) mustBeFriend(req, owner, id);
      const patch = { remark: optStr(b, 'remark'), ex: optStr(b, 'ex'), isPinned: optBool(b, 'isPinned') };
      inTransaction(req.im.db, () => {
        for (const id of ids) req.im.friends.patch(owner, id, patch);
      });
      notify(req, owner, owner, CT_FRIENDS_INFO_UPDATE, {
        fromToUserID: { fromUserID: owner, toUserID: owner },
        friendIDs: ids,
        ...friendVersion(req, owner),
      })(req.operationID);
      return undefined;
    },
  });

  r.add('/friend/set_friend_remark', {
    auth: 'user',
    handle(req, b) {
      const owner = userOf(req, b, 'ownerUserID');
      const friend = required(str(b, 'friendUserID'), 'friendUserID');
      mustBeFriend(req, owner, friend);
      inTransaction(req.im.db, () => req.im.friends.patch(owner, friend, { remark: str(b, 'remark') }));
      notify(req, owner, friend, CT_FRIEND_REMARK_SET, {
        fromToUserID: { fromUserID: owner, toUserID: friend },
        ...friendVersion(req, owner),
        friendSortVersion: 0,
      })(req.operationID);
      return undefined;
    },
  });

  r.add('/friend/add_black', {
    auth: 'user',
    handle(req, b) {
      const owner = userOf(req, b, 'ownerUserID');
      const blocked = required(str(b, 'blackUserID'), 'blackUserID');
      if (owner === blocked) throw imError(ImCode.CanNotAddYourself, 'cannot block yourself');
      mustExist(req, owner, blocked);
      inTransaction(req.im.db, () => req.im.friends.addBlack(owner, blocked, req.userID, str(b, 'ex')));
      notify(req, owner, blocked, CT_BLACK_ADDED, { fromToUserID: { fromUserID: owner, toUserID: blocked } })(req.operationID);
      return undefined;
    },
  });

  r.add('/friend/remove_black', {
    auth: 'user',
    handle(req, b) {
      const owner = userOf(req, b, 'ownerUserID');
      const blocked = required(str(b, 'blackUserID'), 'blackUserID');
      // Upstream deletes without checking, so removing a user who is not blocked succeeds.
      inTransaction(req.im.db, () => req.im.friends.removeBlack(owner, blocked));
      notify(req, owner, blocked, CT_BLACK_DELETED, { fromToUserID: { fromUserID: owner, toUserID: blocked } })(req.operationID);
      return undefined;
    },
  });

  r.add('/friend/get_black_list', {
    auth: 'user',
    handle(req, b) {
      const owner = userOf(req, b, 'userID');
      const p = pageOf(b);
      return req.im.friends.blackPage(owner, p.offset, p.limit);
    },
  });

  r.add('/friend/get_specified_blacks', {
    auth: 'user',
    handle(req, b) {
      const owner = userOf(req, b, 'ownerUserID');
      const ids = strList(b, 'userIDList');
      if (ids.length === 0) throw imArgsError('userIDList is empty');
      if (new Set(ids).size !== ids.length) throw imArgsError('userIDList has repeats');
      const blacks = req.im.friends.blacks(owner, ids);
      return { blacks, total: blacks.length };
    },
  });

  r.add('/friend/get_specified_friends_info', {
    auth: 'user',
    handle(req, b) {
      const owner = userOf(req, b, 'ownerUserID');
      const ids = maxLength(strList(b, 'userIDList'), 'userIDList');
      if (ids.length === 0) throw imArgsError('userIDList is empty');
      if (new Set(ids).size !== ids.length) throw imArgsError('userIDList has repeats');
      const infos = req.im.users.getMany(ids).map((userInfo) => ({
        userInfo,
        friendInfo: req.im.friends.getMany(owner, [userInfo.userID])[0] ?? null,
        blackInfo: req.im.friends.blacks(owner, [userInfo.userID])[0] ?? null,
      }));
      return { infos };
    },
  });

  r.add('/friend/is_friend', {
    auth: 'user',
    handle(req, b) {
      const u1 = userOf(req, b, 'userID1');
      const u2 = required(str(b, 'userID2'), 'userID2');
      return { inUser1Friends: req.im.friends.isFriend(u1, u2), inUser2Friends: req.im.friends.isFriend(u2, u1) };
    },
  });

  r.add('/friend/get_friend_id', {
    auth: 'user',
    handle: (req, b) => ({ friendIDs: req.im.friends.friendIDs(userOf(req, b, 'userID')) }),
  });

  r.add('/friend/is_black', {
    auth: 'user',
    handle(req, b) {
      const u1 = required(str(b, 'userID1'), 'userID1');
      const u2 = required(str(b, 'userID2'), 'userID2');
      // Upstream's CheckAccessIn: the caller must be one of the two.
      if (!req.isAdmin && req.userID !== u1 && req.userID !== u2) throw imError(ImCode.NoPermission, `${req.userID} is neither side`);
      return { inUser1Blacks: req.im.friends.isBlack(u1, u2), inUser2Blacks: req.im.friends.isBlack(u2, u1) };
    },
  });

  r.add('/friend/import_friend', {
    auth: 'admin',
    handle(req, b) {
      const owner = required(str(b, 'ownerUserID'), 'ownerUserID');
      const ids = maxLength(strList(b, 'friendUserIDs'), 'friendUserIDs');
      if (ids.length === 0) throw imArgsError('friendUserIDs is empty');
      if (new Set(ids).size !== ids.length) throw imArgsError('friendUserIDs has repeats');
      if (ids.includes(owner)) throw imError(ImCode.CanNotAddYourself, 'cannot add yourself');
      mustExist(req, owner, ...ids);
      const added = inTransaction(req.im.db, () =>
        ids.filter((id) => {
          const a = req.im.friends.add(owner, id, ADD_SOURCE_IMPORT, req.userID);
          const c = req.im.friends.add(id, owner, ADD_SOURCE_IMPORT, req.userID);
          return a || c;
        }),
      );
      // Upstream tells each pair as if the request had been approved.
      for (const id of added) {
        notify(req, id, owner, CT_FRIEND_APPROVED, { fromToUserID: { fromUserID: owner, toUserID: id }, handleMsg: '', ...friendVersion(req, owner) }, true)(
          req.operationID,
        );
      }
      return undefined;
    },
  });

  r.add('/friend/get_incremental_friends', {
    auth: 'user',
    handle(req, b) {
      const userID = userOf(req, b, 'userID');
      return incremental(req, friendListKey(userID), b, (ids) => req.im.friends.getMany(userID, ids));
    },
  });

  r.add('/friend/get_full_friend_user_ids', {
    auth: 'user',
    handle(req, b) {
      const userID = userOf(req, b, 'userID');
      return fullIds(req, b, friendListKey(userID), req.im.friends.friendIDs(userID), 'userIDs');
    },
  });

  r.add('/friend/get_incremental_blacks', {
    auth: 'user',
    handle(req, b) {
      const userID = userOf(req, b, 'userID');
      return incremental(req, blackListKey(userID), b, (ids) => req.im.friends.blacks(userID, ids));
    },
  });
}
