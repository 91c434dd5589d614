// WorkerHost's spawn environment: the compile cache is written as soon as a worker has loaded its
// core, so workers spawned while it still runs (a warm pool, a login storm) start from the cache
// instead of compiling the sources (and loading the TypeScript stripper) again.

import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { PROTOCOL_VERSION } from '../../src/protocol.ts';
import { WorkerHost, youngGenerationMb } from '../../src/supervisor/worker-host.ts';
import { ECHO_CORE } from './harness.ts';

const saved = process.env.NODE_COMPILE_CACHE;
const dirs: string[] = [];
afterEach(() => {
  if (saved === undefined) delete process.env.NODE_COMPILE_CACHE;
  else process.env.NODE_COMPILE_CACHE = saved;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function files(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => e.name);
}

describe('WorkerHost', () => {
  it('writes the compile cache once the core is loaded, while the worker still runs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sdkgate-cc-'));
    dirs.push(dir);
    process.env.NODE_COMPILE_CACHE = dir; // an operator's cache dir wins over the default
    const host = new WorkerHost({
      boot: { protocolVersion: PROTOCOL_VERSION, coreModule: ECHO_CORE, heapLimitMb: 32, faultInjection: false, logLevel: 'silent' },
      log: pino({ level: 'silent' }),
    });
    try {
      await host.loaded;
      expect(host.alive).toBe(true);
      expect(files(dir).length).toBeGreaterThan(0);
    } finally {
      await host.terminate('normal', 'test');
    }
  });

  it('keeps the young generation small: 2 MB at the default heap, at most 16 MB', () => {
    expect(youngGenerationMb(128)).toBe(2);
    expect(youngGenerationMb(32)).toBe(2);
    expect(youngGenerationMb(512)).toBe(8);
    expect(youngGenerationMb(16_384)).toBe(16);
  });
});
