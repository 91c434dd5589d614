// Every gateway option in one table: flag name, env twin, default, parser, and the line the
// README prints. `resolveOptions()` is the only place options are defaulted and validated.
//
// Flag names keep the original server's spelling (`--sdk_ws_port`, `--openIM_api_address`, ...)
// so existing deployments keep their command lines; our own flags are kebab-case.
// Flags are accepted with one dash or two. Env twins are SDKGATE_ + the flag upper-snake-cased.

import { gatewayError } from './errors.ts';

type Parser<T> = (raw: string) => T;

interface OptionSpec<T> {
  readonly flag: string;
  readonly default: T;
  readonly parse: Parser<T>;
  readonly doc: string;
  /** Boolean flags may be given without a value (`--fault-injection`). */
  readonly boolean?: true;
}

const int = (min: number, max: number): Parser<number> => (raw) => {
  if (!/^-?\d+$/.test(raw.trim())) throw new Error(`expected an integer, got \`${raw}\``);
  const n = Number(raw);
  if (n < min || n > max) throw new Error(`expected an integer in [${min}, ${max}], got \`${raw}\``);
  return n;
};
const num = (min: number, max: number): Parser<number> => (raw) => {
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n) || n < min || n > max) {
    throw new Error(`expected a number in [${min}, ${max}], got \`${raw}\``);
  }
  return n;
};
const bool: Parser<boolean> = (raw) => {
  const v = raw.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on', ''].includes(v)) return true;
  if (['0', 'false', 'no', 'off'].includes(v)) return false;
  throw new Error(`expected true or false, got \`${raw}\``);
};
const str: Parser<string> = (raw) => raw;
const url = (schemes: readonly string[]): Parser<string> => (raw) => {
  if (raw === '') return '';
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new Error(`expected a URL, got \`${raw}\``);
  }
  if (!schemes.includes(u.protocol)) throw new Error(`expected a ${schemes.join(' or ')} URL, got \`${raw}\``);
  return raw.replace(/\/+$/, '');
};
const list: Parser<readonly string[]> = (raw) => raw.split(',').map((s) => s.trim()).filter(Boolean);

// OpenIM's numeric log levels (6 = debug ... 1 = fatal) are accepted beside pino's names.
const LOG_LEVELS = ['silent', 'fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
const logLevel: Parser<LogLevel> = (raw) => {
  const v = raw.trim().toLowerCase();
  const numeric: Record<string, LogLevel> = { '0': 'silent', '1': 'fatal', '2': 'error', '3': 'warn', '4': 'info', '5': 'debug', '6': 'debug' };
  const level = numeric[v] ?? (LOG_LEVELS as readonly string[]).find((l) => l === v);
  if (!level) throw new Error(`expected one of ${LOG_LEVELS.join(', ')} or 0-6, got \`${raw}\``);
  return level as LogLevel;
};
const isolation: Parser<'thread' | 'none'> = (raw) => {
  if (raw === 'thread' || raw === 'none') return raw;
  throw new Error(`expected thread or none, got \`${raw}\``);
};

const warmPool: Parser<number | 'auto'> = (raw) => (raw.trim().toLowerCase() === 'auto' ? 'auto' : int(0, 256)(raw));

const MiB = 1024 * 1024;

export const optionSpecs = {
  port: { flag: 'sdk_ws_port', default: 10003, parse: int(0, 65535), doc: 'WebSocket listen port' },
  host: { flag: 'host', default: '0.0.0.0', parse: str, doc: 'Listen address' },
  apiAddress: {
    flag: 'openIM_api_address', default: '', parse: url(['http:', 'https:']),
    doc: 'OpenIM REST API; empty starts the embedded IM server',
  },
  wsAddress: {
    flag: 'openIM_ws_address', default: '', parse: url(['ws:', 'wss:']),
    doc: 'OpenIM message gateway; required with --openIM_api_address',
  },
  dbDir: { flag: 'openIMDbDir', default: './data/sdk', parse: str, doc: 'Root of the per-user SDK databases' },
  logLevel: { flag: 'openIM_log_level', default: 'info' as LogLevel, parse: logLevel, doc: 'Log level: a pino level name or OpenIM 0-6' },
  adminToken: { flag: 'admin-token', default: '', parse: str, doc: 'Bearer token for /admin and /metrics; empty disables them' },
  faultInjection: { flag: 'fault-injection', default: false, parse: bool, boolean: true, doc: 'Enable POST /admin/sessions/{u}/{p}/fault' },
  isolation: { flag: 'isolation', default: 'thread' as 'thread' | 'none', parse: isolation, doc: '`thread` (a worker per user) or `none` (in-process; unsafe, benchmarks only)' },
  allowedOrigins: { flag: 'allowed-origins', default: [] as readonly string[], parse: list, doc: 'Comma-separated Origin allow-list; empty allows any' },
  maxConnsPerUser: { flag: 'max-conns-per-user', default: 10, parse: int(1, 1000), doc: 'Connections per (userID, platformID)' },
  maxConns: { flag: 'max-conns', default: 10_000, parse: int(1, 1_000_000), doc: 'Total connections' },
  maxUpgradesPerIp: { flag: 'max-upgrades-per-ip', default: 20, parse: int(1, 100_000), doc: 'Upgrade attempts per IP per second' },
  maxPayload: { flag: 'max-payload', default: 1 * MiB, parse: int(1024, 64 * MiB), doc: 'Largest client frame, bytes' },
  pingIntervalMs: { flag: 'ping-interval-ms', default: 25_000, parse: int(100, 600_000), doc: 'WebSocket ping interval; a missed pong terminates' },
  authTimeoutMs: { flag: 'auth-timeout-ms', default: 5_000, parse: int(100, 60_000), doc: 'parse_token request timeout' },
  authCacheSize: { flag: 'auth-cache-size', default: 10_000, parse: int(0, 1_000_000), doc: 'Token verdicts kept (LRU)' },
  authCacheTtlMs: { flag: 'auth-cache-ttl-ms', default: 300_000, parse: int(0, 86_400_000), doc: 'Positive verdict TTL (never past the token expiry)' },
  authNegativeTtlMs: { flag: 'auth-negative-ttl-ms', default: 5_000, parse: int(0, 600_000), doc: 'Negative verdict TTL' },
  idleGraceMs: { flag: 'idle-grace-ms', default: 60_000, parse: int(0, 86_400_000), doc: 'Session lifetime after its last connection closes' },
  startTimeoutMs: { flag: 'start-timeout-ms', default: 20_000, parse: int(100, 600_000), doc: 'Worker start plus Login deadline' },
  callTimeoutMs: { flag: 'call-timeout-ms', default: 30_000, parse: int(100, 600_000), doc: 'Per-call deadline' },
  sessionHeapMb: { flag: 'session-heap-mb', default: 128, parse: int(16, 16_384), doc: 'Worker old-generation heap limit, MB' },
  heapSoftRatio: { flag: 'heap-soft-ratio', default: 0.85, parse: num(0.1, 1), doc: 'Restart a session above this share of its heap limit' },
  sessionConcurrency: { flag: 'session-concurrency', default: 8, parse: int(1, 1024), doc: 'Calls running at once per session' },
  sessionQueue: { flag: 'session-queue', default: 256, parse: int(0, 100_000), doc: 'Calls waiting per session before GW_BUSY' },
  ratePerConn: { flag: 'rate-per-conn', default: 50, parse: num(0.1, 100_000), doc: 'Sustained requests per second per connection' },
  rateBurst: { flag: 'rate-burst', default: 100, parse: int(1, 100_000), doc: 'Request burst per connection' },
  slowConsumerBytes: { flag: 'slow-consumer-bytes', default: 4 * MiB, parse: int(1024, 1024 * MiB), doc: 'bufferedAmount that closes a connection with 1013' },
  watchdogMs: { flag: 'watchdog-ms', default: 5_000, parse: int(200, 600_000), doc: 'A worker silent this long with a busy loop is terminated' },
  restartBackoffMs: { flag: 'restart-backoff-ms', default: 250, parse: int(0, 600_000), doc: 'First restart delay (doubles, with jitter)' },
  restartBackoffMaxMs: { flag: 'restart-backoff-max-ms', default: 30_000, parse: int(0, 3_600_000), doc: 'Longest restart delay' },
  restartIntensity: { flag: 'restart-intensity', default: 5, parse: int(0, 1000), doc: 'Restarts allowed per period before quarantine' },
  restartPeriodMs: { flag: 'restart-period-ms', default: 60_000, parse: int(1000, 86_400_000), doc: 'Restart intensity window' },
  drainTimeoutMs: { flag: 'drain-timeout-ms', default: 10_000, parse: int(0, 600_000), doc: 'Bound on a graceful shutdown' },
  warmPool: {
    flag: 'warm-pool', default: 'auto' as number | 'auto', parse: warmPool,
    doc: 'Spare session workers kept pre-spawned (thread isolation); `auto` = one per CPU, 1 to 4; 0 disables',
  },
  memoryBudgetMb: { flag: 'memory-budget-mb', default: 0, parse: int(0, 16 * MiB), doc: 'Memory for sessions, MB; 0 = the machine\'s RAM' },
  memoryHeadroomMb: { flag: 'memory-headroom-mb', default: 1024, parse: int(0, 16 * MiB), doc: 'Part of the budget kept for the gateway itself, MB' },
  sessionCostMb: {
    flag: 'session-cost-mb', default: 16, parse: num(0.5, 16_384),
    doc: 'RSS of one idle logged-in session, MB (bench/capacity.ts: 14.4 with the real core); max sessions = (budget - headroom) / cost - spares',
  },
  limitsFile: { flag: 'limits-file', default: '', parse: str, doc: 'JSON file of per-user limit overrides' },
  imApiPort: { flag: 'imserver-api-port', default: 10002, parse: int(0, 65535), doc: 'Embedded IM server REST port' },
  imWsPort: { flag: 'imserver-ws-port', default: 10001, parse: int(0, 65535), doc: 'Embedded IM server message-gateway port' },
  imDataDir: { flag: 'imserver-data-dir', default: './data/imserver', parse: str, doc: 'Embedded IM server data dir' },
  imSecret: { flag: 'imserver-secret', default: 'openIM123', parse: str, doc: 'Embedded IM server JWT secret (OpenIM default)' },
} as const satisfies Record<string, OptionSpec<unknown>>;

type Specs = typeof optionSpecs;
export type GatewayOptions = { readonly [K in keyof Specs]: ReturnType<Specs[K]['parse']> };

export function envName(flag: string): string {
  return 'SDKGATE_' + flag.replace(/-/g, '_').toUpperCase();
}

/**
 * Parse argv (`--flag value`, `--flag=value`, one or two dashes) and env twins into frozen,
 * validated options. Precedence: argv > env > overrides > default. Throws GW_OPTIONS_INVALID
 * naming the flag.
 */
export function resolveOptions(
  argv: readonly string[] = [],
  env: Readonly<Record<string, string | undefined>> = {},
  overrides: Partial<Record<keyof Specs, unknown>> = {},
): GatewayOptions {
  const byFlag = new Map<string, keyof Specs>();
  for (const [key, spec] of Object.entries(optionSpecs)) byFlag.set(spec.flag.toLowerCase(), key as keyof Specs);

  const raw = new Map<keyof Specs, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const m = /^--?([^=]+)(?:=(.*))?$/s.exec(arg);
    if (!m) throw gatewayError('GW_OPTIONS_INVALID', `unexpected argument \`${arg}\``);
    const name = m[1]!;
    const key = byFlag.get(name.toLowerCase());
    if (!key) throw gatewayError('GW_OPTIONS_INVALID', `unknown flag \`--${name}\``);
    const spec: OptionSpec<unknown> = optionSpecs[key];
    let value = m[2];
    if (value === undefined) {
      const next = argv[i + 1];
      if (spec.boolean && (next === undefined || next.startsWith('-') || !/^(true|false|1|0|yes|no|on|off)$/i.test(next))) {
        value = 'true';
      } else if (next === undefined) {
        throw gatewayError('GW_OPTIONS_INVALID', `--${spec.flag} needs a value`);
      } else {
        value = next;
        i++;
      }
    }
    raw.set(key, value);
  }

  const out: Record<string, unknown> = {};
  for (const [key, specAny] of Object.entries(optionSpecs)) {
    const spec = specAny as OptionSpec<unknown>;
    const k = key as keyof Specs;
    const fromArgv = raw.get(k);
    const fromEnv = env[envName(spec.flag)];
    const source = fromArgv !== undefined ? `--${spec.flag}` : fromEnv !== undefined ? envName(spec.flag) : undefined;
    const text = fromArgv ?? fromEnv;
    if (text !== undefined) {
      try {
        out[key] = spec.parse(text);
      } catch (e) {
        throw gatewayError('GW_OPTIONS_INVALID', `${source}: ${(e as Error).message}`, { flag: spec.flag });
      }
    } else if (k in overrides) {
      out[key] = overrides[k];
    } else {
      out[key] = spec.default;
    }
  }

  // Cross-field rules.
  if (Boolean(out.apiAddress) !== Boolean(out.wsAddress)) {
    throw gatewayError('GW_OPTIONS_INVALID', '--openIM_api_address and --openIM_ws_address go together', { flag: 'openIM_ws_address' });
  }
  if ((out.restartBackoffMaxMs as number) < (out.restartBackoffMs as number)) {
    throw gatewayError('GW_OPTIONS_INVALID', '--restart-backoff-max-ms must be >= --restart-backoff-ms', { flag: 'restart-backoff-max-ms' });
  }
  if ((out.memoryBudgetMb as number) > 0 && (out.memoryHeadroomMb as number) >= (out.memoryBudgetMb as number)) {
    throw gatewayError('GW_OPTIONS_INVALID', '--memory-headroom-mb must be below --memory-budget-mb', { flag: 'memory-headroom-mb' });
  }
  if (out.isolation === 'none' && out.faultInjection) {
    throw gatewayError('GW_OPTIONS_INVALID', '--isolation none cannot be combined with --fault-injection', { flag: 'isolation' });
  }
  return Object.freeze(out) as GatewayOptions;
}

/** The README options table, generated so it cannot drift (test/options.test.ts compares). */
export function optionsTable(): string {
  const rows = Object.values(optionSpecs).map((s: OptionSpec<unknown>) => {
    const def = Array.isArray(s.default) ? (s.default.length ? s.default.join(',') : '(empty)') : s.default === '' ? '(empty)' : String(s.default);
    return `| \`--${s.flag}\` | \`${envName(s.flag)}\` | \`${def}\` | ${s.doc} |`;
  });
  return ['| flag | env | default | meaning |', '| --- | --- | --- | --- |', ...rows].join('\n');
}
