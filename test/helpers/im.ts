// A real embedded IM server for tests: ephemeral ports on 127.0.0.1, a temp data dir, and
// cached tokens. userToken returns the same token for the same (userID, platformID) within one
// TestIm, because a new token for the same user and platform kicks the older one.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startImServer, type RequestLogEntry } from '../../src/imserver/index.ts';
import type { ObjectLimits } from '../../src/imserver/objects.ts';

export interface TestIm {
  apiAddress: string;
  wsAddress: string;
  adminToken(): Promise<string>;
  register(userID: string, nickname?: string): Promise<void>;
  userToken(userID: string, platformID?: number): Promise<string>;
  close(): Promise<void>;
  dataDir: string;
  /** The server's last REST requests (route, token user, body; tokens redacted), oldest first. */
  requestLog(): Promise<RequestLogEntry[]>;
  /**
   * Make two users friends both ways (admin /friend/import_friend; each gets a 1201). Uses only
   * the admin token, so no user token is issued and no connection is kicked.
   */
  makeFriends(userA: string, userB: string): Promise<void>;
  /**
   * Create a group as the admin with `ownerUserID` as its owner (admin /group/create_group);
   * resolves with the groupID. Admin token only, like makeFriends.
   */
  createGroup(ownerUserID: string, memberUserIDs: string[], groupInfo?: Record<string, unknown>): Promise<string>;
  /** A text message from `sendID` (admin /msg/send_msg), to a user or a group. */
  sendText(sendID: string, to: { recvID: string } | { groupID: string }, text: string): Promise<{ clientMsgID: string; serverMsgID: string }>;
  /**
   * Every message of a conversation as the server stores it for `userID` (REST pull with the
   * user's cached token), oldest first: what "exactly once on the server" is checked against,
   * since a client's local store merges copies that share a clientMsgID.
   */
  history(userID: string, conversationID: string): Promise<Array<{ clientMsgID: string; seq: number; sendID: string }>>;
}

export const TEST_SECRET = 'openIM123';
const REQUEST_TIMEOUT_MS = 10_000;
let opSeq = 0;

/** POST a route and unwrap the envelope; a non-zero errCode throws an Error carrying `errCode`. */
export async function imPost<T = unknown>(apiAddress: string, path: string, body: unknown, token?: string): Promise<T> {
  const headers: Record<string, string> = { 'Content-Type': 'application/json', operationID: `test-${process.pid}-${++opSeq}` };
  if (token) headers.token = token;
  const res = await fetch(apiAddress + path, {
    method: 'POST',
    headers,
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  const env = (await res.json()) as { errCode: number; errMsg: string; errDlt: string; data?: T };
  if (env.errCode !== 0) {
    throw Object.assign(new Error(`${path}: ${env.errCode} ${env.errMsg} ${env.errDlt}`), { errCode: env.errCode });
  }
  return env.data as T;
}

/**
 * requestLog: keep the server's request log (default on: 1000 entries, in the server thread).
 * apiPort: a fixed REST port (a restart that must keep its URLs). objects: storage limits.
 */
export async function startTestIm(opts: { dataDir?: string; requestLog?: boolean | number; apiPort?: number; objects?: Partial<ObjectLimits>; kickSameToken?: boolean; publicUrl?: string } = {}): Promise<TestIm> {
  const ownDir = opts.dataDir === undefined;
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'sdkgate-im-'));
  const handle = await startImServer({
    apiPort: opts.apiPort ?? 0, wsPort: 0, host: '127.0.0.1', dataDir, secret: TEST_SECRET, logLevel: 'silent',
    requestLog: opts.requestLog ?? true, objects: opts.objects, kickSameToken: opts.kickSameToken, publicUrl: opts.publicUrl,
  });
  let admin: Promise<string> | undefined;
  const tokens = new Map<string, Promise<string>>();

  const adminToken = () => {
    admin ??= imPost<{ token: string }>(handle.apiAddress, '/auth/get_admin_token', { secret: TEST_SECRET, userID: 'imAdmin' }).then(
      (d) => d.token,
    );
    admin.catch(() => (admin = undefined));
    return admin;
  };

  const userToken = (userID: string, platformID = 5): Promise<string> => {
    const key = `${userID}\u0000${platformID}`;
    let t = tokens.get(key);
    if (!t) {
      t = adminToken().then((a) =>
        imPost<{ token: string }>(handle.apiAddress, '/auth/get_user_token', { userID, platformID }, a).then((d) => d.token),
      );
      tokens.set(key, t);
      t.catch(() => tokens.delete(key));
    }
    return t;
  };

  return {
    apiAddress: handle.apiAddress,
    wsAddress: handle.wsAddress,
    dataDir,
    adminToken,
    requestLog: () => handle.requestLog(),
    async makeFriends(userA, userB) {
      await imPost(handle.apiAddress, '/friend/import_friend', { ownerUserID: userA, friendUserIDs: [userB] }, await adminToken());
    },
    async createGroup(ownerUserID, memberUserIDs, groupInfo = {}) {
      const body = { ownerUserID, memberUserIDs, adminUserIDs: [], groupInfo: { groupName: 'group', ...groupInfo, groupType: 2 } };
      const res = await imPost<{ groupInfo: { groupID: string } }>(handle.apiAddress, '/group/create_group', body, await adminToken());
      return res.groupInfo.groupID;
    },
    async sendText(sendID, to, text) {
      const group = 'groupID' in to;
      const body = { sendID, recvID: group ? '' : to.recvID, groupID: group ? to.groupID : '', sessionType: group ? 3 : 1, contentType: 101, content: { content: text }, senderPlatformID: 0 };
      return imPost<{ clientMsgID: string; serverMsgID: string }>(handle.apiAddress, '/msg/send_msg', body, await adminToken());
    },
    async history(userID, conversationID) {
      const token = await userToken(userID);
      const seqs = await imPost<{ maxSeqs: Record<string, number> }>(handle.apiAddress, '/msg/newest_seq', { userID }, token);
      const max = seqs.maxSeqs[conversationID] ?? 0;
      const out: Array<{ clientMsgID: string; seq: number; sendID: string }> = [];
      for (let begin = 1; begin <= max; begin += 100) {
        const end = Math.min(max, begin + 99);
        const page = await imPost<{ msgs: Record<string, { Msgs: Array<{ clientMsgID: string; seq: number; sendID: string }> }> }>(
          handle.apiAddress, '/msg/pull_msg_by_seq', { userID, seqRanges: [{ conversationID, begin, end, num: end - begin + 1 }], order: 0 }, token);
        for (const m of page.msgs[conversationID]?.Msgs ?? []) out.push({ clientMsgID: m.clientMsgID, seq: m.seq, sendID: m.sendID });
      }
      return out.sort((a, b) => a.seq - b.seq);
    },
    async register(userID, nickname = userID) {
      await imPost(handle.apiAddress, '/user/user_register', { users: [{ userID, nickname, faceURL: '', ex: '' }] }, await adminToken());
    },
    userToken,
    async close() {
      await handle.close();
      if (ownDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
