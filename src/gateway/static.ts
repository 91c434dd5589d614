// Fixed web assets (the demo page, the admin dashboard) with the headers every such response
// gets: a Content-Security-Policy that allows only the page's own scripts and styles (no inline
// code, no framing), nosniff, no referrer (URLs never leave the page), no caching.

import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** An HTTP route on the gateway's port: true when it answered the request. */
export type HttpRoute = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

export const CONTENT_TYPES: Readonly<Record<string, string>> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  json: 'application/json',
};

export interface Csp {
  /** Extra origins the page may connect to (fetch, WebSocket) and load images from. */
  readonly connect?: readonly string[];
  readonly img?: readonly string[];
}

export function cspHeader(extra: Csp = {}): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    ['connect-src', "'self'", ...(extra.connect ?? [])].join(' '),
    ['img-src', "'self'", 'data:', 'blob:', ...(extra.img ?? [])].join(' '),
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

export function sendAsset(res: ServerResponse, type: keyof typeof CONTENT_TYPES, body: string | Buffer, csp: string): void {
  res.writeHead(200, {
    'content-type': CONTENT_TYPES[type],
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    'content-security-policy': csp,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
  });
  res.end(body);
}

/** Read a file of a fixed set once and keep it (the assets are small and never change while running). */
export function assetReader(dir: string): (name: string) => string {
  const cache = new Map<string, string>();
  return (name) => {
    let text = cache.get(name);
    if (text === undefined) {
      text = readFileSync(dir + name, 'utf8');
      cache.set(name, text);
    }
    return text;
  };
}

/** Read a small JSON request body, bounded. Throws on a body over `max` bytes or bad JSON. */
export async function readJsonBody(req: IncomingMessage, max: number): Promise<unknown> {
  if (Number(req.headers['content-length'] ?? 0) > max) throw new RangeError(`body over ${max} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > max) throw new RangeError(`body over ${max} bytes`);
    chunks.push(chunk);
  }
  return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
}

export function isLoopback(address: string | undefined): boolean {
  return address === '127.0.0.1' || address === '::1' || address === '::ffff:127.0.0.1' || (address?.startsWith('127.') ?? false);
}
