// User profiles: the self profile and a cache of other users' public profiles.

import type { CoreSession } from '../core-session.ts';
import { SessionType, type PublicUserInfo, type SelfUserInfo } from '../types.ts';
import { ConvChanges } from './conv-changes.ts';
import { listID, loadedSilently, reported } from './sync-window.ts';

interface ServerUser {
  userID?: string;
  nickname?: string;
  faceURL?: string;
  ex?: string;
  createTime?: number;
  globalRecvMsgOpt?: number;
}

function toPublic(u: ServerUser): PublicUserInfo {
  return { userID: u.userID ?? '', nickname: u.nickname ?? '', faceURL: u.faceURL ?? '', ex: u.ex ?? '', createTime: u.createTime ?? 0 };
}

/** POST /user/get_users_info; caches what comes back. Unknown IDs are simply absent. */
export async function fetchUsers(s: CoreSession, userIDs: readonly string[], operationID: string): Promise<Map<string, ServerUser>> {
  const out = new Map<string, ServerUser>();
  if (!s.rest || userIDs.length === 0) return out;
  const data = await s.rest.post<{ usersInfo?: ServerUser[] | null }>('/user/get_users_info', { userIDs }, operationID);
  const store = s.db();
  const renamed: PublicUserInfo[] = [];
  for (const u of data?.usersInfo ?? []) {
    if (!u.userID) continue;
    out.set(u.userID, u);
    const before = store.users.get(u.userID);
    const next = toPublic(u);
    store.users.put(next);
    if (before && (before.nickname !== next.nickname || before.faceURL !== next.faceURL)) renamed.push(next);
  }
  if (renamed.length) renameInConversations(s, renamed);
  return out;
}

/** Single chats show the peer's name and face: keep them in step with the profile. */
function renameInConversations(s: CoreSession, users: readonly PublicUserInfo[]): void {
  const store = s.db();
  const changes = new ConvChanges(s);
  const byID = new Map(users.map((u) => [u.userID, u]));
  for (const c of store.conversations.all()) {
    const u = c.conversationType === SessionType.Single ? byID.get(c.userID) : undefined;
    if (!u || u.userID === s.userID) continue;
    const showName = u.nickname || u.userID;
    if (c.showName === showName && c.faceURL === u.faceURL) continue;
    c.showName = showName;
    c.faceURL = u.faceURL;
    store.conversations.put(c);
    changes.changed(c.conversationID);
  }
  changes.flush();
}

/** How long a cached profile of another user is served without asking the server again. */
const USER_CACHE_TTL_MS = 10 * 60_000;

/** Cached profiles; missing or stale ones are fetched when online (stale ones still serve offline). */
export async function usersCached(s: CoreSession, userIDs: readonly string[], operationID: string): Promise<Map<string, PublicUserInfo>> {
  const out = new Map<string, PublicUserInfo>();
  const missing: string[] = [];
  const now = Date.now();
  for (const id of new Set(userIDs)) {
    const u = s.db().users.get(id);
    if (u) out.set(id, u);
    if (!u || now - s.db().users.cachedAt(id) > USER_CACHE_TTL_MS) missing.push(id);
  }
  if (missing.length && s.rest) {
    try {
      const got = await fetchUsers(s, missing, operationID);
      for (const [id, u] of got) out.set(id, toPublic(u));
    } catch (e) {
      s.log.debug({ err: (e as Error).message }, 'core: user fetch failed');
    }
  }
  return out;
}

/** The self profile as a window list (sync-window.ts): stored silently the first time. */
export function selfList(s: CoreSession): string {
  return listID('self_user', s.userID);
}

function sameSelf(a: SelfUserInfo | undefined, b: SelfUserInfo): boolean {
  return !!a && a.nickname === b.nickname && a.faceURL === b.faceURL && a.ex === b.ex && a.globalRecvMsgOpt === b.globalRecvMsgOpt && a.createTime === b.createTime;
}

/** Fetches the self profile; stores it and emits OnSelfInfoUpdated when it changed. */
export async function refreshSelf(s: CoreSession, operationID: string, emitIfChanged = true): Promise<SelfUserInfo> {
  const got = await fetchUsers(s, [s.userID], operationID);
  const u = got.get(s.userID);
  const before = s.db().users.getSelf(s.userID);
  if (!u) return s.self();
  const next: SelfUserInfo = {
    userID: s.userID,
    nickname: u.nickname ?? '',
    faceURL: u.faceURL ?? '',
    createTime: u.createTime ?? 0,
    ex: u.ex ?? '',
    attachedInfo: before?.attachedInfo ?? '',
    globalRecvMsgOpt: u.globalRecvMsgOpt ?? 0,
  };
  if (!sameSelf(before, next)) {
    s.db().users.putSelf(next);
    if (!before) loadedSilently(s, selfList(s));
    else if (emitIfChanged) {
      reported(s, selfList(s), s.userID, 'changed');
      s.emit('OnSelfInfoUpdated', next);
    }
  }
  return next;
}
