// createGateway(): wires options, logger, metrics, the upstream (external or embedded IM
// server), the session supervisor and the HTTP/WebSocket server. Nothing else lives here.

import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { createLogger } from './log.ts';
import { createMetrics, type Metrics } from './metrics.ts';
import { optionSpecs, type GatewayOptions, type OptionKey } from './options.ts';
import { VERSION } from './version.ts';
import type { Supervisor } from './supervisor/types.ts';
import { createGatewayServer, createTokenVerifier, type GatewayServer } from './gateway/server.ts';
import { startEmbeddedIm, type EmbeddedIm } from './embedded-im.ts';
import { startImServer } from './imserver/index.ts';
import { createSupervisor } from './supervisor/index.ts';
import { createDemoRoutes } from './demo/routes.ts';
import type { HttpRoute } from './gateway/static.ts';

export type { GatewayOptions } from './options.ts';
export { resolveOptions } from './options.ts';
export { VERSION } from './version.ts';

export interface GatewayDeps {
  readonly log?: Logger;
  /** Module specifier or path of the SDK core the workers load; the supervisor's default otherwise. */
  readonly coreModule?: string;
  /** Use this supervisor instead of creating one (tests). It must use `metrics` if it reports any. */
  readonly supervisor?: Supervisor;
  readonly metrics?: Metrics;
}

export interface Gateway {
  readonly address: { readonly host: string; readonly port: number };
  /** ws://host:port, what clients pass as wsAddr. */
  readonly url: string;
  /** The OpenIM API the gateway checks tokens with (the embedded one when it was started). */
  readonly apiAddress: string;
  readonly wsAddress: string;
  /** http://host:port/demo/ when the demo chat is served (--demo), else null. */
  readonly demoUrl: string | null;
  readonly server: GatewayServer;
  readonly supervisor: Supervisor;
  /** This instance's name in logs and metrics (--node-id, default hostname:port). */
  readonly nodeId: string;
  /** The root logger (bound to node and version). */
  readonly log: Logger;
  readonly metrics: Metrics;
  /**
   * SIGHUP: apply what can change while running (the log level, the limits file) from freshly
   * resolved options. Throws GW_OPTIONS_INVALID for a bad limits file, changing nothing. Returns
   * the flags that changed but only take effect after a restart.
   */
  reload(next: GatewayOptions): { readonly needsRestart: readonly string[] };
  /** Graceful drain, then stop the embedded IM server if we started it. Idempotent. */
  close(): Promise<void>;
}

/** What SIGHUP applies; every other changed option is reported as needing a restart. */
const RELOADABLE: ReadonlySet<OptionKey> = new Set<OptionKey>(['logLevel', 'limitsFile', 'configFile']);

export async function createGateway(options: GatewayOptions, deps: GatewayDeps = {}): Promise<Gateway> {
  const nodeId = options.nodeId || `${hostname()}:${options.port}`;
  // Every line carries the node and the version: several instances share one log pipeline.
  const log = (deps.log ?? createLogger(options.logLevel)).child({ node: nodeId, version: VERSION });
  const metrics = deps.metrics ?? createMetrics();
  metrics.buildInfo.set({ version: VERSION, node: nodeId }, 1);

  let im: EmbeddedIm | undefined;
  let resolved = options;
  if (!options.apiAddress) {
    im = await startEmbeddedIm(options, log.child({ component: 'imserver' }), startImServer, { node: nodeId, version: VERSION });
    resolved = Object.freeze({ ...options, apiAddress: im.apiAddress, wsAddress: im.wsAddress });
  }

  // The demo mints tokens with the embedded IM server's secret, so it exists only with that server.
  const routes: HttpRoute[] = [];
  if (im && options.demo !== false) routes.push(createDemoRoutes({ apiAddress: im.apiAddress, secret: options.imSecret, log: log.child({ component: 'demo' }) }));

  let supervisor: Supervisor;
  let server: GatewayServer;
  let address;
  try {
    // One verifier for both: the edge checks tokens with it, the supervisor asks it who may
    // reach a session and tells it about kicks and newer tokens.
    const verifier = createTokenVerifier(resolved, log, metrics);
    supervisor = deps.supervisor ?? createSupervisor({ options: resolved, log, metrics, tokens: verifier, ...(deps.coreModule ? { coreModule: deps.coreModule } : {}) });
    server = createGatewayServer({ options: resolved, supervisor, verifier, log, metrics, routes, node: nodeId });
    address = await server.listen(resolved.port, resolved.host);
  } catch (e) {
    await im?.close();
    throw e;
  }
  const host = address.address;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  log.info({ host, port: address.port }, 'sdkgate listening');

  let closing: Promise<void> | undefined;
  let current = options;
  return {
    nodeId,
    log,
    metrics,
    address: { host, port: address.port },
    url: `ws://${urlHost}:${address.port}`,
    demoUrl: routes.length > 0 ? `http://${host === '0.0.0.0' || host === '::' ? '127.0.0.1' : urlHost}:${address.port}/demo/` : null,
    apiAddress: resolved.apiAddress,
    wsAddress: resolved.wsAddress,
    server,
    supervisor,
    reload(next) {
      const before = log.level;
      log.level = next.logLevel;
      try {
        supervisor.reload(next);
      } catch (e) {
        log.level = before;
        throw e;
      }
      const needsRestart = (Object.keys(optionSpecs) as OptionKey[])
        .filter((k) => !RELOADABLE.has(k) && JSON.stringify(next[k]) !== JSON.stringify(current[k]))
        .map((k) => optionSpecs[k].flag);
      current = Object.freeze({ ...current, logLevel: next.logLevel, limitsFile: next.limitsFile, configFile: next.configFile });
      return { needsRestart };
    },
    close() {
      closing ??= (async () => {
        try {
          await server.close();
        } finally {
          await im?.close();
        }
      })();
      return closing;
    },
  };
}
