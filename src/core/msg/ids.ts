// Conversation IDs (docs/protocol.md "Conversation IDs") and client message IDs.

import { createHash, randomBytes } from 'node:crypto';
import { SessionType } from '../types.ts';

/** `si_<a>_<b>` (sorted), `sg_<groupID>`, `sn_<a>_<b>` (sorted). */
export function conversationIDOf(sessionType: number, selfID: string, peerOrGroupID: string): string {
  switch (sessionType) {
    case SessionType.Single:
      return 'si_' + [selfID, peerOrGroupID].sort().join('_');
    case SessionType.Group:
      return 'sg_' + peerOrGroupID;
    case SessionType.Notification:
      return 'sn_' + [selfID, peerOrGroupID].sort().join('_');
    default:
      throw new RangeError(`unsupported sessionType ${sessionType}`);
  }
}

/** The peer user or group of a conversation row. */
export function sourceOf(sessionType: number, conversationID: string, selfID: string): { userID: string; groupID: string } {
  if (sessionType === SessionType.Group) return { userID: '', groupID: conversationID.slice(3) };
  const rest = conversationID.slice(3);
  // IDs may contain '_': strip the self ID from whichever end it occupies.
  if (rest === `${selfID}_${selfID}`) return { userID: selfID, groupID: '' };
  if (rest.startsWith(selfID + '_')) return { userID: rest.slice(selfID.length + 1), groupID: '' };
  if (rest.endsWith('_' + selfID)) return { userID: rest.slice(0, rest.length - selfID.length - 1), groupID: '' };
  return { userID: rest, groupID: '' };
}

/** 32 hex chars, like OpenIM's md5-based IDs. */
export function newClientMsgID(userID: string): string {
  return createHash('md5').update(`${Date.now()}-${userID}-`).update(randomBytes(16)).digest('hex');
}
