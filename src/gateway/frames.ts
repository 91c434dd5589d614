// Client frames in, server frames out (docs/gateway.md "Wire protocol").
//
//   request   {"reqFuncName","operationID","userID","data"}   data = JSON text of an args array
//   response  {"event","errCode","errMsg","data","operationID"} in exactly this key order;
//             data = JSON text of the result ("" result -> "\"\"", undefined -> ""), "" on errors
//   callback  the same shape with operationID ""
//
// A frame that cannot be understood is answered, never dropped: the client has no timeout and
// would wait forever. The answer's event is the reqFuncName when it names a callable function
// (else "Protocol Error", oimws' name), and its operationID is echoed when it is a plausible one.

import { EncodedResult } from '../supervisor/types.ts';
import { GatewayError, gatewayError, toWire } from '../errors.ts';
import { isValidOperationId } from '../ids.ts';
import { checkArgs, functions, lookupFunction, type CallableSpec } from './functions.ts';

const PROTOCOL_ERROR_EVENT = 'Protocol Error';

export interface Request {
  readonly reqFuncName: string;
  readonly operationID: string;
  readonly spec: CallableSpec;
  /** Checked and decoded arguments (json kinds parsed). */
  readonly args: unknown[];
}

/** A request that failed before dispatch, with what is needed to answer it. */
export class FrameError extends Error {
  readonly event: string;
  readonly operationID: string;
  override readonly cause: GatewayError;
  constructor(event: string, operationID: string, cause: GatewayError) {
    super(cause.message);
    this.name = 'FrameError';
    this.event = event;
    this.operationID = operationID;
    this.cause = cause;
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Text frames arrive as UTF-8 already checked by ws; binary ones (open-im-sdk 3.4) are checked here. */
export function frameText(data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean): string {
  const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
  if (!isBinary) return buf.toString('utf8');
  try {
    return utf8.decode(buf);
  } catch {
    throw new FrameError(PROTOCOL_ERROR_EVENT, '', gatewayError('GW_PROTOCOL_ERROR', 'binary frame is not UTF-8'));
  }
}

/**
 * Parse and validate one client frame for the connection of `sendID`.
 * Throws FrameError (GW_PROTOCOL_ERROR, GW_USER_MISMATCH, GW_UNKNOWN_FUNCTION,
 * GW_FUNCTION_FORBIDDEN, GW_BAD_ARGUMENTS).
 * `admit` runs once the envelope is known to be answerable and before the costly part (parsing
 * `data` and decoding arguments); it throws a GatewayError to refuse the frame (rate limits).
 */
export function parseRequest(text: string, sendID: string, admit?: () => void): Request {
  let msg: unknown;
  try {
    msg = JSON.parse(text);
  } catch {
    throw new FrameError(PROTOCOL_ERROR_EVENT, '', gatewayError('GW_PROTOCOL_ERROR', 'frame is not JSON'));
  }
  if (msg === null || typeof msg !== 'object' || Array.isArray(msg)) {
    throw new FrameError(PROTOCOL_ERROR_EVENT, '', gatewayError('GW_PROTOCOL_ERROR', 'frame is not a JSON object'));
  }
  const m = msg as Record<string, unknown>;
  const rawOp = m.operationID;
  const echoOp = typeof rawOp === 'string' && rawOp.length <= 128 ? rawOp : '';
  const rawFn = m.reqFuncName;
  // Only callable names are echoed as the event: the client drops any frame whose event is
  // InitSDK, and treats callback names (On...) as callbacks, so either would leave its promise
  // pending forever.
  const known = typeof rawFn === 'string' && Object.hasOwn(functions, rawFn) && functions[rawFn]!.access !== 'forbidden';
  const event = known ? rawFn : PROTOCOL_ERROR_EVENT;
  const fail = (e: GatewayError): never => {
    throw new FrameError(event, echoOp, e);
  };

  if (typeof rawFn !== 'string' || rawFn === '') fail(gatewayError('GW_PROTOCOL_ERROR', 'reqFuncName must be a non-empty string'));
  if (!isValidOperationId(rawOp)) fail(gatewayError('GW_PROTOCOL_ERROR', 'operationID must be 1-128 printable ASCII characters'));
  const fn = rawFn as string;
  const operationID = rawOp as string;
  if (admit) {
    try {
      admit();
    } catch (e) {
      fail(e as GatewayError);
    }
  }

  // The session is the authenticated connection's; the body userID only has to agree with it
  // (v2 routed by it, docs/protocol.md F1).
  if (m.userID !== undefined && m.userID !== sendID) fail(gatewayError('GW_USER_MISMATCH', 'body userID differs from the connection'));

  if (typeof m.data !== 'string') fail(gatewayError('GW_PROTOCOL_ERROR', 'data must be a string holding a JSON array'));
  let raw: unknown;
  try {
    raw = JSON.parse(m.data as string);
  } catch {
    fail(gatewayError('GW_PROTOCOL_ERROR', 'data is not JSON'));
  }
  if (!Array.isArray(raw)) fail(gatewayError('GW_PROTOCOL_ERROR', 'data must be a JSON array'));

  let spec: CallableSpec;
  let args: unknown[];
  try {
    spec = lookupFunction(fn);
    args = checkArgs(fn, spec, raw as unknown[]);
  } catch (e) {
    return fail(e as GatewayError);
  }
  // Login logs the connection's own user in, with the token checked at the upgrade; the token
  // argument is ignored (never forwarded, never logged).
  if (fn === 'Login' && args[0] !== sendID) fail(gatewayError('GW_USER_MISMATCH', 'Login userID differs from the connection'));
  return { reqFuncName: fn, operationID, spec, args };
}

/** `data` of a successful response: JSON text of the result; undefined -> "". */
export function resultData(result: unknown): string {
  // Worker results arrive already encoded: passed through, never parsed and re-encoded here.
  if (result instanceof EncodedResult) return result.json;
  if (result === undefined) return '';
  return JSON.stringify(result) ?? '';
}

export function formatFrame(event: string, errCode: number, errMsg: string, data: string, operationID: string): string {
  // Object literal order is the key order: event, errCode, errMsg, data, operationID.
  return JSON.stringify({ event, errCode, errMsg, data, operationID });
}

export function formatResult(event: string, operationID: string, result: unknown): string {
  return formatFrame(event, 0, '', resultData(result), operationID);
}

/**
 * An error response. Gateway and coded (SDK/server) errors keep their code and text; anything
 * else becomes GW_INTERNAL without its message (no stacks or paths to clients, docs/protocol.md F17).
 */
export function formatError(event: string, operationID: string, err: unknown): string {
  const w = toWire(err);
  return formatFrame(event, w.code, w.message, '', operationID);
}

export function formatEvent(event: string, data: string, errCode = 0, errMsg = ''): string {
  return formatFrame(event, errCode, errMsg, data, '');
}
