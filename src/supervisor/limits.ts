// Per-session limits: the global options, overridden per user by the --limits-file JSON:
//   {"users": {"<userID>": {"sessionHeapMb": 256, "sessionConcurrency": 4, "sessionQueue": 64, "callTimeoutMs": 60000}}}
// The file is read when the supervisor is created (a bad file fails startup naming the flag) and
// again on SIGHUP (a bad file is refused and the previous limits stay). A session takes its
// limits when it starts. Each value is checked by the option's own parser (src/options.ts), so
// the ranges live in one place.

import { readFileSync } from 'node:fs';
import { gatewayError } from '../errors.ts';
import { parseOption, type GatewayOptions } from '../options.ts';

const LIMIT_KEYS = ['sessionHeapMb', 'sessionConcurrency', 'sessionQueue', 'callTimeoutMs'] as const;
type LimitKey = (typeof LIMIT_KEYS)[number];

export type SessionLimits = Pick<GatewayOptions, LimitKey>;

export type LimitsFor = (userID: string) => SessionLimits;

function invalid(message: string): Error {
  return gatewayError('GW_OPTIONS_INVALID', `--limits-file: ${message}`, { flag: 'limits-file' });
}

/** Parse the overrides document; exported for tests. */
export function parseLimits(text: string): Map<string, Partial<SessionLimits>> {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw invalid(`not JSON (${(e as Error).message})`);
  }
  const users = (doc as { users?: unknown } | null)?.users;
  if (typeof doc !== 'object' || doc === null || typeof users !== 'object' || users === null || Array.isArray(users)) {
    throw invalid('expected {"users": {"<userID>": {...}}}');
  }
  const out = new Map<string, Partial<SessionLimits>>();
  for (const [userID, raw] of Object.entries(users)) {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw invalid(`users.${userID} must be an object`);
    const entry: Partial<Record<LimitKey, number>> = {};
    for (const [key, value] of Object.entries(raw)) {
      if (!(LIMIT_KEYS as readonly string[]).includes(key)) throw invalid(`users.${userID}.${key} is not a per-user limit (${LIMIT_KEYS.join(', ')})`);
      const at = `users.${userID}.${key}`;
      if (typeof value !== 'number') throw invalid(`${at}: expected a number, got \`${JSON.stringify(value)}\``);
      try {
        entry[key as LimitKey] = parseOption(key as LimitKey, String(value), at);
      } catch (e) {
        throw invalid((e as Error).message.replace(/^[^:]*: /, ''));
      }
    }
    out.set(userID, entry);
  }
  return out;
}

export function loadLimits(options: GatewayOptions): LimitsFor {
  const defaults: SessionLimits = {
    sessionHeapMb: options.sessionHeapMb,
    sessionConcurrency: options.sessionConcurrency,
    sessionQueue: options.sessionQueue,
    callTimeoutMs: options.callTimeoutMs,
  };
  if (!options.limitsFile) return () => defaults;
  let text: string;
  try {
    text = readFileSync(options.limitsFile, 'utf8');
  } catch (e) {
    throw invalid(`cannot read ${options.limitsFile} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const overrides = parseLimits(text);
  return (userID) => ({ ...defaults, ...overrides.get(userID) });
}
