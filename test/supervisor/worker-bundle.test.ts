// Session workers run from one esbuild bundle of the worker entry and the default core, built
// when the supervisor starts (src/supervisor/worker-bundle.ts), and from the plain entry when the
// bundle cannot be had: loudly, never silently.

import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { PROTOCOL_VERSION, type WorkerBoot } from '../../src/protocol.ts';
import { DEFAULT_CORE_MODULE } from '../../src/supervisor/index.ts';
import { entryOf, sessionWorkerBundle, settle } from '../../src/supervisor/worker-bundle.ts';
import { WorkerHost } from '../../src/supervisor/worker-host.ts';
import { ECHO_CORE } from './harness.ts';

const silent = pino({ level: 'silent' });
const boot: WorkerBoot = { protocolVersion: PROTOCOL_VERSION, coreModule: DEFAULT_CORE_MODULE, heapLimitMb: 64, faultInjection: false, logLevel: 'silent' };
/** Node refuses a .ts entry or import with type stripping off: only a self-contained JS file loads. */
const NO_TYPESCRIPT = ['--no-experimental-strip-types'];

function bundle(): URL {
  const url = sessionWorkerBundle(DEFAULT_CORE_MODULE, 'thread', silent);
  expect(url, 'the bundle was built').toBeDefined();
  return url!;
}

/** Start a worker and wait for it to load its core; resolves to how it ended if it could not. */
async function load(workerFile: URL | undefined): Promise<string> {
  const host = new WorkerHost({ boot, log: silent, execArgv: NO_TYPESCRIPT, ...(workerFile ? { workerFile } : {}) });
  try {
    await host.loaded;
    return 'loaded';
  } catch {
    return (await host.exited).reason;
  } finally {
    await host.terminate('normal', 'test');
  }
}

describe('the session worker bundle', () => {
  it('is one file that imports nothing but Node built-ins', () => {
    const text = readFileSync(fileURLToPath(bundle()), 'utf8');
    const specifiers = [...text.matchAll(/\b(?:from|import)\s*\(?\s*["']([^"']+)["']/g)].map((m) => m[1]!);
    expect(specifiers.length).toBeGreaterThan(0);
    for (const s of specifiers) expect(s.startsWith('node:') || builtinModules.includes(s), s).toBe(true);
  });

  it('runs a worker with the real core without loading one TypeScript source', async () => {
    expect(await load(bundle())).toBe('loaded');
    // The control: the plain entry cannot start that way, so the flag bites.
    expect(await load(undefined)).toBe('init_failed');
  }, 30_000);

  it('serves only the default core, and only when there are workers', () => {
    expect(sessionWorkerBundle(ECHO_CORE, 'thread', silent)).toBeUndefined();
    expect(sessionWorkerBundle(DEFAULT_CORE_MODULE, 'none', silent)).toBeUndefined();
    expect(sessionWorkerBundle(DEFAULT_CORE_MODULE, 'process', silent)).toEqual(bundle());
  });

  it('falls back to the plain entry with a warning when the bundle cannot be built', () => {
    const warnings: string[] = [];
    const log = pino({ level: 'warn' }, { write: (line: string) => void warnings.push(line) });
    const failed = settle(() => {
      throw new Error('esbuild exploded');
    });
    expect(entryOf(failed, log)).toBeUndefined();
    expect(warnings).toHaveLength(1);
    expect(JSON.parse(warnings[0]!)).toMatchObject({ level: 40, cause: 'esbuild exploded', msg: expect.stringContaining('no session worker bundle') });
  });
});
