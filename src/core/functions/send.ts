// SendMessage(NotOss): store the message as "sending", send it with 1003, store the outcome.
// The server's echo push (same clientMsgID) later fills in the seq without any callback.

import type { CallContext } from '../contract.ts';
import { argsError, CodedError, jsonArg, requireString, SdkCode } from '../errors.ts';
import { parseAttachedInfo, withAttachedInfo, type AttachedInfoElem } from '../msg/attached-info.ts';
import { messageArg } from '../msg/creators.ts';
import { itemToMsgData } from '../msg/convert.ts';
import { conversationIDOf } from '../msg/ids.ts';
import { PbCoder, ReqId } from '../net/codec.ts';
import type { CoreSession } from '../core-session.ts';
import { ConvChanges } from '../sync/conv-changes.ts';
import { ensureConversation } from '../sync/conversations.ts';
import { ContentType, MsgStatus, SessionType, type MessageItem, type OfflinePush } from '../types.ts';
import { online } from './guard.ts';

const ONLINE_ONLY = {
  history: false,
  persistent: false,
  offlinePush: false,
  unreadCount: false,
  conversationUpdate: false,
  senderSync: false,
  senderConversationUpdate: false,
};

/**
 * Stores a message in its conversation and moves the conversation's latestMsg. `update` maps the
 * stored row (if any) to the new one inside the transaction, so a concurrent echo's seq is kept.
 */
async function storeLocal(s: CoreSession, conversationID: string, m: MessageItem, operationID: string, update?: (current: MessageItem | undefined) => MessageItem): Promise<MessageItem> {
  const changes = new ConvChanges(s);
  await ensureConversation(s, conversationID, changes, operationID);
  const store = s.db();
  const stored = store.tx(() => {
    const next = update ? update(store.messages.get(m.clientMsgID)) : m;
    store.messages.put(conversationID, next);
    const c = store.conversations.get(conversationID);
    if (c) changes.refreshLatest(c, true);
    return next;
  });
  changes.flush();
  return stored;
}

/** Applies the send's outcome to the stored row (the echo may have set its seq meanwhile). */
function finish(s: CoreSession, conversationID: string, m: MessageItem, patch: Partial<MessageItem>, operationID: string): Promise<MessageItem> {
  return storeLocal(s, conversationID, m, operationID, (current) => {
    const base = current ?? m;
    return { ...base, ...patch, seq: base.seq || m.seq, status: base.status === MsgStatus.Deleted ? MsgStatus.Deleted : (patch.status ?? base.status) };
  });
}

export async function sendMessage(
  s: CoreSession,
  ctx: CallContext,
  message: unknown,
  recvID: unknown,
  groupID: unknown,
  offlinePushInfo: unknown,
  isOnlineOnly: unknown,
): Promise<MessageItem> {
  online(s);
  const src = messageArg('message', message);
  const recv = requireString('recvID', recvID ?? '');
  const group = requireString('groupID', groupID ?? '');
  if (!recv && !group) throw argsError('recvID and groupID are both empty');
  const onlineOnly = isOnlineOnly === true;
  const push = offlinePushInfo === undefined || offlinePushInfo === null || offlinePushInfo === '' ? undefined : (jsonArg('offlinePushInfo', offlinePushInfo) as OfflinePush);
  const sessionType = group ? SessionType.Group : SessionType.Single;
  const conversationID = conversationIDOf(sessionType, s.userID, group || recv);
  const existing = s.db().messages.get(src.clientMsgID);
  if (existing && existing.status === MsgStatus.Success) throw new CodedError(SdkCode.MsgRepeat, 'message was already sent');
  if (src.contentType >= 1000 || src.contentType === ContentType.Typing) throw new CodedError(SdkCode.MsgContentTypeNotSupport, 'content type cannot be sent');
  const sender = s.sender();
  const now = Date.now();
  const m: MessageItem = {
    ...src,
    sendID: s.userID,
    recvID: group ? '' : recv,
    groupID: group,
    sessionType,
    senderPlatformID: s.platformID,
    senderNickname: sender.nickname,
    senderFaceUrl: sender.faceURL,
    createTime: src.createTime || now,
    sendTime: src.createTime || now,
    serverMsgID: '',
    seq: 0,
    isRead: false,
    status: MsgStatus.Sending,
    localEx: existing?.localEx ?? src.localEx ?? '',
  };
  if (push) m.offlinePush = push;
  const sendAs = attachedInfoForSend(s, conversationID, group);
  if (sendAs) Object.assign(m, withAttachedInfo(m, sendAs.elem));
  if (!onlineOnly) await storeLocal(s, conversationID, m, ctx.operationID);
  const options = { ...(onlineOnly ? ONLINE_ONLY : {}), ...sendAs?.options };
  const data = PbCoder.MsgData.encode(itemToMsgData(m, { options, offlinePush: push })).finish();
  let resp: { serverMsgID: string; sendTime: number };
  try {
    const raw = await s.conn!.request(ReqId.SendMsg, data, ctx.operationID, 15_000);
    resp = raw ? PbCoder.UserSendMsgResp.decode(raw) : { serverMsgID: '', sendTime: now };
  } catch (e) {
    if (!onlineOnly) await finish(s, conversationID, m, { status: MsgStatus.Failed }, ctx.operationID);
    throw e;
  }
  const patch = { serverMsgID: resp.serverMsgID, sendTime: resp.sendTime || m.sendTime, status: MsgStatus.Success };
  if (onlineOnly) return { ...m, ...patch };
  return finish(s, conversationID, m, patch, ctx.operationID);
}

/**
 * What a message carries from its conversation (openim-sdk-core v3.5.1 checkID): a group message
 * the member count its readers are counted against; a message in a private chat the flag, its
 * burn duration and options.notPrivate false, so the peer's device knows it too.
 */
function attachedInfoForSend(s: CoreSession, conversationID: string, groupID: string): { elem: AttachedInfoElem; options?: Record<string, boolean> } | undefined {
  const elem = parseAttachedInfo('');
  if (groupID) {
    elem.groupHasReadInfo.groupMemberCount = s.db().groups.group(groupID)?.memberCount ?? 0;
    return { elem };
  }
  const c = s.db().conversations.get(conversationID);
  if (!c?.isPrivateChat) return undefined;
  elem.isPrivateChat = true;
  elem.burnDuration = c.burnDuration;
  return { elem, options: { notPrivate: false } };
}

/** Typing: an online-only 113 message with all storage options off. */
export async function typingStatusUpdate(s: CoreSession, ctx: CallContext, recvID: unknown, msgTip: unknown): Promise<void> {
  online(s);
  const recv = requireString('recvID', recvID);
  const tip = requireString('msgTip', msgTip);
  const sender = s.sender();
  const now = Date.now();
  const m = {
    clientMsgID: `${now.toString(16)}${Math.random().toString(16).slice(2, 18)}`,
    serverMsgID: '',
    createTime: now,
    sendTime: now,
    sessionType: SessionType.Single,
    sendID: s.userID,
    recvID: recv,
    msgFrom: 100,
    contentType: ContentType.Typing,
    senderPlatformID: s.platformID,
    senderNickname: sender.nickname,
    senderFaceUrl: sender.faceURL,
    groupID: '',
    content: '',
    seq: 0,
    isRead: false,
    status: MsgStatus.Sending,
    offlinePush: { title: '', desc: '', ex: '', iOSPushSound: '', iOSBadgeCount: false },
    attachedInfo: '',
    ex: '',
    localEx: '',
    typingElem: { msgTips: tip },
  } satisfies MessageItem;
  const data = PbCoder.MsgData.encode(itemToMsgData(m, { options: ONLINE_ONLY, offlinePush: undefined })).finish();
  await s.conn!.request(ReqId.SendMsg, data, ctx.operationID);
}
