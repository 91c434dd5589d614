// Rules a user message must pass before it is stored (open-im-server internal/rpc/msg/verify.go),
// and the @ marks a group message leaves on its members' conversations (msg setConversationAtInfo).

import type { MsgData } from './codec.ts';
import { SESSION_SINGLE } from './convid.ts';
import { ImCode, imError } from './errs.ts';
import type { Friends } from './friends.ts';
import { GROUP_DISMISSED, GROUP_MUTED, ROLE_ADMIN, ROLE_OWNER, type Groups } from './groups.ts';

export const CT_AT_TEXT = 106;
/** The atUserIDList entry that means everyone (constant.AtAllString). */
const AT_ALL = 'AtAllTag';
// Conversation.groupAtType
const AT_ME = 1;
const AT_ALL_ONLY = 2;
const AT_ALL_AT_ME = 3;

/** GroupDismissedNotification: the one message a dismissed group still takes. */
const CT_GROUP_DISMISSED = 1511;
const NOTIFICATION_BEGIN = 1000;
const NOTIFICATION_END = 5000;

/**
 * Blocked senders (1302); for groups a missing group (1201), a dismissed one (1204), a
 * non-member (1203), a muted member (1402) and a muted group (1403, owner and admins exempt).
 * App admins and notification content types skip all but the group's existence and dismissal.
 */
export function verifySend(m: MsgData, now: number, groups: Groups, friends: Friends, admins: ReadonlySet<string>): void {
  const exempt = admins.has(m.sendID) || (m.contentType >= NOTIFICATION_BEGIN && m.contentType <= NOTIFICATION_END);
  if (m.sessionType === SESSION_SINGLE) {
    if (!exempt && friends.isBlack(m.recvID, m.sendID)) throw imError(ImCode.BlockedByPeer, `${m.recvID} has blocked ${m.sendID}`);
    return;
  }
  const g = groups.get(m.groupID);
  if (!g) throw imError(ImCode.GroupIDNotFound, `group ${m.groupID} not found`);
  if (g.status === GROUP_DISMISSED && m.contentType !== CT_GROUP_DISMISSED) throw imError(ImCode.DismissedAlready, `group ${m.groupID} is dismissed`);
  if (exempt) return;
  const member = groups.member(m.groupID, m.sendID);
  if (!member) throw imError(ImCode.NotInGroupYet, `${m.sendID} is not in group ${m.groupID}`);
  if (member.roleLevel === ROLE_OWNER) return;
  if (member.muteEndTime >= now) throw imError(ImCode.MutedInGroup, `${m.sendID} is muted in group ${m.groupID}`);
  if (g.status === GROUP_MUTED && member.roleLevel !== ROLE_ADMIN) throw imError(ImCode.MutedGroup, `group ${m.groupID} is muted`);
}

/**
 * The groupAtType each member gets from an @ message: 1 (@me) for the named members; with
 * "AtAllTag", 2 (@all) for every other member and 3 (@all and @me) for those also named. The
 * sender is never marked.
 */
export function atMarks(m: MsgData, memberIDs: readonly string[]): Map<string, number> {
  const members = memberIDs.filter((u) => u !== m.sendID);
  const named = new Set(m.atUserIDList.filter((u) => u !== AT_ALL));
  const marks = new Map<string, number>();
  if (m.atUserIDList.includes(AT_ALL)) {
    for (const u of members) marks.set(u, named.has(u) ? AT_ALL_AT_ME : AT_ALL_ONLY);
  } else {
    for (const u of members) if (named.has(u)) marks.set(u, AT_ME);
  }
  return marks;
}
