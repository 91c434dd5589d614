// Conversation changes collected during one operation and reported once at its end:
// OnNewConversation, OnConversationChanged, OnTotalUnreadMessageCountChanged.

import type { CoreSession } from '../core-session.ts';
import type { ConversationItem } from '../types.ts';

/**
 * Points latestMsg at the newest visible message (or clears it), without storing or reporting:
 * for the one writer that reports nothing (a history page, ingest.ts). Everyone else calls
 * ConvChanges.refreshLatest.
 */
export function pointAtLatest(s: CoreSession, c: ConversationItem): void {
  const latest = s.db().messages.latest(c.conversationID);
  c.latestMsg = latest ? JSON.stringify(latest) : '';
  c.latestMsgSendTime = latest ? latest.sendTime || latest.createTime : c.latestMsgSendTime;
}

/** Collects conversation changes during one operation and emits them once at the end. */
export class ConvChanges {
  readonly #s: CoreSession;
  readonly #created = new Map<string, true>();
  readonly #changed = new Set<string>();
  readonly #unreadBefore: number;

  constructor(s: CoreSession) {
    this.#s = s;
    this.#unreadBefore = s.db().conversations.totalUnread();
  }

  created(id: string): void {
    this.#created.set(id, true);
  }

  changed(id: string): void {
    this.#changed.add(id);
  }

  /**
   * After a change to a conversation's messages: points the row's latestMsg at its newest visible
   * message, stores the row, and reports it changed if its latest message moved. `reveal` (a
   * message was added) also shows a hidden conversation again, reported as new. Call inside the
   * transaction that changed the messages, with the row read in it.
   */
  refreshLatest(c: ConversationItem, reveal = false): void {
    const store = this.#s.db();
    const before = c.latestMsg;
    pointAtLatest(this.#s, c);
    const hidden = reveal && store.conversations.isHidden(c.conversationID);
    store.conversations.put(c, reveal ? false : undefined);
    if (hidden) this.created(c.conversationID);
    else if (before !== c.latestMsg) this.changed(c.conversationID);
  }

  flush(): void {
    const store = this.#s.db().conversations;
    const pick = (ids: Iterable<string>) => [...ids].map((id) => store.get(id)).filter((c): c is ConversationItem => !!c && !store.isHidden(c.conversationID));
    const created = pick(this.#created.keys());
    const changed = pick([...this.#changed].filter((id) => !this.#created.has(id)));
    if (created.length) this.#s.emit('OnNewConversation', created);
    if (changed.length) this.#s.emit('OnConversationChanged', changed);
    const after = store.totalUnread();
    if (after !== this.#unreadBefore) this.#s.emit('OnTotalUnreadMessageCountChanged', after);
  }
}
