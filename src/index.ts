// createGateway(): wires options, logger, metrics, the upstream (external or embedded IM
// server), the session supervisor and the HTTP/WebSocket server. Nothing else lives here.

import type { Logger } from 'pino';
import { createLogger } from './log.ts';
import { createMetrics, type Metrics } from './metrics.ts';
import type { GatewayOptions } from './options.ts';
import type { Supervisor } from './supervisor/types.ts';
import { createGatewayServer, createTokenVerifier, type GatewayServer } from './gateway/server.ts';
import { startEmbeddedIm, type EmbeddedIm } from './embedded-im.ts';
import { startImServer } from './imserver/index.ts';
import { createSupervisor } from './supervisor/index.ts';

export type { GatewayOptions } from './options.ts';
export { resolveOptions } from './options.ts';

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
  readonly server: GatewayServer;
  readonly supervisor: Supervisor;
  /** Graceful drain, then stop the embedded IM server if we started it. Idempotent. */
  close(): Promise<void>;
}

export async function createGateway(options: GatewayOptions, deps: GatewayDeps = {}): Promise<Gateway> {
  const log = deps.log ?? createLogger(options.logLevel);
  const metrics = deps.metrics ?? createMetrics();

  let im: EmbeddedIm | undefined;
  let resolved = options;
  if (!options.apiAddress) {
    im = await startEmbeddedIm(options, log.child({ component: 'imserver' }), startImServer);
    resolved = Object.freeze({ ...options, apiAddress: im.apiAddress, wsAddress: im.wsAddress });
  }

  let supervisor: Supervisor;
  let server: GatewayServer;
  let address;
  try {
    // One verifier for both: the edge checks tokens with it, the supervisor asks it who may
    // reach a session and tells it about kicks and newer tokens.
    const verifier = createTokenVerifier(resolved, log);
    supervisor = deps.supervisor ?? createSupervisor({ options: resolved, log, metrics, tokens: verifier, ...(deps.coreModule ? { coreModule: deps.coreModule } : {}) });
    server = createGatewayServer({ options: resolved, supervisor, verifier, log, metrics });
    address = await server.listen(resolved.port, resolved.host);
  } catch (e) {
    await im?.close();
    throw e;
  }
  const host = address.address;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  log.info({ host, port: address.port }, 'sdkgate listening');

  let closing: Promise<void> | undefined;
  return {
    address: { host, port: address.port },
    url: `ws://${urlHost}:${address.port}`,
    apiAddress: resolved.apiAddress,
    wsAddress: resolved.wsAddress,
    server,
    supervisor,
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
