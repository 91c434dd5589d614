// SendMessage(NotOss): store the message as "sending", send it with 1003, store the outcome.
// The server's echo push (same clientMsgID) later fills in the seq without any callback.
//
// Idempotent by clientMsgID (issue 9): a message sent again after any failure answers with the
// delivered message when the server has it (delivered.ts), and is sent otherwise; a resend while
// the first attempt still runs in this core waits for it. Never two copies, never 10204 for a
// message's own retry. An oversized message is refused before anything is stored or sent.

import type { CallContext } from '../contract.ts';
import { argsError, CodedError, jsonArg, requireString, SdkCode } from '../errors.ts';
import { parseAttachedInfo, withAttachedInfo, type AttachedInfoElem } from '../msg/attached-info.ts';
import { messageArg } from '../msg/creators.ts';
import { itemToMsgData } from '../msg/convert.ts';
import { conversationIDOf } from '../msg/ids.ts';
import { PbCoder, ReqId } from '../net/codec.ts';
import { frameBytes } from '../net/long-conn.ts';
import { limitExceeded, WS_MAX_FRAME_BYTES } from '../limits.ts';
import type { CoreSession } from '../core-session.ts';
import { ConvChanges } from '../sync/conv-changes.ts';
import { ensureConversation } from '../sync/conversations.ts';
import { ContentType, MsgStatus, SessionType, type MessageItem, type OfflinePush } from '../types.ts';
import { findDelivered } from './delivered.ts';
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

interface Attempt {
  readonly conversationID: string;
  readonly attempt: Promise<MessageItem>;
}
/** Sends running in a core, by clientMsgID: a resend during one joins it instead of sending twice. */
const running = new WeakMap<CoreSession, Map<string, Attempt>>();

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
  if (src.contentType >= 1000 || src.contentType === ContentType.Typing) throw new CodedError(SdkCode.MsgContentTypeNotSupport, 'content type cannot be sent');
  const sessionType = group ? SessionType.Group : SessionType.Single;
  const conversationID = conversationIDOf(sessionType, s.userID, group || recv);
  // Online-only messages are never stored (here or on the server): nothing to find again.
  if (onlineOnly) return sendOnce(s, ctx, src, conversationID, recv, group, push, true);

  let byID = running.get(s);
  if (!byID) running.set(s, (byID = new Map<string, Attempt>()));
  const id = src.clientMsgID;
  const inFlight = byID.get(id);
  if (inFlight) {
    if (inFlight.conversationID !== conversationID) throw new CodedError(SdkCode.MsgRepeat, 'clientMsgID is in use in another conversation');
    return inFlight.attempt;
  }
  // Registered synchronously (no await since the lookup), so concurrent resends share one attempt.
  const entry = { conversationID, attempt: resendOrSend(s, ctx, src, conversationID, recv, group, push) };
  byID.set(id, entry);
  try {
    return await entry.attempt;
  } finally {
    if (byID.get(id) === entry) byID.delete(id);
  }
}

async function resendOrSend(
  s: CoreSession,
  ctx: CallContext,
  src: MessageItem,
  conversationID: string,
  recv: string,
  group: string,
  push: OfflinePush | undefined,
): Promise<MessageItem> {
  const store = s.db();
  const existing = store.messages.get(src.clientMsgID);
  if (existing) {
    if (store.messages.conversationOf(src.clientMsgID) !== conversationID) throw new CodedError(SdkCode.MsgRepeat, 'clientMsgID is in use in another conversation');
    if (existing.status === MsgStatus.Success) return existing;
    if (existing.status !== MsgStatus.Sending && existing.status !== MsgStatus.Failed) throw new CodedError(SdkCode.MsgRepeat, 'message was deleted');
    // An earlier attempt ended without an answer (worker died, connection lost, timeout).
    const delivered = await findDelivered(s, conversationID, existing, ctx.operationID);
    if (delivered) return delivered;
  }
  return sendOnce(s, ctx, src, conversationID, recv, group, push, false);
}

async function sendOnce(
  s: CoreSession,
  ctx: CallContext,
  src: MessageItem,
  conversationID: string,
  recv: string,
  group: string,
  push: OfflinePush | undefined,
  onlineOnly: boolean,
): Promise<MessageItem> {
  const sessionType = group ? SessionType.Group : SessionType.Single;
  const existing = onlineOnly ? undefined : s.db().messages.get(src.clientMsgID);
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
  const options = { ...(onlineOnly ? ONLINE_ONLY : {}), ...sendAs?.options };
  const data = PbCoder.MsgData.encode(itemToMsgData(m, { options, offlinePush: push })).finish();
  // Refused before it is stored: the message gateway would close the connection on it.
  const bytes = frameBytes(s.userID, ReqId.SendMsg, data, ctx.operationID);
  if (bytes > WS_MAX_FRAME_BYTES) throw limitExceeded('the message', bytes, WS_MAX_FRAME_BYTES, 'bytes on the wire');
  if (!onlineOnly) await storeLocal(s, conversationID, m, ctx.operationID);
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
