// Every gateway option in one table: group, flag name, env twin, default, parser, and the line
// `--help` and the README print. `resolveOptions()` is the only place options are defaulted and
// validated. Adding an option is adding one row (then `npm run readme:options`).
//
// Flag names keep the original server's spelling (`--sdk_ws_port`, `--openIM_api_address`, ...)
// so existing deployments keep their command lines; our own flags are kebab-case.
// Flags are accepted with one dash or two (src/argv.ts). Env twins are SDKGATE_ + the flag
// upper-snake-cased. A config file (`--config`, JSON keyed by flag name) sits below both:
//
//   flag  >  env twin  >  config file  >  programmatic overrides  >  default

import { readFileSync } from 'node:fs';
import { ArgvError, parseArgv } from './argv.ts';
import { gatewayError } from './errors.ts';
import { parseProxyEntry } from './gateway/client-address.ts';
import { FAULT_KINDS, PROCESS_ONLY_FAULTS } from './supervisor/faults.ts';

type Parser<T> = (raw: string) => T;

/** Sections of --help and of the README options table, in print order. */
export const OPTION_GROUPS = {
  listen: 'Listening',
  upstream: 'Upstream OpenIM server and token checks',
  connections: 'Client connections',
  sessions: 'Sessions and their workers',
  isolation: 'Process isolation, OS limits, chaos',
  restarts: 'Restarts',
  capacity: 'Capacity',
  admin: 'Admin API, metrics, testing',
  process: 'Process: config, logs, shutdown',
  embedded: 'Embedded IM server (when no upstream is given)',
} as const;
type OptionGroup = keyof typeof OPTION_GROUPS;

interface OptionSpec<T> {
  readonly group: OptionGroup;
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
const proxyList: Parser<readonly string[]> = (raw) => {
  const entries = list(raw);
  for (const e of entries) parseProxyEntry(e);
  return entries;
};

// OpenIM's numeric log levels (6 = debug ... 1 = fatal) are accepted beside pino's names.
const LOG_LEVELS = ['silent', 'fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;
type LogLevel = (typeof LOG_LEVELS)[number];
const logLevel: Parser<LogLevel> = (raw) => {
  const v = raw.trim().toLowerCase();
  const numeric: Record<string, LogLevel> = { '0': 'silent', '1': 'fatal', '2': 'error', '3': 'warn', '4': 'info', '5': 'debug', '6': 'debug' };
  const level = numeric[v] ?? (LOG_LEVELS as readonly string[]).find((l) => l === v);
  if (!level) throw new Error(`expected one of ${LOG_LEVELS.join(', ')} or 0-6, got \`${raw}\``);
  return level as LogLevel;
};
type Isolation = 'thread' | 'process' | 'none';
const isolation: Parser<Isolation> = (raw) => {
  if (raw === 'thread' || raw === 'process' || raw === 'none') return raw;
  throw new Error(`expected thread, process or none, got \`${raw}\``);
};
const faultKinds: Parser<readonly string[]> = (raw) => {
  const kinds = list(raw);
  const bad = kinds.find((k) => !(FAULT_KINDS as readonly string[]).includes(k));
  if (bad !== undefined) throw new Error(`unknown fault kind \`${bad}\` (${FAULT_KINDS.join(', ')})`);
  return kinds;
};

/** A session process needs some descriptors of its own before the core opens any (IPC, epoll, stdio). */
const openFiles: Parser<number> = (raw) => {
  const n = int(0, 1_048_576)(raw);
  if (n > 0 && n < 64) throw new Error(`expected 0 or an integer in [64, 1048576], got \`${raw}\``);
  return n;
};

const demo: Parser<boolean | 'auto'> = (raw) => (raw.trim().toLowerCase() === 'auto' ? 'auto' : bool(raw));

const warmPool: Parser<number | 'auto'> = (raw) => (raw.trim().toLowerCase() === 'auto' ? 'auto' : int(0, 256)(raw));

const MiB = 1024 * 1024;

export const optionSpecs = {
  port: { group: 'listen', flag: 'sdk_ws_port', default: 10003, parse: int(0, 65535), doc: 'WebSocket listen port' },
  host: { group: 'listen', flag: 'host', default: '0.0.0.0', parse: str, doc: 'Listen address' },
  apiAddress: {
    group: 'upstream', flag: 'openIM_api_address', default: '', parse: url(['http:', 'https:']),
    doc: 'OpenIM REST API; empty starts the embedded IM server',
  },
  wsAddress: {
    group: 'upstream', flag: 'openIM_ws_address', default: '', parse: url(['ws:', 'wss:']),
    doc: 'OpenIM message gateway; required with --openIM_api_address',
  },
  dbDir: { group: 'sessions', flag: 'openIMDbDir', default: './data/sdk', parse: str, doc: 'Root of the per-user SDK databases' },
  configFile: { group: 'process', flag: 'config', default: '', parse: str, doc: 'JSON file with option values, keyed by flag name; flags and env win over it (docs/operations.md)' },
  nodeId: { group: 'process', flag: 'node-id', default: '', parse: str, doc: 'This instance\'s name in every log line and in /readyz; empty = hostname:port' },
  logLevel: { group: 'process', flag: 'openIM_log_level', default: 'info', parse: logLevel, doc: 'Log level: a pino level name or OpenIM 0-6' },
  adminToken: { group: 'admin', flag: 'admin-token', default: '', parse: str, doc: 'Bearer token for /admin and /metrics; empty disables them' },
  metricsToken: { group: 'admin', flag: 'metrics-token', default: '', parse: str, doc: 'Read-only bearer token for /metrics alone (the admin token works too); empty: admin token only' },
  faultInjection: { group: 'admin', flag: 'fault-injection', default: false, parse: bool, boolean: true, doc: 'Enable POST /admin/sessions/{u}/{p}/fault' },
  isolation: {
    group: 'sessions', flag: 'isolation', default: 'thread', parse: isolation,
    doc: '`thread` (a worker per user), `process` (a child process per user: contains native crashes, takes OS limits) or `none` (in-process; unsafe, benchmarks only); per user in --limits-file',
  },
  allowedOrigins: { group: 'connections', flag: 'allowed-origins', default: [] as readonly string[], parse: list, doc: 'Comma-separated Origin allow-list; empty allows any' },
  maxConnsPerUser: { group: 'connections', flag: 'max-conns-per-user', default: 10, parse: int(1, 1000), doc: 'Connections per (userID, platformID)' },
  maxConns: { group: 'connections', flag: 'max-conns', default: 10_000, parse: int(1, 1_000_000), doc: 'Total connections' },
  trustProxy: {
    group: 'connections', flag: 'trust-proxy', default: [] as readonly string[], parse: proxyList,
    doc: 'Comma-separated proxy addresses or CIDRs (`10.0.0.5,10.1.0.0/16`) whose X-Forwarded-For names the client for per-IP limits and logs; empty trusts none (docs/scale-out.md)',
  },
  maxUpgradesPerIp: { group: 'connections', flag: 'max-upgrades-per-ip', default: 20, parse: int(1, 100_000), doc: 'Upgrade attempts per IP per second' },
  maxPayload: { group: 'connections', flag: 'max-payload', default: 1 * MiB, parse: int(1024, 64 * MiB), doc: 'Largest client frame, bytes' },
  pingIntervalMs: { group: 'connections', flag: 'ping-interval-ms', default: 25_000, parse: int(100, 600_000), doc: 'WebSocket ping interval; a missed pong terminates' },
  authTimeoutMs: { group: 'upstream', flag: 'auth-timeout-ms', default: 5_000, parse: int(100, 60_000), doc: 'parse_token request timeout' },
  authCacheSize: { group: 'upstream', flag: 'auth-cache-size', default: 10_000, parse: int(0, 1_000_000), doc: 'Token verdicts kept (LRU)' },
  authCacheTtlMs: { group: 'upstream', flag: 'auth-cache-ttl-ms', default: 300_000, parse: int(0, 86_400_000), doc: 'Positive verdict TTL (never past the token expiry)' },
  authNegativeTtlMs: { group: 'upstream', flag: 'auth-negative-ttl-ms', default: 5_000, parse: int(0, 600_000), doc: 'Negative verdict TTL' },
  idleGraceMs: { group: 'sessions', flag: 'idle-grace-ms', default: 60_000, parse: int(0, 86_400_000), doc: 'Session lifetime after its last connection closes' },
  startTimeoutMs: { group: 'sessions', flag: 'start-timeout-ms', default: 20_000, parse: int(100, 600_000), doc: 'Worker start plus Login deadline' },
  callTimeoutMs: { group: 'sessions', flag: 'call-timeout-ms', default: 30_000, parse: int(100, 600_000), doc: 'Per-call deadline' },
  sessionHeapMb: { group: 'sessions', flag: 'session-heap-mb', default: 128, parse: int(16, 16_384), doc: 'Worker old-generation heap limit, MB' },
  heapSoftRatio: { group: 'sessions', flag: 'heap-soft-ratio', default: 0.85, parse: num(0.1, 1), doc: 'Restart a session above this share of its heap limit' },
  sessionConcurrency: { group: 'sessions', flag: 'session-concurrency', default: 8, parse: int(1, 1024), doc: 'Calls running at once per session' },
  sessionQueue: { group: 'sessions', flag: 'session-queue', default: 256, parse: int(0, 100_000), doc: 'Calls waiting per session before GW_BUSY' },
  ratePerConn: { group: 'connections', flag: 'rate-per-conn', default: 50, parse: num(0.1, 100_000), doc: 'Sustained requests per second per connection' },
  rateBurst: { group: 'connections', flag: 'rate-burst', default: 100, parse: int(1, 100_000), doc: 'Request burst per connection' },
  slowConsumerBytes: { group: 'connections', flag: 'slow-consumer-bytes', default: 4 * MiB, parse: int(1024, 1024 * MiB), doc: 'bufferedAmount that closes a connection with 1013' },
  watchdogMs: { group: 'sessions', flag: 'watchdog-ms', default: 5_000, parse: int(200, 600_000), doc: 'A worker silent this long with a busy loop is terminated' },
  restartBackoffMs: { group: 'restarts', flag: 'restart-backoff-ms', default: 250, parse: int(0, 600_000), doc: 'First restart delay (doubles, with jitter)' },
  restartBackoffMaxMs: { group: 'restarts', flag: 'restart-backoff-max-ms', default: 30_000, parse: int(0, 3_600_000), doc: 'Longest restart delay' },
  restartIntensity: { group: 'restarts', flag: 'restart-intensity', default: 5, parse: int(0, 1000), doc: 'Restarts allowed per period before quarantine' },
  restartPeriodMs: { group: 'restarts', flag: 'restart-period-ms', default: 60_000, parse: int(1000, 86_400_000), doc: 'Restart intensity window' },
  drainTimeoutMs: { group: 'process', flag: 'drain-timeout-ms', default: 10_000, parse: int(0, 600_000), doc: 'Bound on a graceful shutdown' },
  warmPool: {
    group: 'capacity', flag: 'warm-pool', default: 'auto', parse: warmPool,
    doc: 'Spare session workers kept pre-spawned (thread or process isolation); `auto` = one per CPU, 1 to 4; 0 disables',
  },
  memoryBudgetMb: { group: 'capacity', flag: 'memory-budget-mb', default: 0, parse: int(0, 16 * MiB), doc: 'Memory for sessions, MB; 0 = the machine\'s RAM' },
  memoryHeadroomMb: { group: 'capacity', flag: 'memory-headroom-mb', default: 1024, parse: int(0, 16 * MiB), doc: 'Part of the budget kept for the gateway itself, MB' },
  sessionCostMb: {
    group: 'capacity', flag: 'session-cost-mb', default: 16, parse: num(0.5, 16_384),
    doc: 'RSS of one idle logged-in session, MB (bench/capacity.ts: 14.4 with the real core); max sessions = (budget - headroom) / cost - spares',
  },
  limitsFile: { group: 'sessions', flag: 'limits-file', default: '', parse: str, doc: 'JSON file of per-user limit overrides' },
  sessionRssMb: { group: 'isolation', flag: 'session-rss-mb', default: 0, parse: int(0, 1_048_576), doc: 'RSS cap per session process, MB (process isolation; /proc poll, SIGKILL); 0 = none' },
  sessionCpuPercent: {
    group: 'isolation', flag: 'session-cpu-percent', default: 0, parse: int(0, 100_000),
    doc: 'CPU quota per session process, % of one CPU (cgroup cpu.max where allowed, else nice 10); 0 = none',
  },
  sessionCpuSeconds: { group: 'isolation', flag: 'session-cpu-seconds', default: 0, parse: int(0, 31_536_000), doc: 'RLIMIT_CPU per session process, CPU seconds (then SIGXCPU: cpu_limit); 0 = none' },
  sessionOpenFiles: { group: 'isolation', flag: 'session-open-files', default: 0, parse: openFiles, doc: 'RLIMIT_NOFILE per session process; 0 = the gateway\'s own' },
  cgroupDir: { group: 'isolation', flag: 'cgroup-dir', default: '', parse: str, doc: 'cgroup to create per-session CPU cgroups under; empty = probe the gateway\'s own' },
  chaos: { group: 'isolation', flag: 'chaos', default: false, parse: bool, boolean: true, doc: 'Inject seeded faults into random sessions (needs --fault-injection); report at GET /admin/chaos' },
  chaosSeed: { group: 'isolation', flag: 'chaos-seed', default: 0, parse: int(0, 2_147_483_647), doc: 'Seed of the chaos schedule; 0 = a random one (logged and reported)' },
  chaosKinds: { group: 'isolation', flag: 'chaos-kinds', default: [] as readonly string[], parse: faultKinds, doc: 'Comma-separated fault kinds for --chaos; empty = every kind the victim\'s isolation contains' },
  chaosIntervalMs: { group: 'isolation', flag: 'chaos-interval-ms', default: 5_000, parse: int(100, 86_400_000), doc: 'Mean time between chaos faults (one fault is judged before the next)' },
  imApiPort: { group: 'embedded', flag: 'imserver-api-port', default: 10002, parse: int(0, 65535), doc: 'Embedded IM server REST port' },
  imWsPort: { group: 'embedded', flag: 'imserver-ws-port', default: 10001, parse: int(0, 65535), doc: 'Embedded IM server message-gateway port' },
  imDataDir: { group: 'embedded', flag: 'imserver-data-dir', default: './data/imserver', parse: str, doc: 'Embedded IM server data dir' },
  imSecret: { group: 'embedded', flag: 'imserver-secret', default: 'openIM123', parse: str, doc: 'Embedded IM server JWT secret (OpenIM default)' },
  imHost: {
    group: 'embedded', flag: 'imserver-host', default: '127.0.0.1', parse: str,
    doc: 'Embedded IM server listen address; another address lets browsers elsewhere reach apiAddr (and exposes its REST API: set --imserver-secret)',
  },
  imMaxObjectMb: { group: 'embedded', flag: 'imserver-max-object-mb', default: 100, parse: int(1, 1024 * 1024), doc: 'Largest upload to the embedded IM server, MiB' },
  imPublicUrl: {
    group: 'embedded', flag: 'imserver-public-url', default: '', parse: url(['http:', 'https:']),
    doc: 'Base of the object URLs the embedded IM server hands out (`https://im.example.com` behind a TLS proxy); empty = http:// and the request\'s Host',
  },
  imObjectQuotaMb: { group: 'embedded', flag: 'imserver-object-quota-mb', default: 1024, parse: int(1, 1024 * 1024 * 1024), doc: 'Upload storage per user on the embedded IM server, MiB' },
  demo: {
    group: 'embedded', flag: 'demo', default: 'auto', parse: demo, boolean: true,
    doc: 'Demo chat at /demo/ (hands out tokens for any user: local use only); `auto` = on with the embedded IM server, which it needs',
  },
} as const satisfies Record<string, OptionSpec<unknown>>;

type Specs = typeof optionSpecs;
export type OptionKey = keyof Specs;
export type GatewayOptions = { readonly [K in OptionKey]: ReturnType<Specs[K]['parse']> };

const SPECS = Object.entries(optionSpecs) as [OptionKey, OptionSpec<unknown>][];
const KEY_BY_FLAG = new Map<string, OptionKey>(SPECS.map(([key, spec]) => [spec.flag, key]));
const SPEC_BY_FLAG = new Map(SPECS.map(([, spec]) => [spec.flag, spec]));

export function envName(flag: string): string {
  return 'SDKGATE_' + flag.replace(/-/g, '_').toUpperCase();
}

function invalid(message: string, flag: string | undefined): never {
  throw gatewayError('GW_OPTIONS_INVALID', message, flag === undefined ? undefined : { flag });
}

/** Validate one option's raw text with its own parser; `source` names it in the error. */
export function parseOption<K extends OptionKey>(key: K, raw: string, source: string): GatewayOptions[K] {
  const spec: OptionSpec<unknown> = optionSpecs[key];
  try {
    return spec.parse(raw) as GatewayOptions[K];
  } catch (e) {
    return invalid(`${source}: ${(e as Error).message}`, spec.flag);
  }
}

/**
 * Read a config file: a JSON object keyed by flag name (`{"sdk_ws_port": 10003, "max-conns":
 * 500, "allowed-origins": ["https://a"]}`), values as JSON strings, numbers, booleans, or arrays
 * for list options. Returns the raw text per option, validated later with the flag's parser.
 */
function readConfigFile(path: string): Map<OptionKey, string> {
  const where = `--config ${path}`;
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return invalid(`${where}: ${code ? `cannot read it (${code})` : `not JSON (${(e as Error).message})`}`, 'config');
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return invalid(`${where}: expected a JSON object keyed by flag name`, 'config');
  const out = new Map<OptionKey, string>();
  for (const [name, value] of Object.entries(doc)) {
    const key = KEY_BY_FLAG.get(name);
    if (!key) return invalid(`${where}: unknown key \`${name}\` (keys are flag names, see --help)`, name);
    if (key === 'configFile') return invalid(`${where}: \`config\` cannot be set inside a config file`, name);
    const isList = Array.isArray(optionSpecs[key].default);
    let text: string;
    if (typeof value === 'string') text = value;
    else if (typeof value === 'number' || typeof value === 'boolean') text = String(value);
    else if (isList && Array.isArray(value) && value.every((v) => typeof v === 'string')) text = value.join(',');
    else return invalid(`${where}: ${name}: expected a ${isList ? 'string or an array of strings' : 'string, number or boolean'}, got ${JSON.stringify(value)}`, name);
    out.set(key, text);
  }
  return out;
}

/**
 * Parse argv and env twins (and the config file they name) into frozen, validated options.
 * Precedence: argv > env > config file > overrides > default. Throws GW_OPTIONS_INVALID naming
 * the flag, env var or config key.
 */
export function resolveOptions(
  argv: readonly string[] = [],
  env: Readonly<Record<string, string | undefined>> = {},
  overrides: Partial<Record<OptionKey, unknown>> = {},
): GatewayOptions {
  let flags: Map<string, string>;
  try {
    flags = parseArgv(argv, SPEC_BY_FLAG, (spec) => spec.boolean === true);
  } catch (e) {
    if (e instanceof ArgvError) return invalid(e.message, e.flag);
    throw e;
  }
  const fromArgv = (spec: OptionSpec<unknown>): string | undefined => flags.get(spec.flag);
  const configPath = fromArgv(optionSpecs.configFile) ?? env[envName(optionSpecs.configFile.flag)] ?? '';
  const fromFile = configPath ? readConfigFile(configPath) : new Map<OptionKey, string>();

  const out: Record<string, unknown> = {};
  for (const [key, spec] of SPECS) {
    const argText = fromArgv(spec);
    const envText = env[envName(spec.flag)];
    const fileText = fromFile.get(key);
    if (argText !== undefined) out[key] = parseOption(key, argText, `--${spec.flag}`);
    else if (envText !== undefined) out[key] = parseOption(key, envText, envName(spec.flag));
    else if (fileText !== undefined) out[key] = parseOption(key, fileText, `--config ${configPath}: ${spec.flag}`);
    else if (Object.hasOwn(overrides, key)) out[key] = overrides[key];
    else out[key] = spec.default;
  }

  // Cross-field rules.
  if (Boolean(out.apiAddress) !== Boolean(out.wsAddress)) {
    invalid('--openIM_api_address and --openIM_ws_address go together', 'openIM_ws_address');
  }
  if ((out.restartBackoffMaxMs as number) < (out.restartBackoffMs as number)) {
    invalid('--restart-backoff-max-ms must be >= --restart-backoff-ms', 'restart-backoff-max-ms');
  }
  if ((out.memoryBudgetMb as number) > 0 && (out.memoryHeadroomMb as number) >= (out.memoryBudgetMb as number)) {
    invalid('--memory-headroom-mb must be below --memory-budget-mb', 'memory-headroom-mb');
  }
  if (out.demo === true && out.apiAddress) {
    // The demo mints tokens through the IM server's admin flow; sdkgate never holds a real OpenIM's secret.
    invalid('--demo needs the embedded IM server (no --openIM_api_address)', 'demo');
  }
  if (out.isolation === 'none' && out.faultInjection) {
    invalid('--isolation none cannot be combined with --fault-injection', 'isolation');
  }
  if (out.chaos && !out.faultInjection) invalid('--chaos needs --fault-injection (testing only)', 'chaos');
  const kinds = out.chaosKinds as readonly string[];
  if (out.isolation === 'thread' && !out.limitsFile && kinds.length > 0 && kinds.every((k) => (PROCESS_ONLY_FAULTS as readonly string[]).includes(k))) {
    invalid(`--chaos-kinds ${kinds.join(',')}: a thread cannot contain these; use --isolation process`, 'chaos-kinds');
  }
  for (const key of ['sessionRssMb', 'sessionCpuPercent', 'sessionCpuSeconds', 'sessionOpenFiles'] as const) {
    if ((out[key] as number) > 0 && out.isolation !== 'process' && !out.limitsFile) {
      const flag = optionSpecs[key].flag;
      invalid(`--${flag} applies to sessions in a process only: add --isolation process (or a user's "isolation": "process" in --limits-file)`, flag);
    }
  }
  return Object.freeze(out) as GatewayOptions;
}

function defaultText(s: OptionSpec<unknown>): string {
  if (Array.isArray(s.default)) return s.default.length ? s.default.join(',') : '(empty)';
  return s.default === '' ? '(empty)' : String(s.default);
}

/** Specs in group order (table order within a group). */
function grouped(): [OptionGroup, OptionSpec<unknown>[]][] {
  return (Object.keys(OPTION_GROUPS) as OptionGroup[]).map((g) => [g, SPECS.map(([, s]) => s).filter((s) => s.group === g)]);
}

/**
 * The README options tables, one per group, generated so they cannot drift (test/options.test.ts
 * compares). Env twins follow one rule (`envName`), stated above the tables and listed by --help.
 */
export function optionsTable(): string {
  return grouped()
    .map(([g, specs]) => [
      `**${OPTION_GROUPS[g]}**`,
      '',
      '| flag | default | meaning |',
      '| --- | --- | --- |',
      ...specs.map((s) => `| \`--${s.flag}\` | \`${defaultText(s)}\` | ${s.doc} |`),
    ].join('\n'))
    .join('\n\n');
}

/** `sdkgate --help`: every flag with its env twin and default, by group. */
export function optionsHelp(): string {
  const out: string[] = [];
  for (const [g, specs] of grouped()) {
    out.push(`${OPTION_GROUPS[g]}:`);
    for (const s of specs) {
      out.push(`  --${s.flag}${s.boolean ? '' : ' <value>'}`);
      out.push(`      ${s.doc.replace(/`/g, '')}`);
      out.push(`      env ${envName(s.flag)}, default ${defaultText(s)}`);
    }
    out.push('');
  }
  return out.join('\n');
}
