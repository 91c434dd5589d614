// Conversation changes collected during one operation and reported once at its end:
// OnNewConversation, OnConversationChanged, OnTotalUnreadMessageCountChanged.

import type { CoreSession } from '../core-session.ts';
import type { ConversationItem } from '../types.ts';

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
