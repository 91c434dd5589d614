// Starting a session's host: what it needs (a HostSpec) and the one factory for all isolations.
// A spec has nothing user-specific in it, so a warm spare spawned for a spec can serve any user
// whose session asks for an equal one (warm-pool.ts compares them structurally). Sessions and the
// pool both get theirs from sessionSpec(), so the two cannot drift apart: a drift would turn every
// login into a cold spawn.

import type { Logger } from 'pino';
import type { Metrics } from '../metrics.ts';
import type { GatewayOptions } from '../options.ts';
import { PROTOCOL_VERSION, type WorkerBoot } from '../protocol.ts';
import type { Isolation, SessionHost } from './host.ts';
import { InProcessHost } from './in-process-host.ts';
import { osLimitsOf, type SessionLimits } from './limits.ts';
import { NO_OS_LIMITS, type OsEnv, type OsLimits } from './os-limits.ts';
import { ProcessHost } from './process-host.ts';
import { WorkerHost } from './worker-host.ts';

export interface HostSpec {
  readonly isolation: Isolation;
  readonly boot: WorkerBoot;
  /** Applied to a process only (NO_OS_LIMITS otherwise). */
  readonly os: OsLimits;
}

/** What a session is started from (index.ts builds it; session.ts adds its own hooks). */
export interface SessionBase {
  readonly userID: string;
  readonly platformID: number;
  readonly sessionId: string;
  readonly options: GatewayOptions;
  readonly limits: SessionLimits;
  /** What every worker of this session is started with (spawn.ts sessionSpec, the warm pool's too). */
  readonly spec: HostSpec;
  /** Already a child with userID, platformID and sessionId. */
  readonly log: Logger;
  readonly metrics: Metrics;
  /** Start a host (spawn.ts spawnHost); throws if it cannot. */
  readonly spawn: (spec: HostSpec, log: Logger) => SessionHost;
  /** The warm pool: a pre-spawned host for a spec, or null. */
  readonly spares?: { take(spec: HostSpec): SessionHost | null } | undefined;
}

export interface SpawnDeps {
  readonly workerFile?: URL | undefined;
  readonly execArgv?: readonly string[] | undefined;
  /** What this host can enforce (os-limits.ts probeOsEnv); needed for `process`. */
  readonly osEnv: OsEnv;
}

/** What a session with these limits starts its workers with, and a warm spare for it is spawned with. */
export function sessionSpec(o: GatewayOptions, coreModule: string, limits: SessionLimits): HostSpec {
  const boot: WorkerBoot = {
    protocolVersion: PROTOCOL_VERSION,
    coreModule,
    heapLimitMb: limits.sessionHeapMb,
    faultInjection: o.faultInjection,
    logLevel: o.logLevel,
  };
  return { isolation: limits.isolation, boot, os: limits.isolation === 'process' ? osLimitsOf(limits) : NO_OS_LIMITS };
}

/** Throws if the host cannot be started at all (no thread, no process, no cgroup). */
export function spawnHost(spec: HostSpec, log: Logger, deps: SpawnDeps): SessionHost {
  switch (spec.isolation) {
    case 'none':
      return new InProcessHost({ boot: spec.boot, log });
    case 'thread':
      return new WorkerHost({
        boot: spec.boot,
        log,
        ...(deps.workerFile ? { workerFile: deps.workerFile } : {}),
        ...(deps.execArgv ? { execArgv: deps.execArgv } : {}),
      });
    case 'process':
      return new ProcessHost({ boot: spec.boot, log, limits: spec.os, env: deps.osEnv, workerFile: deps.workerFile, execArgv: deps.execArgv });
  }
}
