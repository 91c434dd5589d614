// The HTTP server that carries everything on one port: WebSocket upgrades (upgrade.ts), the
// admin routes and /healthz (admin.ts). `drain()` (POST /admin/drain) takes this node out of
// service; `close()` (SIGTERM/SIGINT) drains and then closes the listener:
//
//   1. mark draining: upgrades get 503 GW_DRAINING (plain HTTP to a trusted proxy, so it passes
//      the upgrade to another node; in band otherwise), /healthz and /readyz turn 503
//   2. frames that arrive now are answered GW_DRAINING (connection.ts)
//   3. each client is closed with 1001 as soon as its own in-flight calls are answered, so it
//      can reconnect elsewhere while this node is still closing, the closes paced
//      (DRAIN_CLOSE_SPACING_MS) to spread the logins on the other nodes; meanwhile supervisor.drain()
//      lets the cores finish their calls and close their databases; all bounded by drainTimeoutMs
//   4. whatever is still open then is closed (and terminated after a short grace)
//   5. close(): close the listener. After drain() alone the node keeps answering /readyz,
//      /metrics and /admin (draining), and refuses upgrades, until it is stopped.
//
// A call that was accepted before step 1 is answered before its socket closes in step 3.
// Nothing a client reconnecting elsewhere needs is lost by closing its socket before the core:
// the upstream server holds every message, and the new node syncs from it.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { gatewayError, httpBody } from '../errors.ts';
import type { Metrics } from '../metrics.ts';
import type { GatewayOptions } from '../options.ts';
import type { Supervisor } from '../supervisor/types.ts';
import { withTimeout } from '../timeout.ts';
import { createDashboard, handleAdminRequest, type DrainReport } from './admin.ts';
import { TokenVerifier } from './auth.ts';
import { ConnectionCaps } from './caps.ts';
import { TrustedProxies } from './client-address.ts';
import type { ClientConnection } from './connection.ts';
import { KeyedRateLimiter } from './rate-limit.ts';
import { Readiness } from './readiness.ts';
import type { HttpRoute } from './static.ts';
import { createUpgradeHandler } from './upgrade.ts';

export interface GatewayServerDeps {
  readonly options: GatewayOptions;
  readonly supervisor: Supervisor;
  /** Shared with the supervisor (createTokenVerifier). */
  readonly verifier: TokenVerifier;
  readonly log: Logger;
  readonly metrics: Metrics;
  /** More plain-HTTP routes (the demo), tried before the admin routes. */
  readonly routes?: readonly HttpRoute[];
  /** This node's name (--node-id), in /readyz, /healthz, /admin/sessions and /admin/drain. */
  readonly node: string;
}

/** After the 1001 close frames, how long clients get to answer before their sockets are destroyed. */
const CLOSE_GRACE_MS = 1_000;
/**
 * Drain closes clients this far apart (at most over half the drain bound): open-im-sdk redials
 * exactly 5 s after a close, so the closes' pace is the login pace the other nodes see.
 */
const DRAIN_CLOSE_SPACING_MS = 50;

export interface GatewayServer {
  readonly server: Server;
  readonly caps: ConnectionCaps;
  readonly verifier: TokenVerifier;
  /** Live client connections. */
  readonly connections: ReadonlySet<ClientConnection>;
  readonly draining: boolean;
  listen(port: number, host: string): Promise<AddressInfo>;
  /** Take the node out of service (steps 1-4); the listener stays open. Idempotent. */
  drain(): Promise<DrainReport>;
  /** drain(), then close the listener. Idempotent. */
  close(): Promise<void>;
}

export function createTokenVerifier(options: GatewayOptions, log: Logger, metrics: Metrics): TokenVerifier {
  return new TokenVerifier({
    apiAddress: options.apiAddress,
    timeoutMs: options.authTimeoutMs,
    cacheSize: options.authCacheSize,
    cacheTtlMs: options.authCacheTtlMs,
    negativeTtlMs: options.authNegativeTtlMs,
    log: log.child({ component: 'auth' }),
    onRequest: (seconds, outcome) => metrics.upstreamRest.observe({ family: 'auth', outcome }, seconds),
  });
}

export function createGatewayServer(deps: GatewayServerDeps): GatewayServer {
  const { options, supervisor, verifier, log, metrics } = deps;
  let draining = false;
  let drained: Promise<DrainReport> | undefined;
  let closing: Promise<void> | undefined;
  const isDraining = (): boolean => draining;
  const connections = new Set<ClientConnection>();

  const caps = new ConnectionCaps(options.maxConnsPerUser, options.maxConns);
  const upgradeLimiter = new KeyedRateLimiter(options.maxUpgradesPerIp, options.maxUpgradesPerIp);
  const proxies = new TrustedProxies(options.trustProxy);

  const upgrades = createUpgradeHandler({
    options, supervisor, verifier, caps, upgradeLimiter, proxies, log, metrics, isDraining,
    onConnection: (c) => {
      connections.add(c);
      void c.whenClosed().then(() => connections.delete(c));
    },
  });

  const readiness = new Readiness({
    apiAddress: options.apiAddress,
    wsAddress: options.wsAddress,
    timeoutMs: Math.min(options.authTimeoutMs, 2_000),
    isDraining,
    atCapacity: () => supervisor.atCapacity(),
    log: log.child({ component: 'readiness' }),
    metrics,
  });

  const dashboard = createDashboard(options, supervisor, metrics, log);
  const routes: HttpRoute[] = [...(deps.routes ?? []), (req, res) =>
    handleAdminRequest(req, res, { options, supervisor, metrics, log, isDraining, readiness, dashboard, proxies, node: deps.node, drain: () => startDrain() })];
  const route = async (req: Parameters<HttpRoute>[0], res: Parameters<HttpRoute>[1]): Promise<boolean> => {
    for (const r of routes) if (await r(req, res)) return true;
    return false;
  };

  const server = createServer({ maxHeaderSize: 8192, requestTimeout: 10_000, headersTimeout: 10_000 }, (req, res) => {
    route(req, res)
      .then((handled) => {
        if (handled) return;
        const err = gatewayError('GW_ADMIN_NOT_FOUND');
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(httpBody(err));
      })
      .catch((err: unknown) => {
        log.error({ err }, 'http request failed');
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
        res.end(httpBody(gatewayError('GW_INTERNAL')));
      });
  });
  server.on('upgrade', (req, socket, head) => upgrades.handle(req, socket, head));
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    socket.destroy();
  });

  async function drainOnce(): Promise<DrainReport> {
    draining = true; // steps 1 and 2
    metrics.draining.set(1);
    const t0 = Date.now();
    const sessionCount = supervisor.list().length;
    const err = gatewayError('GW_DRAINING');
    const code = err.close ?? 1001;
    const first = [...connections];
    log.info({ connections: first.length, sessions: sessionCount }, 'draining');

    // Step 3, bounded: the supervisor has its own bound; ours covers a supervisor that overruns.
    const spacing = Math.min(DRAIN_CLOSE_SPACING_MS, options.drainTimeoutMs / 2 / Math.max(1, first.length));
    const clients = Promise.all(first.map(async (c, i) => {
      await Promise.all([c.whenIdle(), sleep(i * spacing, undefined, { ref: false })]);
      c.close(code, 'node draining');
      await c.whenClosed();
    }));
    const sessions = supervisor.drain(options.drainTimeoutMs).catch((e: unknown) => log.error({ err: e }, 'supervisor drain failed'));
    const complete = (await withTimeout(Promise.all([clients, sessions]), options.drainTimeoutMs + 1_000)) !== undefined;
    if (!complete) log.warn({ ms: Date.now() - t0 }, 'drain deadline passed; closing anyway');

    // Step 4: stragglers (a call that never finished, an upgrade that completed during step 1).
    const open = [...connections];
    for (const c of open) c.close(code, 'node draining');
    const closed = (await withTimeout(Promise.all(open.map((c) => c.whenClosed())), CLOSE_GRACE_MS)) !== undefined;
    if (!closed) for (const c of connections) c.terminate();
    const report: DrainReport = { connections: first.length + open.filter((c) => !first.includes(c)).length, sessions: sessionCount, ms: Date.now() - t0, complete };
    log.info(report, 'drained');
    return report;
  }

  function startDrain(): Promise<DrainReport> {
    drained ??= drainOnce();
    return drained;
  }

  async function closeOnce(): Promise<void> {
    await startDrain();
    // Step 5 (open dashboard streams end with their connections).
    dashboard?.close();
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
    upgrades.wss.close();
    log.info('closed');
  }

  return {
    server,
    caps,
    verifier,
    connections,
    get draining() {
      return draining;
    },
    listen(port, host) {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          resolve(server.address() as AddressInfo);
        });
      });
    },
    drain: startDrain,
    close() {
      closing ??= closeOnce();
      return closing;
    },
  };
}
