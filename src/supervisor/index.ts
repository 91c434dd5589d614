// createSupervisor(): the Supervisor the gateway calls (src/supervisor/types.ts). Wires the
// registry, sessions, limits and metrics; the behaviour lives in session.ts.

import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { gatewayError, isGatewayError } from '../errors.ts';
import type { Metrics } from '../metrics.ts';
import type { GatewayOptions } from '../options.ts';
import type { FaultKind } from '../protocol.ts';
import { PROTOCOL_VERSION } from '../protocol.ts';
import { Admission, capacity, type Capacity } from './admission.ts';
import { loadLimits } from './limits.ts';
import { Registry } from './registry.ts';
import { Session } from './session.ts';
import { StartCooldown } from './start-cooldown.ts';
import { StartGate } from './start-gate.ts';
import type { Principal, SessionClient, SessionInfo, Supervisor } from './types.ts';
import { availableParallelism } from 'node:os';
import { defaultPoolSize, WarmPool } from './warm-pool.ts';

export type { Supervisor, SessionClient, SessionInfo, Principal } from './types.ts';

export interface SupervisorDeps {
  readonly options: GatewayOptions;
  readonly log: Logger;
  readonly metrics?: Metrics;
  /** The SDK core module the workers load. @default the absolute path of src/core/index.ts */
  readonly coreModule?: string;
  /** Tests only: another worker entry, or extra flags for the worker. */
  readonly workerFile?: URL;
  readonly execArgv?: readonly string[];
  /** Sessions starting at once (start-gate.ts). @default one per CPU */
  readonly startSlots?: number;
}

export const DEFAULT_CORE_MODULE = fileURLToPath(new URL('../core/index.ts', import.meta.url));

/** The Supervisor, plus what tests, benches and the docs look at. */
export interface LocalSupervisor extends Supervisor {
  /** The warm spare pool; null with `--isolation none` or `--warm-pool 0`. */
  readonly warmPool: WarmPool | null;
  /** The memory budget and the session limit derived from it. */
  readonly capacity: Capacity;
}

export function createSupervisor(deps: SupervisorDeps): LocalSupervisor {
  const { options, log, metrics } = deps;
  const limitsFor = loadLimits(options);
  const coreModule = deps.coreModule ?? DEFAULT_CORE_MODULE;
  let draining = false;
  /** Clients whose connection closed; a Login still in flight for one must not attach it. */
  const gone = new WeakSet<SessionClient>();
  const cooldown = new StartCooldown(options.restartBackoffMs, options.restartBackoffMaxMs);
  const countedFailures = new WeakSet<Session>();

  const poolSize = options.isolation === 'thread' ? (options.warmPool === 'auto' ? defaultPoolSize() : options.warmPool) : 0;
  // The boot every default-limits session uses (session.ts builds the same one).
  const warmPool =
    poolSize > 0
      ? new WarmPool({
          size: poolSize,
          boot: {
            protocolVersion: PROTOCOL_VERSION,
            coreModule,
            heapLimitMb: options.sessionHeapMb,
            faultInjection: options.faultInjection,
            logLevel: options.logLevel,
          },
          log: log.child({ component: 'warm-pool' }),
          metrics,
          workerFile: deps.workerFile,
          execArgv: deps.execArgv,
        })
      : null;
  const cap = capacity(options, poolSize);
  log.info({ ...cap, isolation: options.isolation }, 'session capacity');

  const registry: Registry = new Registry((p: Principal) => {
    const sessionId = randomUUID().slice(0, 13);
    return new Session(
      {
        userID: p.userID,
        platformID: p.platformID,
        sessionId,
        options,
        limits: limitsFor(p.userID),
        // Fixed keys only (pino child-logger advice); never the principal object (it holds the token).
        log: log.child({ userID: p.userID, platformID: p.platformID, sessionId }),
        metrics,
        coreModule,
        workerFile: deps.workerFile,
        execArgv: deps.execArgv,
        spares: warmPool ?? undefined,
        onStopped: (s) => registry.remove(s),
      },
      p.token,
    );
  });

  const admission = new Admission({ capacity: cap, sessions: () => registry.all(), boundMs: options.drainTimeoutMs, log, metrics });
  // New sessions start about one per CPU at a time; a storm queues (start-gate.ts).
  const starts = new StartGate({ slots: deps.startSlots ?? Math.max(1, availableParallelism()), maxWaitMs: Math.floor(options.startTimeoutMs / 2) });

  const supervisor: LocalSupervisor = {
    warmPool,
    capacity: cap,

    async login(client: SessionClient, operationID: string): Promise<void> {
      // Every await below can outlive the client or see a drain begin: re-check after each, or
      // a closed connection ends up attached to a session nobody holds (it would never idle out),
      // or a session starts after drain() listed the ones to stop.
      const stillWanted = (): void => {
        if (draining) throw gatewayError('GW_DRAINING');
        if (gone.has(client)) throw gatewayError('GW_SESSION_STOPPED', 'the connection closed during Login');
      };
      stillWanted();
      const key = `${client.principal.userID}\u0000${client.principal.platformID}`;
      let current = registry.sessionOf(client);
      if (current && current.state === 'ready') return;
      if (current?.closing) {
        // Its session ended under it (signed out by the server, admin stop): log in afresh.
        registry.unbind(client);
        current = undefined;
      }
      let session = current;
      /** A start slot (start-gate.ts), held from creating the session until its Login is answered. */
      let release: (() => void) | null = null;
      let created = false;
      try {
        while (!session) {
          const existing = registry.get(client.principal.userID, client.principal.platformID);
          if (existing && !existing.closing) {
            session = existing;
          } else if (existing) {
            // Two cores never share a data dir: wait until the old one has closed it.
            await existing.stopped;
            stillWanted();
          } else if (!admission.hasRoom()) {
            await admission.evictOne();
            stillWanted();
          } else if (!release) {
            // Wait for a start slot, then look again: the session may exist by now.
            release = await starts.acquire();
            stillWanted();
          } else {
            const wait = cooldown.remaining(key);
            if (wait > 0) throw gatewayError('GW_SESSION_RESTARTING', 'the last start failed', { restartInMs: wait });
            // No await between the last hasRoom() and acquire()'s synchronous create, so
            // concurrent logins cannot overshoot the limit.
            session = await registry.acquire(client.principal);
            created = true;
          }
        }
      } catch (e) {
        release?.();
        throw e;
      }
      // Attaching to a session another login started needs no slot of its own.
      if (!created) release?.();
      registry.bind(client, session);
      log.debug({ userID: session.userID, platformID: session.platformID, sessionId: session.sessionId, clientId: client.id, operationID }, 'login');
      try {
        await session.login(client, client.principal.token);
        cooldown.succeeded(key);
      } catch (e) {
        // The worker or core could not be brought up (not: the core refused this Login with its
        // own code, or the session was stopped or drained under it).
        if (session.closing && !countedFailures.has(session) && (isGatewayError(e, 'GW_INTERNAL') || isGatewayError(e, 'GW_HEAP_LIMIT_OVERRIDDEN'))) {
          countedFailures.add(session); // once per failed start, however many tabs waited on it
          cooldown.failed(key);
        }
        throw e;
      } finally {
        if (created) release?.();
        // The socket closed while the core was logging in: detach() found nothing bound yet.
        if (gone.has(client)) supervisor.detach(client);
      }
    },

    call(client: SessionClient, fn: string, args: readonly unknown[], _operationID: string): Promise<unknown> {
      if (draining) return Promise.reject(gatewayError('GW_DRAINING'));
      const session = registry.sessionOf(client);
      if (!session) return Promise.reject(gatewayError('GW_NOT_LOGGED_IN'));
      return session.call(fn, args, _operationID);
    },

    async logout(client: SessionClient, _operationID: string): Promise<void> {
      const session = registry.sessionOf(client);
      registry.unbind(client);
      await session?.logout(client);
    },

    detach(client: SessionClient): void {
      gone.add(client);
      const session = registry.sessionOf(client);
      registry.unbind(client);
      session?.detach(client);
    },

    loginStatus(client: SessionClient): 1 | 2 | 3 {
      return registry.sessionOf(client)?.loginStatus() ?? 1;
    },

    list(): SessionInfo[] {
      return registry.all().map((s) => s.info());
    },

    get(userID: string, platformID: number): SessionInfo | undefined {
      return registry.get(userID, platformID)?.info();
    },

    async restart(userID: string, platformID: number): Promise<boolean> {
      return (await registry.get(userID, platformID)?.restart()) ?? false;
    },

    async unquarantine(userID: string, platformID: number): Promise<boolean> {
      return (await registry.get(userID, platformID)?.unquarantine()) ?? false;
    },

    fault(userID: string, platformID: number, kind: FaultKind): boolean {
      if (!options.faultInjection) return false;
      return registry.get(userID, platformID)?.fault(kind) ?? false;
    },

    async drain(timeoutMs: number): Promise<void> {
      draining = true;
      const pool = warmPool?.close();
      const sessions = registry.all();
      log.info({ sessions: sessions.length, timeoutMs }, 'draining sessions');
      await Promise.all([pool, ...sessions.map((s) => s.stop('drain', timeoutMs))]);
    },
  };
  return supervisor;
}
