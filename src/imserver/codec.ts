// Protobuf payloads of the message gateway and /jssdk routes: @openim/protocol's coders plus
// hand-written ones (wire.ts) for the messages it lacks, and default factories because its
// encoders need fully populated objects.

import { PbCoder, type SdkWsProto } from '@openim/protocol';
import { readFields, WireWriter } from './wire.ts';

export type MsgData = SdkWsProto.MsgData;
export type PullMsgs = SdkWsProto.PullMsgs;

export function emptyMsg(): MsgData {
  return {
    sendID: '',
    recvID: '',
    groupID: '',
    clientMsgID: '',
    serverMsgID: '',
    senderPlatformID: 0,
    senderNickname: '',
    senderFaceURL: '',
    sessionType: 0,
    msgFrom: 0,
    contentType: 0,
    content: new Uint8Array(0),
    seq: 0,
    sendTime: 0,
    createTime: 0,
    status: 0,
    isRead: false,
    options: {},
    offlinePushInfo: undefined,
    atUserIDList: [],
    attachedInfo: '',
    ex: '',
    keyVersion: 0,
    dstUserIDs: [],
  };
}

/** `{seq, status: 4}`: the placeholder for a missing or deleted message. */
export function placeholderMsg(seq: number): MsgData {
  return { ...emptyMsg(), seq, status: 4 };
}

export function encodeMsg(m: MsgData): Uint8Array {
  return PbCoder.MsgData.encode(m).finish();
}

export function decodeMsg(b: Uint8Array): MsgData {
  return PbCoder.MsgData.decode(b);
}

/** sdkws.GetMaxSeqReq {userID=1} */
export function decodeGetMaxSeqReq(b: Uint8Array): { userID: string } {
  let userID = '';
  readFields(b, (r, f, wt) => {
    if (f === 1 && wt === 2) {
      userID = r.string();
      return true;
    }
    return false;
  });
  return { userID };
}

/** msg.GetLastMessageReq {userID=1, conversationIDs=2} */
export function decodeGetLastMessageReq(b: Uint8Array): { userID: string; conversationIDs: string[] } {
  let userID = '';
  const conversationIDs: string[] = [];
  readFields(b, (r, f, wt) => {
    if (wt !== 2) return false;
    if (f === 1) userID = r.string();
    else if (f === 2) conversationIDs.push(r.string());
    else return false;
    return true;
  });
  return { userID, conversationIDs };
}

/** msg.GetLastMessageResp {msgs=1 map<string, MsgData>} */
export function encodeGetLastMessageResp(msgs: ReadonlyMap<string, MsgData>): Uint8Array {
  const w = new WireWriter();
  for (const [k, m] of msgs) {
    const entry = new WireWriter().stringField(1, k).bytesField(2, encodeMsg(m)).finish();
    w.bytesField(1, entry);
  }
  return w.finish();
}

/** push.DelUserPushTokenReq {userID=1, platformID=2} */
export function decodeDelUserPushTokenReq(b: Uint8Array): { userID: string; platformID: number } {
  let userID = '';
  let platformID = 0;
  readFields(b, (r, f, wt) => {
    if (f === 1 && wt === 2) userID = r.string();
    else if (f === 2 && wt === 0) platformID = r.varint();
    else return false;
    return true;
  });
  return { userID, platformID };
}

/** MsgData as OpenIM's JSON (proto names, zero values kept, bytes base64, empty map omitted). */
export function msgToJson(m: MsgData): Record<string, unknown> {
  const out: Record<string, unknown> = {
    sendID: m.sendID,
    recvID: m.recvID,
    groupID: m.groupID,
    clientMsgID: m.clientMsgID,
    serverMsgID: m.serverMsgID,
    senderPlatformID: m.senderPlatformID,
    senderNickname: m.senderNickname,
    senderFaceURL: m.senderFaceURL,
    sessionType: m.sessionType,
    msgFrom: m.msgFrom,
    contentType: m.contentType,
    content: Buffer.from(m.content).toString('base64'),
    seq: m.seq,
    sendTime: m.sendTime,
    createTime: m.createTime,
    status: m.status,
    isRead: m.isRead,
  };
  if (Object.keys(m.options).length) out.options = m.options;
  out.offlinePushInfo = m.offlinePushInfo ?? null;
  out.atUserIDList = m.atUserIDList;
  out.attachedInfo = m.attachedInfo;
  out.ex = m.ex;
  return out;
}

export function pullMapToJson(map: Record<string, PullMsgs>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(map)) out[k] = { Msgs: v.Msgs.map(msgToJson), isEnd: v.isEnd };
  return out;
}
