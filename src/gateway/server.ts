// The HTTP server that carries everything on one port: WebSocket upgrades (upgrade.ts), the
// admin routes and /healthz (admin.ts). `close()` is the graceful drain for SIGTERM/SIGINT:
//
//   1. mark draining: upgrades get 503 GW_DRAINING, /healthz and /readyz turn 503
//   2. frames that arrive now are answered GW_DRAINING (connection.ts)
//   3. wait for in-flight calls (every connection idle) and supervisor.drain(): cores finish
//      their calls and close their databases; bounded by drainTimeoutMs
//   4. close every client with 1001 (terminate stragglers after a short grace)
//   5. close the listener
//
// A call that was accepted before step 1 is answered before its socket closes in step 4.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { gatewayError, httpBody } from '../errors.ts';
import type { Metrics } from '../metrics.ts';
import type { GatewayOptions } from '../options.ts';
import type { Supervisor } from '../supervisor/types.ts';
import { createDashboard, handleAdminRequest } from './admin.ts';
import { TokenVerifier } from './auth.ts';
import { ConnectionCaps } from './caps.ts';
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
}

/** After the 1001 close frames, how long clients get to answer before their sockets are destroyed. */
const CLOSE_GRACE_MS = 1_000;

export interface GatewayServer {
  readonly server: Server;
  readonly caps: ConnectionCaps;
  readonly verifier: TokenVerifier;
  /** Live client connections. */
  readonly connections: ReadonlySet<ClientConnection>;
  readonly draining: boolean;
  listen(port: number, host: string): Promise<AddressInfo>;
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

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

export function createGatewayServer(deps: GatewayServerDeps): GatewayServer {
  const { options, supervisor, verifier, log, metrics } = deps;
  let draining = false;
  let closing: Promise<void> | undefined;
  const isDraining = (): boolean => draining;
  const connections = new Set<ClientConnection>();

  const caps = new ConnectionCaps(options.maxConnsPerUser, options.maxConns);
  const upgradeLimiter = new KeyedRateLimiter(options.maxUpgradesPerIp, options.maxUpgradesPerIp);

  const upgrades = createUpgradeHandler({
    options, supervisor, verifier, caps, upgradeLimiter, log, metrics, isDraining,
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
  const routes: HttpRoute[] = [...(deps.routes ?? []), (req, res) => handleAdminRequest(req, res, { options, supervisor, metrics, log, isDraining, readiness, dashboard })];
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

  async function drain(): Promise<void> {
    draining = true; // steps 1 and 2
    const t0 = Date.now();
    log.info({ connections: connections.size }, 'draining');

    // Step 3, bounded: the supervisor has its own bound; ours covers a supervisor that overruns.
    const idle = Promise.all([...connections].map((c) => c.whenIdle()));
    const sessions = supervisor.drain(options.drainTimeoutMs).catch((err: unknown) => log.error({ err }, 'supervisor drain failed'));
    const finished = await Promise.race([
      Promise.all([idle, sessions]).then(() => true),
      delay(options.drainTimeoutMs + 1_000).then(() => false),
    ]);
    if (!finished) log.warn({ ms: Date.now() - t0 }, 'drain deadline passed; closing anyway');

    // Step 4.
    const err = gatewayError('GW_DRAINING');
    const open = [...connections];
    for (const c of open) c.close(err.close ?? 1001, 'server shutting down');
    const closed = await Promise.race([
      Promise.all(open.map((c) => c.whenClosed())).then(() => true),
      delay(CLOSE_GRACE_MS).then(() => false),
    ]);
    if (!closed) for (const c of connections) c.terminate();

    // Step 5 (open dashboard streams end with their connections).
    dashboard?.close();
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
    upgrades.wss.close();
    log.info({ ms: Date.now() - t0 }, 'drained');
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
    close() {
      closing ??= drain();
      return closing;
    },
  };
}
