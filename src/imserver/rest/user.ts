// /user/*: registration and profiles.

import { isValidId } from '../../ids.ts';
import { SESSION_SINGLE } from '../convid.ts';
import { inTransaction } from '../db.ts';
import { friendListKey } from '../friends.ts';
import { CT_USER_INFO_UPDATED } from '../msg-kinds.ts';
import { imArgsError, ImCode, imError } from '../errs.ts';
import { field, int, obj, objList, optInt, optStr, required, str, strList } from './body.ts';
import { CT_GROUP_MEMBER_INFO_SET, memberVersion, notifyGroup } from './group-common.ts';
import { checkAccess, type RouteRequest, type Router } from './router.ts';

/** CT 1209: a friend's profile changed (sent to each user who has it as a friend). */
const CT_FRIEND_INFO_UPDATED = 1209;

/**
 * 1303 to the user's own devices; then, as upstream, every friend list that shows this user logs
 * an update and its owner gets 1209, and each group whose member row shows the profile logs a
 * member update and gets 1516 (open-im-server internal/rpc/group/group.go
 * NotificationUserInfoUpdate: GroupMemberInfoSetNotificationBulk), so members' lists follow.
 */
function userUpdated(req: RouteRequest, userID: string): void {
  const op = req.userID || userID;
  req.im.sender.notify(op, userID, CT_USER_INFO_UPDATED, { userID }, false)(req.operationID);
  const { owners, groups } = inTransaction(req.im.db, () => ({ groups: req.im.groups.profileChanged(userID), owners: req.im.friends.profileChanged(userID) }));
  for (const groupID of groups) {
    const member = req.im.groups.member(groupID, userID);
    const tips = { group: req.im.groups.get(groupID), opUser: member, operationTime: Date.now(), changedUser: member, ...memberVersion(req, groupID), groupSortVersion: 0 };
    notifyGroup(req, groupID, CT_GROUP_MEMBER_INFO_SET, tips)(req.operationID);
  }
  for (const owner of owners) {
    const v = req.im.versions.current(friendListKey(owner));
    req.im.sender
      .relationNotify({
        sendID: op,
        recvID: owner,
        sessionType: SESSION_SINGLE,
        contentType: CT_FRIEND_INFO_UPDATED,
        // UserInfoUpdatedTips {userID} as upstream, plus the owner's friend-list version.
        tips: { userID, friendVersion: v.version, friendVersionID: v.versionID },
        isSendMsg: false,
        senderSync: false,
      })(req.operationID);
  }
}

export function registerUserRoutes(r: Router): void {
  r.add('/user/user_register', {
    auth: 'admin',
    handle(req, b) {
      const users = objList(b, 'users');
      if (users.length === 0) throw imArgsError('users is empty');
      const seen = new Set<string>();
      const parsed = users.map((u) => {
        const userID = required(str(u, 'userID'), 'userID');
        if (!isValidId(userID)) throw imArgsError(`userID ${JSON.stringify(userID)} is invalid`);
        if (seen.has(userID)) throw imArgsError(`userID ${userID} is repeated`);
        seen.add(userID);
        return { userID, nickname: str(u, 'nickname'), faceURL: str(u, 'faceURL'), ex: str(u, 'ex') };
      });
      for (const u of parsed) if (req.im.users.exists(u.userID)) throw imError(ImCode.RegisteredAlready, `userID ${u.userID} registered already`);
      for (const u of parsed) req.im.users.insert(u);
      return undefined;
    },
  });

  r.add('/user/get_users_info', {
    auth: 'user',
    handle(req, b) {
      const userIDs = strList(b, 'userIDs');
      if (userIDs.length === 0) throw imArgsError('userIDs is empty');
      return { usersInfo: req.im.users.getMany(userIDs) };
    },
  });

  const updateEx = (req: RouteRequest, info: ReturnType<typeof obj>) => {
    if (!info) throw imArgsError('userInfo is empty');
    const userID = required(str(info, 'userID'), 'userInfo.userID');
    checkAccess(req, userID);
    if (!req.im.users.exists(userID)) throw imError(ImCode.UserIDNotFound, `user ${userID} not found`);
    req.im.users.update(userID, {
      nickname: optStr(info, 'nickname'),
      faceURL: optStr(info, 'faceURL'),
      ex: optStr(info, 'ex'),
      globalRecvMsgOpt: optInt(info, 'globalRecvMsgOpt'),
    });
    userUpdated(req, userID);
    return undefined;
  };

  r.add('/user/update_user_info_ex', { auth: 'user', handle: (req, b) => updateEx(req, obj(b, 'userInfo')) });

  // Deprecated in OpenIM but still served: plain fields, empty string = unchanged.
  r.add('/user/update_user_info', {
    auth: 'user',
    handle(req, b) {
      const info = obj(b, 'userInfo');
      if (!info) throw imArgsError('userInfo is empty');
      const plain: Record<string, unknown> = { userID: field(info, 'userID') };
      for (const k of ['nickname', 'faceURL', 'ex']) if (str(info, k)) plain[k] = str(info, k);
      return updateEx(req, plain);
    },
  });

  r.add('/user/set_global_msg_recv_opt', {
    auth: 'user',
    handle(req, b) {
      const userID = required(str(b, 'userID'), 'userID');
      checkAccess(req, userID);
      const opt = int(b, 'globalRecvMsgOpt');
      if (opt < 0 || opt > 2) throw imArgsError('globalRecvMsgOpt is invalid');
      if (!req.im.users.exists(userID)) throw imError(ImCode.UserIDNotFound, `user ${userID} not found`);
      req.im.users.update(userID, { globalRecvMsgOpt: opt });
      userUpdated(req, userID);
      return undefined;
    },
  });

  r.add('/user/account_check', {
    auth: 'admin',
    handle(req, b) {
      const ids = strList(b, 'checkUserIDs');
      if (ids.length === 0) throw imArgsError('checkUserIDs is empty');
      return { results: ids.map((userID) => ({ userID, accountStatus: req.im.users.exists(userID) ? 1 : 0 })) };
    },
  });

  r.add('/user/get_all_users_uid', {
    auth: 'admin',
    handle(req, b) {
      const p = obj(b, 'pagination');
      const page = p ? int(p, 'pageNumber') : 0;
      const show = p ? int(p, 'showNumber') : 0;
      if (page < 1 || show < 1) throw imArgsError('pagination is invalid');
      return req.im.users.page((page - 1) * show, show);
    },
  });
}
