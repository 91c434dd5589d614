// The IM server on the current thread: REST listener, message gateway and the SQLite store.
// startImServer (index.ts) runs this inside a worker thread; tests may also use it directly.

import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLogger, type Logger } from '../log.ts';
import { createContext, DEFAULT_SECRET, type ImContext } from './context.ts';
import { openDb } from './db.ts';
import { createMsgGateway, DEFAULT_MSG_GATEWAY_OPTIONS, type MsgGatewayOptions } from './msg-gateway/server.ts';
import { createRestServer } from './rest/http.ts';
import { buildRouter } from './rest/routes.ts';
import { DEFAULT_OBJECT_LIMITS, type ObjectLimits } from './objects.ts';
import { DEFAULT_REQUEST_LOG_SIZE } from './request-log.ts';
import { exposureWarning } from './exposure.ts';

export interface ImServerConfig {
  apiPort: number;
  wsPort: number;
  /** Default 127.0.0.1. */
  host?: string;
  dataDir: string;
  /** JWT secret and get_admin_token secret; default openIM123 (OpenIM's default). */
  secret?: string;
  logLevel?: string;
  logger?: Logger;
  msgGateway?: Partial<MsgGatewayOptions>;
  /** Keep the last N REST requests in memory (true = DEFAULT_REQUEST_LOG_SIZE); see request-log.ts. */
  requestLog?: boolean | number;
  /** Object storage limits; unset ones take DEFAULT_OBJECT_LIMITS. */
  objects?: Partial<ObjectLimits>;
  /** Base of the object URLs (ImServerOptions.publicUrl); default from the request's Host. */
  publicUrl?: string | undefined;
}

export interface RunningImServer {
  readonly apiPort: number;
  readonly wsPort: number;
  readonly host: string;
  readonly context: ImContext;
  close(): Promise<void>;
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

export async function createImServer(cfg: ImServerConfig): Promise<RunningImServer> {
  const host = cfg.host ?? '127.0.0.1';
  const log = (cfg.logger ?? createLogger(cfg.logLevel ?? 'info')).child({ component: 'imserver' });
  const db = openDb(cfg.dataDir);
  const logSize = cfg.requestLog === true ? DEFAULT_REQUEST_LOG_SIZE : cfg.requestLog || 0;
  const secret = cfg.secret ?? DEFAULT_SECRET;
  const im = createContext(db, log, secret, { requestLog: logSize, dataDir: cfg.dataDir, objectLimits: { ...DEFAULT_OBJECT_LIMITS, ...cfg.objects } });
  const rest = createRestServer(im, buildRouter(), cfg.publicUrl?.replace(/\/+$/, '') ?? '');
  const msgGateway = createMsgGateway(im, log, { ...DEFAULT_MSG_GATEWAY_OPTIONS, ...cfg.msgGateway });
  const warning = exposureWarning(host, secret);
  if (warning) log.warn(warning);
  let apiPort: number;
  let wsPort: number;
  try {
    apiPort = await listen(rest, cfg.apiPort, host);
    wsPort = await listen(msgGateway.server, cfg.wsPort, host);
  } catch (e) {
    await closeServer(rest);
    db.close();
    throw e;
  }
  log.info({ apiPort, wsPort, host }, 'imserver listening');
  im.objects.startSweeper();
  let closing: Promise<void> | undefined;
  return {
    apiPort,
    wsPort,
    host,
    context: im,
    close() {
      closing ??= (async () => {
        msgGateway.shutdown();
        await Promise.all([closeServer(rest), closeServer(msgGateway.server)]);
        await im.objects.close();
        db.close();
        log.info('imserver closed');
      })();
      return closing;
    },
  };
}
