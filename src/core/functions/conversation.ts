// Conversation functions: lists and lookups from the local store; settings written to the
// server (/conversation/set_conversations) and then locally; read marks; hide/clear/delete.

import type { CoreFunction } from '../contract.ts';
import { argsError, jsonArg, notFound, requireString, requireStrings } from '../errors.ts';
import { conversationIDOf } from '../msg/ids.ts';
import type { CoreSession } from '../core-session.ts';
import { ConvChanges } from '../sync/conv-changes.ts';
import { ensureConversation } from '../sync/conversations.ts';
import { SessionType, type ConversationItem } from '../types.ts';
import { online } from './guard.ts';

function int(name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) throw argsError(`${name} must be an integer`);
  return v;
}

function bool(name: string, v: unknown): boolean {
  if (typeof v !== 'boolean') throw argsError(`${name} must be a boolean`);
  return v;
}

export function conversationFunctions(s: CoreSession): Record<string, CoreFunction> {
  const get = (id: unknown): ConversationItem => {
    const c = s.db().conversations.get(requireString('conversationID', id));
    if (!c) throw notFound(`conversation ${String(id)}`);
    return c;
  };

  /** Writes one setting to the server, then to the local row, and reports the change. */
  const setOnServer = async (operationID: string, id: unknown, patch: Partial<ConversationItem>) => {
    const c = get(id);
    await online(s).post(
      '/conversation/set_conversations',
      { userIDs: [s.userID], conversation: { conversationID: c.conversationID, conversationType: c.conversationType, userID: c.userID, groupID: c.groupID, ...patch } },
      operationID,
    );
    const changes = new ConvChanges(s);
    const fresh = get(c.conversationID);
    s.db().conversations.put({ ...fresh, ...patch });
    changes.changed(c.conversationID);
    changes.flush();
  };

  const clearMessages = async (operationID: string, c: ConversationItem) => {
    await online(s).post(
      '/msg/clear_conversation_msg',
      { conversationIDs: [c.conversationID], userID: s.userID, deleteSyncOpt: { IsSyncSelf: true, IsSyncOther: false } },
      operationID,
    );
  };

  /**
   * Delete every message of a conversation here and on the server. Clearing keeps the
   * conversation (reported as changed); deleting also drops its draft and hides it.
   */
  const wipe = async (operationID: string, id: unknown, remove: boolean): Promise<void> => {
    const c = get(id);
    await clearMessages(operationID, c);
    const changes = new ConvChanges(s);
    const store = s.db();
    store.tx(() => {
      store.messages.tombstoneAll(c.conversationID);
      const fresh = get(c.conversationID);
      fresh.unreadCount = 0;
      fresh.hasReadSeq = Math.max(fresh.hasReadSeq, fresh.maxSeq);
      if (remove) {
        fresh.draftText = '';
        fresh.draftTextTime = 0;
      }
      changes.refreshLatest(fresh); // clearing keeps the hidden flag
      if (remove) store.conversations.setHidden(c.conversationID, true);
    });
    if (!remove) changes.changed(c.conversationID);
    changes.flush();
  };

  return {
    async GetAllConversationList() {
      return s.db().conversations.list();
    },

    async GetConversationListSplit(_ctx, offset: unknown, count: unknown) {
      const o = int('offset', offset);
      const n = int('count', count);
      if (o < 0 || n < 0) throw argsError('offset and count must not be negative');
      return s.db().conversations.list(o, n);
    },

    async GetOneConversation(ctx, sessionType: unknown, sourceID: unknown) {
      const id = conversationIDOf(int('sessionType', sessionType), s.userID, requireString('sourceID', sourceID));
      const existing = s.db().conversations.get(id);
      if (existing) return existing;
      // Like the original SDK: looking a conversation up creates it locally (no callback).
      const changes = new ConvChanges(s);
      return ensureConversation(s, id, changes, ctx.operationID);
    },

    async GetMultipleConversation(_ctx, ids: unknown) {
      const list = requireStrings('conversationIDList', jsonArg('conversationIDList', ids));
      return list.map((id) => s.db().conversations.get(id)).filter((c): c is ConversationItem => !!c);
    },

    async GetConversationIDBySessionType(_ctx, sourceID: unknown, sessionType: unknown) {
      return conversationIDOf(int('sessionType', sessionType), s.userID, requireString('sourceID', sourceID));
    },

    async GetTotalUnreadMsgCount() {
      return s.db().conversations.totalUnread();
    },

    async MarkConversationMessageAsRead(ctx, id: unknown) {
      const c = get(id);
      const store = s.db();
      // As upstream (openim-sdk-core markConversationMessageAsRead, open-im-server
      // MarkConversationAsRead): a single chat reports every message of the peer not yet marked
      // read here, even below the read seq (a reply raised it past them); groups send no seqs.
      const single = c.conversationType === SessionType.Single;
      const seqs = single ? store.messages.unreadFrom(c.conversationID, c.userID) : [];
      if (c.unreadCount === 0 && seqs.length === 0 && c.hasReadSeq >= c.maxSeq) return '';
      const hasReadSeq = Math.max(c.maxSeq, c.hasReadSeq, ...seqs);
      await online(s).post(
        '/msg/mark_conversation_as_read',
        { conversationID: c.conversationID, userID: s.userID, hasReadSeq, seqs },
        ctx.operationID,
      );
      const changes = new ConvChanges(s);
      store.tx(() => {
        if (single) store.messages.markRead(c.conversationID, c.userID, seqs, 0);
        const fresh = get(c.conversationID);
        fresh.hasReadSeq = Math.max(fresh.hasReadSeq, hasReadSeq);
        fresh.unreadCount = Math.max(0, fresh.maxSeq - fresh.hasReadSeq);
        changes.refreshLatest(fresh);
      });
      changes.changed(c.conversationID);
      changes.flush();
      return '';
    },

    async SetConversationDraft(_ctx, id: unknown, draftText: unknown) {
      const c = get(id);
      const text = requireString('draftText', draftText);
      const changes = new ConvChanges(s);
      c.draftText = text;
      c.draftTextTime = text ? Date.now() : 0;
      s.db().conversations.put(c);
      changes.changed(c.conversationID);
      changes.flush();
      return '';
    },

    async PinConversation(ctx, id: unknown, isPinned: unknown) {
      await setOnServer(ctx.operationID, id, { isPinned: bool('isPinned', isPinned) });
      return '';
    },

    async SetConversationRecvMessageOpt(ctx, id: unknown, opt: unknown) {
      const v = int('opt', opt);
      if (v < 0 || v > 2) throw argsError('opt must be 0, 1 or 2');
      await setOnServer(ctx.operationID, id, { recvMsgOpt: v });
      return '';
    },

    async SetConversationPrivateChat(ctx, id: unknown, isPrivate: unknown) {
      await setOnServer(ctx.operationID, id, { isPrivateChat: bool('isPrivate', isPrivate) });
      return '';
    },

    async SetConversationBurnDuration(ctx, id: unknown, burnDuration: unknown) {
      const v = int('burnDuration', burnDuration);
      if (v < 0) throw argsError('burnDuration must not be negative');
      await setOnServer(ctx.operationID, id, { burnDuration: v });
      return '';
    },

    async ResetConversationGroupAtType(ctx, id: unknown) {
      const c = get(id);
      if (c.groupAtType === 0) return '';
      await setOnServer(ctx.operationID, id, { groupAtType: 0 });
      return '';
    },

    async HideConversation(_ctx, id: unknown) {
      const c = get(id);
      const changes = new ConvChanges(s);
      s.db().conversations.setHidden(c.conversationID, true);
      changes.flush();
      return '';
    },

    async HideAllConversation() {
      const changes = new ConvChanges(s);
      s.db().conversations.setHidden(null, true);
      changes.flush();
      return '';
    },

    async ClearConversationAndDeleteAllMsg(ctx, id: unknown) {
      await wipe(ctx.operationID, id, false);
      return '';
    },

    async DeleteConversationAndDeleteAllMsg(ctx, id: unknown) {
      await wipe(ctx.operationID, id, true);
      return '';
    },
  };
}
