// The contract between the edge (src/gateway) and the session supervisor (src/supervisor).
// The gateway authenticates and parses; the supervisor owns sessions, workers and the
// connection -> session binding. Types only.

import type { ExitReason } from '../errors.ts';
import type { GatewayOptions } from '../options.ts';
import type { FaultKind } from '../protocol.ts';
import type { Isolation } from './host.ts';

// A call's result as the worker encoded it (JSON text the gateway forwards as is); part of this
// contract so the gateway needs nothing from src/rpc.
export { EncodedResult } from '../rpc/encoded.ts';

/** Who a connection is, as established by parse_token before the upgrade. */
export interface Principal {
  readonly userID: string;
  readonly platformID: number;
  /** Kept only to log the core in (and in again after a restart). Never logged. */
  readonly token: string;
}

/**
 * The edge's token verdicts, as the supervisor needs them before a connection reaches a session.
 * A token may attach to a running session only if it is that session's own current token or
 * upstream accepted it moments ago; a kick or token error of the pair's core voids every verdict
 * for the pair, and a newer token voids the others' (docs/gateway.md "What the token cache can
 * and cannot let in").
 */
export interface TokenAuthority {
  /** Upstream accepted this principal's token moments ago, and nothing revoked or superseded the pair since. No I/O. */
  vouches(p: Principal): boolean;
  /**
   * Ask upstream now (a cached acceptance is not enough); afterwards `vouches(p)` holds unless
   * the pair was revoked meanwhile. Rejects GW_BAD_TOKEN, GW_TOKEN_MISMATCH or GW_UPSTREAM_UNAVAILABLE.
   */
  recheck(p: Principal, operationID: string): Promise<void>;
  /** The pair's core was signed out (kicked, token error): forget every verdict for it. */
  revoked(userID: string, platformID: number): void;
  /** `token` became the pair's session token: the pair's other tokens must be verified again to attach. */
  superseded(userID: string, platformID: number, token: string): void;
}

/** What the supervisor needs from one client connection. */
export interface SessionClient {
  /** Unique per connection, for logs and the admin API. */
  readonly id: string;
  readonly principal: Principal;
  /**
   * Names the client instance across its sockets (the gateway uses the upgrade URL's
   * operationID, which open-im-sdk reuses when it redials): a socket that comes back with the
   * key of a dropped one resumes its callbacks (parked-tabs.ts). Absent: never resumed. A Login
   * under another operationID than this comes from a client that redialled (it was logged in
   * before and has shown messages: SessionBinding.resumed).
   */
  readonly resumeKey?: string;
  /**
   * Deliver a callback to this client. Called in the session's event order; the connection
   * must send in the same order (or close itself as a slow consumer).
   */
  sendEvent(event: string, data: string, errCode: number, errMsg: string): void;
  /**
   * The callbacks given to sendEvent that were never written (the socket was closing already),
   * in order, once: a parked tab gets them back (parked-tabs.ts). What was written before a cut
   * cannot be told apart from what arrived.
   */
  undelivered?(): Array<{ event: string; data: string; errCode: number; errMsg: string }>;
  /** End the connection (e.g. quarantine, admin stop, drain). */
  close(code: number, reason: string): void;
}

export type SessionState =
  | 'starting'
  | 'ready'
  | 'draining'
  | 'stopped'
  | 'crashed'
  | 'backoff'
  | 'restarting'
  | 'quarantined';

export interface SessionInfo {
  readonly sessionId: string;
  readonly userID: string;
  readonly platformID: number;
  readonly state: SessionState;
  readonly connections: number;
  readonly restarts: number;
  readonly lastExit: { readonly reason: ExitReason; readonly detail: string; readonly at: number } | null;
  /** The worker's thread id (the main thread's for `none`); null for a process or between workers. */
  readonly threadId: number | null;
  readonly isolation: 'thread' | 'process' | 'none';
  /** The process the core runs in: a session process's own pid, else the gateway's. */
  readonly pid: number | null;
  readonly heapUsed: number | null;
  readonly heapLimit: number | null;
  readonly queueDepth: number;
  readonly inFlight: number;
  readonly startedAt: number;
  readonly idleSince: number | null;
}

/** Admission capacity and the warm pool, for the admin dashboard. */
export interface SupervisorOverview {
  readonly isolation: string;
  /** Sessions the memory budget admits, and how many hold (or will hold) a worker now. */
  readonly maxSessions: number;
  readonly liveSessions: number;
  readonly memoryBudgetMb: number;
  readonly sessionCostMb: number;
  /** Spare workers: configured and alive now; null when there is no pool. */
  readonly warmPool: { readonly size: number; readonly available: number } | null;
}

export interface Supervisor {
  /**
   * Log the client in: start the (userID, platformID) session (single-flight) or attach to the
   * running one. Resolves once the session's core is logged in; rejects with a GatewayError or
   * the core's CodedError.
   */
  login(client: SessionClient, operationID: string): Promise<void>;
  /**
   * Run an SDK function in the client's session: an EncodedResult when the core answered (every
   * isolation runs it over the RPC), a plain value when the supervisor answers itself. Rejects with GW_NOT_LOGGED_IN if detached.
   */
  call(client: SessionClient, fn: string, args: readonly unknown[], operationID: string): Promise<unknown>;
  /** Detach this client; the session stops when its last client logs out. */
  logout(client: SessionClient, operationID: string): Promise<void>;
  /** The connection closed without Logout: detach, and start the idle grace if it was the last. */
  detach(client: SessionClient): void;
  /** 1 logged out, 2 logging in / restarting, 3 logged in (the client's LoginStatus enum). */
  loginStatus(client: SessionClient): 1 | 2 | 3;
  /**
   * Calls one connection of this user may have in flight: its session's running slots plus a
   * full queue, from the user's limits (--limits-file, as last loaded: a SIGHUP applies at once).
   */
  maxInFlight(userID: string): number;

  list(): SessionInfo[];
  get(userID: string, platformID: number): SessionInfo | undefined;
  restart(userID: string, platformID: number): Promise<boolean>;
  unquarantine(userID: string, platformID: number): Promise<boolean>;
  /** Throws GW_FAULT_NEEDS_PROCESS for a kind the session's isolation cannot contain. */
  fault(userID: string, platformID: number, kind: FaultKind): boolean;
  /** What --chaos injected and whether each fault was contained ({enabled: false} without it). */
  chaosReport(): ChaosReport;
  /** Capacity and warm pool; optional (a supervisor without them shows none on the dashboard). */
  overview?(): SupervisorOverview;

  /** Let in-flight calls finish and close every core, bounded by timeoutMs. */
  drain(timeoutMs: number): Promise<void>;

  /**
   * True when a Login that needs a new session would be refused with GW_CAPACITY now: the
   * session limit is reached and no idle session can be evicted (/readyz reports it).
   */
  atCapacity(): boolean;
  /**
   * SIGHUP: re-read the limits file named in `options` (sessions started from now on get it) and
   * pass the current log level to every running worker. Throws GW_OPTIONS_INVALID for a bad
   * limits file, changing nothing.
   */
  reload(options: GatewayOptions): void;
}

/** GET /admin/chaos: one fault --chaos injected and how it was judged (src/supervisor/chaos.ts). */
export interface ChaosFault {
  readonly seq: number;
  readonly at: string;
  readonly kind: FaultKind;
  readonly userID: string;
  readonly platformID: number;
  readonly isolation: Isolation;
  /** The exit the fault caused, if the session restarted. */
  readonly exit: { readonly reason: ExitReason; readonly detail: string } | null;
  readonly victim: {
    readonly inFlight: number;
    readonly answered: number;
    readonly rejected: number;
    readonly rejectedBy: Record<string, number>;
    /** In flight at the fault and still unsettled past victimSettleMs. */
    readonly late: number;
    readonly maxSettleMs: number | null;
    readonly back: boolean;
    readonly backMs: number | null;
  };
  readonly others: {
    readonly sessions: number;
    readonly calls: number;
    readonly answered: number;
    readonly failed: number;
    readonly failedBy: Record<string, number>;
  };
  readonly contained: boolean;
  /** Why not, in words (empty when contained). */
  readonly why: readonly string[];
}

export interface ChaosReport {
  readonly enabled: boolean;
  readonly seed?: number;
  readonly kinds?: readonly FaultKind[];
  readonly intervalMs?: number;
  readonly bounds?: { readonly victimSettleMs: number; readonly victimBackMs: number };
  readonly injected?: number;
  readonly contained?: number;
  readonly notContained?: number;
  readonly skipped?: Record<string, number>;
  /** The latest faults (chaos.ts MAX_KEPT), oldest first. */
  readonly faults?: readonly ChaosFault[];
}
