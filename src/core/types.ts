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

/** OpenIM constants used by the core (openim-server-protocol.md §3). */
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
  Revoke: 2101,
  DeleteMsgs: 2102,
  HasReadReceipt: 2200,
} as const;
export const LoginStatus = { Logout: 1, Logging: 2, Logged: 3 } as const;
