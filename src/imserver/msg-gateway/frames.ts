// JSON envelopes of the message gateway with sdkType=js (open-im-server message_handler.go):
// requests {reqIdentifier, token, sendID, operationID, msgIncr, data}, responses
// {reqIdentifier, msgIncr, operationID, errCode, errMsg, data}; `data` is base64 protobuf.

export interface WsReq {
  reqIdentifier: number;
  sendID: string;
  operationID: string;
  msgIncr: string;
  data: Uint8Array;
}

export interface WsResp {
  reqIdentifier: number;
  msgIncr: string;
  operationID: string;
  errCode: number;
  errMsg: string;
  data: Uint8Array | null;
}

const BASE64_RE = /^[A-Za-z0-9+/]*={0,2}$/;

/** Parse and validate one request; undefined means "close the connection" (as OpenIM does). */
export function parseReq(text: string): WsReq | undefined {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
  const o = v as Record<string, unknown>;
  const { reqIdentifier, sendID, operationID, msgIncr, data } = o;
  if (typeof reqIdentifier !== 'number' || !Number.isInteger(reqIdentifier) || reqIdentifier === 0) return undefined;
  if (typeof sendID !== 'string' || !sendID) return undefined;
  if (typeof operationID !== 'string' || !operationID) return undefined;
  if (typeof msgIncr !== 'string' || !msgIncr) return undefined;
  let bytes: Uint8Array = new Uint8Array(0);
  if (data !== undefined && data !== null) {
    if (typeof data !== 'string' || data.length % 4 !== 0 || !BASE64_RE.test(data)) return undefined;
    bytes = Buffer.from(data, 'base64');
  }
  return { reqIdentifier, sendID, operationID, msgIncr, data: bytes };
}

export function encodeResp(r: WsResp): string {
  return JSON.stringify({
    reqIdentifier: r.reqIdentifier,
    msgIncr: r.msgIncr,
    operationID: r.operationID,
    errCode: r.errCode,
    errMsg: r.errMsg,
    data: r.data && r.data.length ? Buffer.from(r.data).toString('base64') : null,
  });
}
