// The one small interface between a session worker and the SDK core it hosts.
// The worker imports a core module, calls its `createCore(init)` once per session, dispatches
// calls to `functions[name]`, forwards `emit`ted callbacks, and calls `close()` on shutdown.
// The real OpenIM core (src/core/index.ts) and the fixture cores in test/fixtures implement it.

export interface CoreInit {
  readonly userID: string;
  readonly platformID: number;
  /** The session's own directory; created by the worker before createCore. */
  readonly dataDir: string;
  readonly apiAddress: string;
  readonly wsAddress: string;
  /**
   * The session continues a client that has shown messages (it redialled after a failover): a
   * first sync of a new data dir reports the unread messages as new instead of staying silent.
   */
  readonly resumed?: boolean;
  /**
   * Deliver a callback to every connection of the session, in call order. `origin`: the
   * clientMsgID when the callback reports the server's echo of a message this core sent; the
   * connection that sent it is then left out (it has the send's answer).
   */
  readonly emit: (event: string, data?: unknown, errCode?: number, errMsg?: string, origin?: string) => void;
  /** Structured logger bound to the session; never pass tokens or Login arguments to it. */
  readonly log: CoreLogger;
  /** Reports each REST request to the OpenIM API (route and timing only) for upstream metrics. */
  readonly onRest?: (sample: RestSample) => void;
}

/** One REST request to the OpenIM API: which route, how long, and how it ended. */
export interface RestSample {
  /** The route path, e.g. `/friend/add_friend` (the gateway reduces it to its family). */
  readonly route: string;
  readonly seconds: number;
  /** `business_error`: the server answered a non-zero errCode; `error`: no usable answer (network, timeout, HTTP error). */
  readonly outcome: 'ok' | 'business_error' | 'error';
}

export interface CoreLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface CallContext {
  readonly operationID: string;
  /**
   * Aborted when the call is cancelled or its deadline passes. Created when first read: a
   * function that has nothing to cut short should not read it.
   */
  readonly signal: AbortSignal;
}

/**
 * A callable SDK function. Arguments are the positional args the client sent, already
 * validated by the gateway, with JSON-string arguments decoded (see src/gateway/functions.ts).
 * The resolved value is JSON-serialised into the response's `data` (undefined → `""`).
 * Throw a CodedError (errors.ts) for a failure whose code the client should see.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each function declares its own parameters; `unknown[]` would refuse them all
export type CoreFunction = (ctx: CallContext, ...args: any[]) => Promise<unknown>;

export interface SdkCore {
  readonly functions: Readonly<Record<string, CoreFunction>>;
  /**
   * True: the host answers every call at its deadline or cancellation, with the abort reason,
   * even if the function is still running (its work may finish in the background, e.g. a send
   * whose outcome the core reports through callbacks and its local store). Otherwise a call is
   * answered only when its function settles, and a function that ignores `ctx.signal` past the
   * deadline is taken for a stuck worker (the supervisor restarts it).
   */
  readonly answerAtDeadline?: boolean;
  /**
   * Flush and close everything (databases, the long connection). Idempotent.
   * `reason` tells whether the user logged out (the core may tell the server) or the session
   * is only being evicted or restarted (the core must not invalidate the token).
   */
  close(reason: 'logout' | 'idle' | 'admin' | 'drain' | 'restart' | 'signed_out'): Promise<void>;
}

export type CoreFactory = (init: CoreInit) => Promise<SdkCore> | SdkCore;

/** What a core module exports. */
export interface CoreModule {
  readonly createCore: CoreFactory;
}
