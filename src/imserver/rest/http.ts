// The REST listener: CORS, header checks, body cap, token check, JSON parse, dispatch; plus
// the two plain-HTTP object routes (part PUTs, object GETs: object-http.ts).

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { gzipSync } from 'node:zlib';
import type { ImContext } from '../context.ts';
import { imArgsError, ImCode, imError, toImError, type ImError } from '../errs.ts';
import { isBody, type Body } from './body.ts';
import { fail, ok, type Envelope } from './envelope.ts';
import { receivePart, serveObject } from './object-http.ts';
import type { Route, RouteRequest, Router } from './router.ts';
import { OBJECT_PATH } from '../object-names.ts';
import { UPLOAD_PATH } from '../objects.ts';

/** Request bodies above this are refused with ArgsError and the connection is closed. */
const MAX_BODY_BYTES = 1024 * 1024;

const CORS_HEADERS = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Methods': '*',
  'Access-Control-Allow-Headers': '*',
  'Access-Control-Expose-Headers': '*',
};

class BodyTooLarge extends Error {}

/** `publicUrl`: the base of object URLs; '' builds them from each request's Host. */
export function createRestServer(im: ImContext, router: Router, publicUrl = ''): Server {
  const server = createServer((req, res) => {
    handle(im, router, req, res, publicUrl).catch((e: unknown) => {
      im.log.error({ err: e }, 'rest handler crashed');
      if (!res.headersSent) send(req, res, fail(imError(ImCode.ServerInternal, 'internal error')));
    });
  });
  server.headersTimeout = 20_000;
  // Whole requests, bodies included: a 5 MiB part from a slow phone needs minutes, while a
  // socket that goes quiet is dropped much sooner by the idle timeout.
  server.requestTimeout = 600_000;
  server.timeout = 60_000;
  server.keepAliveTimeout = 10_000;
  return server;
}

async function handle(im: ImContext, router: Router, req: IncomingMessage, res: ServerResponse, publicUrl: string): Promise<void> {
  if (req.method === 'OPTIONS') {
    res.writeHead(200, { ...CORS_HEADERS, 'Content-Type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify('Options Request!'));
    return;
  }
  const [path, search = ''] = (req.url ?? '/').split('?', 2) as [string, string?];
  if (req.method === 'PUT' && path.startsWith(UPLOAD_PATH)) {
    return receivePart(im, req, res, path.slice(UPLOAD_PATH.length), new URLSearchParams(search), CORS_HEADERS);
  }
  if ((req.method === 'GET' || req.method === 'HEAD') && path.startsWith(OBJECT_PATH)) {
    return serveObject(im, req, res, path.slice(OBJECT_PATH.length), new URLSearchParams(search), CORS_HEADERS);
  }
  const route = req.method === 'POST' ? router.get(path) : undefined;
  if (!route) {
    // gin answers unknown paths and methods with its plain 404.
    req.resume();
    res.writeHead(404, { ...CORS_HEADERS, 'Content-Type': 'text/plain' });
    res.end('404 page not found');
    return;
  }
  let raw: Buffer;
  try {
    raw = await readBody(req, MAX_BODY_BYTES);
  } catch (e) {
    if (e instanceof BodyTooLarge) {
      res.setHeader('Connection', 'close');
      send(req, res, fail(imArgsError(`request body exceeds ${MAX_BODY_BYTES} bytes`)), () => req.socket.destroy());
    } else {
      req.socket.destroy();
    }
    return;
  }
  const env = await dispatch(im, route, req, raw, path, publicUrl || baseUrl(req));
  send(req, res, env);
}

async function dispatch(im: ImContext, route: Route, req: IncomingMessage, raw: Buffer, path: string, base: string): Promise<Envelope> {
  const seen: { userID: string; body: unknown } = { userID: '', body: undefined };
  const env = await answer(im, route, req, raw, path, base, seen);
  im.requestLog?.add(path, seen.userID, seen.body, env.errCode);
  return env;
}

/** `seen` collects what the request log records, as far as the request got. */
async function answer(im: ImContext, route: Route, req: IncomingMessage, raw: Buffer, path: string, base: string, seen: { userID: string; body: unknown }): Promise<Envelope> {
  try {
    const operationID = header(req, 'operationid');
    if (!operationID) throw imArgsError('header must have operationID');
    let userID = '';
    let platformID = 0;
    if (route.auth !== 'public') {
      const token = header(req, 'token');
      if (!token) throw imArgsError('header must have token');
      const claims = im.tokens.parse(token);
      userID = claims.UserID;
      platformID = claims.PlatformID;
      seen.userID = userID;
    }
    const isAdmin = userID !== '' && im.adminUserIDs.has(userID);
    if (route.auth === 'admin' && !isAdmin) throw imError(ImCode.NoPermission, `${path} needs an admin token`);
    const contentType = header(req, 'content-type').toLowerCase();
    let body: Body = {};
    if (!route.raw) body = parseJson(raw);
    if (!route.raw) seen.body = body;
    const r: RouteRequest = { im, operationID, userID, platformID, isAdmin, contentType, raw, base };
    return ok(await route.handle(r, body));
  } catch (e) {
    const err: ImError = toImError(e);
    if (err.code === ImCode.ServerInternal) im.log.error({ err: e, path }, 'rest route failed');
    return fail(err);
  }
}

function parseJson(raw: Buffer): Body {
  if (raw.length === 0) throw imArgsError('EOF');
  let v: unknown;
  try {
    v = JSON.parse(raw.toString('utf8'));
  } catch (e) {
    throw imArgsError(`invalid JSON: ${(e as Error).message}`);
  }
  if (!isBody(v)) throw imArgsError('json: request body must be an object');
  return v;
}

const HOST = /^([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(:\d{1,5})?$/;

/**
 * `http://host:port` as the client reached us (its Host header), for the URLs handed back by
 * the object routes: a browser on another machine gets URLs it can reach. A missing or odd
 * Host falls back to the socket's own address.
 */
function baseUrl(req: IncomingMessage): string {
  const host = header(req, 'host');
  if (HOST.test(host)) return `http://${host}`;
  const addr = req.socket.localAddress ?? '127.0.0.1';
  return `http://${addr.includes(':') ? `[${addr}]` : addr}:${req.socket.localPort ?? 0}`;
}

function header(req: IncomingMessage, name: string): string {
  const v = req.headers[name];
  return (Array.isArray(v) ? v[0] : v) ?? '';
}

function readBody(req: IncomingMessage, cap: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > cap) {
      req.resume();
      reject(new BodyTooLarge());
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > cap) {
        req.removeAllListeners('data');
        req.resume();
        reject(new BodyTooLarge());
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
    req.on('aborted', () => reject(new Error('aborted')));
  });
}

function send(req: IncomingMessage, res: ServerResponse, env: Envelope, after?: () => void): void {
  let payload: Buffer = Buffer.from(JSON.stringify(env));
  const headers: Record<string, string> = { ...CORS_HEADERS, 'Content-Type': 'application/json; charset=utf-8' };
  if (/\bgzip\b/.test(header(req, 'accept-encoding')) && payload.length > 1024) {
    payload = gzipSync(payload);
    headers['Content-Encoding'] = 'gzip';
  }
  headers['Content-Length'] = String(payload.length);
  res.writeHead(200, headers);
  res.end(payload, after);
}
