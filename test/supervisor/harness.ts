// Builds a supervisor with small limits for tests, a fixture core, a temp data root and a log
// capture. Every supervisor made here is drained after the test file.

import { decoded } from '../../src/rpc/encoded.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../src/log.ts';
import { createMetrics } from '../../src/metrics.ts';
import { resolveOptions, type GatewayOptions } from '../../src/options.ts';
import { createSupervisor, type LocalSupervisor, type SupervisorDeps } from '../../src/supervisor/index.ts';
import { RecordingTokens } from '../helpers/tokens.ts';

export const ECHO_CORE = fileURLToPath(new URL('../fixtures/cores/echo-core.ts', import.meta.url));
export const THROWING_CORE = fileURLToPath(new URL('../fixtures/cores/throwing-core.ts', import.meta.url));
export const HANGING_CORE = fileURLToPath(new URL('../fixtures/cores/hanging-core.ts', import.meta.url));

export interface Harness {
  readonly supervisor: LocalSupervisor;
  readonly options: GatewayOptions;
  readonly dbDir: string;
  /** The supervisor's root logger (a test changes its level as the gateway does on SIGHUP). */
  readonly log: Logger;
  /** Every log line written so far (main thread and forwarded worker lines). */
  readonly logs: string[];
  dispose(): Promise<void>;
}

const live = new Set<Harness>();
let defaultIsolation: GatewayOptions['isolation'] = 'thread';

/** Run a whole suite with every session in this isolation (test/supervisor/process/*.test.ts). */
export function useIsolation(isolation: GatewayOptions['isolation']): void {
  defaultIsolation = isolation;
}

export function makeSupervisor(
  overrides: Partial<Record<keyof GatewayOptions, unknown>> = {},
  extra: Partial<Omit<SupervisorDeps, 'options' | 'log'>> = {},
): Harness {
  const dbDir = mkdtempSync(join(tmpdir(), 'sdkgate-sup-'));
  const options = resolveOptions([], {}, {
    dbDir,
    sessionHeapMb: 32,
    watchdogMs: 500,
    restartBackoffMs: 20,
    restartBackoffMaxMs: 100,
    restartIntensity: 3,
    restartPeriodMs: 60_000,
    idleGraceMs: 10_000,
    callTimeoutMs: 3_000,
    startTimeoutMs: 15_000,
    drainTimeoutMs: 3_000,
    faultInjection: true,
    logLevel: 'debug',
    // Cold spawns unless a test asks for the pool (warm-pool.test.ts): the older tests time
    // episodes (e.g. how many calls B makes while A restarts) against a cold restart.
    warmPool: 0,
    isolation: defaultIsolation,
    ...overrides,
  });
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      logs.push(chunk.toString());
      cb();
    },
  });
  const log = createLogger(options.logLevel, sink);
  const real = createSupervisor({ options, log, coreModule: ECHO_CORE, metrics: extra.metrics ?? createMetrics(), tokens: new RecordingTokens(), ...extra });
  // Results come back as the worker's JSON text (the gateway passes it through); tests compare values.
  const supervisor: typeof real = Object.assign(Object.create(null) as typeof real, real, {
    call: (...a: Parameters<typeof real.call>) => real.call(...a).then(decoded),
  });
  const h: Harness = {
    supervisor,
    options,
    dbDir,
    log,
    logs,
    async dispose() {
      live.delete(h);
      await supervisor.drain(2_000);
      rmSync(dbDir, { recursive: true, force: true });
    },
  };
  live.add(h);
  return h;
}

export async function disposeAll(): Promise<void> {
  await Promise.all([...live].map((h) => h.dispose()));
}

/** Settle a promise into a value or its error, for assertions. */
export function settle<T>(p: Promise<T>): Promise<{ ok: true; value: T; at: number } | { ok: false; error: any; at: number }> {
  return p.then(
    (value) => ({ ok: true as const, value, at: Date.now() }),
    (error: unknown) => ({ ok: false as const, error, at: Date.now() }),
  );
}
