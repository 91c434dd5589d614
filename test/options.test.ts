// One test per option rule (piscina's option-validation style), plus the README table and the
// command line's exit status for a bad flag.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isGatewayError } from '../src/errors.ts';
import { envName, OPTION_GROUPS, optionSpecs, optionsTable, resolveOptions } from '../src/options.ts';
import { VERSION } from '../src/version.ts';

const cli = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
const readme = (): string => readFileSync(new URL('../README.md', import.meta.url), 'utf8');

function invalid(fn: () => unknown): { message: string; flag: unknown } {
  try {
    fn();
  } catch (e) {
    expect(isGatewayError(e, 'GW_OPTIONS_INVALID'), String(e)).toBe(true);
    return { message: (e as Error).message, flag: (e as { detail?: { flag?: unknown } }).detail?.flag };
  }
  throw new Error('expected GW_OPTIONS_INVALID');
}

describe('resolveOptions', () => {
  it('uses the documented defaults', () => {
    const o = resolveOptions();
    expect(o.port).toBe(10003);
    expect(o.maxConnsPerUser).toBe(10);
    expect(o.maxPayload).toBe(1024 * 1024);
    expect(o.apiAddress).toBe('');
    expect(o.faultInjection).toBe(false);
    expect(o.adminToken).toBe('');
    for (const [k, spec] of Object.entries(optionSpecs)) expect(o[k as keyof typeof o], k).toEqual(spec.default);
  });

  it('accepts the original flag names with one dash or two, and --flag=value', () => {
    const o = resolveOptions(['-sdk_ws_port', '20003', '--openIM_api_address=http://127.0.0.1:10002', '-openIM_ws_address', 'ws://127.0.0.1:10001', '--openIMDbDir', '/tmp/db', '-openIM_log_level', '6']);
    expect(o.port).toBe(20003);
    expect(o.apiAddress).toBe('http://127.0.0.1:10002');
    expect(o.wsAddress).toBe('ws://127.0.0.1:10001');
    expect(o.dbDir).toBe('/tmp/db');
    expect(o.logLevel).toBe('debug');
  });

  it('reads env twins, and argv wins over env', () => {
    expect(envName('sdk_ws_port')).toBe('SDKGATE_SDK_WS_PORT');
    expect(resolveOptions([], { SDKGATE_SDK_WS_PORT: '1234' }).port).toBe(1234);
    expect(resolveOptions(['--sdk_ws_port', '4321'], { SDKGATE_SDK_WS_PORT: '1234' }).port).toBe(4321);
    expect(resolveOptions([], { SDKGATE_ADMIN_TOKEN: 's3cret' }).adminToken).toBe('s3cret');
  });

  it('takes a boolean flag without a value', () => {
    expect(resolveOptions(['--fault-injection']).faultInjection).toBe(true);
    expect(resolveOptions(['--fault-injection', '--admin-token', 'x']).faultInjection).toBe(true);
    expect(resolveOptions(['--fault-injection=false']).faultInjection).toBe(false);
  });

  it('names the flag of a bad value', () => {
    expect(invalid(() => resolveOptions(['--sdk_ws_port', 'abc']))).toMatchObject({ message: expect.stringContaining('--sdk_ws_port'), flag: 'sdk_ws_port' });
    expect(invalid(() => resolveOptions(['--sdk_ws_port', '70000'])).message).toMatch(/--sdk_ws_port.*65535/);
    expect(invalid(() => resolveOptions(['--max-conns-per-user', '0'])).flag).toBe('max-conns-per-user');
    expect(invalid(() => resolveOptions(['--openIM_api_address', 'ftp://x', '--openIM_ws_address', 'ws://x'])).message).toMatch(/--openIM_api_address/);
    expect(invalid(() => resolveOptions(['--openIM_log_level', 'loud'])).message).toMatch(/--openIM_log_level/);
    expect(invalid(() => resolveOptions(['--fault-injection=maybe'])).message).toMatch(/--fault-injection/);
  });

  it('names the env var of a bad env value', () => {
    expect(invalid(() => resolveOptions([], { SDKGATE_MAX_PAYLOAD: '12' })).message).toMatch(/SDKGATE_MAX_PAYLOAD/);
  });

  it('refuses unknown flags, stray arguments and a missing value', () => {
    expect(invalid(() => resolveOptions(['--no-such-flag', '1'])).message).toMatch(/unknown flag `--no-such-flag`/);
    expect(invalid(() => resolveOptions(['stray'])).message).toMatch(/unexpected argument/);
    expect(invalid(() => resolveOptions(['--sdk_ws_port'])).message).toMatch(/needs a value/);
  });

  it('requires the API and message-gateway addresses together', () => {
    expect(invalid(() => resolveOptions(['--openIM_api_address', 'http://127.0.0.1:10002'])).flag).toBe('openIM_ws_address');
  });

  it('requires the longest backoff to be at least the first', () => {
    expect(invalid(() => resolveOptions(['--restart-backoff-ms', '1000', '--restart-backoff-max-ms', '10'])).flag).toBe('restart-backoff-max-ms');
  });

  it('refuses fault injection without isolation', () => {
    expect(invalid(() => resolveOptions(['--isolation', 'none', '--fault-injection'])).flag).toBe('isolation');
  });

  it('serves the demo only with the embedded IM server, whose admin flow it uses', () => {
    expect(resolveOptions().demo).toBe('auto');
    expect(resolveOptions(['--demo']).demo).toBe(true);
    expect(resolveOptions(['--demo=auto']).demo).toBe('auto');
    expect(resolveOptions(['--demo=false', '--openIM_api_address', 'http://im:10002', '--openIM_ws_address', 'ws://im:10001']).demo).toBe(false);
    const err = invalid(() => resolveOptions(['--demo', '--openIM_api_address', 'http://im:10002', '--openIM_ws_address', 'ws://im:10001']));
    expect(err.flag).toBe('demo');
  });

  it('returns frozen options', () => {
    const o = resolveOptions();
    expect(Object.isFrozen(o)).toBe(true);
    expect(() => {
      (o as { port: number }).port = 1;
    }).toThrow();
  });

  it('is not tampered with by prototype keys', () => {
    for (const flag of ['--__proto__', '--constructor', '--toString']) expect(invalid(() => resolveOptions([flag, '{"polluted":1}'])).message).toMatch(/unknown flag/);
    resolveOptions([], { SDKGATE___PROTO__: '{"polluted":1}' });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('config file (--config)', () => {
  const config = (doc: unknown): string => {
    const f = join(mkdtempSync(join(tmpdir(), 'sdkgate-config-')), 'sdkgate.json');
    writeFileSync(f, typeof doc === 'string' ? doc : JSON.stringify(doc));
    return f;
  };

  it('takes values keyed by flag name, as JSON numbers, booleans, strings and lists', () => {
    const f = config({ sdk_ws_port: 20003, 'fault-injection': true, 'admin-token': 'a', 'allowed-origins': ['https://a', 'https://b'], openIM_log_level: 'warn' });
    const o = resolveOptions(['--config', f]);
    expect(o).toMatchObject({ port: 20003, faultInjection: true, adminToken: 'a', allowedOrigins: ['https://a', 'https://b'], logLevel: 'warn', configFile: f });
  });

  it('sits below flags and env twins and above the defaults: flag > env > file > default', () => {
    const f = config({ sdk_ws_port: 1111, 'max-conns': 2222, 'max-conns-per-user': 3 });
    const env = { SDKGATE_CONFIG: f, SDKGATE_SDK_WS_PORT: '4444', SDKGATE_MAX_CONNS: '5555' };
    const o = resolveOptions(['--sdk_ws_port', '6666'], env);
    expect(o.port).toBe(6666); // flag over env and file
    expect(o.maxConns).toBe(5555); // env over file
    expect(o.maxConnsPerUser).toBe(3); // file over default
    expect(o.maxPayload).toBe(optionSpecs.maxPayload.default); // default
    // The file named by the env twin is read as well as one named by the flag.
    expect(resolveOptions([], { SDKGATE_CONFIG: f }).port).toBe(1111);
  });

  it('refuses an unknown key, a bad value, a wrong JSON type, and a missing or broken file, naming them', () => {
    const unknown = config({ 'max-connz': 1 });
    expect(invalid(() => resolveOptions(['--config', unknown]))).toMatchObject({ message: expect.stringMatching(/unknown key `max-connz`/), flag: 'max-connz' });
    const bad = config({ 'max-conns': 0 });
    expect(invalid(() => resolveOptions(['--config', bad]))).toMatchObject({ message: expect.stringMatching(/max-conns.*\[1, 1000000\]/), flag: 'max-conns' });
    expect(invalid(() => resolveOptions(['--config', config({ sdk_ws_port: { port: 1 } })])).flag).toBe('sdk_ws_port');
    expect(invalid(() => resolveOptions(['--config', config({ config: '/x' })])).flag).toBe('config');
    expect(invalid(() => resolveOptions(['--config', config('{nope')])).message).toMatch(/not JSON/);
    expect(invalid(() => resolveOptions(['--config', config([1])])).message).toMatch(/JSON object/);
    expect(invalid(() => resolveOptions(['--config', '/nonexistent/sdkgate.json'])).message).toMatch(/ENOENT/);
  });
});

describe('README options table', () => {
  it('is the generated one', () => {
    expect(readme(), 'run `npm run readme:options`').toContain(optionsTable());
  });

  it('leaves out the env twins because every one follows the rule the README states', () => {
    expect(readme()).toContain('`SDKGATE_` and the flag in upper snake case');
    for (const spec of Object.values(optionSpecs)) expect(envName(spec.flag)).toBe(`SDKGATE_${spec.flag.toUpperCase().replace(/-/g, '_')}`);
  });
});

describe('sdkgate command line', () => {
  const run = (args: string[], env: Record<string, string> = {}) =>
    spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 20_000, env: { PATH: process.env.PATH ?? '', ...env } });

  it('exits 2 naming the flag of a bad value', () => {
    const r = run(['--sdk_ws_port', 'nope']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--sdk_ws_port/);
  });

  it('exits 2 naming the env var of a bad env value', () => {
    const r = run([], { SDKGATE_MAX_CONNS: '-5' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/SDKGATE_MAX_CONNS/);
  });

  it('prints every flag with its env twin and default, grouped, with --help', () => {
    const r = run(['--help']);
    expect(r.status).toBe(0);
    for (const title of Object.values(OPTION_GROUPS)) expect(r.stdout).toContain(`${title}:`);
    for (const spec of Object.values(optionSpecs)) {
      expect(r.stdout).toContain(`--${spec.flag}`);
      expect(r.stdout).toContain(`env ${envName(spec.flag)}, default `);
    }
    // Grouped: the embedded IM server's flags come after its heading, not among the others.
    expect(r.stdout.indexOf('--imserver-api-port')).toBeGreaterThan(r.stdout.indexOf(`${OPTION_GROUPS.embedded}:`));
  });

  it('prints the package version with --version', () => {
    const r = run(['--version']);
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe(`sdkgate ${VERSION}`);
    expect(VERSION).toBe(JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version);
  });

  it('exits 2 naming the key of a bad config file entry', () => {
    const f = join(mkdtempSync(join(tmpdir(), 'sdkgate-config-')), 'bad.json');
    writeFileSync(f, JSON.stringify({ 'idle-grace-ms': 'soon' }));
    const r = run(['--config', f]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/idle-grace-ms/);
  });
});
