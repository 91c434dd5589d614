// Conversation IDs (open-im-server pkg/msgprocessor/conversation.go):
// si_ single, sg_ group, sn_ notification account, and the n_ notification twin of each.

export const SESSION_SINGLE = 1;
export const SESSION_GROUP = 3;
export const SESSION_NOTIFICATION = 4;

function sortedPair(a: string, b: string): string {
  return [a, b].sort().join('_');
}

/** The conversation a message belongs to; `notification` selects the n_ stream. */
export function conversationIdOf(m: { sessionType: number; sendID: string; recvID: string; groupID: string }, notification: boolean): string {
  switch (m.sessionType) {
    case SESSION_SINGLE:
      return (notification ? 'n_' : 'si_') + sortedPair(m.sendID, m.recvID);
    case SESSION_GROUP:
      return (notification ? 'n_' : 'sg_') + m.groupID;
    case SESSION_NOTIFICATION:
      return (notification ? 'n_' : 'sn_') + sortedPair(m.sendID, m.recvID);
    default:
      return '';
  }
}

export function isNotificationId(conversationID: string): boolean {
  return conversationID.startsWith('n_');
}

/** The n_ twin of a chat conversation ID. */
export function notificationTwin(conversationID: string): string {
  const i = conversationID.indexOf('_');
  return 'n_' + conversationID.slice(i + 1);
}

export function selfNotificationId(userID: string): string {
  return `n_${userID}_${userID}`;
}
