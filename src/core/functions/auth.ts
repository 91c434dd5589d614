// Login, Logout, GetLoginStatus, GetLoginUserID.

import type { CoreFunction } from '../contract.ts';
import { argsError, CodedError, requireString, SdkCode } from '../errors.ts';
import { encodeUserReq, ReqId } from '../net/codec.ts';
import { LongConn } from '../net/long-conn.ts';
import { RestClient } from '../net/rest.ts';
import type { CoreSession } from '../core-session.ts';
import { Syncer } from '../sync/syncer.ts';
import { LoginStatus } from '../types.ts';

export interface NetTuning {
  readonly heartbeatMs?: number;
  readonly requestTimeoutMs?: number;
  readonly backoffMinMs?: number;
  readonly backoffMaxMs?: number;
  /** Missed messages pulled per conversation at a reconnect (default 2000). */
  readonly catchupLimit?: number;
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

/** Starts the network side: REST client, long connection, sync. Returns at once (offline-first). */
export function startNetwork(s: CoreSession, tuning: NetTuning = {}): void {
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
        syncer.onConnected();
      },
      connectFailed: (code, msg) => s.emit('OnConnectFailed', undefined, code, msg),
      push: (f) => syncer.onPush(f),
      kicked: () => endSession(s, 'OnKickedOffline'),
      tokenError: (code, msg) => onTokenError(s, code, msg),
    },
  });
  s.conn.start();
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
    async Login(_ctx, userID: unknown, token: unknown) {
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
      startNetwork(s, tuning);
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
