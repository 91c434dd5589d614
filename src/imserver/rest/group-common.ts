// What the /group/* route files share: looking up the group and the operator's role, joining
// and leaving (with the member's conversation window), and sending group notifications.

import { conversationIdOf, SESSION_GROUP, SESSION_SINGLE } from '../convid.ts';
import { ImCode, imError } from '../errs.ts';
import { GROUP_DISMISSED, memberListKey, ROLE_ADMIN, ROLE_MEMBER, ROLE_OWNER, type GroupInfo, type GroupMember } from '../groups.ts';
import type { Deliver } from '../msg-kinds.ts';
import { required, str, type Body } from './body.ts';
import type { RouteRequest } from './router.ts';

// contentType (constant.go)
export const CT_GROUP_CREATED = 1501;
export const CT_GROUP_INFO_SET = 1502;
export const CT_JOIN_GROUP_APPLICATION = 1503;
export const CT_MEMBER_QUIT = 1504;
export const CT_GROUP_APPLICATION_ACCEPTED = 1505;
export const CT_GROUP_APPLICATION_REJECTED = 1506;
export const CT_GROUP_OWNER_TRANSFERRED = 1507;
export const CT_MEMBER_KICKED = 1508;
export const CT_MEMBER_INVITED = 1509;
export const CT_MEMBER_ENTER = 1510;
export const CT_GROUP_DISMISSED = 1511;
export const CT_GROUP_MEMBER_MUTED = 1512;
export const CT_GROUP_MEMBER_CANCEL_MUTED = 1513;
export const CT_GROUP_MUTED = 1514;
export const CT_GROUP_CANCEL_MUTED = 1515;
export const CT_GROUP_MEMBER_INFO_SET = 1516;
export const CT_GROUP_MEMBER_SET_TO_ADMIN = 1517;
export const CT_GROUP_MEMBER_SET_TO_ORDINARY = 1518;
export const CT_GROUP_INFO_SET_ANNOUNCEMENT = 1519;
export const CT_GROUP_INFO_SET_NAME = 1520;

/** config/notification.yml isSendMsg for each group notification (docs/protocol.md "Notifications"). */
const STORED = new Set([
  CT_GROUP_CREATED,
  CT_MEMBER_QUIT,
  CT_GROUP_OWNER_TRANSFERRED,
  CT_MEMBER_KICKED,
  CT_MEMBER_INVITED,
  CT_MEMBER_ENTER,
  CT_GROUP_DISMISSED,
  CT_GROUP_MEMBER_MUTED,
  CT_GROUP_MEMBER_CANCEL_MUTED,
  CT_GROUP_MUTED,
  CT_GROUP_CANCEL_MUTED,
  CT_GROUP_INFO_SET_ANNOUNCEMENT,
  CT_GROUP_INFO_SET_NAME,
]);

export const AGREE = 1;
export const REFUSE = -1;

export function groupIdOf(b: Body): string {
  return required(str(b, 'groupID'), 'groupID');
}

export function groupOf(req: RouteRequest, groupID: string): GroupInfo {
  const g = req.im.groups.get(groupID);
  if (!g) throw imError(ImCode.GroupIDNotFound, `group ${groupID} not found`);
  return g;
}

export function notDismissed(g: GroupInfo): void {
  if (g.status === GROUP_DISMISSED) throw imError(ImCode.DismissedAlready, `group ${g.groupID} is dismissed`);
}

export function memberOrFail(req: RouteRequest, groupID: string, userID: string): GroupMember {
  const m = req.im.groups.member(groupID, userID);
  if (!m) throw imError(ImCode.NotInGroupYet, `${userID} is not in group ${groupID}`);
  return m;
}

/**
 * The operator as a member. An app admin who is not a member acts with more than owner rights,
 * as upstream's IsAppManagerUid checks; its opUser in tips is a synthetic admin entry.
 */
export function operator(req: RouteRequest, groupID: string): GroupMember & { rank: number } {
  const m = req.im.groups.member(groupID, req.userID);
  if (m) return { ...m, rank: req.isAdmin ? ROLE_OWNER + 1 : m.roleLevel };
  if (!req.isAdmin) throw imError(ImCode.NotInGroupYet, `${req.userID} is not in group ${groupID}`);
  const u = req.im.users.get(req.userID);
  return {
    groupID,
    userID: req.userID,
    roleLevel: ROLE_ADMIN,
    joinTime: 0,
    nickname: u?.nickname ?? '',
    faceURL: u?.faceURL ?? '',
    appMangerLevel: u?.appMangerLevel ?? 0,
    joinSource: 0,
    operatorUserID: '',
    ex: '',
    muteEndTime: 0,
    inviterUserID: '',
    rank: ROLE_OWNER + 1,
  };
}

/** The operator, who must be the owner or an admin of the group (or an app admin). */
export function manager(req: RouteRequest, groupID: string): GroupMember & { rank: number } {
  const op = operator(req, groupID);
  if (op.rank < ROLE_ADMIN) throw imError(ImCode.NoPermission, `${req.userID} is not an owner or admin of ${groupID}`);
  return op;
}

export function memberVersion(req: RouteRequest, groupID: string): { groupMemberVersion: number; groupMemberVersionID: string } {
  const v = req.im.versions.current(memberListKey(groupID));
  return { groupMemberVersion: v.version, groupMemberVersionID: v.versionID };
}

/** A group notification from the operator to the group: members, plus `alsoTo`. */
export function notifyGroup(req: RouteRequest, groupID: string, contentType: number, tips: unknown, alsoTo: readonly string[] = []): Deliver {
  return req.im.sender.relationNotify({
    sendID: req.userID,
    recvID: groupID,
    sessionType: SESSION_GROUP,
    contentType,
    tips,
    isSendMsg: STORED.has(contentType),
    alsoTo,
  });
}

/** A group notification addressed to single users (applications): one copy each, no sender echo. */
export function notifyUsers(req: RouteRequest, from: string, to: readonly string[], contentType: number, tips: (to: string) => unknown): Deliver {
  const all = [...new Set(to)].map((u) =>
    req.im.sender.relationNotify({ sendID: from, recvID: u, sessionType: SESSION_SINGLE, contentType, tips: tips(u), isSendMsg: false, senderSync: false }),
  );
  return (op) => {
    for (const d of all) d(op);
  };
}

function groupConversation(groupID: string): string {
  return conversationIdOf({ sessionType: SESSION_GROUP, sendID: '', recvID: '', groupID }, false);
}

/**
 * Add a member. Its conversation document starts after the group's current last seq, so a new
 * (or returning) member reads from its joining on, is no longer capped if it returns, and does
 * not count earlier messages as unread. (A choice: upstream's history visibility for new
 * members depends on its version and config.)
 */
export function join(
  req: RouteRequest,
  groupID: string,
  userID: string,
  m: { roleLevel?: number; joinSource: number; inviterUserID: string },
): void {
  req.im.groups.addMember(groupID, userID, { roleLevel: m.roleLevel ?? ROLE_MEMBER, joinSource: m.joinSource, operatorUserID: req.userID, inviterUserID: m.inviterUserID });
  const convID = groupConversation(groupID);
  const { maxSeq } = req.im.msgs.seqInfo(convID);
  const existed = !req.im.convs.ensure(userID, convID, SESSION_GROUP, '', groupID);
  if (maxSeq > 0 || existed) req.im.convs.patch(userID, convID, { minSeq: maxSeq + 1, maxSeq: 0 });
  // What was said before the member joined is not unread for it.
  req.im.convs.setHasReadSeq(userID, convID, maxSeq, true);
}

/** Remove a member; call `capLeavers` after its notice is stored so it still reads up to that notice. */
export function leave(req: RouteRequest, groupID: string, userID: string): void {
  req.im.groups.removeMember(groupID, userID);
}

export function capLeavers(req: RouteRequest, groupID: string, userIDs: readonly string[]): void {
  const convID = groupConversation(groupID);
  const { maxSeq } = req.im.msgs.seqInfo(convID);
  for (const u of userIDs) if (req.im.convs.get(u, convID)) req.im.convs.patch(u, convID, { maxSeq: Math.max(maxSeq, 1) });
}
