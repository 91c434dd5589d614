// Token check before the upgrade: POST {api}/auth/parse_token (header operationID, body {token}).
// The token must belong to the sendID and platformID the client claims; the original servers
// checked only that the token was valid (v2) or non-empty (oimws), spec §5.2 and §5.3.
//
// Verdicts are cached in a bounded LRU keyed by SHA-256 of the token (the raw token is never a
// key or a log field): positive for min(authCacheTtlMs, time to token expiry), negative (the
// server rejected the token) for authNegativeTtlMs. An unreachable upstream is never cached.
// Concurrent checks of one token share one request.

import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { gatewayError } from '../errors.ts';
import { isValidId, isValidPlatformId } from '../ids.ts';
import type { Principal } from '../supervisor/types.ts';
import type { UpgradeQuery } from './query.ts';
import { TtlCache } from './ttl-cache.ts';
import type { Clock } from './rate-limit.ts';

export interface TokenClaims {
  readonly userID: string;
  readonly platformID: number;
  /** ms since epoch; Infinity when the server did not say. */
  readonly expiresAt: number;
}

type Verdict = { readonly ok: true; readonly claims: TokenClaims } | { readonly ok: false; readonly errCode: number; readonly errMsg: string };

export interface TokenVerifierOptions {
  readonly apiAddress: string;
  readonly timeoutMs: number;
  readonly cacheSize: number;
  readonly cacheTtlMs: number;
  readonly negativeTtlMs: number;
  readonly log: Logger;
  readonly now?: Clock;
  /** Told how each parse_token request went, for the upstream metrics. */
  readonly onRequest?: (seconds: number, outcome: 'ok' | 'business_error' | 'error') => void;
}

/** OpenIM platform names (protocol constant/platform_id_to_name.go), for servers that answer `platform`. */
const PLATFORM_BY_NAME: Readonly<Record<string, number>> = {
  IOS: 1, Android: 2, Windows: 3, OSX: 4, Web: 5, MiniWeb: 6, Linux: 7, APad: 8, AndroidPad: 8, IPad: 9, Admin: 10, HarmonyOS: 11,
};

/** Seconds until retrying makes sense after the upstream failed. */
export const UPSTREAM_RETRY_AFTER_S = 2;

function tokenKey(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('base64url');
}

function unavailable(why: string): never {
  throw gatewayError('GW_UPSTREAM_UNAVAILABLE', why, { retryAfterS: UPSTREAM_RETRY_AFTER_S });
}

export class TokenVerifier {
  readonly #o: TokenVerifierOptions;
  readonly #now: Clock;
  readonly #cache: TtlCache<Verdict>;
  readonly #pending = new Map<string, Promise<Verdict>>();

  constructor(o: TokenVerifierOptions) {
    this.#o = o;
    this.#now = o.now ?? Date.now;
    this.#cache = new TtlCache<Verdict>(o.cacheSize, this.#now);
  }

  get cacheSize(): number {
    return this.#cache.size;
  }

  /** The token's claims, or GW_BAD_TOKEN (server said no) / GW_UPSTREAM_UNAVAILABLE. */
  async verify(token: string, operationID: string): Promise<TokenClaims> {
    const key = tokenKey(token);
    let verdict = this.#cache.get(key);
    if (!verdict) {
      let p = this.#pending.get(key);
      if (!p) {
        p = this.#timed(token, operationID).finally(() => this.#pending.delete(key));
        this.#pending.set(key, p);
      }
      verdict = await p;
      this.#store(key, verdict);
    }
    if (!verdict.ok) throw gatewayError('GW_BAD_TOKEN', `${verdict.errCode} ${verdict.errMsg}`.trim(), { upstreamCode: verdict.errCode });
    if (verdict.claims.expiresAt <= this.#now()) {
      this.#cache.delete(key);
      throw gatewayError('GW_BAD_TOKEN', 'token expired');
    }
    return verdict.claims;
  }

  #store(key: string, v: Verdict): void {
    if (v.ok) {
      const ttl = Math.min(this.#o.cacheTtlMs, v.claims.expiresAt - this.#now());
      this.#cache.set(key, v, ttl);
    } else {
      this.#cache.set(key, v, this.#o.negativeTtlMs);
    }
  }

  async #timed(token: string, operationID: string): Promise<Verdict> {
    const report = this.#o.onRequest;
    if (!report) return this.#ask(token, operationID);
    const t0 = performance.now();
    let outcome: 'ok' | 'business_error' | 'error' = 'error';
    try {
      const v = await this.#ask(token, operationID);
      outcome = v.ok ? 'ok' : 'business_error';
      return v;
    } finally {
      report((performance.now() - t0) / 1000, outcome);
    }
  }

  async #ask(token: string, operationID: string): Promise<Verdict> {
    const url = `${this.#o.apiAddress}/auth/parse_token`;
    let status: number;
    let text: string;
    // Not AbortSignal.timeout(): its timer cannot be cleared, so every upgrade left one behind
    // that fired timeoutMs later and built a DOMException with a stack on the main thread
    // (~2.6 ms each in a login-storm profile). This timer is cleared as soon as the answer is in.
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(new DOMException('parse_token timed out', 'TimeoutError')), this.#o.timeoutMs);
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', operationID },
        body: JSON.stringify({ token }),
        signal: ac.signal,
        redirect: 'error',
      });
      status = res.status;
      text = await res.text();
    } catch (e) {
      const name = (e as Error).name;
      this.#o.log.warn({ operationID, err: name === 'TimeoutError' ? 'timeout' : (e as Error).message }, 'parse_token unreachable');
      return unavailable(name === 'TimeoutError' ? 'parse_token timed out' : 'parse_token unreachable');
    } finally {
      clearTimeout(timer);
    }
    if (status >= 500) {
      this.#o.log.warn({ operationID, status }, 'parse_token failed');
      return unavailable(`parse_token answered HTTP ${status}`);
    }
    let body: { errCode?: unknown; errMsg?: unknown; data?: { userID?: unknown; platformID?: unknown; platform?: unknown; expireTimeSeconds?: unknown } };
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      this.#o.log.warn({ operationID, status }, 'parse_token answered something that is not JSON');
      return unavailable('parse_token answered something that is not JSON');
    }
    const errCode = typeof body.errCode === 'number' ? body.errCode : status >= 400 ? status : 0;
    if (errCode !== 0) {
      this.#o.log.info({ operationID, upstreamCode: errCode }, 'token rejected by parse_token');
      return { ok: false, errCode, errMsg: typeof body.errMsg === 'string' ? body.errMsg.slice(0, 200) : '' };
    }
    const d = body.data ?? {};
    const platformID = typeof d.platformID === 'number'
      ? d.platformID
      : typeof d.platform === 'string' ? PLATFORM_BY_NAME[d.platform] : typeof d.platform === 'number' ? d.platform : undefined;
    if (!isValidId(d.userID) || !isValidPlatformId(platformID)) {
      this.#o.log.warn({ operationID }, 'parse_token answered without a usable userID/platform');
      return unavailable('parse_token answered without a userID and platform');
    }
    const exp = typeof d.expireTimeSeconds === 'number' && d.expireTimeSeconds > 0 ? d.expireTimeSeconds : 0;
    // OpenIM answers the absolute expiry (claims.ExpiresAt.Unix()); a small number is read as
    // seconds from now so a server that answers a duration is not cached past the token's life.
    const expiresAt = exp === 0 ? Infinity : exp > 1e9 ? exp * 1000 : this.#now() + exp * 1000;
    return { ok: true, claims: { userID: d.userID, platformID, expiresAt } };
  }
}

/** Check the query's token and bind it to the claimed identity; returns who the connection is. */
export async function authenticate(verifier: TokenVerifier, q: UpgradeQuery): Promise<Principal> {
  const claims = await verifier.verify(q.token, q.operationID);
  if (claims.userID !== q.sendID) throw gatewayError('GW_TOKEN_MISMATCH', 'token was issued to another userID');
  if (claims.platformID !== q.platformID) throw gatewayError('GW_TOKEN_MISMATCH', 'token was issued for another platformID');
  return { userID: q.sendID, platformID: q.platformID, token: q.token };
}
