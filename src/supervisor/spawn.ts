// Starting a session's host: what it needs (a HostSpec) and the one factory for all isolations.
// A spec has nothing user-specific in it, so a warm spare spawned for a spec can serve any user
// whose session asks for an identical one (warm-pool.ts compares specKey()).

import type { Logger } from 'pino';
import type { GatewayOptions } from '../options.ts';
import { PROTOCOL_VERSION, type WorkerBoot } from '../protocol.ts';
import type { Isolation, SessionHost } from './host.ts';
import { InProcessHost } from './in-process-host.ts';
import { NO_OS_LIMITS, type OsEnv, type OsLimits } from './os-limits.ts';
import { ProcessHost } from './process-host.ts';
import { WorkerHost } from './worker-host.ts';

export interface HostSpec {
  readonly isolation: Isolation;
  readonly boot: WorkerBoot;
  /** Applied to a process only (NO_OS_LIMITS otherwise). */
  readonly os: OsLimits;
}

export interface SpawnDeps {
  readonly workerFile?: URL | undefined;
  readonly execArgv?: readonly string[] | undefined;
  /** What this host can enforce (os-limits.ts probeOsEnv); needed for `process`. */
  readonly osEnv: OsEnv;
}

/** The boot every session with this heap limit gets (and a warm spare for it). */
export function sessionBoot(o: GatewayOptions, coreModule: string, heapLimitMb: number): WorkerBoot {
  return {
    protocolVersion: PROTOCOL_VERSION,
    coreModule,
    heapLimitMb,
    faultInjection: o.faultInjection,
    logLevel: o.logLevel,
  };
}

export function hostSpec(isolation: Isolation, boot: WorkerBoot, os: OsLimits): HostSpec {
  return { isolation, boot, os: isolation === 'process' ? os : NO_OS_LIMITS };
}

export function specKey(s: HostSpec): string {
  const b = s.boot;
  const o = s.os;
  return [s.isolation, b.protocolVersion, b.coreModule, b.heapLimitMb, b.faultInjection, b.logLevel, o.rssMb, o.cpuPercent, o.cpuSeconds, o.openFiles].join('|');
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
