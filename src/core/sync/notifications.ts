// Notifications from the `n_` streams (openim-server-protocol.md §3.6–3.7): their content is
// `{"detail": "<JSON of the tips>"}`. Handled: 2101 revoke, 2200 read receipt (group ones in
// group-receipts.ts), 2102 delete, 1303 user info updated, 1300 conversation changed, 1701
// private chat; friend and group ones in relation-notifications.ts.

import type { SdkWsProto } from '@openim/protocol';
import { ContentType, MsgStatus, SessionType, type MessageItem } from '../types.ts';
import type { CoreSession } from '../core-session.ts';
import { ConvChanges } from './conv-changes.ts';
import { applyServerSettings, type ServerConversation } from './conversations.ts';
import { refreshSelf, fetchUsers } from './users.ts';
import { onGroupReadReceipt } from './group-receipts.ts';
import { handleRelationNotification, isRelationNotification } from './relation-notifications.ts';
import { asNumber as num, asString as str } from '../loose.ts';

const utf8 = new TextDecoder();

export function notificationDetail(d: SdkWsProto.MsgData): Record<string, unknown> | undefined {
  try {
    const outer = JSON.parse(utf8.decode(d.content)) as { detail?: unknown };
    const detail = typeof outer.detail === 'string' ? (JSON.parse(outer.detail) as unknown) : outer.detail;
    return detail && typeof detail === 'object' ? (detail as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

export async function handleNotification(s: CoreSession, d: SdkWsProto.MsgData, operationID: string): Promise<void> {
  const tips = notificationDetail(d);
  if (!tips) return;
  switch (d.contentType) {
    case ContentType.Revoke:
      return onRevoke(s, d, tips);
    case ContentType.HasReadReceipt:
      return onReadReceipt(s, tips, d.sendTime);
    case ContentType.DeleteMsgs:
      return onDeleteMsgs(s, tips);
    case ContentType.UserInfoUpdated:
      return onUserInfoUpdated(s, tips, operationID);
    case ContentType.ConversationChanged:
      return onConversationChanged(s, tips, operationID);
    case ContentType.ConversationPrivateChat:
      // Either side turned private chat on or off; both users' conversations changed on the server.
      return onConversationChanged(s, { conversationIDList: [tips.conversationID] }, operationID);
    default:
      if (isRelationNotification(d.contentType)) return handleRelationNotification(s, d, tips, operationID);
      return;
  }
}

/** The RevokedInfo the client receives, and the detail stored on the revoked message. */
function revokedInfo(tips: Record<string, unknown>, source: MessageItem | undefined, revokerNickname: string): Record<string, unknown> {
  return {
    revokerID: str(tips.revokerUserID),
    revokerRole: 0,
    clientMsgID: str(tips.clientMsgID) || (source?.clientMsgID ?? ''),
    revokerNickname,
    revokeTime: num(tips.revokeTime),
    sourceMessageSendTime: source?.sendTime ?? 0,
    sourceMessageSendID: source?.sendID ?? '',
    sourceMessageSenderNickname: source?.senderNickname ?? '',
    sessionType: num(tips.sesstionType ?? tips.sessionType) || (source?.sessionType ?? SessionType.Single),
    seq: num(tips.seq),
    ex: '',
  };
}

/** Turns the stored message into its revoked form; returns the info, or undefined if already revoked. */
export function applyRevoke(s: CoreSession, conversationID: string, tips: Record<string, unknown>, revokerNickname: string): Record<string, unknown> | undefined {
  const store = s.db();
  const byID = str(tips.clientMsgID) ? store.messages.get(str(tips.clientMsgID)) : undefined;
  const m = byID ?? (num(tips.seq) ? store.messages.getBySeq(conversationID, num(tips.seq)) : undefined);
  if (m?.contentType === ContentType.Revoke) return undefined;
  const info = revokedInfo(tips, m, revokerNickname);
  if (!m || m.status >= MsgStatus.Deleted) return info;
  const detail = JSON.stringify(info);
  const revoked: MessageItem = { ...m, contentType: ContentType.Revoke, content: JSON.stringify({ detail }), notificationElem: { detail } };
  const changes = new ConvChanges(s);
  store.tx(() => {
    store.messages.put(conversationID, revoked);
    const c = store.conversations.get(conversationID);
    if (c) changes.refreshLatest(c);
  });
  changes.flush();
  return info;
}

function onRevoke(s: CoreSession, d: SdkWsProto.MsgData, tips: Record<string, unknown>): void {
  const conversationID = str(tips.conversationID);
  if (!conversationID) return;
  const info = applyRevoke(s, conversationID, tips, d.senderNickname);
  if (info) s.emit('OnNewRecvMessageRevoked', info);
}

/**
 * 2200. From the peer: exactly the seqs it lists are read (upstream's rule; the server lists the
 * reader's read range and the seqs it asked for). From this user's other device: the read seq
 * and its flags, so this device does not report those messages again.
 */
function onReadReceipt(s: CoreSession, tips: Record<string, unknown>, readTime: number): void {
  const conversationID = str(tips.conversationID);
  const reader = str(tips.markAsReadUserID);
  const seqs = Array.isArray(tips.seqs) ? tips.seqs.map(num) : [];
  const hasReadSeq = num(tips.hasReadSeq);
  if (!conversationID) return;
  const store = s.db();
  if (reader === s.userID) {
    const c = store.conversations.get(conversationID);
    if (!c) return;
    const changes = new ConvChanges(s);
    const upTo = Math.max(hasReadSeq, ...seqs, 0);
    store.tx(() => {
      const flagged = c.conversationType === SessionType.Single ? store.messages.markRead(conversationID, c.userID, seqs, 0) : [];
      if (upTo <= c.hasReadSeq && !c.unreadCount && !flagged.length) return;
      c.hasReadSeq = Math.max(c.hasReadSeq, upTo);
      c.unreadCount = Math.max(0, c.maxSeq - c.hasReadSeq);
      changes.refreshLatest(c);
      changes.changed(conversationID);
    });
    changes.flush();
    return;
  }
  if (conversationID.startsWith('sg_')) return onGroupReadReceipt(s, conversationID, reader, seqs, readTime);
  if (!conversationID.startsWith('si_')) return;
  const changes = new ConvChanges(s);
  const read = store.tx(() => {
    const marked = store.messages.markRead(conversationID, s.userID, seqs, 0);
    const c = marked.length ? store.conversations.get(conversationID) : undefined;
    if (c) changes.refreshLatest(c);
    return marked;
  });
  if (read.length === 0) return;
  s.emit('OnRecvC2CReadReceipt', [
    {
      userID: reader,
      groupID: '',
      msgIDList: read.map((m) => m.clientMsgID),
      readTime: Date.now(),
      msgFrom: 100,
      contentType: ContentType.HasReadReceipt,
      sessionType: SessionType.Single,
    },
  ]);
  changes.flush();
}

function onDeleteMsgs(s: CoreSession, tips: Record<string, unknown>): void {
  if (str(tips.userID) !== s.userID) return;
  const conversationID = str(tips.conversationID);
  const seqs = Array.isArray(tips.seqs) ? tips.seqs.map(num) : [];
  const store = s.db();
  const changes = new ConvChanges(s);
  store.tx(() => {
    for (const seq of seqs) {
      const m = store.messages.getBySeq(conversationID, seq);
      if (m && m.status < MsgStatus.Deleted) store.messages.tombstone(conversationID, m);
    }
    const c = store.conversations.get(conversationID);
    if (c) changes.refreshLatest(c);
  });
  changes.flush();
}

async function onUserInfoUpdated(s: CoreSession, tips: Record<string, unknown>, operationID: string): Promise<void> {
  const userID = str(tips.userID);
  if (!userID || userID === s.userID) await refreshSelf(s, operationID);
  else await fetchUsers(s, [userID], operationID); // renames the single chat with them, if any
}

async function onConversationChanged(s: CoreSession, tips: Record<string, unknown>, operationID: string): Promise<void> {
  const ids = Array.isArray(tips.conversationIDList) ? tips.conversationIDList.map(str).filter(Boolean) : [];
  if (!ids.length || !s.rest) return;
  const data = await s.rest.post<{ conversations?: ServerConversation[] | null }>(
    '/conversation/get_conversations',
    { ownerUserID: s.userID, conversationIDs: ids },
    operationID,
  );
  const store = s.db();
  const changes = new ConvChanges(s);
  for (const sc of data?.conversations ?? []) {
    const c = sc.conversationID ? store.conversations.get(sc.conversationID) : undefined;
    if (c && applyServerSettings(c, sc)) {
      store.conversations.put(c);
      changes.changed(c.conversationID);
    }
  }
  changes.flush();
}
