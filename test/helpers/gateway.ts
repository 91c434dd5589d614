// Start a gateway on an ephemeral loopback port with test-friendly options.

import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import { createGateway, type Gateway, type GatewayDeps } from '../../src/index.ts';
import { REDACT_PATHS } from '../../src/log.ts';
import { resolveOptions, type GatewayOptions, type optionSpecs } from '../../src/options.ts';

export type OptionOverrides = Partial<Record<keyof typeof optionSpecs, unknown>>;

export function testOptions(overrides: OptionOverrides = {}): GatewayOptions {
  return resolveOptions([], {}, {
    port: 0,
    host: '127.0.0.1',
    logLevel: 'silent',
    drainTimeoutMs: 5_000,
    ...overrides,
  });
}

/** A logger whose JSON lines are kept in memory (and can be grepped). */
export function captureLogger(level = 'debug'): { log: Logger; lines: string[]; text: () => string } {
  const lines: string[] = [];
  const dest = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString('utf8').split('\n')) if (l) lines.push(l);
      cb();
    },
  });
  const log = pino({ level, base: { pid: process.pid }, redact: { paths: REDACT_PATHS, censor: '[redacted]' } }, dest);
  return { log, lines, text: () => lines.join('\n') };
}

export async function startTestGateway(overrides: OptionOverrides = {}, deps: GatewayDeps = {}): Promise<Gateway> {
  const options = testOptions(overrides);
  return createGateway(options, deps);
}
