// Issued tokens and their states, like OpenIM's Redis token map: 0 normal, 2 kicked.
// A well-formed JWT that is not in this table answers 1507 TokenNotExist.

import { stmt, type Db } from './db.ts';
import { ImCode, imError } from './errs.ts';
import { signToken, verifyToken, type JwtClaims } from './jwt.ts';

const TOKEN_NORMAL = 0;
const TOKEN_KICKED = 2;
export const ADMIN_PLATFORM_ID = 10;

export class Tokens {
  #db: Db;
  #secret: string;
  #ttlSeconds: number;

  constructor(db: Db, secret: string, ttlSeconds: number) {
    this.#db = db;
    this.#secret = secret;
    this.#ttlSeconds = ttlSeconds;
  }

  get ttlSeconds(): number {
    return this.#ttlSeconds;
  }

  /**
   * Issue a token. As OpenIM's default multi-login policy (AllLoginButSameTermKick) does when it
   * creates one, the older normal tokens of the same user and platform are marked kicked.
   * Returns the tokens that were kicked so the caller can drop their connections.
   */
  issue(userID: string, platformID: number, nowMs = Date.now()): { token: string; claims: JwtClaims; kicked: string[] } {
    const { token, claims } = signToken(userID, platformID, this.#ttlSeconds, this.#secret, nowMs);
    const old = stmt<{ token: string }>(this.#db, 'SELECT token FROM tokens WHERE user_id = ? AND platform_id = ? AND state = ?')
      .all(userID, platformID, TOKEN_NORMAL);
    const kicked = platformID === ADMIN_PLATFORM_ID ? [] : old.map((r) => r.token);
    const now = Math.floor(nowMs / 1000);
    stmt(this.#db, 'DELETE FROM tokens WHERE user_id = ? AND platform_id = ? AND expire_at <= ?').run(userID, platformID, now);
    for (const t of kicked) stmt(this.#db, 'UPDATE tokens SET state = ? WHERE token = ?').run(TOKEN_KICKED, t);
    stmt(this.#db, 'INSERT OR REPLACE INTO tokens (token, user_id, platform_id, state, expire_at, created_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(token, userID, platformID, TOKEN_NORMAL, claims.exp, now);
    return { token, claims, kicked };
  }

  /** Verify a token fully: JWT checks, then its recorded state (1507 unknown, 1506 kicked). */
  parse(token: string, nowMs = Date.now()): JwtClaims {
    const claims = verifyToken(token, this.#secret, nowMs);
    const row = stmt<{ state: number }>(this.#db, 'SELECT state FROM tokens WHERE token = ?').get(token);
    if (!row) throw imError(ImCode.TokenNotExist, 'token not exist');
    if (row.state === TOKEN_KICKED) throw imError(ImCode.TokenKicked, 'token has been kicked');
    if (row.state !== TOKEN_NORMAL) throw imError(ImCode.TokenUnknown, 'token state unknown');
    return claims;
  }

  /** Mark every normal token of user+platform kicked, except `keep`. Returns the kicked ones. */
  kickAll(userID: string, platformID: number, keep?: string): string[] {
    const rows = stmt<{ token: string }>(this.#db, 'SELECT token FROM tokens WHERE user_id = ? AND platform_id = ? AND state = ?')
      .all(userID, platformID, TOKEN_NORMAL);
    const kicked = rows.map((r) => r.token).filter((t) => t !== keep);
    for (const t of kicked) stmt(this.#db, 'UPDATE tokens SET state = ? WHERE token = ?').run(TOKEN_KICKED, t);
    return kicked;
  }
}
