// Message functions: creators, sending, revoke and delete, local writes.

import { setTimeout as sleep } from 'node:timers/promises';
import type { CoreFunction } from '../contract.ts';
import { argsError, CodedError, notFound, requireString, SdkCode } from '../errors.ts';
import { creators, messageArg, type CreatorName } from '../msg/creators.ts';
import { conversationIDOf, newClientMsgID } from '../msg/ids.ts';
import type { CoreSession } from '../core-session.ts';
import { ConvChanges } from '../sync/conv-changes.ts';
import { ensureConversation } from '../sync/conversations.ts';
import { applyRevoke } from '../sync/notifications.ts';
import { MsgStatus, SessionType, type MessageItem } from '../types.ts';
import { online } from './guard.ts';
import { sendMessage, typingStatusUpdate } from './send.ts';

const DELETE_SYNC = { IsSyncSelf: true, IsSyncOther: false };

function creatorFunctions(s: CoreSession): Record<string, CoreFunction> {
  const table: Readonly<Record<CreatorName, (sender: ReturnType<CoreSession['sender']>, ...args: unknown[]) => MessageItem>> = creators;
  const out: Record<string, CoreFunction> = {};
  for (const name of Object.keys(creators) as CreatorName[]) {
    out[name] = async (_ctx, ...args: unknown[]) => table[name](s.sender(), ...args);
  }
  return out;
}

/** Waits for the echo of a just-sent message to give it a seq (revoke and delete need one). */
async function seqOf(s: CoreSession, conversationID: string, clientMsgID: string, waitMs = 3000): Promise<MessageItem> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const m = s.db().messages.get(clientMsgID);
    if (!m || m.status >= MsgStatus.Deleted || s.db().messages.conversationOf(clientMsgID) !== conversationID) throw notFound(`message ${clientMsgID}`);
    if (m.seq > 0 || m.status !== MsgStatus.Success || Date.now() >= deadline) return m;
    await Promise.race([s.idle(), sleep(50)]);
    await sleep(20);
  }
}

/** Tombstones messages locally and fixes their conversation's latestMsg. */
function deleteLocal(s: CoreSession, conversationID: string, ms: MessageItem[]): void {
  const store = s.db();
  const changes = new ConvChanges(s);
  store.tx(() => {
    for (const m of ms) store.messages.tombstone(conversationID, m);
    const c = store.conversations.get(conversationID);
    if (c) changes.refreshLatest(c);
  });
  changes.flush();
}

function clearAllLocal(s: CoreSession): void {
  const store = s.db();
  const changes = new ConvChanges(s);
  store.tx(() => {
    store.messages.tombstoneAll(null);
    for (const c of store.conversations.all()) {
      if (!c.latestMsg && c.unreadCount === 0) continue;
      c.latestMsg = '';
      c.unreadCount = 0;
      c.hasReadSeq = Math.max(c.hasReadSeq, c.maxSeq);
      store.conversations.put(c);
      changes.changed(c.conversationID);
    }
  });
  changes.flush();
}

async function insertLocal(s: CoreSession, operationID: string, message: unknown, sessionType: number, target: string, sendID: string): Promise<MessageItem> {
  const src = messageArg('message', message);
  if (!target) throw argsError(sessionType === SessionType.Group ? 'groupID is empty' : 'recvID is empty');
  if (!sendID) throw argsError('sendID is empty');
  if (src.clientMsgID && s.db().messages.get(src.clientMsgID)) throw new CodedError(SdkCode.MsgRepeat, 'message already exists');
  const now = Date.now();
  const m: MessageItem = {
    ...src,
    clientMsgID: src.clientMsgID || newClientMsgID(s.userID),
    sessionType,
    sendID,
    recvID: sessionType === SessionType.Group ? '' : target,
    groupID: sessionType === SessionType.Group ? target : '',
    createTime: src.createTime || now,
    sendTime: src.sendTime || src.createTime || now,
    seq: 0,
    status: src.status >= MsgStatus.Sending && src.status <= MsgStatus.Failed ? src.status : MsgStatus.Success,
    localEx: src.localEx ?? '',
  };
  const peer = sessionType === SessionType.Group ? target : sendID === s.userID ? target : sendID;
  const conversationID = conversationIDOf(sessionType, s.userID, peer);
  const changes = new ConvChanges(s);
  await ensureConversation(s, conversationID, changes, operationID, m);
  const store = s.db();
  store.tx(() => {
    store.messages.put(conversationID, m);
    const c = store.conversations.get(conversationID);
    if (!c) return;
    changes.refreshLatest(c);
    // Shown again, but reported as changed (not new), unlike a received or sent message.
    store.conversations.setHidden(conversationID, false);
  });
  changes.flush();
  return m;
}

export function messageFunctions(s: CoreSession): Record<string, CoreFunction> {
  return {
    ...creatorFunctions(s),

    async SendMessageNotOss(ctx, message, recvID, groupID, offlinePushInfo, isOnlineOnly) {
      return sendMessage(s, ctx, message, recvID, groupID, offlinePushInfo, isOnlineOnly);
    },

    async SendMessage(ctx, message, recvID, groupID, offlinePushInfo, isOnlineOnly) {
      return sendMessage(s, ctx, message, recvID, groupID, offlinePushInfo, isOnlineOnly);
    },

    async TypingStatusUpdate(ctx, recvID, msgTip) {
      await typingStatusUpdate(s, ctx, recvID, msgTip);
      return '';
    },

    async RevokeMessage(ctx, conversationID: unknown, clientMsgID: unknown) {
      const id = requireString('conversationID', conversationID);
      const m = await seqOf(s, id, requireString('clientMsgID', clientMsgID));
      if (m.seq === 0) throw new CodedError(SdkCode.MsgHasNoSeq, 'message has no seq yet');
      await online(s).post('/msg/revoke_msg', { conversationID: id, seq: m.seq, userID: s.userID }, ctx.operationID);
      const tips = { revokerUserID: s.userID, clientMsgID: m.clientMsgID, revokeTime: Date.now(), sesstionType: m.sessionType, seq: m.seq, conversationID: id };
      applyRevoke(s, id, tips, s.self().nickname);
      return '';
    },

    async DeleteMessage(ctx, conversationID: unknown, clientMsgID: unknown) {
      const id = requireString('conversationID', conversationID);
      const m = await seqOf(s, id, requireString('clientMsgID', clientMsgID));
      if (m.seq > 0) {
        await online(s).post('/msg/delete_msgs', { conversationID: id, seqs: [m.seq], userID: s.userID, deleteSyncOpt: DELETE_SYNC }, ctx.operationID);
      }
      deleteLocal(s, id, [m]);
      return '';
    },

    async DeleteMessageFromLocalStorage(_ctx, conversationID: unknown, clientMsgID: unknown) {
      const id = requireString('conversationID', conversationID);
      const m = s.db().messages.get(requireString('clientMsgID', clientMsgID));
      if (!m || m.status >= MsgStatus.Deleted || s.db().messages.conversationOf(m.clientMsgID) !== id) throw notFound(`message ${String(clientMsgID)}`);
      deleteLocal(s, id, [m]);
      return '';
    },

    async DeleteAllMsgFromLocal() {
      clearAllLocal(s);
      return '';
    },

    async DeleteAllMsgFromLocalAndSvr(ctx) {
      await online(s).post('/msg/user_clear_all_msg', { userID: s.userID, deleteSyncOpt: DELETE_SYNC }, ctx.operationID);
      clearAllLocal(s);
      return '';
    },

    async InsertSingleMessageToLocalStorage(ctx, message, recvID, sendID) {
      return insertLocal(s, ctx.operationID, message, SessionType.Single, requireString('recvID', recvID), requireString('sendID', sendID));
    },

    async InsertGroupMessageToLocalStorage(ctx, message, groupID, sendID) {
      return insertLocal(s, ctx.operationID, message, SessionType.Group, requireString('groupID', groupID), requireString('sendID', sendID));
    },

    async SetMessageLocalEx(_ctx, conversationID: unknown, clientMsgID: unknown, localEx: unknown) {
      const id = requireString('conversationID', conversationID);
      const ex = requireString('localEx', localEx);
      const store = s.db();
      const m = store.messages.get(requireString('clientMsgID', clientMsgID));
      if (!m || m.status >= MsgStatus.Deleted || store.messages.conversationOf(m.clientMsgID) !== id) throw notFound(`message ${String(clientMsgID)}`);
      const changes = new ConvChanges(s);
      store.tx(() => {
        store.messages.put(id, { ...m, localEx: ex });
        const c = store.conversations.get(id);
        if (c) changes.refreshLatest(c);
      });
      changes.flush();
      return '';
    },
  };
}
