// Online status subscriptions (2005 WsSubUserOnlineStatus, docs/imserver.md "Message gateway"): the
// server answers a subscription with the users' current platforms and later pushes 2005 frames
// (msgIncr "") when they change. Subscriptions live on the connection, so they are renewed after
// every reconnect.

import { PbCoder, ReqId, type WsResponse } from '../net/codec.ts';
import type { CoreSession } from '../core-session.ts';

export interface UserOnlineState {
  userID: string;
  status: number;
  platformIDs: number[];
}

const subscribed = new WeakMap<CoreSession, Map<string, UserOnlineState>>();

function table(s: CoreSession): Map<string, UserOnlineState> {
  let t = subscribed.get(s);
  if (!t) subscribed.set(s, (t = new Map<string, UserOnlineState>()));
  return t;
}

function stateOf(userID: string, platformIDs: readonly number[]): UserOnlineState {
  return { userID, status: platformIDs.length ? 1 : 0, platformIDs: [...platformIDs] };
}

function decodeTips(data: Uint8Array | null): UserOnlineState[] {
  if (!data) return [];
  const tips = PbCoder.SubUserOnlineStatusTips.decode(data);
  return (tips.subscribers ?? []).map((e) => stateOf(e.userID, e.onlinePlatformIDs ?? []));
}

/** User IDs per 2005 frame: well inside the message gateway's frame limit (src/core/limits.ts). */
const SUB_CHUNK_BYTES = 24_000;

/** Splits a list of IDs into runs whose encoded size stays under SUB_CHUNK_BYTES. */
function chunks(ids: readonly string[]): string[][] {
  const out: string[][] = [];
  let cur: string[] = [];
  let bytes = 0;
  for (const id of ids) {
    const n = Buffer.byteLength(id) + 3; // tag, length, and some slack
    if (cur.length && bytes + n > SUB_CHUNK_BYTES) {
      out.push(cur);
      cur = [];
      bytes = 0;
    }
    cur.push(id);
    bytes += n;
  }
  if (cur.length) out.push(cur);
  return out;
}

/** One 2005 per chunk: a long list would otherwise be one frame the server closes the connection on. */
async function request(s: CoreSession, sub: readonly string[], unsub: readonly string[], op: string): Promise<UserOnlineState[]> {
  const got: UserOnlineState[] = [];
  const parts = [...chunks(sub).map((c) => [c, []] as const), ...chunks(unsub).map((c) => [[], c] as const)];
  for (const [subscribeUserID, unsubscribeUserID] of parts) {
    if (!s.conn) return got;
    const data = PbCoder.SubUserOnlineStatus.encode({ subscribeUserID: [...subscribeUserID], unsubscribeUserID: [...unsubscribeUserID] }).finish();
    got.push(...decodeTips(await s.conn.request(ReqId.SubUserOnlineStatus, data, op)));
  }
  return got;
}

export async function subscribe(s: CoreSession, userIDs: readonly string[], op: string): Promise<UserOnlineState[]> {
  const got = await request(s, userIDs, [], op);
  const t = table(s);
  const byID = new Map(got.map((g) => [g.userID, g]));
  return userIDs.map((id) => {
    const st = byID.get(id) ?? stateOf(id, []);
    t.set(id, st);
    return st;
  });
}

export async function unsubscribe(s: CoreSession, userIDs: readonly string[], op: string): Promise<void> {
  await request(s, [], userIDs, op);
  for (const id of userIDs) table(s).delete(id);
}

export function subscribedStates(s: CoreSession): UserOnlineState[] {
  return [...table(s).values()];
}

/** After a reconnect: subscribe again; report whoever changed meanwhile. */
export async function resubscribe(s: CoreSession, op: string): Promise<void> {
  const t = table(s);
  if (!t.size) return;
  const got = await request(s, [...t.keys()], [], op);
  for (const st of got) {
    const before = t.get(st.userID);
    if (!before) continue;
    t.set(st.userID, st);
    if (JSON.stringify(before) !== JSON.stringify(st)) s.emit('OnUserStatusChanged', st);
  }
}

export function onUserStatusPush(s: CoreSession, frame: WsResponse): void {
  let states: UserOnlineState[];
  try {
    states = decodeTips(frame.data);
  } catch (e) {
    s.log.warn({ err: (e as Error).message }, 'core: undecodable 2005 push');
    return;
  }
  const t = table(s);
  for (const st of states) {
    if (!t.has(st.userID)) continue;
    t.set(st.userID, st);
    s.emit('OnUserStatusChanged', st);
  }
}
