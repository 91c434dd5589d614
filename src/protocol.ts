// Every message that crosses the main <-> session-worker boundary. Types only: nothing here
// exists at runtime, so the worker entry can import it without pulling in the supervisor.
//
// The same messages serve both isolations that have a boundary. `thread`: a worker's parentPort
// carries the control messages and a MessagePort the session's. `process`: one IPC channel
// (advanced serialization, i.e. the structured clone a MessagePort uses) carries both; the
// `type`s do not overlap, so each side routes control messages to the host and the rest to the
// RPC. Only CrashMessage is process-only: a thread's uncaught error reaches the main side as the
// Worker's 'error' event, a process's would be lost with it.
//
//   main thread                                   session worker (one per userID+platformID)
//   ───────────                                   ──────────────────────────────────────────
//   new Worker(workerData: WorkerBoot) ─────────▶ imports the core module, checks heap limit
//                         parentPort ◀─────────── LoadedMessage | FatalMessage
//   BindMessage {port} ─── parentPort ──────────▶ creates the core for one user
//                                                   (a warm spare waits here unbound)
//   ══════════════ the session's MessagePort from here on ══════════════
//   CallMessage / CancelMessage / PingMessage ──▶
//   FaultMessage / ShutdownMessage ─────────────▶
//   LogLevelMessage (SIGHUP) ───────────────────▶
//                               ◀─────────────── ReadyMessage, ResultMessage, EventMessage,
//                                                 PongMessage (+ heap), ClosedMessage,
//                                                 LogMessage, UpstreamMessage
//
// Events and results share one port, so a callback emitted before a call's result is delivered
// before it: per-session order is the worker's order.

import type { MessagePort } from 'node:worker_threads';
import type { RestSample } from './core/contract.ts';
import type { WireError } from './errors.ts';

/** Bump with any change to the messages below: a worker refuses a gateway of another version. */
export const PROTOCOL_VERSION = 1;

/** Passed as `workerData`. Nothing user-specific: a spare worker is generic until bound. */
export interface WorkerBoot {
  readonly protocolVersion: typeof PROTOCOL_VERSION;
  /** Absolute path or file URL of the core module (exports `createCore: CoreFactory`). */
  readonly coreModule: string;
  /** The old-generation limit asked for, MB. The worker refuses to run if V8 disagrees. */
  readonly heapLimitMb: number;
  readonly faultInjection: boolean;
  readonly logLevel: string;
}

export interface SessionBinding {
  readonly sessionId: string;
  readonly userID: string;
  readonly platformID: number;
  /** Already safely derived from the IDs (see src/ids.ts). */
  readonly dataDir: string;
  readonly apiAddress: string;
  readonly wsAddress: string;
  /**
   * The session was started by a client that was logged in before and redialled (failover from
   * another node, or this one restarted): it has shown messages already, so a first sync of a
   * new data dir reports the unread ones as new (core/sync/syncer.ts).
   */
  readonly resumed?: boolean;
}

// ---- parentPort, main -> worker ----
export interface BindMessage {
  readonly type: 'bind';
  readonly binding: SessionBinding;
  /** The session's port (thread isolation). Absent for a process: its IPC channel is the port. */
  readonly port?: MessagePort;
}

// ---- parentPort, worker -> main ----
export interface LoadedMessage {
  readonly type: 'loaded';
  readonly heapSizeLimit: number;
}
interface FatalMessage {
  readonly type: 'fatal';
  readonly error: WireError;
}
/**
 * Process isolation only: the child's last words before it exits on an uncaught exception (or
 * an unhandled rejection, rethrown as one). The exit status alone would only say "code 70".
 */
export interface CrashMessage {
  readonly type: 'crash';
  readonly reason: 'exception' | 'unhandled_rejection';
  readonly detail: string;
}
export type WorkerControlMessage = LoadedMessage | FatalMessage | CrashMessage;

// ---- session port, main -> worker ----
export interface CallMessage {
  readonly type: 'call';
  readonly id: number;
  readonly fn: string;
  /** Decoded positional arguments (the gateway already validated and parsed them). */
  readonly args: readonly unknown[];
  readonly operationID: string;
  /** Absolute deadline, ms since epoch. The worker abandons work past it. */
  readonly deadline: number;
}
interface CancelMessage {
  readonly type: 'cancel';
  readonly id: number;
}
interface PingMessage {
  readonly type: 'ping';
  readonly seq: number;
}
/**
 * JavaScript faults (`throw` ... `oom`) are contained by a thread. `abort`, `segfault` and
 * `sigkill` end the whole process that hosts the core, and `fd-exhaustion` takes the process's
 * file descriptors: only process isolation contains them (src/supervisor/faults.ts). `cpu-burn`
 * keeps the core busy while it still answers (the watchdog must not fire; a CPU limit throttles).
 */
export type FaultKind =
  | 'throw' | 'reject' | 'exit' | 'loop' | 'oom'
  | 'abort' | 'segfault' | 'sigkill' | 'fd-exhaustion' | 'cpu-burn';
/** How long cpu-burn keeps a core busy (workers/faults.ts burns; the supervisor's chaos judges the burn by it). */
export const CPU_BURN_MS = 5_000;
interface FaultMessage {
  readonly type: 'fault';
  readonly kind: FaultKind;
}
export interface ShutdownMessage {
  readonly type: 'shutdown';
  /** Why the session ends; the core may use it (e.g. skip server-side logout on idle eviction). */
  /** `signed_out`: the server kicked the user or their token expired; the core must not reconnect. */
  readonly reason: 'logout' | 'idle' | 'admin' | 'drain' | 'restart' | 'signed_out';
}
/** The gateway's log level changed (SIGHUP): drop lines below `level` from now on. */
interface LogLevelMessage {
  readonly type: 'log-level';
  readonly level: string;
}
export type MainToWorker = CallMessage | CancelMessage | PingMessage | FaultMessage | ShutdownMessage | LogLevelMessage;

// ---- session port, worker -> main ----
export interface ReadyMessage {
  readonly type: 'ready';
  readonly threadId: number;
}
export type ResultMessage =
  /**
   * `json` is the result already JSON-encoded by the worker ('' for undefined). Structured clone
   * would be deserialised recursively on the main thread, where a deeply nested value (e.g. a
   * crafted message another user sent) overflows the stack and kills the session as a
   * messageerror; a string never does, and JSON.parse is iterative.
   */
  | { readonly type: 'result'; readonly id: number; readonly ok: true; readonly json: string }
  | { readonly type: 'result'; readonly id: number; readonly ok: false; readonly error: WireError };
export interface EventMessage {
  readonly type: 'event';
  readonly event: string;
  /** Already JSON text, as it goes on the wire (`""` for no-arg callbacks). */
  readonly data: string;
  readonly errCode: number;
  readonly errMsg: string;
  /**
   * Set on the echo of a message this session sent: its clientMsgID. The tab that sent it does
   * not get the event (it has the send's answer); every other tab does (src/supervisor/own-sends.ts).
   */
  readonly origin?: string;
}
/** The answer to a ping, with the worker's heap: the watchdog pings only when it needs either. */
export interface PongMessage {
  readonly type: 'pong';
  readonly seq: number;
  readonly heapUsed: number;
  readonly heapLimit: number;
}
/** The core closed cleanly (databases flushed); the worker exits right after. */
interface ClosedMessage {
  readonly type: 'closed';
}
/**
 * A log line from the core or the worker entry. The main thread writes it through the session's
 * child logger, so bindings (userID, platformID, sessionId) and redaction apply in one place.
 * The worker drops lines below WorkerBoot.logLevel before posting.
 */
export interface LogMessage {
  readonly type: 'log';
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly obj: Record<string, unknown>;
  readonly msg?: string;
}
/**
 * One REST request the core made to the OpenIM API, for the gateway's upstream metrics (aggregated
 * on the main thread by route family, never by user). Long-connection health needs no message of
 * its own: the core's OnConnecting/OnConnectSuccess/OnConnectFailed events already say it.
 */
export interface UpstreamMessage {
  readonly type: 'upstream';
  readonly sample: RestSample;
}
export type WorkerToMain =
  | ReadyMessage | ResultMessage | EventMessage | PongMessage | ClosedMessage | FatalMessage | LogMessage | UpstreamMessage;
