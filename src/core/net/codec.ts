// The message gateway's JSON envelopes (docs/protocol.md "Message gateway") and the protobuf payloads.

import { PbCoder } from '@openim/protocol';

export const ReqId = {
  GetNewestSeq: 1001,
  PullMsgByRange: 1002,
  SendMsg: 1003,
  PullMsgBySeqList: 1005,
  GetConvMaxReadSeq: 1006,
  PushMsg: 2001,
  KickOnline: 2002,
  Logout: 2003,
  SetBackgroundStatus: 2004,
  SubUserOnlineStatus: 2005,
} as const;

export interface WsRequest {
  reqIdentifier: number;
  msgIncr: string;
  sendID: string;
  operationID: string;
  data: string;
}

export interface WsResponse {
  reqIdentifier: number;
  msgIncr: string;
  operationID: string;
  errCode: number;
  errMsg: string;
  data: Uint8Array | null;
}

export function encodeRequest(r: WsRequest): Buffer {
  return Buffer.from(JSON.stringify(r), 'utf8');
}

export function decodeResponse(raw: Buffer): WsResponse {
  const o = JSON.parse(raw.toString('utf8')) as Partial<Record<keyof WsResponse, unknown>>;
  return {
    reqIdentifier: Number(o.reqIdentifier ?? 0),
    msgIncr: typeof o.msgIncr === 'string' ? o.msgIncr : '',
    operationID: typeof o.operationID === 'string' ? o.operationID : '',
    errCode: Number(o.errCode ?? 0),
    errMsg: typeof o.errMsg === 'string' ? o.errMsg : '',
    data: typeof o.data === 'string' && o.data !== '' ? new Uint8Array(Buffer.from(o.data, 'base64')) : null,
  };
}

export function b64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

function varint(n: number): number[] {
  const out: number[] = [];
  let v = n >>> 0;
  do {
    let b = v & 0x7f;
    v >>>= 7;
    if (v) b |= 0x80;
    out.push(b);
  } while (v);
  return out;
}

/**
 * `{userID = 1 string, field2 = 2 varint}`: the shape of sdkws.GetMaxSeqReq (no field 2),
 * push.DelUserPushTokenReq (2003, platformID) and sdkws.SetAppBackgroundStatusReq (2004,
 * isBackground) — none of which @openim/protocol exports.
 */
export function encodeUserReq(userID: string, field2?: number): Uint8Array {
  const s = Buffer.from(userID, 'utf8');
  const bytes = [0x0a, ...varint(s.length), ...s];
  if (field2) bytes.push(0x10, ...varint(field2));
  return new Uint8Array(bytes);
}

export { PbCoder };
