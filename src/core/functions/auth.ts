// Login, Logout, GetLoginStatus, GetLoginUserID.

import { setTimeout as sleep } from 'node:timers/promises';
import type { CoreFunction } from '../contract.ts';
import { argsError, CodedError, requireString, SdkCode } from '../errors.ts';
import { encodeUserReq, ReqId } from '../net/codec.ts';
import { LongConn } from '../net/long-conn.ts';
import { RestClient } from '../net/rest.ts';
import type { CoreSession } from '../core-session.ts';
import { firstSyncPending, Syncer } from '../sync/syncer.ts';
import { LoginStatus } from '../types.ts';

export interface NetTuning {
  readonly heartbeatMs?: number;
  readonly requestTimeoutMs?: number;
  readonly backoffMinMs?: number;
  readonly backoffMaxMs?: number;
  /** Missed messages pulled per conversation at a reconnect (default 2000). */
  readonly catchupLimit?: number;
  /** How long a Login before the data dir's first sync waits for the first dial (FIRST_DIAL_WAIT_MS). */
  readonly firstDialWaitMs?: number;
}

/**
 * A Login whose data dir has its first sync still to come returns once the first dial has an
 * outcome (connected, refused, failed), or after this long: see Login.
 */
const FIRST_DIAL_WAIT_MS = 5000;

/** The outcome of the network's first dial, which such a Login waits for. */
interface FirstDial {
  readonly settled: Promise<void>;
  /** A Login is waiting: a kick or token error is reported after its answer, as without the wait. */
  waiting: boolean;
}

/** Ends the session's network side after a kick or a token error (no reconnect). */
function endSession(s: CoreSession, event: string, code?: number, message?: string): void {
  s.conn?.stop();
  s.loginStatus = LoginStatus.Logout;
  s.emit(event, undefined, code, message);
}

function onTokenError(s: CoreSession, code: number, message: string): void {
  if (s.loginStatus !== LoginStatus.Logged) return;
  if (code === 1506) endSession(s, 'OnKickedOffline');
  // open-im-sdk@3.5.2 knows only OnUserTokenExpired (it force-closes on it; an unknown
  // OnUserTokenInvalid would be dropped and leave the client talking to a dead session), so every
  // other token error uses it, with the precise code (1501–1505, 1507) in errCode/errMsg.
  else endSession(s, 'OnUserTokenExpired', code, message);
}

/** Starts the network side: REST client, long connection, sync. Returns at once (offline-first), with the first dial to come. */
function startNetwork(s: CoreSession, tuning: NetTuning = {}): FirstDial {
  let settle!: () => void;
  const dial: FirstDial = { settled: new Promise<void>((r) => (settle = r)), waiting: false };
  const fatal = (end: () => void) => {
    settle();
    if (dial.waiting) setImmediate(end);
    else end();
  };
  s.rest = new RestClient({ apiAddress: s.init.apiAddress, token: () => s.token, onTokenError: (c, m) => onTokenError(s, c, m), signal: s.shutdown.signal, ...(s.init.onRest ? { onResult: s.init.onRest } : {}) });
  const syncer = new Syncer(s, tuning.catchupLimit);
  s.conn = new LongConn({
    wsAddress: s.init.wsAddress,
    userID: s.userID,
    platformID: s.platformID,
    token: () => s.token,
    background: () => s.background,
    log: s.log,
    ...(tuning.heartbeatMs ? { heartbeatMs: tuning.heartbeatMs } : {}),
    ...(tuning.requestTimeoutMs ? { requestTimeoutMs: tuning.requestTimeoutMs } : {}),
    backoff: { minMs: tuning.backoffMinMs ?? 500, maxMs: tuning.backoffMaxMs ?? 30_000 },
    events: {
      connecting: () => s.emit('OnConnecting'),
      connected: () => {
        s.emit('OnConnectSuccess');
        // The sync's window is open from here: a push that arrives from now on belongs to it.
        syncer.onConnected();
        settle();
      },
      connectFailed: (code, msg) => {
        s.emit('OnConnectFailed', undefined, code, msg);
        settle();
      },
      push: (f) => syncer.onPush(f),
      kicked: () => fatal(() => endSession(s, 'OnKickedOffline')),
      tokenError: (code, msg) => fatal(() => onTokenError(s, code, msg)),
    },
  });
  s.conn.start();
  return dial;
}

/** Until the first dial has an outcome, `ms` pass or the call is cancelled; never throws. */
async function firstDialOutcome(s: CoreSession, dial: FirstDial, ms: number, signal: AbortSignal): Promise<void> {
  // The timer ends with the cancellation or with the dial (done.abort()), whichever comes first.
  const done = new AbortController();
  dial.waiting = true;
  const outcome = await Promise.race([
    dial.settled.then(() => 'dialled' as const),
    sleep(ms, 'timeout' as const, { signal: AbortSignal.any([signal, done.signal]) }).catch(() => 'cancelled' as const),
  ]);
  dial.waiting = false;
  done.abort();
  if (outcome !== 'dialled') s.log.warn({ outcome, ms }, 'core: Login returns before the first long connection (events until it may go unreported)');
}

/** 2003: the server drops this device's push token and closes the socket. Best effort. */
export async function logoutFromServer(s: CoreSession, operationID: string): Promise<void> {
  if (!s.conn?.connected) return;
  try {
    await s.conn.request(ReqId.Logout, encodeUserReq(s.userID, s.platformID), operationID, 3000);
  } catch (e) {
    s.log.debug({ err: (e as Error).message }, 'core: logout request failed');
  }
}

export function authFunctions(s: CoreSession, tuning: NetTuning = {}): Record<string, CoreFunction> {
  return {
    async Login(ctx, userID: unknown, token: unknown) {
      const uid = requireString('userID', userID);
      const tok = requireString('token', token);
      if (uid !== s.userID) throw argsError('userID does not match this session');
      if (!tok) throw argsError('token is empty');
      s.db(); // the local store is open: history is readable before the network sync ends
      if (s.loginStatus === LoginStatus.Logged && s.conn && !s.conn.stopped) {
        if (tok !== s.token) {
          s.token = tok;
          s.conn.reconnectNow();
        }
        return '';
      }
      s.token = tok;
      s.loginStatus = LoginStatus.Logged;
      const dial = startNetwork(s, tuning);
      // The first sync of a data dir loads what it finds silently (a new install, as upstream),
      // and only a push tells the core that something happened after the login. So until the
      // long connection is up, the app must not be told it is logged in: an event it caused (or
      // anyone caused) in between would never be reported. With the connection up, each later
      // event is pushed and reported once (sync-window.ts). A later Login (restart, reconnect)
      // does not wait: its catch-up sync reports every change since the stored versions.
      if (firstSyncPending(s)) await firstDialOutcome(s, dial, tuning.firstDialWaitMs ?? FIRST_DIAL_WAIT_MS, ctx.signal);
      return '';
    },

    async Logout(ctx) {
      if (s.loginStatus !== LoginStatus.Logged) throw new CodedError(SdkCode.LoginOut, 'not logged in');
      await logoutFromServer(s, ctx.operationID);
      s.conn?.stop();
      s.loginStatus = LoginStatus.Logout;
      return '';
    },

    async GetLoginStatus() {
      return s.loginStatus;
    },

    async GetLoginUserID() {
      return s.userID;
    },
  };
}
