// The demo chat on the gateway's port (only with the embedded IM server, see --demo):
//
//   GET  /demo/            the page (web/demo/index.html, style.css)
//   GET  /demo/app.js      web/demo/app.ts + open-im-sdk@3.5.2, bundled on first request (bundle.ts)
//   POST /demo/api/login   {userID, nickname?} -> {userID, token, platformID, apiAddr, peers}
//
// What demo mode trusts: whoever can open a connection from this machine (loopback) to the
// gateway's port is whichever user they name. /demo/api/login answers loopback clients only (and
// no forwarded request) and never hands out the IM server's admin user; the admin secret and admin token never leave the
// process (tokens.ts). That is fine on a developer's machine and wrong anywhere else: --demo false.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { isValidId } from '../ids.ts';
import { assetReader, cspHeader, isLoopback, readJsonBody, sendAsset, type HttpRoute } from '../gateway/static.ts';
import { DEMO_DIR, DemoUnavailable, demoBundle } from './bundle.ts';
import { DemoRefused, DemoTokens } from './tokens.ts';

export interface DemoDeps {
  /** The embedded IM server's REST address (the page uploads media to it directly). */
  readonly apiAddress: string;
  readonly secret: string;
  readonly log: Logger;
}

const MAX_BODY = 1024;
const MAX_NICKNAME = 32;

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
  res.end(JSON.stringify(body));
}

export function createDemoRoutes(deps: DemoDeps): HttpRoute {
  const tokens = new DemoTokens(deps.apiAddress, deps.secret);
  const asset = assetReader(DEMO_DIR);
  const apiOrigin = new URL(deps.apiAddress).origin;
  const csp = cspHeader({ connect: [apiOrigin], img: [apiOrigin] });

  async function login(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // Behind a reverse proxy on this machine every client would look local: a forwarded request
    // (which a browser talking to us directly never sends) is refused too.
    const forwarded = req.headers['x-forwarded-for'] !== undefined || req.headers.forwarded !== undefined || req.headers['x-real-ip'] !== undefined;
    if (!isLoopback(req.socket.remoteAddress) || forwarded) {
      json(res, 403, { errMsg: 'demo logins are answered on this machine only (loopback, not through a proxy)' });
      return;
    }
    // A JSON content type cannot be sent cross-site without a CORS preflight, which is never answered.
    if (!(req.headers['content-type'] ?? '').startsWith('application/json')) {
      json(res, 415, { errMsg: 'send application/json' });
      return;
    }
    let body: { userID?: unknown; nickname?: unknown };
    try {
      body = (await readJsonBody(req, MAX_BODY)) as typeof body;
    } catch (e) {
      json(res, 400, { errMsg: e instanceof RangeError ? e.message : 'body must be JSON {"userID": ...}' });
      return;
    }
    const userID = body?.userID;
    if (!isValidId(userID)) {
      json(res, 400, { errMsg: 'userID: 1-64 characters of A-Z a-z 0-9 _ . @ + -' });
      return;
    }
    const nickname = typeof body.nickname === 'string' && body.nickname.trim() ? body.nickname.trim().slice(0, MAX_NICKNAME) : userID;
    try {
      const r = await tokens.login(userID, nickname);
      deps.log.info({ userID }, 'demo login');
      json(res, 200, { ...r, apiAddr: deps.apiAddress });
    } catch (e) {
      if (e instanceof DemoRefused) {
        json(res, 403, { errMsg: e.message });
        return;
      }
      deps.log.warn({ err: (e as Error).message }, 'demo login failed');
      json(res, 503, { errMsg: 'the embedded IM server did not answer; try again' });
    }
  }

  return async (req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    if (path !== '/demo' && !path.startsWith('/demo/')) return false;
    const method = req.method ?? 'GET';
    if (path === '/demo' && (method === 'GET' || method === 'HEAD')) {
      res.writeHead(308, { location: '/demo/' }).end();
      return true;
    }
    if (path === '/demo/api/login' && method === 'POST') {
      await login(req, res);
      return true;
    }
    if (method !== 'GET' && method !== 'HEAD') return false;
    if (path === '/demo/style.css') {
      sendAsset(res, 'css', asset('style.css'), csp);
      return true;
    }
    if (path !== '/demo/' && path !== '/demo/app.js') return false;
    let script: string;
    try {
      // The page too waits for the bundle, so a missing builder is explained where a person looks.
      script = await demoBundle();
    } catch (e) {
      if (!(e instanceof DemoUnavailable)) throw e;
      deps.log.warn({ err: e.message }, 'demo unavailable');
      res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' }).end(`sdkgate demo unavailable: ${e.message}\n`);
      return true;
    }
    if (path === '/demo/') sendAsset(res, 'html', asset('index.html'), csp);
    else sendAsset(res, 'js', script, csp);
    return true;
  };
}
