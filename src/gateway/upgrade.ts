// The 'upgrade' handler: every check happens BEFORE a connection is created. Refusals an app
// can act on are answered in band (refusal.ts: handshake, a Login-shaped error frame, close
// 4000 + status), because a browser hides the HTTP answer of a refused upgrade; the others are
// a plain HTTP answer `{errCode, errMsg}` on a socket that is then destroyed (ws README "Client
// authentication"), which 3.5.2's login() turns into a rejection with 10000.
//
//   method GET? ─ 405      IP rate ─ 429      websocket handshake headers? ─ 400
//   query (sendID, token, platformID, operationID) ─ 400           (plain HTTP up to here)
//   draining? ─ 503 in band (plain 503 through a trusted proxy)      Origin allowed? ─ 403 in band
//   token checks running for this IP ─ 429
//   parse_token ─ 401 bad token, 403 other user/platform, 503 upstream down     (in band)
//   draining now, or client gone? ─ stop
//   reserve a cap slot (per user+platform, total) ─ 429 in band    ← synchronous with the upgrade
//   handleUpgrade ─▶ ClientConnection (owns the slot until it closes)
//
// The HTTP refusals stay HTTP on purpose: a bad query or a non-GET comes from a broken client
// (and without a valid operationID there is nothing to answer in band), and the per-IP limits
// exist to make floods cheap, which a handshake per attempt would not be. A draining node
// answers a trusted proxy (--trust-proxy) with a plain 503 too: the proxy can pass the upgrade
// to another node (nginx `proxy_next_upstream http_503`), which an answer in band would prevent
// (and the in-band Logout frame would end open-im-sdk's reconnect loop).
//
// "IP" is the client's address: the socket's peer, or X-Forwarded-For when that peer is a
// trusted proxy (client-address.ts).

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
import type { TrustedProxies } from './client-address.ts';
import { ClientConnection } from './connection.ts';
import { PerKeyCounter } from './per-key.ts';
import { parseUpgradeQuery } from './query.ts';
import type { KeyedRateLimiter } from './rate-limit.ts';
import { IN_BAND, refuseInBand } from './refusal.ts';

export interface UpgradeDeps {
  readonly options: GatewayOptions;
  readonly supervisor: Supervisor;
  readonly verifier: TokenVerifier;
  readonly caps: ConnectionCaps;
  readonly upgradeLimiter: KeyedRateLimiter;
  readonly proxies: TrustedProxies;
  readonly log: Logger;
  readonly metrics: Metrics;
  readonly isDraining: () => boolean;
  /** Called with every connection that completed the handshake. */
  readonly onConnection: (c: ClientConnection) => void;
}

/** Seconds a client is told to wait after a 503 for draining. */
const DRAIN_RETRY_AFTER_S = 5;

/** Write a raw HTTP error and destroy the socket without upgrading. */
function rejectUpgrade(socket: Duplex, err: GatewayError, status = err.http ?? 400, headers: Record<string, string> = {}): void {
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

  // Token checks running at once per IP.
  const authSlots = new PerKeyCounter();
  // In-band refusal sockets open at once per IP (each lives at most about a second).
  const refusalSlots = new PerKeyCounter();

  /**
   * `inBand`: the client's operationID, for a refusal answered after a handshake when allowed.
   * `ip`: the client's address (client-address.ts).
   */
  const refuse = (req: IncomingMessage, socket: Duplex, head: Buffer, ip: string, err: GatewayError, status?: number, inBand?: string): void => {
    metrics.upgradesRejected.inc({ reason: err.errorName });
    const retryElsewhere = err.errorName === 'GW_DRAINING' && deps.proxies.trusts(req.socket.remoteAddress);
    const band = inBand !== undefined && IN_BAND.has(err.errorName) && !retryElsewhere && !socket.destroyed && socket.writable && refusalSlots.take(ip, options.maxUpgradesPerIp);
    // The path only: the query carries the token. Floods (429 per IP) log at debug.
    const fields = { path: safeUrl(req.url), ip, code: err.code, reason: err.errorName, inBand: band };
    if (err.errorName === 'GW_TOO_MANY_UPGRADES') log.debug(fields, 'upgrade refused');
    else log.info(fields, 'upgrade refused');
    if (band) refuseInBand(wss, req, socket, head, err, inBand, status, () => refusalSlots.release(ip));
    else rejectUpgrade(socket, err, status, retryHeaders(err));
  };

  async function handle(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    socket.on('error', (e) => log.debug({ err: e.message }, 'upgrade socket error'));

    const ip = deps.proxies.clientAddress(req);
    if (req.method !== 'GET') return refuse(req, socket, head, ip, gatewayError('GW_METHOD_NOT_ALLOWED'));
    if (!deps.upgradeLimiter.take(ip)) return refuse(req, socket, head, ip, gatewayError('GW_TOO_MANY_UPGRADES'));
    // Check the handshake headers before asking parse_token, so a plain request can never make
    // the gateway call upstream (spec §5.18).
    if ((req.headers.upgrade ?? '').toLowerCase() !== 'websocket' || !req.headers['sec-websocket-key']) {
      return refuse(req, socket, head, ip, gatewayError('GW_BAD_QUERY', 'not a WebSocket handshake'));
    }

    let query;
    try {
      query = parseUpgradeQuery(req.url);
    } catch (e) {
      return refuse(req, socket, head, ip, e as GatewayError);
    }
    const op = query.operationID;
    if (deps.isDraining()) return refuse(req, socket, head, ip, gatewayError('GW_DRAINING'), undefined, op);
    if (!originAllowed(req.headers.origin, options.allowedOrigins)) return refuse(req, socket, head, ip, gatewayError('GW_ORIGIN_FORBIDDEN'), undefined, op);

    // Bound the parse_token checks one address may have running, so a flood of made-up tokens
    // cannot amplify into upstream load. Connection slots are NOT taken here: a slot held across
    // the await would let anyone who can name a victim's userID fill the victim's cap with fake
    // tokens and lock them out.
    if (!authSlots.take(ip, options.maxUpgradesPerIp)) return refuse(req, socket, head, ip, gatewayError('GW_TOO_MANY_UPGRADES', 'too many token checks in progress'));
    let principal;
    try {
      principal = await authenticate(deps.verifier, query);
    } catch (e) {
      if (!isGatewayError(e)) log.error({ err: e }, 'authentication failed unexpectedly');
      return refuse(req, socket, head, ip, isGatewayError(e) ? e : gatewayError('GW_INTERNAL'), isGatewayError(e) ? undefined : 500, op);
    } finally {
      authSlots.release(ip);
    }
    if (deps.isDraining()) return refuse(req, socket, head, ip, gatewayError('GW_DRAINING'), undefined, op);
    if (socket.destroyed || !socket.writable) return;

    // Check and take the slot in the same synchronous step as the upgrade: no await in between,
    // so concurrent upgrades cannot both pass the cap (the original's TOCTOU race).
    let reservation;
    try {
      reservation = deps.caps.reserve(query.sendID, query.platformID);
    } catch (e) {
      return refuse(req, socket, head, ip, e as GatewayError, undefined, op);
    }

    const operationID = query.operationID;
    wss.handleUpgrade(req, socket, head, (ws) => {
      const conn = new ClientConnection(ws, principal, reservation, {
        supervisor: deps.supervisor,
        options,
        log,
        metrics,
        isDraining: deps.isDraining,
        ip,
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
