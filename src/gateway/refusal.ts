// Refusing an upgrade in band. A browser hides the HTTP status and body of a refused WebSocket
// upgrade: open-im-sdk@3.5.2's login() could only reject with a bare 10000, and Chrome printed
// the failed URL, token included, to the console. For refusals an app can act on, the gateway
// therefore completes the handshake and answers in the client's own terms:
//
//   1. {"event":"Login","errCode":<gateway code>,"errMsg":<message>,"data":"","operationID":<the
//      URL's>} at once. 3.5.2 sends Login with the URL's operationID as soon as the socket opens
//      and registers it before any message event can run (the open event's continuation is a
//      microtask), so login() rejects with this frame.
//   2. {"event":"Logout","errCode":0,...,"operationID":""}: 3.5.2 drops its socket manager on a
//      Logout event, so the same OpenIMSDK instance can call login() again later (without it,
//      3.5.2 answers every later login() "login repeat" without trying).
//   3. Close with 4000 + the HTTP status the refusal had (4401, 4403, 4429, 4500, 4503) and the
//      error's name as the reason; the socket is destroyed if the peer has not closed within
//      REFUSAL_CLOSE_MS.
//
// Nothing is created for such a connection: no ClientConnection, no session, no worker, no cap
// slot. Refusal sockets open at once are bounded per IP; past the bound (and for refusals a
// client cannot act on: see upgrade.ts) the answer is the plain HTTP one.

import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocketServer } from 'ws';
import type { ErrorName, GatewayError } from '../errors.ts';

/** Refusals answered in band: what the app should do is in the code (log in again / not here / later). */
export const IN_BAND: ReadonlySet<ErrorName | string> = new Set<ErrorName>([
  'GW_BAD_TOKEN', 'GW_TOKEN_MISMATCH', 'GW_ORIGIN_FORBIDDEN', 'GW_TOO_MANY_CONNECTIONS', 'GW_DRAINING', 'GW_UPSTREAM_UNAVAILABLE', 'GW_INTERNAL',
]);

export const REFUSAL_CLOSE_MS = 1_000;

export function refusalCloseCode(err: GatewayError, status = err.http ?? 500): number {
  return 4000 + status;
}

function refusalFrames(err: GatewayError, operationID: string): [string, string] {
  return [
    JSON.stringify({ event: 'Login', errCode: err.code, errMsg: err.message, data: '', operationID }),
    JSON.stringify({ event: 'Logout', errCode: 0, errMsg: '', data: '', operationID: '' }),
  ];
}

/**
 * Complete the handshake, send the refusal frames and close. `done` runs exactly once, when the
 * socket is gone (or the handshake failed).
 */
export function refuseInBand(
  wss: WebSocketServer,
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  err: GatewayError,
  operationID: string,
  status: number | undefined,
  done: () => void,
): void {
  let finished = false;
  const finish = (): void => {
    if (finished) return;
    finished = true;
    done();
  };
  // handleUpgrade answers an invalid handshake itself without calling back.
  socket.once('close', finish);
  wss.handleUpgrade(req, socket, head, (ws) => {
    const [login, logout] = refusalFrames(err, operationID);
    ws.send(login);
    ws.send(logout);
    ws.close(refusalCloseCode(err, status), String(err.errorName));
    const timer = setTimeout(() => ws.terminate(), REFUSAL_CLOSE_MS);
    timer.unref();
    ws.once('close', () => {
      clearTimeout(timer);
      finish();
    });
  });
}
