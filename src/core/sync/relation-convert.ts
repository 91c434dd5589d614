// Server entities (docs/protocol.md "Entity shapes") → the client's shapes (open-im-sdk entity.ts).

import type { BlackUserItem, FriendApplicationItem, FriendUserItem, GroupApplicationItem, GroupItem, GroupMemberItem } from '../types.ts';
import { asNumber as num, asObject as obj, asString as str, type JsonObject as O } from '../loose.ts';

/** Each field of T read with `str` or `num` (as its type says) from the same name on the server's object. */
type SameNames<T> = { readonly [K in keyof T]-?: T[K] extends string ? typeof str : typeof num };

/** For entities the server sends under the client's own field names. */
function sameNames<T>(fields: SameNames<T>): (raw: unknown) => T {
  const entries = Object.entries<(v: unknown) => string | number>(fields);
  return (raw) => {
    const o = obj(raw);
    return Object.fromEntries(entries.map(([k, read]) => [k, read(o[k])])) as T;
  };
}

/**
 * FriendInfo and BlackInfo {ownerUserID, [remark,] createTime, <user>, addSource, operatorUserID, ex}:
 * the other user nested under `user` (its ID also flat under `id`). The field order is the stored
 * rows' (they are compared as JSON), so `middle` goes where a friend's remark goes.
 */
function relation<M extends O>(raw: unknown, user: string, id: string, middle: (r: O) => M) {
  const r = obj(raw);
  const u = obj(r[user]);
  return {
    ownerUserID: str(r.ownerUserID),
    userID: str(u.userID) || str(r[id]),
    nickname: str(u.nickname),
    faceURL: str(u.faceURL),
    ...middle(r),
    createTime: num(r.createTime),
    addSource: num(r.addSource),
    operatorUserID: str(r.operatorUserID),
    ex: str(r.ex),
  };
}

export function toFriend(raw: unknown): FriendUserItem {
  return { ...relation(raw, 'friendUser', 'friendUserID', (r) => ({ remark: str(r.remark) })), attachedInfo: '' };
}

export function toBlack(raw: unknown): BlackUserItem {
  return relation(raw, 'blackUserInfo', 'blackUserID', () => ({}));
}

export const toFriendRequest = sameNames<FriendApplicationItem>({
  fromUserID: str, fromNickname: str, fromFaceURL: str, toUserID: str, toNickname: str, toFaceURL: str,
  handleResult: num, reqMsg: str, createTime: num, handlerUserID: str, handleMsg: str, handleTime: num,
  ex: str,
});

export const toGroup = sameNames<GroupItem>({
  groupID: str, groupName: str, notification: str, notificationUserID: str, notificationUpdateTime: num,
  introduction: str, faceURL: str, ownerUserID: str, createTime: num, memberCount: num, status: num,
  creatorUserID: str, groupType: num, needVerification: num, ex: str, applyMemberFriend: num,
  lookMemberInfo: num,
});

export const toMember = sameNames<GroupMemberItem>({
  groupID: str, userID: str, nickname: str, faceURL: str, roleLevel: num, muteEndTime: num, joinTime: num,
  joinSource: num, inviterUserID: str, operatorUserID: str, ex: str,
});

/** GroupRequest {userInfo, groupInfo, handleResult, reqMsg, handleMsg, reqTime, handleUserID, handleTime, ex, joinSource}. */
export function toGroupRequest(raw: unknown): GroupApplicationItem {
  const r = obj(raw);
  const u = obj(r.userInfo);
  const g = toGroup(r.groupInfo);
  return {
    groupID: g.groupID,
    groupName: g.groupName,
    groupFaceURL: g.faceURL,
    groupType: g.groupType,
    createTime: g.createTime,
    creatorUserID: g.creatorUserID,
    introduction: g.introduction,
    memberCount: g.memberCount,
    notification: g.notification,
    ownerUserID: g.ownerUserID,
    status: g.status,
    userID: str(u.userID),
    nickname: str(u.nickname),
    userFaceURL: str(u.faceURL),
    handleResult: num(r.handleResult),
    handleUserID: str(r.handleUserID),
    handledMsg: str(r.handleMsg),
    handledTime: num(r.handleTime),
    reqMsg: str(r.reqMsg),
    reqTime: num(r.reqTime),
    joinSource: num(r.joinSource),
    ex: str(r.ex),
  };
}
