// Stores messages that came from the server (push, catch-up, first sync, history) exactly once
// per clientMsgID, keeps their conversation row in step, and reports what is new.

import type { SdkWsProto } from '@openim/protocol';
import { msgDataToItem } from '../msg/convert.ts';
import type { CoreSession } from '../core-session.ts';
import { ContentType, MsgStatus, type MessageItem } from '../types.ts';
import { ConvChanges, pointAtLatest } from './conv-changes.ts';
import { ensureConversation } from './conversations.ts';

/**
 * push / catchup: new messages are reported (OnRecvNewMessages) and counted unread; so is the
 * server's first copy of a message this core sent (its echo), tagged with the message as
 * `origin`: the session's other tabs see it as another device of the user would, the tab that
 * sent it does not (src/supervisor/own-sends.ts);
 * initial: the first sync's last message per conversation (not "new", unread comes from 1006);
 * history: older pages pulled on demand (no callbacks at all).
 */
export type IngestMode = 'push' | 'catchup' | 'initial' | 'history';

/** A status-4 placeholder may carry no clientMsgID; key it by position so it is stored once. */
function placeholderID(conversationID: string, seq: number): string {
  return `~deleted:${conversationID}:${seq}`;
}

function countsUnread(d: SdkWsProto.MsgData, selfID: string): boolean {
  if (d.sendID === selfID || d.contentType === ContentType.Typing) return false;
  if (d.status >= MsgStatus.Deleted) return false;
  const opt = d.options ?? {};
  return opt.unreadCount !== false;
}

/**
 * groupAtType after an @ message, per message like the server's own mark (which arrives as a
 * 1300 and must agree): 3 @all naming me, 2 @all, 1 @me; unchanged when neither.
 */
function atTypeOf(m: MessageItem, selfID: string, current: number): number {
  const list = (m.atTextElem as { atUserList?: unknown } | undefined)?.atUserList;
  const ids = Array.isArray(list) ? list : [];
  const me = ids.includes(selfID);
  const all = ids.includes('AtAllTag');
  return me && all ? 3 : all ? 2 : me ? 1 : current;
}

export interface IngestResult {
  readonly fresh: MessageItem[];
}

/**
 * `collector`: the caller's ConvChanges, which the caller reports once for many conversations
 * (the first sync); without one, this batch's conversation changes are reported at its end.
 */
export async function ingest(
  s: CoreSession,
  conversationID: string,
  batch: readonly SdkWsProto.MsgData[],
  mode: IngestMode,
  operationID: string,
  collector?: ConvChanges,
): Promise<IngestResult> {
  const fresh: MessageItem[] = [];
  /** What is reported, in seq order: new messages, and echoes of our own sends (with origin). */
  const reports: Array<{ readonly item: MessageItem; readonly origin?: string }> = [];
  if (batch.length === 0) return { fresh };
  const changes = collector ?? new ConvChanges(s);
  const items = batch.map((d) => {
    const item = msgDataToItem(d, s.userID);
    if (!item.clientMsgID) item.clientMsgID = placeholderID(conversationID, d.seq);
    return { d, item };
  });
  const visible = items.filter((x) => x.item.status < MsgStatus.Deleted);
  const hint = visible.find((x) => x.item.sendID !== s.userID)?.item ?? visible[0]?.item;
  if (mode !== 'history') await ensureConversation(s, conversationID, changes, operationID, hint);
  const store = s.db();
  store.tx(() => {
    // Re-read inside the transaction: another task may have changed the row while we awaited.
    const conv = store.conversations.get(conversationID);
    let convTouched = false;
    for (const { d, item } of items) {
      const old = store.messages.get(item.clientMsgID);
      if (old) {
        // Our own send (the echo) or a duplicate: merge the server's fields, report nothing.
        if (old.status >= MsgStatus.Deleted) continue;
        // The server has it, so it was sent, whatever this device last knew (sending, failed).
        const merged: MessageItem = {
          ...old,
          seq: item.seq || old.seq,
          serverMsgID: item.serverMsgID || old.serverMsgID,
          sendTime: item.sendTime || old.sendTime,
          status: item.status === MsgStatus.Deleted ? MsgStatus.Deleted : MsgStatus.Success,
          isRead: old.isRead || item.isRead,
        };
        if (item.contentType !== old.contentType && item.contentType === ContentType.Revoke) Object.assign(merged, { contentType: item.contentType, content: item.content, notificationElem: item.notificationElem });
        store.messages.put(conversationID, merged);
        convTouched = true;
        // The first server copy of our own send (it had no seq yet): news for the other tabs. (A
        // first sync that stores it as a last message leaves it to its push: syncer.ts.)
        if ((mode === 'push' || mode === 'catchup') && !old.seq && merged.seq > 0 && old.sendID === s.userID && merged.status < MsgStatus.Deleted) {
          reports.push({ item: merged, origin: merged.clientMsgID });
        }
      } else {
        store.messages.put(conversationID, item);
        if (item.status >= MsgStatus.Deleted) continue;
        convTouched = true;
        if (mode === 'push' || mode === 'catchup') {
          fresh.push(item);
          reports.push({ item });
          if (conv && countsUnread(d, s.userID)) {
            conv.unreadCount += 1;
            if (item.contentType === ContentType.AtText) conv.groupAtType = atTypeOf(item, s.userID, conv.groupAtType);
          }
        }
      }
      if (conv && item.seq > 0) {
        conv.maxSeq = Math.max(conv.maxSeq, item.seq);
        if (item.sendID === s.userID) conv.hasReadSeq = Math.max(conv.hasReadSeq, item.seq);
      }
    }
    // The synced mark moves in the same transaction as the messages: a crash cannot leave
    // stored messages behind an old mark, nor a mark ahead of missing messages.
    const top = items.reduce((m, x) => Math.max(m, x.item.seq), 0);
    if (mode !== 'history' && top > 0) store.seqs.advance(conversationID, top);
    if (conv && convTouched) {
      // Sending reads the conversation up to that seq (the server does the same for the sender).
      conv.unreadCount = Math.min(conv.unreadCount, Math.max(0, conv.maxSeq - conv.hasReadSeq));
      if (mode === 'history') {
        pointAtLatest(s, conv);
        store.conversations.put(conv);
      } else {
        // Only a new message brings a hidden conversation back into the list.
        changes.refreshLatest(conv, fresh.length > 0);
        if (fresh.length) changes.changed(conversationID);
      }
    }
  });
  // Runs of plain new messages go out as one callback; each echo alone, as only its origin differs.
  for (let i = 0; i < reports.length; ) {
    const origin = reports[i]!.origin;
    let j = i + 1;
    if (origin === undefined) while (j < reports.length && reports[j]!.origin === undefined) j++;
    const items = reports.slice(i, j).map((r) => r.item);
    if (origin === undefined) s.emit('OnRecvNewMessages', items);
    else s.emit('OnRecvNewMessages', items, 0, '', origin);
    i = j;
  }
  if (!collector) changes.flush();
  return { fresh };
}
