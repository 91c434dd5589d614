// The JSON shapes the client sees (open-im-sdk@3.5.2 src/types/entity.ts), written from the
// protocol notes. Elems are optional: a message carries only the one its contentType needs.

export interface OfflinePush {
  title: string;
  desc: string;
  ex: string;
  iOSPushSound: string;
  iOSBadgeCount: boolean;
}

export interface MessageItem {
  clientMsgID: string;
  serverMsgID: string;
  createTime: number;
  sendTime: number;
  sessionType: number;
  sendID: string;
  recvID: string;
  msgFrom: number;
  contentType: number;
  senderPlatformID: number;
  senderNickname: string;
  senderFaceUrl: string;
  groupID: string;
  content: string;
  seq: number;
  isRead: boolean;
  status: number;
  isReact?: boolean;
  isExternalExtensions?: boolean;
  offlinePush: OfflinePush;
  attachedInfo: string;
  ex: string;
  localEx: string;
  [elem: string]: unknown;
}

export interface ConversationItem {
  conversationID: string;
  conversationType: number;
  userID: string;
  groupID: string;
  showName: string;
  faceURL: string;
  recvMsgOpt: number;
  unreadCount: number;
  groupAtType: number;
  latestMsg: string;
  latestMsgSendTime: number;
  draftText: string;
  draftTextTime: number;
  isPinned: boolean;
  isPrivateChat: boolean;
  burnDuration: number;
  isNotInGroup: boolean;
  updateUnreadCountTime: number;
  attachedInfo: string;
  ex: string;
  maxSeq: number;
  minSeq: number;
  hasReadSeq: number;
  msgDestructTime: number;
  isMsgDestruct: boolean;
}

export interface SelfUserInfo {
  userID: string;
  nickname: string;
  faceURL: string;
  createTime: number;
  ex: string;
  attachedInfo: string;
  globalRecvMsgOpt: number;
}

export interface PublicUserInfo {
  userID: string;
  nickname: string;
  faceURL: string;
  ex: string;
  createTime: number;
}

/** OpenIM constants used by the core (docs/protocol.md "Constants"). */
export const SessionType = { Single: 1, Group: 3, Notification: 4 } as const;
export const MsgStatus = { Sending: 1, Success: 2, Failed: 3, Deleted: 4, Filtered: 5 } as const;
export const MsgFrom = { User: 100, System: 200 } as const;
export const ContentType = {
  Text: 101,
  Picture: 102,
  Sound: 103,
  Video: 104,
  File: 105,
  AtText: 106,
  Merger: 107,
  Card: 108,
  Location: 109,
  Custom: 110,
  Typing: 113,
  Quote: 114,
  Face: 115,
  AdvancedText: 117,
  UserInfoUpdated: 1303,
  ConversationChanged: 1300,
  ConversationPrivateChat: 1701,
  Revoke: 2101,
  DeleteMsgs: 2102,
  HasReadReceipt: 2200,
} as const;
export const LoginStatus = { Logout: 1, Logging: 2, Logged: 3 } as const;

// Friends, blacklist, groups (open-im-sdk@3.5.2 entity.ts).

export interface FriendUserItem {
  addSource: number;
  createTime: number;
  ex: string;
  faceURL: string;
  userID: string;
  nickname: string;
  operatorUserID: string;
  ownerUserID: string;
  remark: string;
  attachedInfo: string;
}

export interface BlackUserItem {
  addSource: number;
  userID: string;
  createTime: number;
  ex: string;
  faceURL: string;
  nickname: string;
  operatorUserID: string;
  ownerUserID: string;
}

export interface FriendApplicationItem {
  createTime: number;
  ex: string;
  fromFaceURL: string;
  fromNickname: string;
  fromUserID: string;
  handleMsg: string;
  handleResult: number;
  handleTime: number;
  handlerUserID: string;
  reqMsg: string;
  toFaceURL: string;
  toNickname: string;
  toUserID: string;
}

export interface GroupItem {
  groupID: string;
  groupName: string;
  notification: string;
  notificationUserID: string;
  notificationUpdateTime: number;
  introduction: string;
  faceURL: string;
  ownerUserID: string;
  createTime: number;
  memberCount: number;
  status: number;
  creatorUserID: string;
  groupType: number;
  needVerification: number;
  ex: string;
  applyMemberFriend: number;
  lookMemberInfo: number;
}

export interface GroupMemberItem {
  groupID: string;
  userID: string;
  nickname: string;
  faceURL: string;
  roleLevel: number;
  muteEndTime: number;
  joinTime: number;
  joinSource: number;
  inviterUserID: string;
  operatorUserID: string;
  ex: string;
}

export interface GroupApplicationItem {
  createTime: number;
  creatorUserID: string;
  ex: string;
  groupFaceURL: string;
  groupID: string;
  groupName: string;
  groupType: number;
  handleResult: number;
  handleUserID: string;
  handledMsg: string;
  handledTime: number;
  introduction: string;
  memberCount: number;
  nickname: string;
  notification: string;
  ownerUserID: string;
  reqMsg: string;
  reqTime: number;
  joinSource: number;
  status: number;
  userFaceURL: string;
  userID: string;
}

export const GroupRole = { Owner: 100, Admin: 60, Member: 20 } as const;
export const GroupStatus = { Ok: 0, Banned: 1, Dismissed: 2, Muted: 3 } as const;
