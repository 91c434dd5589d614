// The message gateway's JSON envelopes (openim-server-protocol.md §2.3) and the protobuf payloads.

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

/** sdkws.GetMaxSeqReq {userID = 1}: not exported by @openim/protocol, one string field. */
export function encodeGetMaxSeqReq(userID: string): Uint8Array {
  const s = Buffer.from(userID, 'utf8');
  const len: number[] = [];
  let n = s.length;
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n) b |= 0x80;
    len.push(b);
  } while (n);
  return new Uint8Array([0x0a, ...len, ...s]);
}

export { PbCoder };
