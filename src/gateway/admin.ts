// Plain-HTTP routes on the gateway's port:
//
//   GET  /healthz                                        liveness, unauthenticated; 200, or 503 while draining
//   GET  /readyz                                         readiness, unauthenticated; 200 or 503 with the reasons (readiness.ts)
//   GET  /metrics                                        Prometheus text (metrics token or admin token)
//   GET  /admin/sessions                                 {node, sessions: supervisor.list()}
//   POST /admin/drain                                    take this node out of service (server.ts), answers when done
//   POST /admin/sessions/{userID}/{platformID}/restart
//   POST /admin/sessions/{userID}/{platformID}/unquarantine
//   POST /admin/sessions/{userID}/{platformID}/fault     body {"kind": <FaultKind>} (src/supervisor/faults.ts)
//   GET  /admin/chaos                                    the chaos report (src/supervisor/chaos.ts)
//   /admin/, /admin/login, /admin/logout, /admin/events  the dashboard (admin-ui.ts)
//
// /admin needs `Authorization: Bearer <--admin-token>` (or the dashboard's session cookie,
// admin-auth.ts); /metrics takes that bearer or the read-only `--metrics-token`. A route whose tokens are all empty does not exist (404). Errors are `{errCode, errMsg}` with the catalog's HTTP status.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { GatewayError, gatewayError, httpBody, isGatewayError } from '../errors.ts';
import { isValidId, isValidPlatformId } from '../ids.ts';
import type { Metrics } from '../metrics.ts';
import type { GatewayOptions } from '../options.ts';
import type { FaultKind } from '../protocol.ts';
import { FAULT_KINDS, faultsFor, isFaultKind } from '../supervisor/faults.ts';
import type { Supervisor } from '../supervisor/types.ts';
import { AdminSessions, tokenMatches } from './admin-auth.ts';
import { createAdminFeed } from './admin-history.ts';
import { createAdminUi, type AdminUi } from './admin-ui.ts';
import type { TrustedProxies } from './client-address.ts';
import type { Readiness } from './readiness.ts';

export interface AdminDeps {
  readonly options: GatewayOptions;
  readonly supervisor: Supervisor;
  readonly metrics: Metrics;
  readonly log: Logger;
  readonly isDraining: () => boolean;
  readonly readiness: Readiness;
  /** The dashboard's sessions and feed; null when the admin API is off (no admin token). */
  readonly dashboard: Dashboard | null;
  /** Whose X-Forwarded-For names the client (the admin login rate is per client address). */
  readonly proxies: TrustedProxies;
  /** This node's name (--node-id): /admin/sessions and /admin/drain say which node answered. */
  readonly node: string;
  /** Take this node out of service (server.ts); resolves when it is done. */
  readonly drain: () => Promise<DrainReport>;
}

/** What a drain did (server.ts), as POST /admin/drain answers it. */
export interface DrainReport {
  /** Client connections the drain closed. */
  readonly connections: number;
  /** Sessions that were running when it began. */
  readonly sessions: number;
  readonly ms: number;
  /** False when drainTimeoutMs passed first (what was left was closed anyway). */
  readonly complete: boolean;
}

export interface Dashboard {
  readonly sessions: AdminSessions;
  readonly ui: AdminUi;
  close(): void;
}

/** The dashboard's state, for a gateway with an admin token. */
export function createDashboard(options: GatewayOptions, supervisor: Supervisor, metrics: Metrics, log: Logger): Dashboard | null {
  if (options.adminToken === '') return null;
  const sessions = new AdminSessions(options.adminToken);
  const feed = createAdminFeed(supervisor, metrics, log.child({ component: 'admin' }));
  return { sessions, ui: createAdminUi({ options, sessions, feed, faultKinds: dashboardFaults(options) }), close: () => feed.close() };
}

/** The kinds the dashboard offers: a thread-only gateway would refuse the native ones (409). */
function dashboardFaults(options: GatewayOptions): readonly FaultKind[] {
  return options.isolation === 'thread' && !options.limitsFile ? faultsFor('thread') : FAULT_KINDS;
}

const MAX_BODY = 1024;
const SESSION_ROUTE = /^\/admin\/sessions\/([^/]+)\/([^/]+)\/(restart|unquarantine|fault)$/;

function sendJson(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers });
  res.end(body);
}

/** The status is the error's own (src/errors.ts); 500 for one without (GW_INTERNAL). */
function sendError(res: ServerResponse, err: GatewayError): void {
  const status = err.http ?? 500;
  const headers: Record<string, string> = err.errorName === 'GW_ADMIN_UNAUTHORIZED' ? { 'www-authenticate': 'Bearer' } : {};
  sendJson(res, status, httpBody(err), headers);
}

/** The request bears one of the (non-empty) tokens. */
function authorized(req: IncomingMessage, tokens: readonly string[]): boolean {
  const h = req.headers.authorization ?? '';
  const m = /^Bearer +(.+)$/i.exec(h);
  if (m === null) return false;
  const given = m[1]!.trim();
  // Compare against every token (no early exit), so timing does not tell which one matched.
  let ok = false;
  for (const t of tokens) if (t !== '' && tokenMatches(given, t)) ok = true;
  return ok;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > MAX_BODY) throw gatewayError('GW_ADMIN_BODY_TOO_LARGE', `body over ${MAX_BODY} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw gatewayError('GW_ADMIN_BODY_TOO_LARGE', `body over ${MAX_BODY} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function sessionTarget(rawUser: string, rawPlatform: string): { userID: string; platformID: number } {
  let userID: string;
  try {
    userID = decodeURIComponent(rawUser);
  } catch {
    throw gatewayError('GW_ADMIN_BAD_REQUEST', 'bad userID');
  }
  const platformID = /^\d{1,2}$/.test(rawPlatform) ? Number(rawPlatform) : NaN;
  if (!isValidId(userID)) throw gatewayError('GW_ADMIN_BAD_REQUEST', 'bad userID');
  if (!isValidPlatformId(platformID)) throw gatewayError('GW_ADMIN_BAD_REQUEST', 'bad platformID');
  return { userID, platformID };
}

async function parseFault(req: IncomingMessage): Promise<FaultKind> {
  const text = await readBody(req);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw gatewayError('GW_ADMIN_BAD_REQUEST', 'body must be JSON {"kind": ...}');
  }
  const kind = (body as { kind?: unknown } | null)?.kind;
  if (!isFaultKind(kind)) throw gatewayError('GW_ADMIN_BAD_REQUEST', `kind must be one of ${FAULT_KINDS.join(', ')}`);
  return kind;
}

/**
 * Handle a plain HTTP request. Returns false when the path is not one of ours (the caller
 * answers 404).
 */
export async function handleAdminRequest(req: IncomingMessage, res: ServerResponse, deps: AdminDeps): Promise<boolean> {
  const path = (req.url ?? '/').split('?')[0]!;
  const { options, supervisor } = deps;

  if (path === '/healthz') {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    const draining = deps.isDraining();
    sendJson(res, draining ? 503 : 200, JSON.stringify({ status: draining ? 'draining' : 'ok', node: deps.node }));
    return true;
  }

  if (path === '/readyz') {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    const report = await deps.readiness.check();
    sendJson(res, report.ready ? 200 : 503, JSON.stringify({ status: report.ready ? 'ready' : 'not_ready', node: deps.node, ...report }));
    return true;
  }

  if (path === '/metrics') {
    const tokens = [options.adminToken, options.metricsToken];
    if (tokens.every((t) => t === '')) return false; // a route without a token does not exist
    if (!authorized(req, tokens)) {
      sendError(res, gatewayError('GW_ADMIN_UNAUTHORIZED'));
      return true;
    }
    if (req.method !== 'GET') {
      sendError(res, gatewayError('GW_ADMIN_NOT_FOUND'));
      return true;
    }
    const text = await deps.metrics.registry.metrics();
    res.writeHead(200, { 'content-type': deps.metrics.registry.contentType, 'cache-control': 'no-store' });
    res.end(text);
    return true;
  }

  if (path !== '/admin' && !path.startsWith('/admin/')) return false;
  const dashboard = deps.dashboard;
  if (!dashboard) return false; // the admin API does not exist without a token (createDashboard)

  try {
    const pub = await dashboard.ui.public(req, res, path, deps.proxies.clientAddress(req));
    if ('error' in pub) {
      sendError(res, pub.error);
      return true;
    }
    if (pub.handled) return true;
    const auth = dashboard.sessions.check(req);
    if (!auth) throw gatewayError('GW_ADMIN_UNAUTHORIZED');
    if (!AdminSessions.csrfOk(req, auth)) throw gatewayError('GW_ADMIN_UNAUTHORIZED', 'a dashboard request must carry the x-sdkgate-admin header');
    if (path === '/admin/events' && req.method === 'GET') {
      const ev = await dashboard.ui.events(res);
      if ('error' in ev) sendError(res, ev.error);
      return true;
    }
    if (path === '/admin/sessions' && req.method === 'GET') {
      sendJson(res, 200, JSON.stringify({ node: deps.node, sessions: supervisor.list() }));
      return true;
    }
    if (path === '/admin/drain' && req.method === 'POST') {
      deps.log.warn('admin: drain');
      const report = await deps.drain();
      sendJson(res, 200, JSON.stringify({ ok: true, node: deps.node, ...report }));
      return true;
    }
    if (path === '/admin/chaos' && req.method === 'GET') {
      sendJson(res, 200, JSON.stringify(supervisor.chaosReport()));
      return true;
    }
    const m = SESSION_ROUTE.exec(path);
    if (m && req.method === 'POST') {
      const { userID, platformID } = sessionTarget(m[1]!, m[2]!);
      const action = m[3]!;
      if (action === 'fault' && !options.faultInjection) throw gatewayError('GW_FAULT_INJECTION_OFF');
      const before = supervisor.get(userID, platformID);
      if (!before) throw gatewayError('GW_ADMIN_NOT_FOUND', `no session ${userID}/${platformID}`);
      let ok: boolean;
      if (action === 'fault') {
        const kind = await parseFault(req);
        ok = supervisor.fault(userID, platformID, kind);
        deps.log.warn({ userID, platformID, kind, ok }, 'admin: fault injected');
      } else if (action === 'restart') {
        ok = await supervisor.restart(userID, platformID);
        deps.log.info({ userID, platformID, ok }, 'admin: restart');
      } else {
        ok = await supervisor.unquarantine(userID, platformID);
        deps.log.info({ userID, platformID, ok }, 'admin: unquarantine');
      }
      // The session exists but is in a state the action does not apply to (e.g. restart while
      // it is already restarting, unquarantine when it is not quarantined).
      if (!ok) throw gatewayError('GW_ADMIN_BAD_REQUEST', `cannot ${action} a session that is ${supervisor.get(userID, platformID)?.state ?? 'stopped'}`);
      sendJson(res, 200, JSON.stringify({ ok: true, session: supervisor.get(userID, platformID) ?? null }));
      return true;
    }
    throw gatewayError('GW_ADMIN_NOT_FOUND');
  } catch (e) {
    if (isGatewayError(e)) {
      sendError(res, e);
    } else {
      deps.log.error({ err: e }, 'admin request failed');
      sendError(res, gatewayError('GW_INTERNAL'));
    }
    return true;
  }
}
