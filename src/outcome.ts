// What a failed call was, for its metric and its log line. Three kinds, because an operator asks
// three different questions of them:
//
//   refused         the gateway said no (bad frame, rate limit, not logged in, busy, draining...):
//                   the client's or the load's doing; logged at info (floods at debug)
//   business_error  the SDK core or the OpenIM server said no for a business reason (1302 not a
//                   friend, 1402 already revoked, 10002 bad argument...): the app's doing; info
//   fault           something broke (worker crash, call timeout, internal error, upstream
//                   unreachable): ours or the upstream's doing; warn, internal errors at error

import type { ErrorName, WireError } from './errors.ts';

export type CallOutcome = 'ok' | 'refused' | 'business_error' | 'fault';

const GATEWAY_FAULTS: ReadonlySet<string> = new Set<ErrorName>([
  'GW_SESSION_CRASHED',
  'GW_CALL_TIMEOUT',
  'GW_INTERNAL',
  'GW_HEAP_LIMIT_OVERRIDDEN',
  'GW_UPSTREAM_UNAVAILABLE',
]);

/**
 * SDK core codes that mean the core could not do its job, not that the request was wrong:
 * Network 10000, NetworkTimeout 10001, Unknown 10005, Internal 10006 (src/core/errors.ts; numbers
 * here so the edge does not import the core).
 */
const CORE_FAULTS: ReadonlySet<number> = new Set([10000, 10001, 10005, 10006]);

export function failureOutcome(w: WireError): Exclude<CallOutcome, 'ok'> {
  if (w.name.startsWith('GW_')) return GATEWAY_FAULTS.has(w.name) ? 'fault' : 'refused';
  return CORE_FAULTS.has(w.code) ? 'fault' : 'business_error';
}

/**
 * Gateway refusals that arrive in floods from one misbehaving client: logged at debug (a frame
 * that is not even JSON is refused before the rate limit can charge it).
 */
export const FLOOD_REFUSALS: ReadonlySet<string> = new Set<ErrorName>(['GW_PROTOCOL_ERROR', 'GW_RATE_LIMITED', 'GW_BUSY', 'GW_DUPLICATE_OPERATION']);
