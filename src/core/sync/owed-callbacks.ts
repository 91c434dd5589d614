// What a notification that arrived while a sync ran (sync-window.ts) still owes once it has been
// handled: the callback it stands for, for each row it names that the sync loaded silently and
// that no callback has reported since. Only additions and changes are owed; a row removed again
// before the sync loaded it was never shown to the app, so its removal is not news (upstream's
// notification handlers likewise report only what differs from the local lists).

import type { SdkWsProto } from '@openim/protocol';
import type { CoreSession } from '../core-session.ts';
import { ContentType } from '../types.ts';
import { FriendNotif, GroupNotif } from './relation-notifications.ts';
import {
  BLACKS_TABLE,
  blackList,
  FRIEND_REQUEST_EVENTS,
  FRIEND_REQUESTS_TABLE,
  FRIENDS_TABLE,
  friendList,
  GROUP_REQUEST_EVENTS,
  GROUP_REQUESTS_TABLE,
  groupList,
  groupRequestKey,
  GROUPS_TABLE,
  MEMBERS_TABLE,
  memberList,
} from './relations.ts';
import { listID, type ReportKind, type SyncWindow } from './sync-window.ts';
import { requestKey } from '../store/friends.ts';
import { selfList } from './users.ts';
import { asObject as obj, asString as str, type JsonObject as Tips } from '../loose.ts';

const ids = (v: unknown): string[] => (Array.isArray(v) ? v.map((u) => str(obj(u).userID) || str(u)).filter(Boolean) : []);

/** A callback a notification stands for: the row (by key) of a list, and what happened to it. */
interface Owed {
  readonly list: 'friends' | 'blacks' | 'groups' | 'members' | 'friendRequests' | 'groupRequests' | 'self';
  readonly key: string;
  readonly kind: ReportKind;
  /** The group, for members and group requests. */
  readonly groupID?: string;
}

function friendOwed(s: CoreSession, contentType: number, tips: Tips): Owed[] {
  const fromTo = obj(tips.fromToUserID);
  const from = str(fromTo.fromUserID);
  const to = str(fromTo.toUserID);
  const other = from === s.userID ? to : from;
  const request = { fromUserID: from, toUserID: to };
  switch (contentType) {
    case FriendNotif.Application:
      return [{ list: 'friendRequests', key: requestKey(request), kind: 'added' }];
    case FriendNotif.Rejected:
      return [{ list: 'friendRequests', key: requestKey(request), kind: 'rejected' }];
    case FriendNotif.Approved:
      return [
        { list: 'friendRequests', key: requestKey(request), kind: 'accepted' },
        { list: 'friends', key: other, kind: 'added' },
      ];
    case FriendNotif.Added:
      return [{ list: 'friends', key: other, kind: 'added' }];
    case FriendNotif.RemarkSet:
      return from === s.userID ? [{ list: 'friends', key: to, kind: 'changed' }] : [];
    case FriendNotif.InfoUpdated:
      return [{ list: 'friends', key: str(tips.userID) || from, kind: 'changed' }];
    case FriendNotif.InfosUpdate:
      return (Array.isArray(tips.friendIDs) ? tips.friendIDs.map(str) : []).map((key) => ({ list: 'friends', key, kind: 'changed' }) as const);
    case FriendNotif.BlackAdded:
      return from === s.userID ? [{ list: 'blacks', key: to, kind: 'added' }] : [];
    default:
      return [];
  }
}

function groupOwed(s: CoreSession, d: SdkWsProto.MsgData, tips: Tips): Owed[] {
  const groupID = str(obj(tips.group).groupID) || str(tips.groupID) || d.groupID;
  if (!groupID) return [];
  const joined: Owed = { list: 'groups', key: groupID, kind: 'added' };
  const info: Owed = { list: 'groups', key: groupID, kind: 'changed' };
  const members = (users: string[], kind: ReportKind): Owed[] => users.map((key) => ({ list: 'members', key, kind, groupID }));
  // This user joining: the group is news; its members come with it, as when it joins online.
  const joinedOr = (users: string[]): Owed[] => (users.includes(s.userID) ? [joined] : members(users, 'added'));
  // Application answers: receiverAs 0 goes to the applicant, 1 to the owner and admins.
  const toApplicant = Number(tips.receiverAs ?? 0) === 0;
  const request = (kind: ReportKind): Owed[] => {
    if (toApplicant) return [{ list: 'groupRequests', key: groupRequestKey({ groupID, userID: s.userID }), kind, groupID }];
    // To a manager the tips do not name the applicant: every request of the group so handled.
    const handled = kind === 'accepted' ? 1 : -1;
    return s
      .db()
      .groups.requests()
      .filter((r) => r.groupID === groupID && r.handleResult === handled && r.userID !== s.userID)
      .map((r) => ({ list: 'groupRequests', key: groupRequestKey(r), kind, groupID }));
  };
  switch (d.contentType) {
    case GroupNotif.Created:
      return [joined];
    case GroupNotif.InfoSet:
    case GroupNotif.Announcement:
    case GroupNotif.NameSet:
    case GroupNotif.Muted:
    case GroupNotif.CancelMuted:
      return [info];
    case GroupNotif.JoinApplication:
      return [{ list: 'groupRequests', key: groupRequestKey({ groupID, userID: str(obj(tips.applicant).userID) || d.sendID }), kind: 'added', groupID }];
    case GroupNotif.ApplicationAccepted:
      return [...request('accepted'), ...(toApplicant ? [joined] : [])];
    case GroupNotif.ApplicationRejected:
      return request('rejected');
    case GroupNotif.OwnerTransferred:
      return [info, ...members(ids([tips.newGroupOwner, tips.oldGroupOwner]), 'changed')];
    case GroupNotif.MemberInvited:
      return joinedOr(ids(tips.invitedUserList));
    case GroupNotif.MemberEnter:
      return joinedOr(ids([tips.entrantUser]));
    case GroupNotif.MemberMuted:
    case GroupNotif.MemberCancelMuted:
      return members(ids([tips.mutedUser]), 'changed');
    case GroupNotif.MemberInfoSet:
    case GroupNotif.SetToAdmin:
    case GroupNotif.SetToOrdinary:
      return members(ids([tips.changedUser]), 'changed');
    default:
      return [];
  }
}

function owedBy(s: CoreSession, d: SdkWsProto.MsgData, tips: Tips): Owed[] {
  if (d.contentType > 1200 && d.contentType < 1299) return friendOwed(s, d.contentType, tips);
  if (d.contentType > 1500 && d.contentType < 1599) return groupOwed(s, d, tips);
  if (d.contentType === ContentType.UserInfoUpdated && (!str(tips.userID) || str(tips.userID) === s.userID)) return [{ list: 'self', key: s.userID, kind: 'changed' }];
  // Conversation settings (1300) and the message streams' notices change what the sync reported
  // itself (a first sync lists every conversation with OnNewConversation): nothing is owed.
  return [];
}

function listOf(s: CoreSession, o: Owed): string {
  switch (o.list) {
    case 'friends':
      return listID(FRIENDS_TABLE, s.userID);
    case 'blacks':
      return listID(BLACKS_TABLE, s.userID);
    case 'groups':
      return listID(GROUPS_TABLE, s.userID);
    case 'members':
      return listID(MEMBERS_TABLE, o.groupID ?? '');
    case 'friendRequests':
      return listID(FRIEND_REQUESTS_TABLE, s.userID);
    case 'groupRequests':
      return listID(GROUP_REQUESTS_TABLE, s.userID);
    case 'self':
      return selfList(s);
  }
}

/** Emits the owed callback from the stored row; false when there is no row to report. */
function emitOwed(s: CoreSession, o: Owed): boolean {
  const store = s.db();
  const versioned = <T>(list: { get(key: string): T | undefined; added(t: T): void; changed(t: T, before: T): void }): boolean => {
    const row = list.get(o.key);
    if (!row) return false;
    if (o.kind === 'added') list.added(row);
    else list.changed(row, row);
    return true;
  };
  switch (o.list) {
    case 'friends':
      return versioned(friendList(s));
    case 'blacks':
      return versioned(blackList(s));
    case 'groups':
      return versioned(groupList(s));
    case 'members':
      return versioned(memberList(s, o.groupID ?? ''));
    case 'friendRequests': {
      const row = store.friends.requests().find((r) => requestKey(r) === o.key);
      if (row) s.emit(FRIEND_REQUEST_EVENTS[o.kind as 'added' | 'accepted' | 'rejected'], row);
      return !!row;
    }
    case 'groupRequests': {
      const row = store.groups.requests().find((r) => groupRequestKey(r) === o.key);
      if (row) s.emit(GROUP_REQUEST_EVENTS[o.kind as 'added' | 'accepted' | 'rejected'], row);
      return !!row;
    }
    case 'self': {
      const self = store.users.getSelf(s.userID);
      if (self) s.emit('OnSelfInfoUpdated', self);
      return !!self;
    }
  }
}

/**
 * After a notification that arrived while the window's sync ran has been handled: reports each
 * callback it stands for that the sync absorbed silently and nothing has reported since, once.
 */
export function settleOwed(s: CoreSession, w: SyncWindow, d: SdkWsProto.MsgData, tips: Tips | undefined): void {
  if (!tips) return;
  for (const o of owedBy(s, d, tips)) {
    const list = listOf(s, o);
    if (!o.key || !w.owes(list, o.key, o.kind)) continue;
    if (emitOwed(s, o)) w.report(list, o.key, o.kind);
  }
}
