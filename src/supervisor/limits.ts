// Per-session limits: the global options, overridden per user by the --limits-file JSON:
//   {"users": {"<userID>": {"sessionHeapMb": 256, "sessionConcurrency": 4, "sessionQueue": 64, "callTimeoutMs": 60000,
//                           "isolation": "process", "sessionRssMb": 256, "sessionCpuPercent": 50,
//                           "sessionCpuSeconds": 600, "sessionOpenFiles": 256}}}
// `isolation` runs one (suspect) user in a process while everyone else stays in threads, or the
// other way round; the OS limits (os-limits.ts) apply to sessions in a process only.
// The file is read when the supervisor is created (a bad file fails startup naming the flag) and
// again on SIGHUP (a bad file is refused and the previous limits stay). A session takes its
// limits when it starts. Each value is checked by the option's own parser (src/options.ts), so
// the ranges live in one place.

import { readFileSync } from 'node:fs';
import { gatewayError } from '../errors.ts';
import { parseOption, type GatewayOptions } from '../options.ts';
import type { OsLimits } from './os-limits.ts';

const LIMIT_KEYS = [
  'sessionHeapMb', 'sessionConcurrency', 'sessionQueue', 'callTimeoutMs',
  'sessionRssMb', 'sessionCpuPercent', 'sessionCpuSeconds', 'sessionOpenFiles',
] as const;
type LimitKey = (typeof LIMIT_KEYS)[number];

/** The isolations a user can be given (`none` is a whole-gateway benchmark mode only). */
const USER_ISOLATIONS: readonly string[] = ['thread', 'process'];

export type SessionLimits = Pick<GatewayOptions, LimitKey | 'isolation'>;

export type LimitsFor = (userID: string) => SessionLimits;

/** The OS limits of a session (they only take effect in a process). */
export function osLimitsOf(l: SessionLimits): OsLimits {
  return { rssMb: l.sessionRssMb, cpuPercent: l.sessionCpuPercent, cpuSeconds: l.sessionCpuSeconds, openFiles: l.sessionOpenFiles };
}

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
  for (const [userID, raw] of Object.entries(users as Record<string, unknown>)) {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw invalid(`users.${userID} must be an object`);
    const entry: { -readonly [K in keyof SessionLimits]?: SessionLimits[K] } = {};
    for (const [key, value] of Object.entries(raw)) {
      const at = `users.${userID}.${key}`;
      if (key === 'isolation') {
        if (typeof value !== 'string' || !USER_ISOLATIONS.includes(value)) throw invalid(`${at}: expected thread or process, got \`${JSON.stringify(value)}\``);
        entry.isolation = value as 'thread' | 'process';
        continue;
      }
      if (!(LIMIT_KEYS as readonly string[]).includes(key)) throw invalid(`${at} is not a per-user limit (isolation, ${LIMIT_KEYS.join(', ')})`);
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

/** The per-user limits, the global ones, and every distinct set in use (what the host must allow). */
export interface Limits {
  readonly limitsFor: LimitsFor;
  readonly defaults: SessionLimits;
  readonly all: readonly SessionLimits[];
}

export function loadLimits(options: GatewayOptions): LimitsFor {
  return readLimits(options).limitsFor;
}

export function readLimits(options: GatewayOptions): Limits {
  const defaults: SessionLimits = {
    isolation: options.isolation,
    sessionHeapMb: options.sessionHeapMb,
    sessionConcurrency: options.sessionConcurrency,
    sessionQueue: options.sessionQueue,
    callTimeoutMs: options.callTimeoutMs,
    sessionRssMb: options.sessionRssMb,
    sessionCpuPercent: options.sessionCpuPercent,
    sessionCpuSeconds: options.sessionCpuSeconds,
    sessionOpenFiles: options.sessionOpenFiles,
  };
  if (!options.limitsFile) return { limitsFor: () => defaults, defaults, all: [defaults] };
  let text: string;
  try {
    text = readFileSync(options.limitsFile, 'utf8');
  } catch (e) {
    throw invalid(`cannot read ${options.limitsFile} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  // Merged once: limitsFor() is asked on every frame (the connection's in-flight cap).
  const merged = new Map([...parseLimits(text)].map(([userID, o]) => [userID, { ...defaults, ...o }] as const));
  return {
    limitsFor: (userID) => merged.get(userID) ?? defaults,
    defaults,
    all: [defaults, ...merged.values()],
  };
}
