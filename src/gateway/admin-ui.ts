// The admin dashboard's routes (the JSON API beside them is admin.ts):
//
//   GET  /admin/, /admin/app.js, /admin/style.css   the page (web/admin/), no data in it: no auth
//   GET  /admin/whoami  {"authenticated": bool}: whether this browser's cookie is a live session
//   POST /admin/login   {"token": "<admin token>"} -> 204 and the session cookie (admin-auth.ts)
//   POST /admin/logout  -> 204, cookie cleared
//   GET  /admin/events  Server-Sent Events, authenticated: `hello` {config, history} once, then a
//                       `snapshot` {at, sessions, overview, sample} every second (admin-history.ts)
//
// SSE rather than a WebSocket: the feed is one-way, EventSource reconnects by itself and sends
// the cookie, and it is plain HTTP on the same port. Open streams are capped (MAX_STREAMS), and a
// stream whose reader stops reading is ended instead of buffering without bound.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import { gatewayError, type GatewayError } from '../errors.ts';
import type { GatewayOptions } from '../options.ts';
import type { FaultKind } from '../protocol.ts';
import type { AdminSessions } from './admin-auth.ts';
import { HISTORY_SIZE, SAMPLE_INTERVAL_MS, type AdminFeed, type Snapshot } from './admin-history.ts';
import { assetReader, cspHeader, readJsonBody, sendAsset } from './static.ts';

const ADMIN_DIR = fileURLToPath(new URL('../../web/admin/', import.meta.url));
const MAX_STREAMS = 16;
/** Unsent bytes after which a stream's reader is considered gone. */
const MAX_BUFFERED = 4 * 1024 * 1024;
const MAX_LOGIN_BODY = 4096;

export interface AdminUiDeps {
  readonly options: GatewayOptions;
  readonly sessions: AdminSessions;
  readonly feed: AdminFeed;
  readonly faultKinds: readonly FaultKind[];
}

export type UiAnswer = { readonly handled: true } | { readonly handled: false } | { readonly error: GatewayError };

export function createAdminUi(deps: AdminUiDeps) {
  const asset = assetReader(ADMIN_DIR);
  const csp = cspHeader();
  const encoded = new WeakMap<Snapshot, string>();
  let streams = 0;

  const frame = (event: string, data: string): string => `event: ${event}\ndata: ${data}\n\n`;
  const snapshotFrame = (s: Snapshot): string => {
    let text = encoded.get(s);
    if (text === undefined) {
      text = frame('snapshot', JSON.stringify(s));
      encoded.set(s, text); // one encoding per tick, however many dashboards are open
    }
    return text;
  };

  return {
    /** Routes that need no authentication: the page's files, login, logout. */
    async public(req: IncomingMessage, res: ServerResponse, path: string, ip: string): Promise<UiAnswer> {
      const method = req.method ?? 'GET';
      if ((path === '/admin' || path === '/admin/') && method === 'GET') {
        sendAsset(res, 'html', asset('index.html'), csp);
      } else if (path === '/admin/app.js' && method === 'GET') {
        sendAsset(res, 'js', asset('app.js'), csp);
      } else if (path === '/admin/style.css' && method === 'GET') {
        sendAsset(res, 'css', asset('style.css'), csp);
      } else if (path === '/admin/whoami' && method === 'GET') {
        // Lets the page choose between the login form and the feed without a 401 in its console.
        res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
        res.end(JSON.stringify({ authenticated: deps.sessions.check(req) !== null }));
      } else if (path === '/admin/logout' && method === 'POST') {
        deps.sessions.logout(req, res);
        res.writeHead(204, { 'cache-control': 'no-store' }).end();
      } else if (path === '/admin/login' && method === 'POST') {
        if (!deps.sessions.allowAttempt(ip)) return { error: gatewayError('GW_ADMIN_LIMITED', 'too many login attempts from this address') };
        if (!(req.headers['content-type'] ?? '').startsWith('application/json')) return { error: gatewayError('GW_ADMIN_UNSUPPORTED_MEDIA_TYPE') };
        let token: unknown;
        try {
          token = ((await readJsonBody(req, MAX_LOGIN_BODY)) as { token?: unknown } | null)?.token;
        } catch {
          return { error: gatewayError('GW_ADMIN_BAD_REQUEST', 'body must be JSON {"token": ...}') };
        }
        if (typeof token !== 'string' || !deps.sessions.login(token, req, res)) return { error: gatewayError('GW_ADMIN_UNAUTHORIZED') };
        res.writeHead(204, { 'cache-control': 'no-store' }).end();
      } else {
        return { handled: false };
      }
      return { handled: true };
    },

    /** GET /admin/events, after authentication. */
    async events(res: ServerResponse): Promise<UiAnswer> {
      if (streams >= MAX_STREAMS) return { error: gatewayError('GW_ADMIN_LIMITED', `${MAX_STREAMS} dashboard streams are open`) };
      streams++;
      let unsubscribe = (): void => {};
      res.once('close', () => {
        unsubscribe();
        streams--;
      });
      const first = await deps.feed.current();
      if (res.destroyed) return { handled: true };
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        'x-accel-buffering': 'no', // a proxy must not hold the stream back
      });
      const config = {
        faultInjection: deps.options.faultInjection,
        faultKinds: deps.options.faultInjection ? deps.faultKinds : [],
        isolation: deps.options.isolation,
        sampleIntervalMs: SAMPLE_INTERVAL_MS,
        historySize: HISTORY_SIZE,
      };
      res.write(`retry: 2000\n\n${frame('hello', JSON.stringify({ config, history: deps.feed.history() }))}${snapshotFrame(first)}`);
      unsubscribe = deps.feed.subscribe((s) => {
        if (res.writableLength > MAX_BUFFERED) {
          res.destroy();
          return;
        }
        res.write(snapshotFrame(s));
      });
      return { handled: true };
    },
  };
}

export type AdminUi = ReturnType<typeof createAdminUi>;
