// Public entry: start the embedded OpenIM-compatible IM server in its own worker thread, so its
// SQLite work and sockets never share the caller's event loop.

import { Worker } from 'node:worker_threads';
import { createLogger } from '../log.ts';
import type { ObjectLimits } from './objects.ts';
import { moduleUrl } from '../module-url.ts';
import type { RequestLogEntry } from './request-log.ts';
import type { FromWorker, ToWorker } from './worker-protocol.ts';

export type { RequestLogEntry } from './request-log.ts';

export interface ImServerOptions {
  apiPort: number;
  wsPort: number;
  /** Default 127.0.0.1. */
  host?: string;
  dataDir: string;
  /** Default openIM123. */
  secret?: string;
  logLevel?: string;
  /** Fields every log line of the server carries (the gateway passes its node id and version). */
  logBindings?: Record<string, string>;
  /**
   * Keep the last N REST requests (route, token user, body with tokens redacted) in the server
   * thread's memory, readable through `handle.requestLog()`; true = 1000. Off by default.
   */
  requestLog?: boolean | number;
  /** Object storage limits (size, per-user quota, upload lifetime, sweep period). */
  objects?: Partial<ObjectLimits>;
  /**
   * Base of the object URLs handed to clients (`https://im.example.com` behind a TLS proxy that
   * forwards `/object/*` here). Default: `http://` + the request's Host header.
   */
  publicUrl?: string;
  /** Kick a same-token older connection too, as OpenIM up to v3.8.3 (msg-gateway/server.ts). Default false. */
  kickSameToken?: boolean;
}

export interface ImServerHandle {
  /** http://HOST:PORT */
  readonly apiAddress: string;
  /** ws://HOST:PORT */
  readonly wsAddress: string;
  /** The kept REST requests, oldest first. Rejects when the server runs without `requestLog`. */
  requestLog(): Promise<RequestLogEntry[]>;
  /** Settles when the server's thread has ended, for whatever reason (close() included). */
  readonly exited: Promise<{ readonly code: number }>;
  close(): Promise<void>;
}

const START_TIMEOUT_MS = 20_000;
const CLOSE_TIMEOUT_MS = 10_000;
const REQUEST_LOG_TIMEOUT_MS = 10_000;

function hostForUrl(host: string): string {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

export function startImServer(opts: ImServerOptions): Promise<ImServerHandle> {
  const data: ImServerOptions = {
    apiPort: opts.apiPort,
    wsPort: opts.wsPort,
    host: opts.host ?? '127.0.0.1',
    dataDir: opts.dataDir,
    secret: opts.secret,
    logLevel: opts.logLevel ?? 'info',
    requestLog: opts.requestLog,
    objects: opts.objects,
    ...(opts.publicUrl ? { publicUrl: opts.publicUrl } : {}),
    kickSameToken: opts.kickSameToken === true,
    ...(opts.logBindings ? { logBindings: opts.logBindings } : {}),
  };
  // Workers inherit execArgv; flags that only make sense for a main script (--input-type with -e)
  // would make the worker fail to start.
  const execArgv = process.execArgv.filter((a) => !a.startsWith('--input-type'));
  const worker = new Worker(moduleUrl('./worker', import.meta.url), { workerData: data, name: 'imserver', execArgv });
  let exited = false;
  const exitedP = new Promise<{ code: number }>((resolve) => {
    worker.once('exit', (code) => {
      exited = true;
      resolve({ code });
    });
  });

  return new Promise<ImServerHandle>((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      void worker.terminate();
      reject(new Error(`imserver did not start within ${START_TIMEOUT_MS} ms`));
    }, START_TIMEOUT_MS);
    const onMessage = (m: FromWorker) => {
      if (m.type === 'failed') {
        cleanup();
        void worker.terminate();
        reject(new Error(`imserver failed to start: ${m.error}`));
      } else if (m.type === 'ready') {
        cleanup();
        const host = hostForUrl(m.host);
        resolve(handle(worker, `http://${host}:${m.apiPort}`, `ws://${host}:${m.wsPort}`, () => exited, exitedP, data.logLevel!));
      }
    };
    const onError = (e: Error) => {
      cleanup();
      reject(new Error(`imserver worker crashed: ${e.message}`));
    };
    const onExit = (code: number) => {
      cleanup();
      reject(new Error(`imserver worker exited with code ${code} before it was ready`));
    };
    function cleanup() {
      clearTimeout(timer);
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
    }
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
  });
}

function handle(worker: Worker, apiAddress: string, wsAddress: string, hasExited: () => boolean, exited: Promise<{ code: number }>, logLevel: string): ImServerHandle {
  // A crash after start must not become an unhandled 'error' in the caller; it is logged instead.
  worker.on('error', (e) => {
    createLogger(logLevel).child({ component: 'imserver' }).error({ err: e }, 'imserver worker crashed');
  });
  let closing: Promise<void> | undefined;
  let logAsks = 0;
  return {
    apiAddress,
    wsAddress,
    exited,
    requestLog() {
      if (hasExited()) return Promise.reject(new Error('imserver has stopped'));
      const id = ++logAsks;
      return new Promise<RequestLogEntry[]>((resolve, reject) => {
        const timer = setTimeout(() => {
          worker.off('message', onMessage);
          reject(new Error(`imserver did not answer requestLog within ${REQUEST_LOG_TIMEOUT_MS} ms`));
        }, REQUEST_LOG_TIMEOUT_MS);
        const onMessage = (m: FromWorker) => {
          if (m.type !== 'requestLog' || m.id !== id) return;
          clearTimeout(timer);
          worker.off('message', onMessage);
          if (m.entries) resolve(m.entries);
          else reject(new Error('imserver runs without requestLog'));
        };
        worker.on('message', onMessage);
        worker.postMessage({ type: 'requestLog', id } satisfies ToWorker);
      });
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        if (hasExited()) return resolve();
        const finish = () => {
          clearTimeout(timer);
          void worker.terminate().then(() => resolve());
        };
        const timer = setTimeout(finish, CLOSE_TIMEOUT_MS);
        worker.on('message', (m: FromWorker) => {
          if (m.type === 'closed') finish();
        });
        worker.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        worker.postMessage({ type: 'close' } satisfies ToWorker);
      });
      return closing;
    },
  };
}
