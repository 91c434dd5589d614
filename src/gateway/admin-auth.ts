// Who may use /admin: a script sends `Authorization: Bearer <admin token>`; a browser (the
// dashboard) logs in once and then carries a cookie.
//
// Why a cookie and not the token in the page: a token kept in page JavaScript (localStorage, a
// header the page builds) is readable by any script that ever runs on the origin, and a token
// in a URL (EventSource cannot send headers) lands in logs and history. So the dashboard's form
// POSTs the token once to /admin/login, which answers a random session id in a cookie the page
// cannot read (HttpOnly), that the browser never sends from another site (SameSite=Strict), and
// that only /admin paths get (Path=/admin). Sessions expire after SESSION_TTL_MS and are kept in
// memory only (a restart logs dashboards out). Requests that change something and come with the
// cookie must also carry the CSRF_HEADER, which a cross-site page cannot add without a CORS
// preflight that is never answered: a second line behind SameSite.

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { KeyedRateLimiter } from './rate-limit.ts';

export const COOKIE_NAME = 'sdkgate_admin';
const CSRF_HEADER = 'x-sdkgate-admin';
const SESSION_TTL_MS = 8 * 60 * 60_000;
const MAX_SESSIONS = 64;

/** Compare digests so neither the content nor the length of the token leaks through timing. */
export function tokenMatches(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

function cookieValue(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return part.slice(i + 1).trim();
  }
  return undefined;
}

export type AdminAuth = 'bearer' | 'cookie' | null;

export class AdminSessions {
  readonly #token: string;
  readonly #now: () => number;
  /** sha256(session id) -> expiry; the raw id exists only in the browser's cookie. */
  readonly #sessions = new Map<string, number>();
  /** Login attempts per address: a slow trickle, so guessing the token is hopeless. */
  readonly #attempts = new KeyedRateLimiter(0.5, 5, 10_000);

  constructor(adminToken: string, now: () => number = Date.now) {
    this.#token = adminToken;
    this.#now = now;
  }

  /** How this request is authenticated, if at all. */
  check(req: IncomingMessage): AdminAuth {
    const m = /^Bearer +(.+)$/i.exec(req.headers.authorization ?? '');
    if (m) return tokenMatches(m[1]!.trim(), this.#token) ? 'bearer' : null;
    const id = cookieValue(req, COOKIE_NAME);
    if (!id) return null;
    const key = createHash('sha256').update(id).digest('base64url');
    const exp = this.#sessions.get(key);
    if (exp === undefined) return null;
    if (exp <= this.#now()) {
      this.#sessions.delete(key);
      return null;
    }
    return 'cookie';
  }

  /** A cookie-authenticated request that changes state must carry the CSRF header. */
  static csrfOk(req: IncomingMessage, auth: AdminAuth): boolean {
    return auth !== 'cookie' || req.method === 'GET' || req.method === 'HEAD' || req.headers[CSRF_HEADER] === '1';
  }

  /** Rate-limited by address; false when over the limit (the caller answers 429). */
  allowAttempt(ip: string): boolean {
    return this.#attempts.take(ip);
  }

  /** Start a session if `given` is the admin token; writes the cookie. */
  login(given: string, req: IncomingMessage, res: ServerResponse): boolean {
    if (!tokenMatches(given, this.#token)) return false;
    const now = this.#now();
    for (const [k, exp] of this.#sessions) if (exp <= now) this.#sessions.delete(k);
    if (this.#sessions.size >= MAX_SESSIONS) this.#sessions.delete(this.#sessions.keys().next().value!);
    const id = randomBytes(32).toString('base64url');
    this.#sessions.set(createHash('sha256').update(id).digest('base64url'), now + SESSION_TTL_MS);
    res.setHeader('set-cookie', this.#cookie(req, id, Math.floor(SESSION_TTL_MS / 1000)));
    return true;
  }

  logout(req: IncomingMessage, res: ServerResponse): void {
    const id = cookieValue(req, COOKIE_NAME);
    if (id) this.#sessions.delete(createHash('sha256').update(id).digest('base64url'));
    res.setHeader('set-cookie', this.#cookie(req, '', 0));
  }

  #cookie(req: IncomingMessage, value: string, maxAge: number): string {
    // Secure when the browser reached us over TLS (directly or through a TLS-terminating proxy).
    const tls = (req.socket as { encrypted?: boolean }).encrypted === true || req.headers['x-forwarded-proto'] === 'https';
    return `${COOKIE_NAME}=${value}; HttpOnly; SameSite=Strict; Path=/admin; Max-Age=${maxAge}${tls ? '; Secure' : ''}`;
  }
}
