// Group read receipts: a 2200 in a group's n_ stream says which seqs another member read. The
// messages among them that this user sent count that member in their
// attachedInfoElem.groupHasReadInfo, and OnRecvGroupReadReceipt reports them (the design of
// openim-sdk-core v3.5.1 read_drawing.go, which left it commented out; payload as its
// MessageReceipt, the same shape as OnRecvC2CReadReceipt).

import { addGroupReader, attachedInfoOf, withAttachedInfo } from '../msg/attached-info.ts';
import type { CoreSession } from '../core-session.ts';
import { ContentType, MsgStatus, SessionType } from '../types.ts';
import { ConvChanges } from './conv-changes.ts';

export function onGroupReadReceipt(s: CoreSession, conversationID: string, reader: string, seqs: readonly number[], readTime: number): void {
  const store = s.db();
  const c = store.conversations.get(conversationID);
  if (!c || seqs.length === 0) return;
  const members = store.groups.group(c.groupID)?.memberCount ?? 0;
  const changes = new ConvChanges(s);
  const counted = store.tx(() => {
    const ids: string[] = [];
    for (const seq of seqs) {
      const m = store.messages.getBySeq(conversationID, seq);
      // Only this user's own chat messages count readers (not notifications, not tombstones).
      if (!m || m.sendID !== s.userID || m.status >= MsgStatus.Deleted || m.contentType >= 1000) continue;
      const elem = attachedInfoOf(m);
      if (!addGroupReader(elem, reader, members, readTime)) continue;
      store.messages.put(conversationID, withAttachedInfo(m, elem));
      ids.push(m.clientMsgID);
    }
    if (ids.length) changes.refreshLatest(c);
    return ids;
  });
  if (counted.length === 0) return;
  s.emit('OnRecvGroupReadReceipt', [
    { userID: reader, groupID: c.groupID, msgIDList: counted, readTime, msgFrom: 100, contentType: ContentType.HasReadReceipt, sessionType: SessionType.Group },
  ]);
  changes.flush();
}
