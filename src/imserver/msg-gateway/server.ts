// The message gateway listener. Argument errors are answered as plain HTTP (200, JSON error
// body, no upgrade), as OpenIM does. Token errors are too, unless the client asked for
// isMsgResp: then the socket is upgraded, the error goes in a text frame, and it is closed.

import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { safeUrl, type Logger } from '../../log.ts';
import type { ImContext } from '../context.ts';
import { ImCode, imError, toImError, type ImError } from '../errs.ts';
import { MsgGatewayConn, type ConnLimits } from './conn.ts';
import { parseConnParams, wantsMsgResp, type ConnParams } from './params.ts';

/** OpenIM's maxMessageSize for one incoming frame. */
const MAX_FRAME_BYTES = 51_200;

export interface MsgGatewayOptions extends ConnLimits {
  maxConns: number;
  /**
   * Kick older connections of the same user and platform even when they carry the new one's
   * token (which stays valid), as OpenIM's AllLoginButSameTermKick did up to v3.8.3; from
   * open-im-server 097e033 (2025-07) a same-token connection is left alone, the default here.
   */
  kickSameToken: boolean;
}

export const DEFAULT_MSG_GATEWAY_OPTIONS: MsgGatewayOptions = {
  readTimeoutMs: 30_000,
  pingIntervalMs: 27_000,
  maxInflatedBytes: 1024 * 1024,
  maxBufferedBytes: 16 * 1024 * 1024,
  senderEchoDelayMs: 100,
  maxConns: 100_000,
  kickSameToken: false,
};

function errorBody(e: ImError): string {
  return JSON.stringify({ errCode: e.code, errMsg: e.errMsg, errDlt: e.errDlt });
}

function httpAnswer(socket: Duplex, e: ImError): void {
  const body = errorBody(e);
  socket.end(
    'HTTP/1.1 200 OK\r\nContent-Type: application/json; charset=utf-8\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

export interface MsgGateway {
  readonly server: Server;
  /** Close every connection (1001) and stop accepting. */
  shutdown(): void;
}

export function createMsgGateway(im: ImContext, log: Logger, opts: MsgGatewayOptions = DEFAULT_MSG_GATEWAY_OPTIONS): MsgGateway {
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES, perMessageDeflate: false });
  const conns = new Set<MsgGatewayConn>();

  const server = createServer((req, res) => {
    // Not an upgrade: answer like a failed handshake.
    const err = check(req).error ?? imError(ImCode.ConnArgsErr, 'websocket upgrade required');
    res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8' });
    res.end(errorBody(err));
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 15_000;

  function check(req: IncomingMessage): { params?: ConnParams; error?: ImError; msgResp: boolean } {
    const q = new URL(req.url ?? '/', 'http://x').searchParams;
    const msgResp = wantsMsgResp(q);
    if (conns.size >= opts.maxConns) return { error: imError(ImCode.ConnOverMaxNumLimit, 'over max conn num limit'), msgResp: false };
    let params: ConnParams;
    try {
      params = parseConnParams(q, req.headers);
    } catch (e) {
      return { error: toImError(e), msgResp: false };
    }
    try {
      const claims = im.tokens.parse(params.token);
      if (claims.UserID !== params.userID) return { error: imError(ImCode.TokenInvalid, 'token userID does not match sendID'), msgResp: false };
      if (claims.PlatformID !== params.platformID) return { error: imError(ImCode.TokenInvalid, 'token platformID does not match'), msgResp: false };
    } catch (e) {
      return { error: toImError(e), msgResp };
    }
    return { params, msgResp };
  }

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const { params, error, msgResp } = check(req);
    log.debug({ url: safeUrl(req.url), errCode: error?.code ?? 0 }, 'ws handshake');
    if (error && !msgResp) return httpAnswer(socket, error);
    wss.handleUpgrade(req, socket, head, (ws: WebSocket) => {
      if (error || !params) {
        ws.send(errorBody(error ?? imError(ImCode.ServerInternal)));
        ws.close(1000);
        setTimeout(() => ws.terminate(), 2000).unref();
        return;
      }
      if (params.isMsgResp) ws.send(JSON.stringify({ errCode: 0, errMsg: '', errDlt: '' }));
      accept(ws, params);
    });
  });

  function accept(ws: WebSocket, params: ConnParams): void {
    // Multi-login policy 1 (AllLoginButSameTermKick): a different token on the same platform
    // kicks the older connections and invalidates their tokens. The same token (a reconnect)
    // is left alone, unless kickSameToken (OpenIM up to v3.8.3): then it is kicked too, but its
    // token stays valid.
    im.hub.kick(params.userID, params.platformID, (c) => opts.kickSameToken || c.token !== params.token);
    im.tokens.kickAll(params.userID, params.platformID, params.token);
    const conn = new MsgGatewayConn(ws, im, params, opts, log, (c) => {
      conns.delete(c);
      im.hub.remove(c);
    });
    conns.add(conn);
    im.hub.add(conn);
    conn.start();
  }

  return {
    server,
    shutdown() {
      for (const c of [...conns]) c.close(1001, 'server shutting down');
      for (const ws of wss.clients) ws.terminate();
      wss.close();
    },
  };
}
