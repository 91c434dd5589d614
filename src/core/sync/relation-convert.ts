// Server entities (docs/protocol.md "Entity shapes") → the client's shapes (open-im-sdk entity.ts).

import type { BlackUserItem, FriendApplicationItem, FriendUserItem, GroupApplicationItem, GroupItem, GroupMemberItem } from '../types.ts';

type O = Record<string, unknown>;
const obj = (v: unknown): O => (v && typeof v === 'object' ? (v as O) : {});
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const num = (v: unknown): number => (typeof v === 'number' ? v : Number(v ?? 0) || 0);

/** FriendInfo {ownerUserID, remark, createTime, friendUser, addSource, operatorUserID, ex}. */
export function toFriend(raw: unknown): FriendUserItem {
  const f = obj(raw);
  const u = obj(f.friendUser);
  return {
    ownerUserID: str(f.ownerUserID),
    userID: str(u.userID) || str(f.friendUserID),
    nickname: str(u.nickname),
    faceURL: str(u.faceURL),
    remark: str(f.remark),
    createTime: num(f.createTime),
    addSource: num(f.addSource),
    operatorUserID: str(f.operatorUserID),
    ex: str(f.ex),
    attachedInfo: '',
  };
}

/** BlackInfo {ownerUserID, createTime, blackUserInfo, addSource, operatorUserID, ex}. */
export function toBlack(raw: unknown): BlackUserItem {
  const b = obj(raw);
  const u = obj(b.blackUserInfo);
  return {
    ownerUserID: str(b.ownerUserID),
    userID: str(u.userID) || str(b.blackUserID),
    nickname: str(u.nickname),
    faceURL: str(u.faceURL),
    createTime: num(b.createTime),
    addSource: num(b.addSource),
    operatorUserID: str(b.operatorUserID),
    ex: str(b.ex),
  };
}

export function toFriendRequest(raw: unknown): FriendApplicationItem {
  const r = obj(raw);
  return {
    fromUserID: str(r.fromUserID),
    fromNickname: str(r.fromNickname),
    fromFaceURL: str(r.fromFaceURL),
    toUserID: str(r.toUserID),
    toNickname: str(r.toNickname),
    toFaceURL: str(r.toFaceURL),
    handleResult: num(r.handleResult),
    reqMsg: str(r.reqMsg),
    createTime: num(r.createTime),
    handlerUserID: str(r.handlerUserID),
    handleMsg: str(r.handleMsg),
    handleTime: num(r.handleTime),
    ex: str(r.ex),
  };
}

export function toGroup(raw: unknown): GroupItem {
  const g = obj(raw);
  return {
    groupID: str(g.groupID),
    groupName: str(g.groupName),
    notification: str(g.notification),
    notificationUserID: str(g.notificationUserID),
    notificationUpdateTime: num(g.notificationUpdateTime),
    introduction: str(g.introduction),
    faceURL: str(g.faceURL),
    ownerUserID: str(g.ownerUserID),
    createTime: num(g.createTime),
    memberCount: num(g.memberCount),
    status: num(g.status),
    creatorUserID: str(g.creatorUserID),
    groupType: num(g.groupType),
    needVerification: num(g.needVerification),
    ex: str(g.ex),
    applyMemberFriend: num(g.applyMemberFriend),
    lookMemberInfo: num(g.lookMemberInfo),
  };
}

export function toMember(raw: unknown): GroupMemberItem {
  const m = obj(raw);
  return {
    groupID: str(m.groupID),
    userID: str(m.userID),
    nickname: str(m.nickname),
    faceURL: str(m.faceURL),
    roleLevel: num(m.roleLevel),
    muteEndTime: num(m.muteEndTime),
    joinTime: num(m.joinTime),
    joinSource: num(m.joinSource),
    inviterUserID: str(m.inviterUserID),
    operatorUserID: str(m.operatorUserID),
    ex: str(m.ex),
  };
}

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
