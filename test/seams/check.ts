// What the seam suite asserts once a seed's events have settled, for every tab:
// - each event's callbacks arrived exactly once (events.ts);
// - every message the server holds for the user since the baseline arrived as OnRecvNewMessages
//   exactly once (the tab that sent it: never), in seq order per conversation;
// - connection and sync callbacks are well formed (OnConnectSuccess last, sync in pairs);
// - the local data (through the client's own calls) agrees with the server.
// A tab that joined after an event, or left before it, may miss it but never hear it twice.
// Returns the problems found; an empty list is a pass.

import type { MessageItem } from 'open-im-sdk';
import { settle } from '../helpers/client.ts';
import { toBlack, toFriend, toFriendRequest, toGroup, toGroupRequest, toMember } from '../../src/core/sync/relation-convert.ts';
import { EVENTS, type Expectation } from './events.ts';
import type { ClientRole, Tab, World } from './world.ts';

export interface Fired {
  readonly name: string;
  readonly at: number;
  done: number | null;
  error: string | null;
}

interface ServerMsg {
  clientMsgID: string;
  seq: number;
  sendID: string;
  contentType: number;
  status: number;
  sendTime: number;
  createTime: number;
}

const page = { pageNumber: 1, showNumber: 500 };

/** The conversation a message belongs to, as the client's MessageItem tells it. */
function conversationOf(m: { sessionType: number; sendID: string; recvID: string; groupID: string }): string {
  return m.sessionType === 1 ? `si_${[m.sendID, m.recvID].sort().join('_')}` : `sg_${m.groupID}`;
}

const received = (t: Tab): MessageItem[] => t.log.heard.filter((h) => h.event === 'OnRecvNewMessages').flatMap((h) => h.data as MessageItem[]);

function safe(match: (d: any) => boolean, data: unknown): boolean {
  try {
    return match(data);
  } catch {
    return false;
  }
}

/** True when the tab was there for the whole of something that happened at `at`. */
const presentFor = (t: Tab, at: number): boolean => t.attachedAt !== null && t.attachedAt <= at && t.leftAt === null;

/**
 * True when a sibling tab heard a matching callback while `t`'s socket was being cut: the same
 * callback was then written into `t`'s dying socket and may have been lost with it. Upstream
 * loses such callbacks too (oimws logs the core out on close; its next Login syncs from the
 * local store, which already holds what the dead socket was told).
 */
function inFlightAtCut(w: World, t: Tab, event: string, match: (d: any) => boolean): boolean {
  if (t.cuts.length === 0) return false;
  return w.tabsOf(t.role).some(
    (o) => o !== t && o.log.heard.some((h) => h.event === event && t.cuts.some(([a, b]) => h.t >= a && h.t <= b) && safe(match, h.data)),
  );
}

export function expectationsHeld(w: World, fired: readonly Fired[]): string[] {
  const out: string[] = [];
  for (const ev of EVENTS) {
    const f = fired.find((x) => x.name === ev.name);
    if (!f) continue;
    if (f.error !== null) {
      out.push(`event ${ev.name} could not be fired: ${f.error}`);
      continue;
    }
    const undefinedUpstream = (ex: Expectation) => ex.preLogin === true && w.seam === 'first-sync';
    for (const ex of ev.expect(w)) {
      for (const t of w.tabsOf(ex.role)) {
        out.push(...heldBy(t, ex, presentFor(t, f.at) && !undefinedUpstream(ex) && !inFlightAtCut(w, t, ex.event, ex.match)));
      }
    }
  }
  return out;
}

function heldBy(t: Tab, ex: Expectation, strict: boolean): string[] {
  const hits = t.log.heard.map((h, i) => ({ h, i })).filter(({ h }) => h.event === ex.event && safe(ex.match, h.data));
  if (!ex.stale) {
    if (strict && hits.length !== 1) return [`${t.name}: ${ex.event} (${ex.what}) heard ${hits.length} times, want 1`];
    if (!strict && hits.length > 1) return [`${t.name}: ${ex.event} (${ex.what}) heard ${hits.length} times, want at most 1`];
    return [];
  }
  if (hits.length === 0) return strict ? [`${t.name}: ${ex.event} (${ex.what}) never heard`] : [];
  const isStale = ex.stale;
  const stale = t.log.heard.slice(hits[0]!.i + 1).filter((h) => h.event === ex.event && safe(isStale, h.data));
  return stale.length ? [`${t.name}: ${ex.event} (${ex.what}) went back to an older value after reaching the new one: ${JSON.stringify(stale[0]!.data).slice(0, 300)} at ${stale[0]!.t}`] : [];
}

async function serverMessages(w: World, role: ClientRole, conversationID: string, from: number, to: number): Promise<ServerMsg[]> {
  const r = await w.rest<{ msgs: Record<string, { Msgs: ServerMsg[] }> }>(role, '/msg/pull_msg_by_seq', {
    userID: w.users[role],
    seqRanges: [{ conversationID, begin: from, end: to, num: to - from + 1 }],
    order: 0,
  });
  const seen = new Set<string>();
  const out: ServerMsg[] = [];
  for (const m of (r.msgs?.[conversationID]?.Msgs ?? []).sort((x, y) => x.seq - y.seq)) {
    // A message sent again after an unknown outcome has the same clientMsgID: one message to the app.
    if (!m.clientMsgID || m.status >= 4 || seen.has(m.clientMsgID)) continue;
    seen.add(m.clientMsgID);
    out.push(m);
  }
  return out;
}

export async function messagesHeld(w: World): Promise<string[]> {
  const out: string[] = [];
  for (const role of ['a', 'b'] as const) {
    const base = w.baseline.get(role) ?? new Map<string, number>();
    for (const [conv, max] of await w.maxSeqs(role)) {
      const from = base.get(conv) ?? 0;
      if (max <= from) continue;
      for (const m of await serverMessages(w, role, conv, from + 1, max)) {
        const own = w.ownSends.find((o) => o.clientMsgID === m.clientMsgID);
        for (const t of w.tabsOf(role)) {
          const n = received(t).filter((x) => x.clientMsgID === m.clientMsgID).length;
          const what = `${conv}#${m.seq} (${m.contentType} from ${m.sendID})`;
          if (own?.tab === t.name) {
            if (n > (own.ok ? 0 : 1)) out.push(`${t.name}: its own message ${what} came back as new ${n} times`);
          } else {
            const strict = presentFor(t, m.createTime || m.sendTime) && !inFlightAtCut(w, t, 'OnRecvNewMessages', (d: MessageItem[]) => d.some((x) => x.clientMsgID === m.clientMsgID));
            if (strict ? n !== 1 : n > 1) out.push(`${t.name}: OnRecvNewMessages for ${what} heard ${n} times, want ${strict ? 1 : 'at most 1'}`);
          }
        }
      }
    }
  }
  for (const t of w.tabs) {
    const last = new Map<string, number>();
    for (const m of received(t)) {
      if (!m.seq) continue;
      const conv = conversationOf(m);
      const prev = last.get(conv) ?? 0;
      if (m.seq <= prev) out.push(`${t.name}: ${conv}#${m.seq} heard after #${prev} (out of order or twice)`);
      last.set(conv, Math.max(prev, m.seq));
    }
  }
  return out;
}

/**
 * OnConnectSuccess never twice in a row (but once more per redial of the tab's own socket: the
 * session tells a returning tab where the connection stands), the last connection callback a
 * success, sync callbacks in pairs.
 */
export function lifecycleHeld(w: World): string[] {
  const out: string[] = [];
  for (const t of w.tabs) {
    if (t.attachedAt === null) continue;
    const seen = t.log.names().filter((n) => n.startsWith('OnConnect') || n.startsWith('OnSyncServer'));
    const conn = seen.filter((n) => n.startsWith('OnConnect'));
    let repeats = 0;
    for (let i = 1; i < conn.length; i++) if (conn[i] === 'OnConnectSuccess' && conn[i - 1] === 'OnConnectSuccess') repeats++;
    if (repeats > t.redials) out.push(`${t.name}: OnConnectSuccess twice in a row ${repeats} times, redialled ${t.redials} (${seen.join(',')})`);
    if (t.leftAt === null && conn.at(-1) !== 'OnConnectSuccess') out.push(`${t.name}: last connection callback is ${conn.at(-1) ?? 'none'} (${seen.join(',')})`);
    let open = false;
    for (const n of seen) {
      if (n === 'OnSyncServerStart') {
        if (open) out.push(`${t.name}: OnSyncServerStart while a sync was open (${seen.join(',')})`);
        open = true;
      } else if (n === 'OnSyncServerFinish' || n === 'OnSyncServerFailed') {
        if (!open) out.push(`${t.name}: ${n} without OnSyncServerStart (${seen.join(',')})`);
        open = false;
      }
    }
    if (open && t.leftAt === null) out.push(`${t.name}: a sync never ended (${seen.join(',')})`);
  }
  return out;
}

async function ask<T>(t: Tab, p: Promise<unknown>, what: string): Promise<T> {
  const r = await settle(p, 15_000);
  if (!r.ok) throw new Error(`${t.name}: ${what} failed: ${JSON.stringify(r.res)}`);
  return r.res.data as T;
}

function diff(out: string[], who: string, what: string, local: string[], server: string[]): void {
  const l = [...local].sort();
  const s = [...server].sort();
  if (JSON.stringify(l) !== JSON.stringify(s)) out.push(`${who}: ${what} differ: local ${JSON.stringify(l)} server ${JSON.stringify(s)}`);
}

/** The local data of each client user, read through a tab's own calls, against the server. */
export async function dataAgrees(w: World): Promise<string[]> {
  const out: string[] = [];
  for (const role of ['a', 'b'] as const) {
    const t = w.tabsOf(role).find((x) => x.leftAt === null && x.attachedAt !== null);
    if (!t) continue;
    const u = w.users[role];
    const who = `${role} (${t.name})`;

    const friends = await ask<Array<{ friendInfo: { userID: string; remark: string; nickname: string } }>>(t, t.sdk.getFriendList(), 'getFriendList');
    const sFriends = (await w.rest<{ friendsInfo: unknown[] }>(role, '/friend/get_friend_list', { userID: u, pagination: page })).friendsInfo.map(toFriend);
    diff(out, who, 'friends', friends.map((f) => `${f.friendInfo.userID}|${f.friendInfo.remark}|${f.friendInfo.nickname}`), sFriends.map((f) => `${f.userID}|${f.remark}|${f.nickname}`));

    const blacks = await ask<Array<{ userID: string }>>(t, t.sdk.getBlackList(), 'getBlackList');
    const sBlacks = ((await w.rest<{ blacks: unknown[] | null }>(role, '/friend/get_black_list', { userID: u, pagination: page })).blacks ?? []).map(toBlack);
    diff(out, who, 'blacklist', blacks.map((b) => b.userID), sBlacks.map((b) => b.userID));

    const fReq = [
      ...(await ask<Array<{ fromUserID: string; toUserID: string; handleResult: number }>>(t, t.sdk.getFriendApplicationListAsRecipient(), 'friend requests (recipient)')),
      ...(await ask<Array<{ fromUserID: string; toUserID: string; handleResult: number }>>(t, t.sdk.getFriendApplicationListAsApplicant(), 'friend requests (applicant)')),
    ];
    const sFReq = [
      ...((await w.rest<{ FriendRequests: unknown[] | null }>(role, '/friend/get_friend_apply_list', { userID: u, pagination: page, handleResults: [] })).FriendRequests ?? []),
      ...((await w.rest<{ friendRequests: unknown[] | null }>(role, '/friend/get_self_friend_apply_list', { userID: u, pagination: page, handleResults: [] })).friendRequests ?? []),
    ].map(toFriendRequest);
    diff(out, who, 'friend requests', fReq.map((r) => `${r.fromUserID}>${r.toUserID}:${r.handleResult}`), sFReq.map((r) => `${r.fromUserID}>${r.toUserID}:${r.handleResult}`));

    const groups = await ask<Array<{ groupID: string; groupName: string; status: number }>>(t, t.sdk.getJoinedGroupList(), 'getJoinedGroupList');
    const sGroups = ((await w.rest<{ groups: unknown[] | null }>(role, '/group/get_joined_group_list', { fromUserID: u, pagination: page })).groups ?? []).map(toGroup);
    diff(out, who, 'joined groups', groups.map((g) => `${g.groupID}|${g.groupName}|${g.status}`), sGroups.map((g) => `${g.groupID}|${g.groupName}|${g.status}`));
    // A dismissed group's members are not kept in step (upstream drops them locally:
    // openim-sdk-core v3.5.1 internal/group/group.go:89, notification.go:225).
    for (const g of sGroups.filter((x) => x.status !== 2)) {
      const members = await ask<Array<{ userID: string; nickname: string }>>(t, // open-im-sdk@3.5.2 declares this without its params object; it sends one.
        (t.sdk.getGroupMemberList as unknown as (p: object) => Promise<unknown>)({ groupID: g.groupID, filter: 0, offset: 0, count: 500 }), 'getGroupMemberList');
      const sMembers = ((await w.rest<{ members: unknown[] | null }>(role, '/group/get_group_member_list', { groupID: g.groupID, filter: 0, pagination: page })).members ?? []).map(toMember);
      diff(out, who, `members of ${g.groupID}`, members.map((m) => `${m.userID}|${m.nickname}`), sMembers.map((m) => `${m.userID}|${m.nickname}`));
    }

    const gReq = [
      ...(await ask<Array<{ groupID: string; userID: string; handleResult: number }>>(t, t.sdk.getGroupApplicationListAsRecipient(), 'group requests (recipient)')),
      ...(await ask<Array<{ groupID: string; userID: string; handleResult: number }>>(t, t.sdk.getGroupApplicationListAsApplicant(), 'group requests (applicant)')),
    ];
    const sGReq = [
      ...((await w.rest<{ groupRequests: unknown[] | null }>(role, '/group/get_recv_group_applicationList', { fromUserID: u, pagination: page })).groupRequests ?? []),
      ...((await w.rest<{ groupRequests: unknown[] | null }>(role, '/group/get_user_req_group_applicationList', { userID: u, pagination: page })).groupRequests ?? []),
    ].map(toGroupRequest);
    diff(out, who, 'group requests', gReq.map((r) => `${r.groupID}<${r.userID}:${r.handleResult}`), sGReq.map((r) => `${r.groupID}<${r.userID}:${r.handleResult}`));

    const self = await ask<{ nickname: string }>(t, t.sdk.getSelfUserInfo(), 'getSelfUserInfo');
    const sSelf = (await w.rest<{ usersInfo: Array<{ nickname: string }> }>(role, '/user/get_users_info', { userIDs: [u] })).usersInfo[0];
    if (self.nickname !== sSelf?.nickname) out.push(`${who}: nickname local ${self.nickname} server ${sSelf?.nickname}`);

    out.push(...(await conversationsAgree(w, role, t)));
  }
  return out;
}

async function conversationsAgree(w: World, role: ClientRole, t: Tab): Promise<string[]> {
  const out: string[] = [];
  const who = `${role} (${t.name})`;
  const convs = await ask<Array<{ conversationID: string; latestMsg: string }>>(t, t.sdk.getAllConversationList(), 'getAllConversationList');
  const local = new Map(convs.map((c) => [c.conversationID, c]));
  const base = w.baseline.get(role) ?? new Map<string, number>();
  for (const [conv, max] of await w.maxSeqs(role)) {
    if (max === 0) continue;
    const c = local.get(conv);
    if (!c) {
      out.push(`${who}: conversation ${conv} (maxSeq ${max}) missing locally`);
      continue;
    }
    const server = await serverMessages(w, role, conv, 1, max);
    const newest = server.at(-1);
    const latest = c.latestMsg ? (JSON.parse(c.latestMsg) as { clientMsgID: string }).clientMsgID : '';
    if (newest && latest !== newest.clientMsgID) out.push(`${who}: ${conv} latest message local ${latest} server ${newest.clientMsgID}`);
    // What happened since the baseline is in the local history, as on the server (revokes included).
    const hist = await ask<{ messageList: MessageItem[] }>(t, t.sdk.getAdvancedHistoryMessageList({ conversationID: conv, count: 200, startClientMsgID: '', lastMinSeq: 0 }), 'history');
    const from = base.get(conv) ?? 0;
    diff(
      out,
      who,
      `messages of ${conv} after #${from}`,
      hist.messageList.filter((m) => m.seq > from && m.status < 4).map((m) => `${m.clientMsgID}:${m.contentType}`),
      server.filter((m) => m.seq > from).map((m) => `${m.clientMsgID}:${m.contentType}`),
    );
  }
  return out;
}
