// HS256 JWTs shaped like OpenIM's (openimsdk/tools tokenverify): claims UserID, PlatformID,
// exp, nbf, iat in seconds, plus a random jti (a registered claim OpenIM clients ignore) so two
// tokens issued in the same second differ. Verification maps failures to OpenIM's token codes.

import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { ImCode, imError } from './errs.ts';

export interface JwtClaims {
  readonly UserID: string;
  readonly PlatformID: number;
  readonly exp: number;
  readonly nbf: number;
  readonly iat: number;
  /** A random ID so two tokens issued in the same second differ (a new token must kick the old one). */
  readonly jti?: string;
}

const HEADER = b64url(Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })));
/** OpenIM backdates nbf so clock skew between nodes does not reject fresh tokens. */
const NBF_SKEW_S = 300;

function b64url(buf: Buffer): string {
  return buf.toString('base64url');
}

function mac(secret: string, input: string): Buffer {
  return createHmac('sha256', secret).update(input).digest();
}

export function signToken(userID: string, platformID: number, ttlSeconds: number, secret: string, nowMs = Date.now()): {
  token: string;
  claims: JwtClaims;
} {
  const now = Math.floor(nowMs / 1000);
  const claims: JwtClaims = {
    UserID: userID,
    PlatformID: platformID,
    exp: now + ttlSeconds,
    nbf: now - NBF_SKEW_S,
    iat: now,
    jti: randomBytes(8).toString('hex'),
  };
  const body = `${HEADER}.${b64url(Buffer.from(JSON.stringify(claims)))}`;
  return { token: `${body}.${b64url(mac(secret, body))}`, claims };
}

/**
 * Check shape, signature and times. Malformed → 1503, bad signature or claims → 1505,
 * expired → 1501, not yet valid → 1504 (the order golang-jwt reports them in).
 */
export function verifyToken(token: string, secret: string, nowMs = Date.now()): JwtClaims {
  const parts = token.split('.');
  if (parts.length !== 3) throw imError(ImCode.TokenMalformed, 'token contains an invalid number of segments');
  const [h, p, s] = parts as [string, string, string];
  let header: unknown;
  let payload: unknown;
  try {
    header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8'));
    payload = JSON.parse(Buffer.from(p, 'base64url').toString('utf8'));
  } catch {
    throw imError(ImCode.TokenMalformed, 'token is malformed');
  }
  if (!isObject(header) || !isObject(payload)) throw imError(ImCode.TokenMalformed, 'token is malformed');
  if (header.alg !== 'HS256') throw imError(ImCode.TokenUnknown, 'unexpected signing method');
  const want = mac(secret, `${h}.${p}`);
  const got = Buffer.from(s, 'base64url');
  if (got.length !== want.length || !timingSafeEqual(got, want)) throw imError(ImCode.TokenUnknown, 'signature is invalid');
  const { UserID, PlatformID, exp, nbf, iat } = payload;
  if (typeof UserID !== 'string' || typeof PlatformID !== 'number' || typeof exp !== 'number') {
    throw imError(ImCode.TokenUnknown, 'claims are invalid');
  }
  const now = Math.floor(nowMs / 1000);
  if (now >= exp) throw imError(ImCode.TokenExpired, 'token is expired');
  if (typeof nbf === 'number' && now < nbf) throw imError(ImCode.TokenNotValidYet, 'token is not valid yet');
  return { UserID, PlatformID, exp, nbf: typeof nbf === 'number' ? nbf : 0, iat: typeof iat === 'number' ? iat : 0 };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
