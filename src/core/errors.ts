// SDK core error codes (10xxx, the numbering OpenIM SDKs use); they pass through to the client.

/**
 * A failure the client should see with its code: an SDK code (10xxx) or an OpenIM server code
 * (1xxx) passed through. The worker sends it as {name: 'CodedError', code, message}; the
 * gateway side gets it back as a CoreError (src/errors.ts).
 */
export class CodedError extends Error {
  readonly code: number;
  constructor(code: number, message: string) {
    super(message);
    this.name = 'CodedError';
    this.code = code;
  }
}

export const SdkCode = {
  Network: 10000,
  NetworkTimeout: 10001,
  Args: 10002,
  ResourceLoadNotComplete: 10004,
  Unknown: 10005,
  Internal: 10006,
  UserIDNotFound: 10100,
  LoginOut: 10101,
  LoginRepeat: 10102,
  MsgRepeat: 10204,
  MsgContentTypeNotSupport: 10205,
  MsgHasNoSeq: 10206,
  NotSupportType: 10302,
  RecordNotFound: 10304,
  /**
   * sdkgate's own: the request exceeds a limit of the OpenIM server (src/core/limits.ts), so it
   * was refused before anything was sent or stored. openim-sdk-core has no code for this (its
   * codes stop at 10207 in this range); upstream the message would close the long connection.
   */
  LimitExceeded: 10290,
} as const;

export function argsError(message: string): CodedError {
  return new CodedError(SdkCode.Args, `ArgsError: ${message}`);
}

export function notFound(message: string): CodedError {
  return new CodedError(SdkCode.RecordNotFound, `RecordNotFound: ${message}`);
}

export function requireString(name: string, v: unknown): string {
  if (typeof v !== 'string') throw argsError(`${name} must be a string`);
  return v;
}

export function requireObject(name: string, v: unknown): Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw argsError(`${name} must be an object`);
  return v as Record<string, unknown>;
}

export function requireArray(name: string, v: unknown): unknown[] {
  if (!Array.isArray(v)) throw argsError(`${name} must be an array`);
  return v;
}

export function requireStrings(name: string, v: unknown): string[] {
  const a = requireArray(name, v);
  if (!a.every((x) => typeof x === 'string')) throw argsError(`${name} must be an array of strings`);
  return a;
}

/** Arguments the client may send as a JSON string or the gateway may already have decoded. */
export function jsonArg(name: string, v: unknown): unknown {
  if (typeof v !== 'string') return v;
  try {
    return JSON.parse(v);
  } catch {
    throw argsError(`${name} is not JSON`);
  }
}
