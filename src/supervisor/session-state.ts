// A session's lifecycle as one value: each state carries the data that only exists in it (the
// backoff timer, why a core is being closed, the launch under way), so no field can disagree with
// the state it belongs to. lifecycle.ts makes every transition through one method (Lifecycle#to).
//
//                login ─▶ starting ──Login ok──▶ ready ◀─────────────────────┐
//                            │ fail                │  │ crash (any abnormal)  │ Login ok
//                            ▼                     │  ▼                       │
//                         stopped ◀── stopping ◀───┘ crashed ─▶ backoff ─▶ restarting
//                                   (logout/idle/     │ intensity            │ Login refused
//                                    drain/admin)     ▼ exceeded             ▼ (OnConnectFailed)
//                                                 quarantined ─unquarantine─▶ restarting
//
// `draining` closes a core that a new one replaces (admin restart, soft heap) or that upstream
// signed out (a stop follows); `stopping` ends the session for good. Both are 'draining' to the
// admin API, which has always shown them so.

import { gatewayError, type ErrorName, type GatewayError } from '../errors.ts';
import type { ShutdownMessage } from '../protocol.ts';
import type { SessionInfo, SessionState } from './types.ts';

/** `moved`: kicked by the same user's session on another node; the core is told `signed_out`. */
export type StopReason = ShutdownMessage['reason'] | 'moved';

export type Life =
  /** Created; the first Login launches it. */
  | { readonly kind: 'new' }
  /** A worker is being brought to a logged-in core; `launch` settles when that attempt has. */
  | { readonly kind: 'starting' | 'restarting'; readonly launch: Promise<void> }
  | { readonly kind: 'ready' }
  /**
   * The core is being closed: to be replaced (`restart`), or because upstream signed it out or
   * refused its Login (a stop follows). `launch`: the launch that was under way, if any.
   */
  | { readonly kind: 'draining'; readonly why: 'restart' | 'signed_out' | 'moved' | 'logout'; readonly launch?: Promise<void> | undefined }
  /** close()/destroy(): nothing follows but `stopped`. */
  | { readonly kind: 'stopping'; readonly why: StopReason }
  /** A worker died abnormally; the restart policy decides what follows, in the same turn. */
  | { readonly kind: 'crashed' }
  | { readonly kind: 'backoff'; readonly timer: NodeJS.Timeout; readonly restartAt: number }
  /** Too many crashes: only an admin brings it back. */
  | { readonly kind: 'quarantined' }
  | { readonly kind: 'stopped'; readonly why: StopReason };

/** What the admin API, metrics and the gateway see. */
export function stateOf(life: Life): SessionState {
  switch (life.kind) {
    case 'new':
      return 'starting';
    case 'stopping':
      return 'draining';
    default:
      return life.kind;
  }
}

/** The session is ending (close/destroy began): a Login must wait for it and start afresh. */
export function isEnding(life: Life): life is Extract<Life, { kind: 'stopping' | 'stopped' }> {
  return life.kind === 'stopping' || life.kind === 'stopped';
}

/** The client's LoginStatus: 1 logged out, 2 logging in / restarting, 3 logged in. */
export function loginStatusOf(life: Life): 1 | 2 | 3 {
  switch (life.kind) {
    case 'ready':
      return 3;
    case 'new':
    case 'starting':
    case 'crashed':
    case 'backoff':
    case 'restarting':
      return 2;
    case 'draining':
      return life.why === 'restart' ? 2 : 1;
    default:
      return 1;
  }
}

/** The code a session that stops for `why` answers with. */
export function stopCode(why: StopReason | 'restart'): ErrorName {
  if (why === 'drain') return 'GW_DRAINING';
  return why === 'moved' ? 'GW_SESSION_MOVED' : 'GW_SESSION_STOPPED';
}

/** How long until the next worker is launched (only a backoff knows). */
export function restartInMs(life: Life): number {
  return life.kind === 'backoff' ? Math.max(0, life.restartAt - Date.now()) : 0;
}

export interface History {
  readonly restarts: number;
  readonly lastExit: SessionInfo['lastExit'];
}

export function quarantinedError(h: History): GatewayError {
  return gatewayError('GW_SESSION_QUARANTINED', undefined, { reason: h.lastExit?.reason ?? null, restarts: h.restarts });
}

/** Why a new call cannot run now, or null if it can. */
export function refusalOf(life: Life, h: History): GatewayError | null {
  switch (life.kind) {
    case 'ready':
      return null;
    case 'new':
    case 'starting':
    case 'stopped':
      return gatewayError('GW_NOT_LOGGED_IN');
    case 'crashed':
    case 'backoff':
    case 'restarting':
      return gatewayError('GW_SESSION_RESTARTING', undefined, { restartInMs: restartInMs(life) });
    case 'quarantined':
      return quarantinedError(h);
    case 'draining':
      return life.why === 'restart' ? gatewayError('GW_SESSION_RESTARTING', undefined, { restartInMs: 0 }) : gatewayError(stopCode(life.why));
    case 'stopping':
      return gatewayError(stopCode(life.why));
  }
}
