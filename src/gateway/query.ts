// The upgrade URL query, parsed by hand. open-im-sdk@3.5.2 builds it without any encoding
// (`?sendID=${userID}&token=${token}&platformID=${platformID}&operationID=${operationID}`), so
// URLSearchParams would be wrong: it turns '+' into a space. Here '+' stays '+', and a value is
// percent-decoded only when it holds a valid %XX escape (an encoding client still works).

import { gatewayError } from '../errors.ts';
import { isValidId, isValidOperationId, isValidPlatformId } from '../ids.ts';

export interface UpgradeQuery {
  readonly sendID: string;
  readonly token: string;
  readonly platformID: number;
  readonly operationID: string;
}

/** Tokens are JWTs in practice; bound them so a huge query cannot reach parse_token. */
const MAX_TOKEN = 4096;
const TOKEN_RE = /^[\x21-\x7e]+$/;

function decode(v: string): string {
  if (!v.includes('%')) return v;
  try {
    return decodeURIComponent(v);
  } catch {
    return v;
  }
}

/** Split `a=1&b=2` without treating '+' as a space. Repeated keys are a bad query. */
export function parseQueryString(qs: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of qs.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const key = decode(eq < 0 ? part : part.slice(0, eq));
    const value = decode(eq < 0 ? '' : part.slice(eq + 1));
    if (out.has(key)) throw gatewayError('GW_BAD_QUERY', `repeated parameter ${key.length <= 32 ? key : 'name'}`);
    out.set(key, value);
  }
  return out;
}

/**
 * Validate the upgrade request's query. Throws GW_BAD_QUERY naming the parameter; never echoes
 * the token.
 */
export function parseUpgradeQuery(rawUrl: string | undefined): UpgradeQuery {
  const url = rawUrl ?? '';
  const q = url.indexOf('?');
  const params = parseQueryString(q < 0 ? '' : url.slice(q + 1));

  const sendID = params.get('sendID');
  if (sendID === undefined || sendID === '') throw gatewayError('GW_BAD_QUERY', 'sendID is required');
  if (!isValidId(sendID)) throw gatewayError('GW_BAD_QUERY', 'sendID has characters or a length that are not allowed');

  const token = params.get('token');
  if (token === undefined || token === '') throw gatewayError('GW_BAD_QUERY', 'token is required');
  if (token.length > MAX_TOKEN || !TOKEN_RE.test(token)) throw gatewayError('GW_BAD_QUERY', 'token is malformed');

  const p = params.get('platformID');
  if (p === undefined || p === '') throw gatewayError('GW_BAD_QUERY', 'platformID is required');
  const platformID = /^\d{1,2}$/.test(p) ? Number(p) : NaN;
  if (!isValidPlatformId(platformID)) throw gatewayError('GW_BAD_QUERY', 'platformID must be an integer from 1 to 11');

  const operationID = params.get('operationID');
  if (operationID === undefined || operationID === '') throw gatewayError('GW_BAD_QUERY', 'operationID is required');
  if (!isValidOperationId(operationID)) throw gatewayError('GW_BAD_QUERY', 'operationID must be 1-128 printable ASCII characters');

  return { sendID, token, platformID, operationID };
}
