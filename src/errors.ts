// The error catalog: every error sdkgate itself produces, with a stable name and a stable
// numeric errCode. Clients branch on `errCode` (the wire carries numbers), operators read `name`.
//
// Rules (checked by test/errors.test.ts):
// - codes are unique and never reused once retired;
// - every entry appears in the README "Error codes" table, and the table lists nothing else;
// - gateway codes live in 20001–20099 so they never collide with OpenIM server codes (1xxx)
//   or SDK core codes (10xxx), which pass through unchanged.
//
// `http` is the status used when the error rejects an upgrade or an admin request;
// `close` is the WebSocket close code used when the error ends a connection.

export interface ErrorSpec {
  readonly code: number;
  readonly message: string;
  readonly http?: number;
  readonly close?: number;
  /** True when retrying the same request later can succeed (Durable Objects' `.retryable`). */
  readonly retryable?: boolean;
}

export const catalog = {
  // --- frames and calls (answered on the WebSocket, operationID echoed) ---
  GW_PROTOCOL_ERROR: { code: 20001, message: 'Malformed frame' },
  GW_UNKNOWN_FUNCTION: { code: 20002, message: 'Unknown function' },
  GW_FUNCTION_FORBIDDEN: { code: 20003, message: 'Function is not callable through the gateway' },
  GW_BAD_ARGUMENTS: { code: 20004, message: 'Bad arguments' },
  GW_USER_MISMATCH: { code: 20005, message: 'Request is not for the authenticated user' },
  GW_NOT_LOGGED_IN: { code: 20006, message: 'Call Login first' },
  GW_RATE_LIMITED: { code: 20007, message: 'Too many requests on this connection', retryable: true },
  GW_BUSY: { code: 20008, message: 'Session queue is full', retryable: true },
  GW_SESSION_CRASHED: { code: 20009, message: 'Session worker exited during the call: outcome unknown, retry the same request', retryable: true },
  GW_SESSION_RESTARTING: { code: 20010, message: 'Session is restarting', retryable: true },
  GW_SESSION_QUARANTINED: { code: 20011, message: 'Session is quarantined after repeated crashes' },
  GW_CALL_TIMEOUT: { code: 20012, message: 'Call timed out', retryable: true },
  GW_DRAINING: { code: 20013, message: 'Gateway is shutting down', http: 503, close: 1001, retryable: true },
  GW_CAPACITY: { code: 20014, message: 'Gateway is at session capacity', http: 503, retryable: true },
  GW_DUPLICATE_OPERATION: { code: 20015, message: 'operationID is already in flight on this connection' },
  GW_SESSION_STOPPED: { code: 20016, message: 'Session stopped' },
  GW_INTERNAL: { code: 20017, message: 'Internal gateway error', retryable: true },
  GW_SLOW_CONSUMER: { code: 20018, message: 'Client is not reading fast enough', close: 1013, retryable: true },
  GW_LOGIN_QUEUE_FULL: { code: 20019, message: 'Too many sessions are starting; retry shortly', http: 503, retryable: true },
  GW_SESSION_MOVED: { code: 20020, message: 'The session moved to another node', close: 1012, retryable: true },

  // --- upgrade (answered as HTTP before any upgrade, body {errCode, errMsg}) ---
  GW_BAD_QUERY: { code: 20030, message: 'Bad upgrade query', http: 400 },
  GW_BAD_TOKEN: { code: 20031, message: 'Token rejected', http: 401 },
  GW_TOKEN_MISMATCH: { code: 20032, message: 'Token belongs to another user or platform', http: 403 },
  GW_ORIGIN_FORBIDDEN: { code: 20033, message: 'Origin not allowed', http: 403 },
  GW_TOO_MANY_CONNECTIONS: { code: 20034, message: 'Connection cap reached', http: 429, retryable: true },
  GW_TOO_MANY_UPGRADES: { code: 20035, message: 'Too many upgrade attempts from this address', http: 429, retryable: true },
  GW_UPSTREAM_UNAVAILABLE: { code: 20036, message: 'OpenIM API unreachable', http: 503, retryable: true },
  GW_METHOD_NOT_ALLOWED: { code: 20037, message: 'Upgrade requests must use GET', http: 405 },

  // --- admin API ---
  GW_ADMIN_UNAUTHORIZED: { code: 20050, message: 'Admin token required', http: 401 },
  GW_ADMIN_NOT_FOUND: { code: 20051, message: 'No such admin route or session', http: 404 },
  GW_ADMIN_BAD_REQUEST: { code: 20052, message: 'Bad admin request', http: 400 },
  GW_FAULT_INJECTION_OFF: { code: 20053, message: 'Fault injection is disabled (--fault-injection)', http: 403 },
  GW_ADMIN_LIMITED: { code: 20054, message: 'Too many admin logins or dashboard streams', http: 429, retryable: true },
  GW_FAULT_NEEDS_PROCESS: { code: 20055, message: 'A thread cannot contain this fault kind; run the session with --isolation process', http: 409 },
  GW_ADMIN_BODY_TOO_LARGE: { code: 20056, message: 'Admin request body too large', http: 413 },
  GW_ADMIN_UNSUPPORTED_MEDIA_TYPE: { code: 20057, message: 'Admin request body must be application/json', http: 415 },

  // --- process level ---
  GW_OPTIONS_INVALID: { code: 20070, message: 'Invalid option' },
  GW_HEAP_LIMIT_OVERRIDDEN: { code: 20071, message: 'Worker heap limit differs from the configured one' },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorName = keyof typeof catalog;

/**
 * Why a session worker ended. Every exit is classified as exactly one of these. The last five
 * only happen with process isolation: a native crash or a signal ends a thread's whole process,
 * and the OS limits exist per process only (src/supervisor/process-host.ts).
 */
export type ExitReason =
  | 'normal'
  | 'exception'
  | 'unhandled_rejection'
  | 'oom'
  | 'exit'
  | 'watchdog'
  | 'init_failed'
  | 'native_crash'
  | 'killed'
  | 'memory_limit'
  | 'cpu_limit'
  | 'fd_limit';

/** An error that crosses the thread boundary or the wire: plain data, no prototype. */
export interface WireError {
  readonly name: string;
  readonly code: number;
  readonly message: string;
  readonly detail?: Record<string, unknown>;
}

export class GatewayError extends Error {
  readonly code: number;
  readonly errorName: ErrorName | string;
  readonly detail: Record<string, unknown> | undefined;
  readonly http: number | undefined;
  readonly close: number | undefined;
  readonly retryable: boolean;

  constructor(name: ErrorName, message?: string, detail?: Record<string, unknown>) {
    const spec: ErrorSpec = catalog[name];
    super(message ? `${spec.message}: ${message}` : spec.message);
    this.name = 'GatewayError';
    this.errorName = name;
    this.code = spec.code;
    this.detail = detail;
    this.http = spec.http;
    this.close = spec.close;
    this.retryable = spec.retryable ?? false;
  }
}

export function gatewayError(name: ErrorName, message?: string, detail?: Record<string, unknown>): GatewayError {
  return new GatewayError(name, message, detail);
}

export function isGatewayError(e: unknown, name?: ErrorName): e is GatewayError {
  return e instanceof GatewayError && (name === undefined || e.errorName === name);
}

/**
 * A failure that came from the SDK core or the OpenIM server: its code passes through to the
 * client unchanged (1xxx server codes, 10xxx SDK codes). The core throws its own CodedError
 * (src/core/errors.ts: the core imports nothing outside itself); this is that error on the
 * gateway's side of the wire, and it crosses back under the same wire name.
 */
export class CoreError extends Error {
  readonly code: number;
  constructor(code: number, message: string) {
    super(message);
    this.name = 'CodedError'; // its wire name, on both sides
    this.code = code;
  }
}

export function toWire(e: unknown): WireError {
  if (e instanceof GatewayError) {
    return { name: String(e.errorName), code: e.code, message: e.message, ...(e.detail ? { detail: e.detail } : {}) };
  }
  if (e && typeof e === 'object' && typeof (e as { code?: unknown }).code === 'number') {
    const o = e as { code: number; message?: unknown; name?: unknown };
    return { name: typeof o.name === 'string' ? o.name : 'Error', code: o.code, message: typeof o.message === 'string' ? o.message : '' };
  }
  // Unknown errors are internal: never leak their text (stacks, paths) to clients.
  return { name: 'GW_INTERNAL', code: catalog.GW_INTERNAL.code, message: catalog.GW_INTERNAL.message };
}

export function fromWire(w: WireError): Error {
  // hasOwn, not `in`: a name like 'constructor' or 'toString' must not match the prototype.
  if (Object.hasOwn(catalog, w.name)) {
    const e = new GatewayError(w.name as ErrorName, undefined, w.detail);
    // Keep the original message (it may carry specifics added on the other side).
    Object.defineProperty(e, 'message', { value: w.message });
    return e;
  }
  return new CoreError(w.code, w.message);
}

/** The HTTP JSON body used for upgrade and admin rejections. */
export function httpBody(e: GatewayError): string {
  return JSON.stringify({ errCode: e.code, errMsg: e.message });
}
