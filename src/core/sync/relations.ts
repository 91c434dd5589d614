// Friends, blacklist, joined groups and group members kept in step with the server by version
// sync (version-sync.ts), and friend/group requests by a diff of the server's lists. Each list's
// callbacks are emitted from the deltas, so a user who was offline gets the same events as one
// who saw the notifications. Group rows also name their `sg_` conversations.

import type { CoreSession } from '../core-session.ts';
import type { Store } from '../store/index.ts';
import { GroupStatus, type BlackUserItem, type FriendApplicationItem, type FriendUserItem, type GroupApplicationItem, type GroupItem, type GroupMemberItem } from '../types.ts';
import { requestKey } from '../store/friends.ts';
import { ConvChanges } from './conv-changes.ts';
import { toBlack, toFriend, toFriendRequest, toGroup, toGroupRequest, toMember } from './relation-convert.ts';
import { listID, loadedSilently, reported } from './sync-window.ts';
import { versionSync, type IncrementalResp, type SyncOutcome, type VersionedList } from './version-sync.ts';

export const FRIENDS_TABLE = 'friends';
export const BLACKS_TABLE = 'blacks';
export const GROUPS_TABLE = 'joined_groups';
export const MEMBERS_TABLE = 'group_members';
export const FRIEND_REQUESTS_TABLE = 'friend_requests';
export const GROUP_REQUESTS_TABLE = 'group_requests';

const PAGE = 200;
const MEMBER_BATCH = 50;

/** Fetches every page of a paginated list route. */
async function allPages(s: CoreSession, route: string, body: Record<string, unknown>, key: string, op: string): Promise<unknown[]> {
  const out: unknown[] = [];
  for (let page = 1; ; page++) {
    const data = await s.rest!.post<Record<string, unknown>>(route, { ...body, pagination: { pageNumber: page, showNumber: PAGE } }, op, s.shutdown.signal);
    const got = (data?.[key] as unknown[] | null | undefined) ?? [];
    out.push(...got);
    if (got.length < PAGE) return out;
  }
}

const byKey = <T>(items: T[], key: (t: T) => string) => new Map(items.map((t) => [key(t), t] as const));

export function friendList(s: CoreSession): VersionedList<FriendUserItem> {
  const store = s.db();
  return {
    table: FRIENDS_TABLE,
    entityID: s.userID,
    incremental: (local, op) => s.rest!.post<IncrementalResp>('/friend/get_incremental_friends', { userID: s.userID, ...local }, op, s.shutdown.signal),
    full: (op) => allPages(s, '/friend/get_friend_list', { userID: s.userID }, 'friendsInfo', op),
    convert: toFriend,
    keyOf: (f) => f.userID,
    get: (id) => store.friends.friend(id),
    keys: () => store.friends.friends().map((f) => f.userID),
    put: (f) => store.friends.putFriend(f),
    remove: (id) => store.friends.deleteFriend(id),
    added: (f) => s.emit('OnFriendAdded', f),
    changed: (f) => s.emit('OnFriendInfoChanged', f),
    removed: (f) => s.emit('OnFriendDeleted', f),
  };
}

export function blackList(s: CoreSession): VersionedList<BlackUserItem> {
  const store = s.db();
  return {
    table: BLACKS_TABLE,
    entityID: s.userID,
    incremental: (local, op) => s.rest!.post<IncrementalResp>('/friend/get_incremental_blacks', { userID: s.userID, ...local }, op, s.shutdown.signal),
    full: (op) => allPages(s, '/friend/get_black_list', { userID: s.userID }, 'blacks', op),
    convert: toBlack,
    keyOf: (b) => b.userID,
    get: (id) => store.friends.black(id),
    keys: () => store.friends.blacks().map((b) => b.userID),
    put: (b) => store.friends.putBlack(b),
    remove: (id) => store.friends.deleteBlack(id),
    added: (b) => s.emit('OnBlackAdded', b),
    changed: () => {},
    removed: (b) => s.emit('OnBlackDeleted', b),
  };
}

/** Keeps the `sg_` conversation's name, face and isNotInGroup in step with the group row. */
function groupConversationUpkeep(s: CoreSession, groupID: string, g: GroupItem | undefined, notInGroup: boolean): void {
  const store = s.db();
  const id = 'sg_' + groupID;
  const c = store.conversations.get(id);
  if (!c) return;
  const changes = new ConvChanges(s);
  const next = { ...c, isNotInGroup: notInGroup };
  if (g) {
    next.showName = g.groupName || g.groupID;
    next.faceURL = g.faceURL;
  }
  if (JSON.stringify(next) === JSON.stringify(c)) return;
  store.conversations.put(next);
  changes.changed(id);
  changes.flush();
}

export function groupList(s: CoreSession): VersionedList<GroupItem> {
  const store = s.db();
  return {
    table: GROUPS_TABLE,
    entityID: s.userID,
    incremental: (local, op) => s.rest!.post<IncrementalResp>('/group/get_incremental_join_groups', { userID: s.userID, ...local }, op, s.shutdown.signal),
    full: (op) => allPages(s, '/group/get_joined_group_list', { fromUserID: s.userID }, 'groups', op),
    convert: toGroup,
    keyOf: (g) => g.groupID,
    get: (id) => store.groups.group(id),
    keys: () => store.groups.groups().map((g) => g.groupID),
    put: (g) => store.groups.putGroup(g),
    remove: (id) => {
      store.groups.deleteGroup(id);
      store.seqs.deleteVersion(MEMBERS_TABLE, id);
    },
    added: (g) => {
      groupConversationUpkeep(s, g.groupID, g, false);
      s.emit('OnJoinedGroupAdded', g);
    },
    changed: (g, before) => {
      groupConversationUpkeep(s, g.groupID, g, false);
      reportGroupChange(s, g, before);
    },
    removed: (g) => {
      groupConversationUpkeep(s, g.groupID, undefined, true);
      s.emit('OnJoinedGroupDeleted', g);
    },
  };
}

export function memberList(s: CoreSession, groupID: string): VersionedList<GroupMemberItem> {
  const store = s.db();
  return {
    table: MEMBERS_TABLE,
    entityID: groupID,
    incremental: async (local, op) => {
      const data = await s.rest!.post<{ respList?: Record<string, IncrementalResp> | null }>(
        '/group/get_incremental_group_members_batch',
        { userID: s.userID, reqList: [{ groupID, ...local }] },
        op,
        s.shutdown.signal,
      );
      // The server leaves out groups the user is no longer in and dismissed ones: nothing to apply.
      return data?.respList?.[groupID] ?? { full: false, ...local };
    },
    full: (op) => allPages(s, '/group/get_group_member_list', { groupID, filter: 0, keyword: '' }, 'members', op),
    convert: toMember,
    keyOf: (m) => m.userID,
    get: (id) => store.groups.member(groupID, id),
    keys: () => store.groups.memberIDs(groupID),
    put: (m) => store.groups.putMember(m),
    remove: (id) => store.groups.deleteMember(groupID, id),
    added: (m) => s.emit('OnGroupMemberAdded', m),
    changed: (m) => s.emit('OnGroupMemberInfoChanged', m),
    removed: (m) => s.emit('OnGroupMemberDeleted', m),
  };
}

export function syncFriends(s: CoreSession, op: string): Promise<SyncOutcome> {
  return versionSync(s, friendList(s), op);
}

export function syncBlacks(s: CoreSession, op: string): Promise<SyncOutcome> {
  return versionSync(s, blackList(s), op);
}

/**
 * The joined-group list, then the members of `withMembersOf` and of every group whose row the
 * list changed while its member log stays behind: the joined list may bring a group's info newer
 * than the member version stored here, and group tips are judged by that version
 * (relation-notifications.ts), so it is brought up to (at least) the info just stored.
 */
export async function syncGroups(s: CoreSession, op: string, withMembersOf: readonly string[] = []): Promise<SyncOutcome> {
  const list = groupList(s);
  const members = new Set(withMembersOf);
  const store = s.db();
  const how = await versionSync(
    s,
    {
      ...list,
      changed: (g, before) => {
        list.changed(g, before);
        if (store.seqs.hasVersion(MEMBERS_TABLE, g.groupID)) members.add(g.groupID);
      },
    },
    op,
  );
  const known = [...members].filter((id) => store.groups.group(id));
  if (known.length) await syncMembers(s, op, known);
  return how;
}

/**
 * Members of the given joined groups (default: all), many groups per request. Dismissed groups
 * are skipped: the server no longer answers for their members.
 */
export async function syncMembers(s: CoreSession, op: string, groupIDs?: readonly string[]): Promise<Record<string, SyncOutcome>> {
  const store = s.db();
  const ids = (groupIDs ?? store.groups.groups().map((g) => g.groupID)).filter((id) => {
    const g = store.groups.group(id);
    return g && g.status !== GroupStatus.Dismissed;
  });
  const out: Record<string, SyncOutcome> = {};
  for (let i = 0; i < ids.length; i += MEMBER_BATCH) {
    const chunk = ids.slice(i, i + MEMBER_BATCH);
    const data = await s.rest!.post<{ respList?: Record<string, IncrementalResp> | null }>(
      '/group/get_incremental_group_members_batch',
      { userID: s.userID, reqList: chunk.map((groupID) => ({ groupID, ...store.seqs.version(MEMBERS_TABLE, groupID) })) },
      op,
      s.shutdown.signal,
    );
    for (const groupID of chunk) {
      const resp = data?.respList?.[groupID];
      if (!resp) continue; // left out by the server (no longer a member, or dismissed meanwhile)
      out[groupID] = await versionSync(s, memberList(s, groupID), op, resp);
      // A member delta may carry the group's new info.
      const g = (resp as { group?: unknown }).group;
      if (g && typeof g === 'object') applyGroupInfo(s, toGroup(g));
    }
  }
  return out;
}

/** A fresher copy of a joined group's info (from a notification or a member delta). */
export function applyGroupInfo(s: CoreSession, g: GroupItem): void {
  const store = s.db();
  const before = g.groupID ? store.groups.group(g.groupID) : undefined;
  if (!before || JSON.stringify(before) === JSON.stringify(g)) return;
  store.groups.putGroup(g);
  groupConversationUpkeep(s, g.groupID, g, false);
  reported(s, listID(GROUPS_TABLE, s.userID), g.groupID, 'changed');
  reportGroupChange(s, g, before);
}

/**
 * A group row changed. Whatever brought the change (the 1511 itself, a sync after it was missed
 * offline, a member sync's copy of the group), the dismissal is reported as OnGroupDismissed, as
 * upstream's group syncer does (openim-sdk-core v3.5.1 internal/group/group.go:87-94).
 */
function reportGroupChange(s: CoreSession, g: GroupItem, before: GroupItem): void {
  if (g.status === GroupStatus.Dismissed && before.status !== GroupStatus.Dismissed) reportDismissed(s, g);
  else s.emit('OnGroupInfoChanged', g);
}

/** Marks (in the store, so across restarts) the groups whose dismissal was reported. */
const DISMISSED_REPORTED = 'dismissed_reported';

/**
 * OnGroupDismissed, once per group for good: a dismissal is final, but its news can come by
 * several ways (the 1511, a sync, a member sync's copy of the group) and a stale copy in between
 * can make it look new again.
 */
export function reportDismissed(s: CoreSession, g: GroupItem): void {
  const store = s.db();
  if (store.seqs.hasVersion(DISMISSED_REPORTED, g.groupID)) return;
  store.seqs.setVersion(DISMISSED_REPORTED, g.groupID, '', 1);
  s.emit('OnGroupDismissed', g);
}

export interface RequestEvents {
  added: string;
  deleted: string;
  accepted: string;
  rejected: string;
}

export const FRIEND_REQUEST_EVENTS: RequestEvents = {
  added: 'OnFriendApplicationAdded',
  deleted: 'OnFriendApplicationDeleted',
  accepted: 'OnFriendApplicationAccepted',
  rejected: 'OnFriendApplicationRejected',
};

export const GROUP_REQUEST_EVENTS: RequestEvents = {
  added: 'OnGroupApplicationAdded',
  deleted: 'OnGroupApplicationDeleted',
  accepted: 'OnGroupApplicationAccepted',
  rejected: 'OnGroupApplicationRejected',
};

export function groupRequestKey(r: { groupID: string; userID: string }): string {
  return `${r.groupID}\u0000${r.userID}`;
}

/** What a request's callback says: its outcome (accepted / rejected), or added while pending. */
function requestKind(handleResult: number): 'added' | 'accepted' | 'rejected' {
  return handleResult === 1 ? 'accepted' : handleResult === -1 ? 'rejected' : 'added';
}

/** Friend or group requests: fetched whole (received and sent) and diffed with the local table. */
interface RequestList<T extends { handleResult: number }> {
  readonly table: string;
  readonly events: RequestEvents;
  readonly key: (t: T) => string;
  fetch(s: CoreSession, op: string): Promise<T[]>;
  rows(store: Store): { all: T[]; put(t: T): void; del(t: T): void };
}

const FRIEND_REQUESTS: RequestList<FriendApplicationItem> = {
  table: FRIEND_REQUESTS_TABLE,
  events: FRIEND_REQUEST_EVENTS,
  key: requestKey,
  fetch: async (s, op) => [
    ...(await allPages(s, '/friend/get_friend_apply_list', { userID: s.userID, handleResults: [] }, 'FriendRequests', op)),
    ...(await allPages(s, '/friend/get_self_friend_apply_list', { userID: s.userID, handleResults: [] }, 'friendRequests', op)),
  ].map(toFriendRequest),
  rows: (store) => ({ all: store.friends.requests(), put: (r) => store.friends.putRequest(r), del: (r) => store.friends.deleteRequest(r.fromUserID, r.toUserID) }),
};

/** Received as owner or admin, and sent. */
const GROUP_REQUESTS: RequestList<GroupApplicationItem> = {
  table: GROUP_REQUESTS_TABLE,
  events: GROUP_REQUEST_EVENTS,
  key: groupRequestKey,
  fetch: async (s, op) => [
    ...(await allPages(s, '/group/get_recv_group_applicationList', { fromUserID: s.userID }, 'groupRequests', op)),
    ...(await allPages(s, '/group/get_user_req_group_applicationList', { userID: s.userID }, 'groupRequests', op)),
  ].map(toGroupRequest),
  rows: (store) => ({ all: store.groups.requests(), put: (r) => store.groups.putRequest(r), del: (r) => store.groups.deleteRequest(r.groupID, r.userID) }),
};

export function syncFriendRequests(s: CoreSession, op: string): Promise<void> {
  return syncRequests(s, op, FRIEND_REQUESTS);
}

export function syncGroupRequests(s: CoreSession, op: string): Promise<void> {
  return syncRequests(s, op, GROUP_REQUESTS);
}

/** Callbacks only once the list was loaded before; the first load is silent. */
async function syncRequests<T extends { handleResult: number }>(s: CoreSession, op: string, l: RequestList<T>): Promise<void> {
  const store = s.db();
  const server = await l.fetch(s, op);
  const list = listID(l.table, s.userID);
  const report = store.seqs.hasVersion(l.table, s.userID);
  const rows = l.rows(store);
  const emits: (() => void)[] = [];
  const local = byKey(rows.all, l.key);
  const seen = new Set<string>();
  const outcome = (k: string, t: T) => () => {
    const kind = requestKind(t.handleResult);
    reported(s, list, k, kind);
    s.emit(l.events[kind], t);
  };
  store.tx(() => {
    for (const t of server) {
      const k = l.key(t);
      if (seen.has(k)) continue;
      seen.add(k);
      const before = local.get(k);
      if (before && JSON.stringify(before) === JSON.stringify(t)) continue;
      rows.put(t);
      if (!before || before.handleResult !== t.handleResult) emits.push(outcome(k, t));
    }
    for (const [k, t] of local) {
      if (seen.has(k)) continue;
      rows.del(t);
      emits.push(() => {
        reported(s, list, k, 'removed');
        s.emit(l.events.deleted, t);
      });
    }
    store.seqs.setVersion(l.table, s.userID, '', 0);
  });
  if (report) for (const e of emits) e();
  else loadedSilently(s, list);
}

/**
 * Everything else at login, after the messages (so the window between connecting and reading the
 * seqs stays short); the joined-group list itself is synced before them (group-chat names).
 */
export async function syncRelations(s: CoreSession, op: string): Promise<Record<string, unknown>> {
  const friends = await syncFriends(s, op);
  const blacks = await syncBlacks(s, op);
  await syncFriendRequests(s, op);
  const members = await syncMembers(s, op);
  await syncGroupRequests(s, op);
  return { friends, blacks, members: Object.keys(members).length };
}
