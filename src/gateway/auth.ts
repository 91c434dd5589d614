// Token check before the upgrade: POST {api}/auth/parse_token (header operationID, body {token}).
// The token must belong to the sendID and platformID the client claims; the original servers
// checked only that the token was valid (v2) or non-empty (oimws), spec §5.2 and §5.3.
//
// Verdicts are cached in a bounded LRU keyed by SHA-256 of the token (the raw token is never a
// key or a log field): positive for min(authCacheTtlMs, time to token expiry), negative (the
// server rejected the token) for authNegativeTtlMs. An unreachable upstream is never cached.
// Concurrent checks of one token share one request.
//
// A cached acceptance only gets a connection through the upgrade. Whether it may then reach a
// session is the supervisor's question (TokenAuthority, src/supervisor/types.ts): each principal
// carries a proof (when upstream was asked, and in which order relative to revocations), and
// only a proof from moments ago that no kick or newer token of the pair has overtaken "vouches".
// See docs/gateway.md "What the token cache can and cannot let in".

import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { gatewayError } from '../errors.ts';
import { isValidId, isValidPlatformId } from '../ids.ts';
import { sessionKey } from '../supervisor/registry.ts';
import type { Principal, TokenAuthority } from '../supervisor/types.ts';
import { timeoutSignal } from '../timeout.ts';
import type { UpgradeQuery } from './query.ts';
import { TtlCache } from './ttl-cache.ts';
import type { Clock } from './rate-limit.ts';

export interface TokenClaims {
  readonly userID: string;
  readonly platformID: number;
  /** ms since epoch; Infinity when the server did not say. */
  readonly expiresAt: number;
}

/** When upstream was asked: `seq` orders it against revocations, `at` dates it. */
interface Asked {
  readonly seq: number;
  readonly at: number;
}

type Verdict = Asked & ({ readonly ok: true; readonly claims: TokenClaims } | { readonly ok: false; readonly errCode: number; readonly errMsg: string });

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
const UPSTREAM_RETRY_AFTER_S = 2;

/**
 * How old an upstream acceptance may be and still count as "just verified" for attaching to a
 * session. It covers the gap between a client's upgrade and its Login frame (the real client
 * sends Login as soon as the socket opens); a slower Login costs one more parse_token, nothing else.
 */
export const JUST_VERIFIED_MS = 2_000;

function tokenKey(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('base64url');
}

function unavailable(why: string): never {
  throw gatewayError('GW_UPSTREAM_UNAVAILABLE', why, { retryAfterS: UPSTREAM_RETRY_AFTER_S });
}

export class TokenVerifier implements TokenAuthority {
  readonly #o: TokenVerifierOptions;
  readonly #now: Clock;
  readonly #cache: TtlCache<Verdict>;
  readonly #pending = new Map<string, { readonly seq: number; readonly verdict: Promise<Verdict> }>();
  /** Orders upstream requests and revocation events: a proof counts only if asked after the pair's last event. */
  #seq = 0;
  /** Per (userID, platformID): the last kick, token error or newer token. Pruned once no request or proof can predate it. */
  readonly #events = new Map<string, Asked>();
  /** The upstream acceptance each connection's principal rests on (set at the upgrade, renewed by recheck). */
  readonly #proofs = new WeakMap<Principal, Asked>();

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
    return (await this.#verified(token, operationID, false)).claims;
  }

  /**
   * Check the query's token and bind it to the claimed identity. When upstream was asked for
   * this upgrade, remember that as the principal's proof; a cached verdict proves nothing more
   * than that the token once passed (its connection gets past the upgrade, no further).
   */
  async authenticate(q: UpgradeQuery): Promise<Principal> {
    const { claims, asked } = await this.#verified(q.token, q.operationID, false);
    if (claims.userID !== q.sendID) throw gatewayError('GW_TOKEN_MISMATCH', 'token was issued to another userID');
    if (claims.platformID !== q.platformID) throw gatewayError('GW_TOKEN_MISMATCH', 'token was issued for another platformID');
    const principal: Principal = { userID: q.sendID, platformID: q.platformID, token: q.token };
    if (asked) this.#proofs.set(principal, asked);
    return principal;
  }

  // ---------------------------------------------------------------- TokenAuthority

  vouches(p: Principal): boolean {
    const proof = this.#proofs.get(p);
    if (!proof || this.#now() - proof.at > JUST_VERIFIED_MS) return false;
    const ev = this.#events.get(sessionKey(p.userID, p.platformID));
    if (ev && proof.seq <= ev.seq) return false;
    // Upstream refused the token since (another connection's check): that word is newer.
    return this.#cache.get(tokenKey(p.token))?.ok !== false;
  }

  async recheck(p: Principal, operationID: string): Promise<void> {
    const { claims, asked } = await this.#verified(p.token, operationID, true, p);
    // The same token always carries the same claims; a server that says otherwise is not trusted.
    if (claims.userID !== p.userID || claims.platformID !== p.platformID) throw gatewayError('GW_TOKEN_MISMATCH', 'token was issued to another user or platform');
    if (asked) this.#proofs.set(p, asked);
  }

  revoked(userID: string, platformID: number): void {
    this.#event(userID, platformID);
    this.#cache.deleteWhere((v) => v.ok && v.claims.userID === userID && v.claims.platformID === platformID);
  }

  superseded(userID: string, platformID: number, token: string): void {
    this.#event(userID, platformID);
    const keep = tokenKey(token);
    this.#cache.deleteWhere((v, key) => key !== keep && v.ok && v.claims.userID === userID && v.claims.platformID === platformID);
  }

  // ---------------------------------------------------------------- internals

  /**
   * The verdict for `token`: cached, or asked now (then `asked` says when). `fresh` skips a
   * cached acceptance (a cached refusal still stands) and joins only a request asked after the
   * last event of `p`'s pair.
   */
  async #verified(token: string, operationID: string, fresh: boolean, p?: Principal): Promise<{ claims: TokenClaims; asked: Asked | null }> {
    const key = tokenKey(token);
    let verdict = this.#cache.get(key);
    if (fresh && verdict?.ok) verdict = undefined;
    let asked: Asked | null = null;
    if (!verdict) {
      const floor = p ? (this.#events.get(sessionKey(p.userID, p.platformID))?.seq ?? 0) : 0;
      let pending = this.#pending.get(key);
      if (!pending || (fresh && pending.seq <= floor)) {
        const seq = ++this.#seq;
        const at = this.#now();
        const mine = { seq, verdict: this.#timed(token, operationID, { seq, at }) };
        pending = mine;
        this.#pending.set(key, mine);
        void mine.verdict.finally(() => {
          if (this.#pending.get(key) === mine) this.#pending.delete(key);
        }).catch(() => {});
      }
      verdict = await pending.verdict;
      // Ordered by when it was asked (a revocation during the request voids it: `seq`), dated
      // by when the answer came: a parse_token slower than JUST_VERIFIED_MS (a loaded upstream)
      // must still vouch for the Login that waited on it, or every recheck comes back too old.
      asked = { seq: verdict.seq, at: this.#now() };
      this.#store(key, verdict);
    }
    if (!verdict.ok) throw gatewayError('GW_BAD_TOKEN', `${verdict.errCode} ${verdict.errMsg}`.trim(), { upstreamCode: verdict.errCode });
    if (verdict.claims.expiresAt <= this.#now()) {
      this.#cache.delete(key);
      throw gatewayError('GW_BAD_TOKEN', 'token expired');
    }
    return { claims: verdict.claims, asked };
  }

  #store(key: string, v: Verdict): void {
    if (v.ok) {
      // Asked before a kick or a newer token of its pair: the answer may predate the revocation.
      const ev = this.#events.get(sessionKey(v.claims.userID, v.claims.platformID));
      if (ev && ev.seq >= v.seq) return;
      const ttl = Math.min(this.#o.cacheTtlMs, v.claims.expiresAt - this.#now());
      this.#cache.set(key, v, ttl);
    } else {
      this.#cache.set(key, v, this.#o.negativeTtlMs);
    }
  }

  #event(userID: string, platformID: number): void {
    const key = sessionKey(userID, platformID);
    const now = this.#now();
    this.#events.delete(key);
    this.#events.set(key, { seq: ++this.#seq, at: now });
    // Oldest first (re-inserted on every event). Past this age no request in flight and no proof
    // still "just verified" can predate the event, so forgetting it changes no answer.
    const horizon = now - Math.max(this.#o.timeoutMs, JUST_VERIFIED_MS) - 1_000;
    for (const [k, ev] of this.#events) {
      if (ev.at >= horizon) break;
      this.#events.delete(k);
    }
  }

  async #timed(token: string, operationID: string, asked: Asked): Promise<Verdict> {
    const report = this.#o.onRequest;
    if (!report) return this.#ask(token, operationID, asked);
    const t0 = performance.now();
    let outcome: 'ok' | 'business_error' | 'error' = 'error';
    try {
      const v = await this.#ask(token, operationID, asked);
      outcome = v.ok ? 'ok' : 'business_error';
      return v;
    } finally {
      report((performance.now() - t0) / 1000, outcome);
    }
  }

  async #ask(token: string, operationID: string, asked: Asked): Promise<Verdict> {
    const url = `${this.#o.apiAddress}/auth/parse_token`;
    let status: number;
    let text: string;
    const timeout = timeoutSignal(this.#o.timeoutMs, 'parse_token timed out');
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', operationID },
        body: JSON.stringify({ token }),
        signal: timeout.signal,
        redirect: 'error',
      });
      status = res.status;
      text = await res.text();
    } catch (e) {
      const name = (e as Error).name;
      this.#o.log.warn({ operationID, err: name === 'TimeoutError' ? 'timeout' : (e as Error).message }, 'parse_token unreachable');
      return unavailable(name === 'TimeoutError' ? 'parse_token timed out' : 'parse_token unreachable');
    } finally {
      timeout.clear();
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
      return { ...asked, ok: false, errCode, errMsg: typeof body.errMsg === 'string' ? body.errMsg.slice(0, 200) : '' };
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
    return { ...asked, ok: true, claims: { userID: d.userID, platformID, expiresAt } };
  }
}

/** Check the query's token and bind it to the claimed identity; returns who the connection is. */
export function authenticate(verifier: TokenVerifier, q: UpgradeQuery): Promise<Principal> {
  return verifier.authenticate(q);
}
