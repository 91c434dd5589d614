// The 'upgrade' handler: every check happens BEFORE the WebSocket handshake, and a failure is a
// plain HTTP answer `{errCode, errMsg}` on a socket that is then destroyed (ws README "Client
// authentication"). open-im-sdk@3.5.2 turns any non-101 answer into `login()` rejecting with
// 10000 instead of hanging (spec §2.4).
//
//   method GET? ─ 405      draining? ─ 503      Origin allowed? ─ 403      IP rate ─ 429
//   websocket handshake headers? ─ 400      query (sendID, token, platformID, operationID) ─ 400
//   reserve a cap slot (per user+platform, total) ─ 429        ← synchronous, before any await
//   parse_token ─ 401 bad token, 403 other user/platform, 503 upstream down (Retry-After)
//   draining now, or client gone? ─ release and stop
//   handleUpgrade ─▶ ClientConnection (owns the slot until it closes)

import type { IncomingMessage } from 'node:http';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { WebSocketServer } from 'ws';
import { GatewayError, gatewayError, httpBody, isGatewayError } from '../errors.ts';
import { safeUrl } from '../log.ts';
import type { Metrics } from '../metrics.ts';
import type { GatewayOptions } from '../options.ts';
import type { Supervisor } from '../supervisor/types.ts';
import { authenticate, type TokenVerifier } from './auth.ts';
import type { ConnectionCaps } from './caps.ts';
import { ClientConnection } from './connection.ts';
import { parseUpgradeQuery } from './query.ts';
import type { KeyedRateLimiter } from './rate-limit.ts';

export interface UpgradeDeps {
  readonly options: GatewayOptions;
  readonly supervisor: Supervisor;
  readonly verifier: TokenVerifier;
  readonly caps: ConnectionCaps;
  readonly upgradeLimiter: KeyedRateLimiter;
  readonly log: Logger;
  readonly metrics: Metrics;
  readonly isDraining: () => boolean;
  /** Called with every connection that completed the handshake. */
  readonly onConnection: (c: ClientConnection) => void;
}

/** Seconds a client is told to wait after a 503 for draining. */
const DRAIN_RETRY_AFTER_S = 5;

/**
 * Write a raw HTTP error and destroy the socket without upgrading. Exported for tests and for
 * the 405 answer, whose status is not the error's own.
 */
export function rejectUpgrade(socket: Duplex, err: GatewayError, status = err.http ?? 400, headers: Record<string, string> = {}): void {
  if (socket.destroyed) return;
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const body = httpBody(err);
  const head = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}`,
    'Connection: close',
    'Content-Type: application/json',
    `Content-Length: ${Buffer.byteLength(body)}`,
    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
  ].join('\r\n');
  socket.once('finish', () => socket.destroy());
  socket.end(`${head}\r\n\r\n${body}`);
  // A peer that never reads could keep the socket half-open; bound it.
  setTimeout(() => socket.destroy(), 1_000).unref();
}

function retryHeaders(err: GatewayError): Record<string, string> {
  if (err.errorName === 'GW_DRAINING') return { 'Retry-After': String(DRAIN_RETRY_AFTER_S) };
  const s = err.detail?.retryAfterS;
  if (typeof s === 'number') return { 'Retry-After': String(s) };
  if (err.http === 429) return { 'Retry-After': '1' };
  return {};
}

function originAllowed(origin: string | undefined, allowed: readonly string[]): boolean {
  if (allowed.length === 0) return true;
  if (origin === undefined) return false;
  return allowed.includes(origin) || allowed.includes('*');
}

export interface UpgradeHandler {
  readonly wss: WebSocketServer;
  handle(req: IncomingMessage, socket: Duplex, head: Buffer): void;
}

export function createUpgradeHandler(deps: UpgradeDeps): UpgradeHandler {
  const { options, log, metrics } = deps;
  const wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    maxPayload: options.maxPayload,
    clientTracking: false,
  });

  const authSlots = concurrentPerKey(options.maxUpgradesPerIp);

  const refuse = (req: IncomingMessage, socket: Duplex, err: GatewayError, status?: number): void => {
    metrics.upgradesRejected.inc({ reason: err.errorName });
    // The path only: the query carries the token. Floods (429 per IP) log at debug.
    const fields = { path: safeUrl(req.url), ip: req.socket.remoteAddress, code: err.code, reason: err.errorName };
    if (err.errorName === 'GW_TOO_MANY_UPGRADES') log.debug(fields, 'upgrade refused');
    else log.info(fields, 'upgrade refused');
    rejectUpgrade(socket, err, status, retryHeaders(err));
  };

  async function handle(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    socket.on('error', (e) => log.debug({ err: e.message }, 'upgrade socket error'));

    if (req.method !== 'GET') return refuse(req, socket, gatewayError('GW_BAD_QUERY', 'method must be GET'), 405);
    if (deps.isDraining()) return refuse(req, socket, gatewayError('GW_DRAINING'));
    if (!originAllowed(req.headers.origin, options.allowedOrigins)) return refuse(req, socket, gatewayError('GW_ORIGIN_FORBIDDEN'));
    const ip = req.socket.remoteAddress ?? 'unknown';
    if (!deps.upgradeLimiter.take(ip)) return refuse(req, socket, gatewayError('GW_TOO_MANY_UPGRADES'));
    // Check the handshake headers before asking parse_token, so a plain request can never make
    // the gateway call upstream (spec §5.18).
    if ((req.headers.upgrade ?? '').toLowerCase() !== 'websocket' || !req.headers['sec-websocket-key']) {
      return refuse(req, socket, gatewayError('GW_BAD_QUERY', 'not a WebSocket handshake'));
    }

    let query;
    try {
      query = parseUpgradeQuery(req.url);
    } catch (e) {
      return refuse(req, socket, e as GatewayError);
    }

    // Bound the parse_token checks one address may have running, so a flood of made-up tokens
    // cannot amplify into upstream load. Connection slots are NOT taken here: a slot held across
    // the await would let anyone who can name a victim's userID fill the victim's cap with fake
    // tokens and lock them out.
    if (!authSlots.take(ip)) return refuse(req, socket, gatewayError('GW_TOO_MANY_UPGRADES', 'too many token checks in progress'));
    let principal;
    try {
      principal = await authenticate(deps.verifier, query);
    } catch (e) {
      if (!isGatewayError(e)) log.error({ err: e }, 'authentication failed unexpectedly');
      return refuse(req, socket, isGatewayError(e) ? e : gatewayError('GW_INTERNAL'), isGatewayError(e) ? undefined : 500);
    } finally {
      authSlots.release(ip);
    }
    if (deps.isDraining()) return refuse(req, socket, gatewayError('GW_DRAINING'));
    if (socket.destroyed || !socket.writable) return;

    // Check and take the slot in the same synchronous step as the upgrade: no await in between,
    // so concurrent upgrades cannot both pass the cap (the original's TOCTOU race).
    let reservation;
    try {
      reservation = deps.caps.reserve(query.sendID, query.platformID);
    } catch (e) {
      return refuse(req, socket, e as GatewayError);
    }

    const operationID = query.operationID;
    wss.handleUpgrade(req, socket, head, (ws) => {
      const conn = new ClientConnection(ws, principal, reservation, {
        supervisor: deps.supervisor,
        options,
        log,
        metrics,
        isDraining: deps.isDraining,
      });
      deps.onConnection(conn);
      conn.start(operationID);
    });
    // handleUpgrade answers an invalid handshake itself (400) without calling back; the slot
    // must not leak then. (release() is idempotent; the connection also releases it on close.)
    socket.once('close', () => reservation.release());
  }

  return {
    wss,
    handle(req, socket, head) {
      handle(req, socket, head).catch((err: unknown) => {
        log.error({ err }, 'upgrade handler failed');
        socket.destroy();
      });
    },
  };
}

/** How many operations each key may have running at once (bounded map: keys leave at zero). */
function concurrentPerKey(limit: number): { take(key: string): boolean; release(key: string): void } {
  const running = new Map<string, number>();
  return {
    take(key) {
      const n = running.get(key) ?? 0;
      if (n >= limit) return false;
      running.set(key, n + 1);
      return true;
    },
    release(key) {
      const n = (running.get(key) ?? 1) - 1;
      if (n <= 0) running.delete(key);
      else running.set(key, n);
    },
  };
}
