// Helpers for friend and group tests: a user with a REST token and a gateway connection, and
// lookups of pushed messages and notifications by contentType.

import { PbCoder, type SdkWsProto } from '@openim/protocol';
import { imPost, type TestIm } from '../helpers/im.ts';
import { connect, decodeData, encodeMsg, textMsg, type RespFrame, type TestClient } from './wsclient.ts';

export interface Pushed {
  conversationID: string;
  /** True when it came in PushMessages.notificationMsgs (the n_ stream). */
  notification: boolean;
  msg: SdkWsProto.MsgData;
  operationID: string;
}

export interface User {
  userID: string;
  token: string;
  ws: TestClient;
  post<T = Record<string, unknown>>(path: string, body: unknown): Promise<T>;
  /** The OpenIM errCode a request fails with (0 if it succeeds). */
  errCode(path: string, body: unknown): Promise<number>;
}

export async function user(im: TestIm, userID: string): Promise<User> {
  await im.register(userID, `${userID}-nick`);
  const token = await im.userToken(userID);
  const { client } = await connect(im.wsAddress, { userID, token });
  const post = <T>(path: string, body: unknown) => imPost<T>(im.apiAddress, path, body, token);
  return {
    userID,
    token,
    ws: client,
    post,
    async errCode(path, body) {
      try {
        await post(path, body);
        return 0;
      } catch (e) {
        return (e as { errCode?: number }).errCode ?? -1;
      }
    },
  };
}

export function pushed(c: TestClient): Pushed[] {
  const out: Pushed[] = [];
  for (const f of c.pushes()) {
    const pm = decodeData(PbCoder.PushMessages, f);
    for (const [notification, map] of [
      [false, pm.msgs],
      [true, pm.notificationMsgs],
    ] as const) {
      for (const [conversationID, pull] of Object.entries(map)) {
        for (const msg of pull.Msgs) out.push({ conversationID, notification, msg, operationID: f.operationID });
      }
    }
  }
  return out;
}

/** The double-encoded tips of a notification: content = {"detail": "<JSON>"}. */
export function tipsOf<T = Record<string, unknown>>(m: SdkWsProto.MsgData): T {
  const outer = JSON.parse(Buffer.from(m.content).toString('utf8')) as { detail: string };
  return JSON.parse(outer.detail) as T;
}

/** Wait for a push of `contentType` in the n_ stream (notification) or a chat conversation (stored copy). */
export function waitPush(c: TestClient, contentType: number, where: 'notification' | 'stored', match: (p: Pushed) => boolean = () => true): Promise<Pushed> {
  return c.waitFor(
    () => pushed(c).find((p) => p.msg.contentType === contentType && p.notification === (where === 'notification') && match(p)),
    `${where} ${contentType} to ${c.userID}`,
  );
}

export function countPushes(c: TestClient, contentType: number): number {
  return pushed(c).filter((p) => p.msg.contentType === contentType).length;
}

/** Send a text message over the gateway; resolves with the 1003 response frame. */
export function sendText(from: User, to: { recvID?: string; groupID?: string }, text: string): Promise<RespFrame> {
  const m = textMsg(from.userID, to.recvID ?? '', text, to.groupID ? { groupID: to.groupID, sessionType: 3 } : {});
  return from.ws.request(1003, encodeMsg(m), { operationID: `op-${text}` });
}

export async function hasReadAndMax(u: User, conversationID: string): Promise<{ maxSeq: number; hasReadSeq: number } | undefined> {
  const req = PbCoder.GetConversationsHasReadAndMaxSeqReq.encode({ userID: u.userID, conversationIDs: [conversationID] }).finish();
  const seqs = decodeData(PbCoder.GetConversationsHasReadAndMaxSeqResp, await u.ws.request(1006, req)).seqs;
  return seqs[conversationID];
}
