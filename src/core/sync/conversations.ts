// Conversation rows: created on first use, kept in step with the server's settings.

import { emptyConversation } from '../store/conversations.ts';
import { sourceOf } from '../msg/ids.ts';
import type { CoreSession } from '../core-session.ts';
import type { ConvChanges } from './conv-changes.ts';
import { SessionType, type ConversationItem, type MessageItem } from '../types.ts';
import { usersCached } from './users.ts';

/** Type of a conversation from its ID prefix. */
function sessionTypeOf(conversationID: string): number {
  if (conversationID.startsWith('sg_')) return SessionType.Group;
  if (conversationID.startsWith('sn_')) return SessionType.Notification;
  return SessionType.Single;
}

/**
 * Returns the conversation row, creating it (with the peer's name and face) when missing.
 * `hint` is a message of the conversation whose sender fields can name the peer.
 */
export async function ensureConversation(s: CoreSession, conversationID: string, changes: ConvChanges, operationID: string, hint?: MessageItem): Promise<ConversationItem> {
  const existing = s.db().conversations.get(conversationID);
  if (existing) return existing;
  const type = sessionTypeOf(conversationID);
  const src = sourceOf(type, conversationID, s.userID);
  const c = emptyConversation(conversationID, type, src.userID, src.groupID);
  if (type === SessionType.Group) {
    const g = s.db().groups.group(src.groupID);
    c.showName = g?.groupName || src.groupID;
    c.faceURL = g?.faceURL ?? '';
  } else if (hint && hint.sendID === src.userID && hint.senderNickname) {
    c.showName = hint.senderNickname;
    c.faceURL = hint.senderFaceUrl;
  } else {
    const u = (await usersCached(s, [src.userID], operationID)).get(src.userID);
    c.showName = u?.nickname || src.userID;
    c.faceURL = u?.faceURL ?? '';
  }
  // Another task may have created it while we awaited the profile.
  const raced = s.db().conversations.get(conversationID);
  if (raced) return raced;
  s.db().conversations.put(c, false);
  changes.created(conversationID);
  return c;
}

interface ServerConversation {
  conversationID?: string;
  conversationType?: number;
  userID?: string;
  groupID?: string;
  recvMsgOpt?: number;
  isPinned?: boolean;
  isPrivateChat?: boolean;
  burnDuration?: number;
  groupAtType?: number;
  attachedInfo?: string;
  ex?: string;
  minSeq?: number;
  maxSeq?: number;
  msgDestructTime?: number;
  isMsgDestruct?: boolean;
}

/** Copies the server's per-user settings of a conversation onto the local row; true if anything changed. */
export function applyServerSettings(c: ConversationItem, sc: ServerConversation): boolean {
  const before = JSON.stringify(c);
  if (typeof sc.recvMsgOpt === 'number') c.recvMsgOpt = sc.recvMsgOpt;
  if (typeof sc.isPinned === 'boolean') c.isPinned = sc.isPinned;
  if (typeof sc.isPrivateChat === 'boolean') c.isPrivateChat = sc.isPrivateChat;
  if (typeof sc.burnDuration === 'number') c.burnDuration = sc.burnDuration;
  if (typeof sc.groupAtType === 'number') c.groupAtType = sc.groupAtType;
  if (typeof sc.attachedInfo === 'string') c.attachedInfo = sc.attachedInfo;
  if (typeof sc.ex === 'string') c.ex = sc.ex;
  if (typeof sc.msgDestructTime === 'number') c.msgDestructTime = sc.msgDestructTime;
  if (typeof sc.isMsgDestruct === 'boolean') c.isMsgDestruct = sc.isMsgDestruct;
  if (typeof sc.minSeq === 'number') c.minSeq = sc.minSeq;
  return JSON.stringify(c) !== before;
}

export type { ServerConversation };
