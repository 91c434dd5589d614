// One handler per reqIdentifier. Each decodes its protobuf `data`, checks that any userID in it
// is the connection's user, and returns the protobuf answer (null = empty). `after` runs once
// the response frame is written: that is where pushes go, so the echo follows the response
// (and to the sending connection only after a pause: MsgGatewayConn.sendFrame).

import { PbCoder } from '@openim/protocol';
import type { Reader } from '../pull.ts';
import { decodeDelUserPushTokenReq, decodeGetLastMessageReq, decodeGetMaxSeqReq, encodeGetLastMessageResp, type MsgData } from '../codec.ts';
import type { ImContext } from '../context.ts';
import { imArgsError, ImCode, imError } from '../errs.ts';
import { encodeOnlineStatus, WS_SUB_USER_ONLINE_STATUS, type PushTarget } from '../push.ts';
import { readFields } from '../wire.ts';

const WS_GET_NEWEST_SEQ = 1001;
const WS_PULL_MSG_BY_SEQ_LIST = 1002;
const WS_SEND_MSG = 1003;
const WS_PULL_MSG = 1005;
const WS_GET_CONV_MAX_READ_SEQ = 1006;
const WS_PULL_CONV_LAST_MESSAGE = 1007;
const WS_LOGOUT_MSG = 2003;
const WS_SET_BACKGROUND_STATUS = 2004;

type HandlerConn = PushTarget;

interface HandlerResult {
  data: Uint8Array | null;
  after?: () => void;
  /** Close the connection after the response (2003 logout). */
  close?: boolean;
}

export type Handler = (im: ImContext, conn: HandlerConn, data: Uint8Array, operationID: string) => HandlerResult;

function decode<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof Error && e.name === 'ImError') throw e;
    throw imArgsError(`invalid protobuf: ${(e as Error).message}`);
  }
}

/** A userID in a request must be empty or the connection's own. */
function sameUser(conn: HandlerConn, userID: string): void {
  if (userID && userID !== conn.userID) throw imError(ImCode.NoPermission, `${conn.userID} may not act for ${userID}`);
}

function pullResp(res: ReturnType<Reader['pullRange']>): Uint8Array {
  return PbCoder.PullMessageBySeqsResp.encode(res).finish();
}

export const handlers: ReadonlyMap<number, Handler> = new Map<number, Handler>([
  [
    WS_GET_NEWEST_SEQ,
    (im, conn, data) => {
      sameUser(conn, decode(() => decodeGetMaxSeqReq(data)).userID);
      return { data: PbCoder.GetMaxSeqResp.encode(im.reader.maxSeqs(conn.userID)).finish() };
    },
  ],
  [
    WS_PULL_MSG_BY_SEQ_LIST,
    (im, conn, data) => {
      const req = decode(() => PbCoder.PullMessageBySeqsReq.decode(data));
      sameUser(conn, req.userID);
      return { data: pullResp(im.reader.pullRange(conn.userID, req.seqRanges, req.order)) };
    },
  ],
  [
    WS_SEND_MSG,
    (im, conn, data, operationID) => {
      const msg: MsgData = decode(() => PbCoder.MsgData.decode(data));
      if (msg.sendID !== conn.userID) throw imError(ImCode.NoPermission, `sendID ${msg.sendID} is not the connection's user`);
      if (!msg.senderPlatformID) msg.senderPlatformID = conn.platformID;
      const res = im.sender.send(msg, operationID);
      const resp = PbCoder.UserSendMsgResp.encode({ serverMsgID: res.serverMsgID, clientMsgID: res.clientMsgID, sendTime: res.sendTime }).finish();
      return { data: resp, after: () => res.deliver(conn) };
    },
  ],
  [
    WS_PULL_MSG,
    (im, conn, data) => {
      const req = decode(() => PbCoder.GetSeqMessageReq.decode(data));
      sameUser(conn, req.userID);
      return { data: PbCoder.GetSeqMessageResp.encode(im.reader.pullSeqs(conn.userID, req.conversations)).finish() };
    },
  ],
  [
    WS_GET_CONV_MAX_READ_SEQ,
    (im, conn, data) => {
      const req = decode(() => PbCoder.GetConversationsHasReadAndMaxSeqReq.decode(data));
      sameUser(conn, req.userID);
      const seqs = im.reader.hasReadAndMaxSeq(conn.userID, req.conversationIDs);
      return { data: PbCoder.GetConversationsHasReadAndMaxSeqResp.encode({ seqs }).finish() };
    },
  ],
  [
    WS_PULL_CONV_LAST_MESSAGE,
    (im, conn, data) => {
      const req = decode(() => decodeGetLastMessageReq(data));
      sameUser(conn, req.userID);
      const out = new Map<string, MsgData>();
      for (const id of new Set(req.conversationIDs)) {
        const m = im.reader.lastMessage(conn.userID, id);
        if (m) out.set(id, m);
      }
      return { data: encodeGetLastMessageResp(out) };
    },
  ],
  [
    WS_LOGOUT_MSG,
    (_im, conn, data) => {
      const req = decode(() => decodeDelUserPushTokenReq(data));
      sameUser(conn, req.userID);
      return { data: null, close: true };
    },
  ],
  [
    WS_SET_BACKGROUND_STATUS,
    (_im, conn, data) => {
      let userID = '';
      decode(() =>
        readFields(data, (r, f, wt) => {
          if (f === 1 && wt === 2) userID = r.string();
          else return false;
          return true;
        }),
      );
      sameUser(conn, userID);
      return { data: null };
    },
  ],
  [
    WS_SUB_USER_ONLINE_STATUS,
    (im, conn, data) => {
      // Answers the current platforms of the users subscribed to; later changes are pushed.
      const req = decode(() => PbCoder.SubUserOnlineStatus.decode(data));
      im.hub.subscribe(conn, req.subscribeUserID, req.unsubscribeUserID);
      const subscribers = [...new Set(req.subscribeUserID)].map((userID) => ({ userID, onlinePlatformIDs: im.hub.platforms(userID) }));
      return { data: encodeOnlineStatus(subscribers) };
    },
  ],
]);
