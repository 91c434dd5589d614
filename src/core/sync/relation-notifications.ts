// Friend (1201–1210) and group (1501–1520) notifications (openim-server-protocol.md §3.3, §3.7).
// They are online-only, so they are hints: a list whose tips carry its next version
// (friendVersion / groupMemberVersion) and the changed rows is updated in place; any other
// case syncs the list incrementally, whose deltas emit the callbacks. Requests are re-listed.
// A group's info travels with its member log (the server bumps it for every change of the group
// row): the snapshot in group tips is as new as their groupMemberVersion, so it is applied only
// with the member log's next version, and tips at or below the stored version are old news.

import type { SdkWsProto } from '@openim/protocol';
import type { CoreSession } from '../core-session.ts';
import { GroupStatus, type GroupItem, type GroupMemberItem } from '../types.ts';
import { toGroup, toMember } from './relation-convert.ts';
import {
  applyGroupInfo,
  blackList,
  friendList,
  MEMBERS_TABLE,
  memberList,
  reportDismissed,
  syncBlacks,
  syncFriendRequests,
  syncGroupRequests,
  syncGroups,
  syncMembers,
} from './relations.ts';
import { applyDelta, applyOrSync, type Delta } from './version-sync.ts';
import { fetchUsers } from './users.ts';
import { asNumber as num, asObject as obj, asString as str, type JsonObject as Tips } from '../loose.ts';

const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

export const FriendNotif = {
  Approved: 1201,
  Rejected: 1202,
  Application: 1203,
  Added: 1204,
  Deleted: 1205,
  RemarkSet: 1206,
  BlackAdded: 1207,
  BlackDeleted: 1208,
  InfoUpdated: 1209,
  InfosUpdate: 1210,
} as const;

export const GroupNotif = {
  Created: 1501,
  InfoSet: 1502,
  JoinApplication: 1503,
  MemberQuit: 1504,
  ApplicationAccepted: 1505,
  ApplicationRejected: 1506,
  OwnerTransferred: 1507,
  MemberKicked: 1508,
  MemberInvited: 1509,
  MemberEnter: 1510,
  Dismissed: 1511,
  MemberMuted: 1512,
  MemberCancelMuted: 1513,
  Muted: 1514,
  CancelMuted: 1515,
  MemberInfoSet: 1516,
  SetToAdmin: 1517,
  SetToOrdinary: 1518,
  Announcement: 1519,
  NameSet: 1520,
} as const;

export function isRelationNotification(contentType: number): boolean {
  return (contentType > 1200 && contentType < 1299) || (contentType > 1500 && contentType < 1599);
}

export async function handleRelationNotification(s: CoreSession, d: SdkWsProto.MsgData, tips: Tips, op: string): Promise<void> {
  if (!s.rest) return;
  if (d.contentType < 1300) return onFriendNotification(s, d.contentType, tips, op);
  return onGroupNotification(s, d, tips, op);
}

async function onFriendNotification(s: CoreSession, contentType: number, tips: Tips, op: string): Promise<void> {
  const fromTo = obj(tips.fromToUserID);
  const from = str(fromTo.fromUserID);
  const to = str(fromTo.toUserID);
  const version = { versionID: str(tips.friendVersionID), version: num(tips.friendVersion) };
  switch (contentType) {
    case FriendNotif.Application:
    case FriendNotif.Rejected:
      return syncFriendRequests(s, op);
    case FriendNotif.Approved:
      await syncFriendRequests(s, op);
      await applyOrSync(s, friendList(s), version, null, op);
      return;
    case FriendNotif.Deleted: {
      // The owner's list lost `to`: in place when it is this user's list at the next version.
      const delta = from === s.userID ? { upserts: [], deletes: [to] } : null;
      await applyOrSync(s, friendList(s), version, delta, op);
      return;
    }
    case FriendNotif.Added: {
      const f = tips.friend ? friendList(s).convert(tips.friend) : null;
      await applyOrSync(s, friendList(s), version, f?.userID ? { upserts: [f], deletes: [] } : null, op);
      return;
    }
    case FriendNotif.RemarkSet:
    case FriendNotif.InfosUpdate:
      await applyOrSync(s, friendList(s), version, null, op);
      return;
    case FriendNotif.InfoUpdated: {
      // A friend changed their profile (UserInfoUpdatedTips {userID} + this owner's friend
      // version): the cached profile, and the friend row by version sync.
      const changed = str(tips.userID) || from;
      if (changed && changed !== s.userID) await fetchUsers(s, [changed], op);
      await applyOrSync(s, friendList(s), version, null, op);
      return;
    }
    case FriendNotif.BlackAdded:
    case FriendNotif.BlackDeleted: {
      // Only the owner's list changes; the other side learns nothing from its own lists.
      if (from !== s.userID) return;
      const delta = contentType === FriendNotif.BlackDeleted ? { upserts: [], deletes: [to] } : null;
      const bv = { versionID: str(tips.blackVersionID), version: num(tips.blackVersion) };
      if (bv.versionID) await applyOrSync(s, blackList(s), bv, delta, op);
      else await syncBlacks(s, op);
      return;
    }
    default:
      return;
  }
}

/** The rows a group notification carries for the member list, or null when it carries none. */
function memberDelta(contentType: number, tips: Tips, selfID: string): Delta<GroupMemberItem> | null {
  const members = (v: unknown) => list(v).map(toMember).filter((m) => m.userID);
  const one = (v: unknown) => (v && typeof v === 'object' ? members([v]) : []);
  switch (contentType) {
    case GroupNotif.MemberQuit:
      return { upserts: [], deletes: one(tips.quitUser).map((m) => m.userID) };
    case GroupNotif.MemberKicked:
      return { upserts: [], deletes: members(tips.kickedUserList).map((m) => m.userID) };
    case GroupNotif.MemberInvited:
      return { upserts: members(tips.invitedUserList), deletes: [] };
    case GroupNotif.MemberEnter:
      return { upserts: one(tips.entrantUser), deletes: [] };
    case GroupNotif.MemberMuted:
    case GroupNotif.MemberCancelMuted:
      return { upserts: one(tips.mutedUser), deletes: [] };
    case GroupNotif.MemberInfoSet:
    case GroupNotif.SetToAdmin:
    case GroupNotif.SetToOrdinary:
      return { upserts: one(tips.changedUser), deletes: [] };
    case GroupNotif.InfoSet:
    case GroupNotif.Muted:
    case GroupNotif.CancelMuted:
    case GroupNotif.Announcement:
    case GroupNotif.NameSet:
      // Only the group row changed: its version step holds no member.
      return { upserts: [], deletes: [] };
    default:
      // OwnerTransferred and the rest: the tips do not carry every changed row; sync instead.
      void selfID;
      return null;
  }
}

async function onGroupNotification(s: CoreSession, d: SdkWsProto.MsgData, tips: Tips, op: string): Promise<void> {
  const group = tips.group && typeof tips.group === 'object' ? toGroup(tips.group) : null;
  const groupID = group?.groupID || str(tips.groupID) || d.groupID;
  const store = s.db();
  switch (d.contentType) {
    case GroupNotif.JoinApplication:
    case GroupNotif.ApplicationRejected:
      return syncGroupRequests(s, op);
    case GroupNotif.ApplicationAccepted:
      await syncGroupRequests(s, op);
      await syncGroups(s, op, groupID ? [groupID] : []);
      return;
    case GroupNotif.Dismissed: {
      const before = groupID ? store.groups.group(groupID) : undefined;
      if (before?.status === GroupStatus.Dismissed) return;
      const dismissed = { ...(before ?? group!), ...(group ?? {}), status: GroupStatus.Dismissed };
      // Stored dismissed first, so the sync below finds no change to report a second time.
      if (before) store.groups.putGroup(dismissed);
      if (before || group) reportDismissed(s, dismissed);
      await syncGroups(s, op);
      return;
    }
    default:
      break;
  }
  const wasMember = !!(groupID && store.groups.group(groupID));
  const delta = memberDelta(d.contentType, tips, s.userID);
  // This user's own membership changed (or is unknown here): the joined-group list first.
  const selfJoined = d.contentType === GroupNotif.MemberInvited || d.contentType === GroupNotif.MemberEnter;
  const selfAffected =
    d.contentType === GroupNotif.Created ||
    !wasMember ||
    !!delta?.deletes.includes(s.userID) ||
    (selfJoined && !!delta?.upserts.some((m) => m.userID === s.userID));
  if (selfAffected) await syncGroups(s, op);
  if (!groupID || !store.groups.group(groupID)) return;
  // Not a member before: the member sync brings the members and the group's info.
  if (!wasMember) {
    await syncMembers(s, op, [groupID]);
    return;
  }
  await applyGroupTips(s, groupID, group, delta, { versionID: str(tips.groupMemberVersionID), version: num(tips.groupMemberVersion) }, op);
}

/**
 * The member rows and group snapshot of group tips, by their member-log version (upstream's rule,
 * openim-sdk-core internal/group/incremental_sync.go onlineSyncGroupAndMember → CheckVersionSync):
 * the next version of the stored log is applied in place, with no request; a version at or below
 * the stored one is already reflected here, so neither its rows nor its (older) snapshot are
 * applied or reported; a gap or another log syncs the members, whose answer carries the group.
 */
async function applyGroupTips(
  s: CoreSession,
  groupID: string,
  group: GroupItem | null,
  delta: Delta<GroupMemberItem> | null,
  version: { versionID: string; version: number },
  op: string,
): Promise<void> {
  const store = s.db();
  const local = store.seqs.version(MEMBERS_TABLE, groupID);
  const sameLog = !!version.versionID && local.versionID === version.versionID && store.seqs.hasVersion(MEMBERS_TABLE, groupID);
  if (sameLog && version.version <= local.version) return;
  if (sameLog && delta && version.version === local.version + 1) {
    if (group) applyGroupInfo(s, group);
    for (const emit of applyDelta(s, memberList(s, groupID), delta, version, true)) emit();
    return;
  }
  await syncMembers(s, op, [groupID]);
}
