// Conversation settings by version sync (openim-server-protocol.md §4.3): ask for the changes
// since the stored {versionID, version}; `full` (first sync, or the server's log was cut) means
// fetch the whole list. The version is stored only after the changes are applied.

import type { CoreSession } from '../core-session.ts';
import { ConvChanges } from './conv-changes.ts';
import { applyServerSettings, ensureConversation, type ServerConversation } from './conversations.ts';

const CONVERSATIONS_TABLE = 'conversations';

interface IncrementalResp {
  version?: number;
  versionID?: string;
  full?: boolean;
  delete?: string[] | null;
  insert?: ServerConversation[] | null;
  update?: ServerConversation[] | null;
}

async function apply(s: CoreSession, list: readonly ServerConversation[], changes: ConvChanges, op: string): Promise<void> {
  const store = s.db();
  for (const sc of list) {
    if (!sc.conversationID || sc.conversationID.startsWith('n_')) continue;
    const c = await ensureConversation(s, sc.conversationID, changes, op);
    const fresh = store.conversations.get(c.conversationID) ?? c;
    if (applyServerSettings(fresh, sc)) {
      store.conversations.put(fresh);
      changes.changed(fresh.conversationID);
    }
  }
}

/** Brings local conversation settings up to the server's; returns how the sync went. */
export async function syncConversations(s: CoreSession, changes: ConvChanges, op: string): Promise<'full' | 'incremental' | 'unchanged'> {
  const rest = s.rest!;
  const local = s.db().seqs.version(CONVERSATIONS_TABLE, s.userID);
  const inc = await rest.post<IncrementalResp>(
    '/conversation/get_incremental_conversations',
    { userID: s.userID, versionID: local.versionID, version: local.version },
    op,
  );
  let how: 'full' | 'incremental' | 'unchanged';
  if (inc?.full || !local.versionID) {
    const all = await rest.post<{ conversations?: ServerConversation[] | null }>('/conversation/get_all_conversations', { ownerUserID: s.userID }, op);
    await apply(s, all?.conversations ?? [], changes, op);
    how = 'full';
  } else {
    const list = [...(inc?.insert ?? []), ...(inc?.update ?? [])];
    // A conversation deleted on the server keeps its local history; it only leaves the list.
    for (const id of inc?.delete ?? []) {
      if (s.db().conversations.get(id)) s.db().conversations.setHidden(id, true);
    }
    await apply(s, list, changes, op);
    how = list.length || inc?.delete?.length ? 'incremental' : 'unchanged';
  }
  if (inc && typeof inc.versionID === 'string' && typeof inc.version === 'number') {
    s.db().seqs.setVersion(CONVERSATIONS_TABLE, s.userID, inc.versionID, inc.version);
  }
  return how;
}
