// Per-session limits: the global options, overridden per user by the --limits-file JSON:
//   {"users": {"<userID>": {"sessionHeapMb": 256, "sessionConcurrency": 4, "sessionQueue": 64, "callTimeoutMs": 60000}}}
// The file is read once, when the supervisor is created; a bad file fails startup naming the flag.

import { readFileSync } from 'node:fs';
import { gatewayError } from '../errors.ts';
import type { GatewayOptions } from '../options.ts';

export interface SessionLimits {
  readonly sessionHeapMb: number;
  readonly sessionConcurrency: number;
  readonly sessionQueue: number;
  readonly callTimeoutMs: number;
}

const RULES: Record<keyof SessionLimits, readonly [min: number, max: number]> = {
  sessionHeapMb: [16, 16_384],
  sessionConcurrency: [1, 1024],
  sessionQueue: [0, 100_000],
  callTimeoutMs: [100, 600_000],
};

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
    const entry: Partial<Record<keyof SessionLimits, number>> = {};
    for (const [key, value] of Object.entries(raw)) {
      const rule = RULES[key as keyof SessionLimits];
      if (!Object.hasOwn(RULES, key) || !rule) throw invalid(`users.${userID}.${key} is not a per-user limit (${Object.keys(RULES).join(', ')})`);
      if (typeof value !== 'number' || !Number.isInteger(value) || value < rule[0] || value > rule[1]) {
        throw invalid(`users.${userID}.${key}: expected an integer in [${rule[0]}, ${rule[1]}], got \`${JSON.stringify(value)}\``);
      }
      entry[key as keyof SessionLimits] = value;
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
