// Per-session limits: the global options, overridden per user by the --limits-file JSON:
//   {"users": {"<userID>": {"sessionHeapMb": 256, "sessionConcurrency": 4, "sessionQueue": 64, "callTimeoutMs": 60000,
//                           "isolation": "process", "sessionRssMb": 256, "sessionCpuPercent": 50,
//                           "sessionCpuSeconds": 600, "sessionOpenFiles": 256}}}
// `isolation` runs one (suspect) user in a process while everyone else stays in threads, or the
// other way round; the OS limits (os-limits.ts) apply to sessions in a process only.
// The file is read once, when the supervisor is created; a bad file fails startup naming the flag.

import { readFileSync } from 'node:fs';
import { gatewayError } from '../errors.ts';
import type { GatewayOptions } from '../options.ts';
import type { OsLimits } from './os-limits.ts';

/** The isolations a user can be given (`none` is a whole-gateway benchmark mode only). */
export type UserIsolation = 'thread' | 'process';

export interface SessionLimits {
  readonly isolation: GatewayOptions['isolation'];
  readonly sessionHeapMb: number;
  readonly sessionConcurrency: number;
  readonly sessionQueue: number;
  readonly callTimeoutMs: number;
  readonly sessionRssMb: number;
  readonly sessionCpuPercent: number;
  readonly sessionCpuSeconds: number;
  readonly sessionOpenFiles: number;
}

type NumericLimit = Exclude<keyof SessionLimits, 'isolation'>;

/** The same ranges as the global flags (options.ts). */
const RULES: Record<NumericLimit, readonly [min: number, max: number]> = {
  sessionHeapMb: [16, 16_384],
  sessionConcurrency: [1, 1024],
  sessionQueue: [0, 100_000],
  callTimeoutMs: [100, 600_000],
  sessionRssMb: [0, 1_048_576],
  sessionCpuPercent: [0, 100_000],
  sessionCpuSeconds: [0, 31_536_000],
  sessionOpenFiles: [0, 1_048_576],
};
const ISOLATIONS: readonly UserIsolation[] = ['thread', 'process'];

/** The OS limits of a session (they only take effect in a process). */
export function osLimitsOf(l: SessionLimits): OsLimits {
  return { rssMb: l.sessionRssMb, cpuPercent: l.sessionCpuPercent, cpuSeconds: l.sessionCpuSeconds, openFiles: l.sessionOpenFiles };
}

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
    const entry: { -readonly [K in keyof SessionLimits]?: SessionLimits[K] } = {};
    for (const [key, value] of Object.entries(raw)) {
      if (key === 'isolation') {
        if (!ISOLATIONS.includes(value as UserIsolation)) {
          throw invalid(`users.${userID}.isolation: expected ${ISOLATIONS.join(' or ')}, got \`${JSON.stringify(value)}\``);
        }
        entry.isolation = value as UserIsolation;
        continue;
      }
      const rule = RULES[key as NumericLimit];
      if (!Object.hasOwn(RULES, key) || !rule) throw invalid(`users.${userID}.${key} is not a per-user limit (isolation, ${Object.keys(RULES).join(', ')})`);
      if (typeof value !== 'number' || !Number.isInteger(value) || value < rule[0] || value > rule[1]) {
        throw invalid(`users.${userID}.${key}: expected an integer in [${rule[0]}, ${rule[1]}], got \`${JSON.stringify(value)}\``);
      }
      entry[key as NumericLimit] = value;
    }
    out.set(userID, entry);
  }
  return out;
}

/** The per-user limits, and every distinct limit set in use (to know what the host must allow). */
export interface Limits {
  readonly limitsFor: LimitsFor;
  /** The global limits (every user not in the file). */
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
  const overrides = parseLimits(text);
  return {
    limitsFor: (userID) => ({ ...defaults, ...overrides.get(userID) }),
    defaults,
    all: [defaults, ...[...overrides.values()].map((o) => ({ ...defaults, ...o }))],
  };
}
