// `sdkgate imserver --api-port 10002 --ws-port 10001 --data-dir DIR --secret S`: run the
// embedded IM server alone until SIGINT or SIGTERM.

import { parseArgv } from '../argv.ts';
import { DEFAULT_SECRET } from './context.ts';
import { exposureWarning } from './exposure.ts';
import { startImServer, type ImServerOptions } from './index.ts';

interface FlagSpec {
  key: keyof ImServerOptions | 'maxObjectMb' | 'objectQuotaMb';
  parse: (raw: string, flag: string) => string | number | boolean;
  boolean?: true;
}

function port(raw: string, flag: string): number {
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n > 65535) throw new Error(`${flag}: expected a port 0-65535, got \`${raw}\``);
  return n;
}

function mib(raw: string, flag: string): number {
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < 1) throw new Error(`${flag}: expected a whole number of MiB, got \`${raw}\``);
  return n;
}

function bool(raw: string, flag: string): boolean {
  if (/^(true|1|yes|on)$/i.test(raw)) return true;
  if (/^(false|0|no|off)$/i.test(raw)) return false;
  throw new Error(`${flag}: expected true or false, got \`${raw}\``);
}

function publicUrl(raw: string, flag: string): string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new Error(`${flag}: expected an http:// or https:// URL, got \`${raw}\``);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(`${flag}: expected an http:// or https:// URL, got \`${raw}\``);
  return raw;
}

function nonEmpty(raw: string, flag: string): string {
  if (raw === '') throw new Error(`${flag}: must not be empty`);
  return raw;
}

const FLAGS = new Map<string, FlagSpec>([
  ['api-port', { key: 'apiPort', parse: port }],
  ['ws-port', { key: 'wsPort', parse: port }],
  ['data-dir', { key: 'dataDir', parse: nonEmpty }],
  ['secret', { key: 'secret', parse: nonEmpty }],
  ['host', { key: 'host', parse: nonEmpty }],
  ['log-level', { key: 'logLevel', parse: nonEmpty }],
  ['max-object-mb', { key: 'maxObjectMb', parse: mib }],
  ['object-quota-mb', { key: 'objectQuotaMb', parse: mib }],
  ['public-url', { key: 'publicUrl', parse: publicUrl }],
  ['kick-same-token', { key: 'kickSameToken', parse: bool, boolean: true }],
]);

const MiB = 1024 * 1024;

/** Throws an Error naming the flag (src/argv.ts parses, each flag validates its own value). */
export function parseImServerArgs(argv: readonly string[]): ImServerOptions {
  const out: Record<string, string | number | boolean> = { apiPort: 10002, wsPort: 10001, dataDir: './data/imserver' };
  for (const [name, raw] of parseArgv(argv, FLAGS, (spec) => spec.boolean === true)) {
    const spec = FLAGS.get(name)!;
    out[spec.key] = spec.parse(raw, `--${name}`);
  }
  const { maxObjectMb, objectQuotaMb, ...opts } = out;
  const objects = {
    ...(maxObjectMb !== undefined ? { maxObjectBytes: Number(maxObjectMb) * MiB } : {}),
    ...(objectQuotaMb !== undefined ? { quotaBytes: Number(objectQuotaMb) * MiB } : {}),
  };
  return { ...opts, ...(Object.keys(objects).length ? { objects } : {}) } as unknown as ImServerOptions;
}

export async function runImServerCli(argv: string[]): Promise<void> {
  const opts = parseImServerArgs(argv);
  // Handlers go in before the address is announced: stdout to a pipe is synchronous on Linux,
  // so a supervisor can read the line and signal us before the next statement runs.
  let stop!: () => void;
  const stopped = new Promise<void>((resolve) => {
    stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
  });
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  const warning = exposureWarning(opts.host ?? '127.0.0.1', opts.secret ?? DEFAULT_SECRET);
  if (warning) process.stderr.write(`\n*** ${warning}\n\n`);
  const server = await startImServer(opts);
  process.stdout.write(`imserver: REST ${server.apiAddress}  message gateway ${server.wsAddress}  data ${opts.dataDir}\n`);
  await stopped;
  await server.close();
}
