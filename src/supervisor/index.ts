// createSupervisor(): the Supervisor the gateway calls (src/supervisor/types.ts). Wires the
// registry, sessions, limits and metrics; a session's behaviour lives in session.ts and its
// worker lifecycle in lifecycle.ts.

import { randomUUID } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { gatewayError, isGatewayError } from '../errors.ts';
import type { Metrics } from '../metrics.ts';
import { moduleUrl } from '../module-url.ts';
import type { GatewayOptions } from '../options.ts';
import { CPU_BURN_MS, type FaultKind } from '../protocol.ts';
import { Admission, capacity, type Capacity } from './admission.ts';
import { CallLedger } from './call-ledger.ts';
import { Chaos } from './chaos.ts';
import { loadLimits, readLimits } from './limits.ts';
import { probeOsEnv, releaseOsEnv, type OsEnv } from './os-limits.ts';
import { Registry, sessionKey } from './registry.ts';
import { Session } from './session.ts';
import { sessionSpec, spawnHost, type HostSpec } from './spawn.ts';
import { StartCooldown } from './start-cooldown.ts';
import { StartGate } from './start-gate.ts';
import type { Principal, SessionClient, SessionInfo, Supervisor, SupervisorOverview, TokenAuthority } from './types.ts';
import { defaultPoolSize, WarmPool } from './warm-pool.ts';
import { sessionWorkerBundle } from './worker-bundle.ts';

export interface SupervisorDeps {
  readonly options: GatewayOptions;
  readonly log: Logger;
  readonly metrics: Metrics;
  /** The edge's token verdicts: who may reach a session (the gateway's TokenVerifier). */
  readonly tokens: TokenAuthority;
  /** The SDK core module the workers load. @default the absolute path of src/core/index.ts */
  readonly coreModule?: string;
  /** Tests only: another worker entry, or extra flags for the worker. */
  readonly workerFile?: URL;
  readonly execArgv?: readonly string[];
  /** Sessions starting at once (start-gate.ts). @default one per CPU */
  readonly startSlots?: number;
}

export const DEFAULT_CORE_MODULE = fileURLToPath(moduleUrl('../core/index', import.meta.url));

/**
 * Upstream checks one Login may need: one normally; another only if a revocation or a wait
 * (an old session still closing) outdated the first. More means the pair keeps being revoked.
 */
const MAX_RECHECKS = 3;

/** The Supervisor, plus what tests, benches and the docs look at. */
export interface LocalSupervisor extends Supervisor {
  /** The warm spare pool; null with `--isolation none` or `--warm-pool 0`. */
  readonly warmPool: WarmPool | null;
  /** The memory budget and the session limit derived from it. */
  readonly capacity: Capacity;
  /** What this host enforces for sessions in a process (os-limits.ts). */
  readonly osEnv: OsEnv;
}

export function createSupervisor(deps: SupervisorDeps): LocalSupervisor {
  const { options, log, metrics, tokens } = deps;
  const initialLimits = readLimits(options);
  let limitsFor = initialLimits.limitsFor;
  const { defaults, all: limitSets } = initialLimits;
  const coreModule = deps.coreModule ?? DEFAULT_CORE_MODULE;
  const inProcesses = limitSets.filter((l) => l.isolation === 'process');
  const osEnv = probeOsEnv({ wantQuota: inProcesses.some((l) => l.sessionCpuPercent > 0), cgroupDir: options.cgroupDir });
  if (!osEnv.procfs && inProcesses.some((l) => l.sessionRssMb > 0)) {
    throw gatewayError('GW_OPTIONS_INVALID', '--session-rss-mb needs /proc (Linux) to read a session process\'s RSS', { flag: 'session-rss-mb' });
  }
  // Said once at start: which mechanism enforces each limit on this host.
  if (inProcesses.length > 0) log.info({ isolation: options.isolation, ...osEnv.mechanisms }, 'process isolation: OS limits');
  const spawnDeps = { workerFile: deps.workerFile ?? sessionWorkerBundle(coreModule, options.isolation, log), execArgv: deps.execArgv, osEnv };
  const spawn = (spec: HostSpec, hostLog: Logger) => spawnHost(spec, hostLog, spawnDeps);
  let draining = false;
  /** Clients whose connection closed; a Login still in flight for one must not attach it. */
  const gone = new WeakSet<SessionClient>();
  const cooldown = new StartCooldown(options.restartBackoffMs, options.restartBackoffMaxMs);
  const countedFailures = new WeakSet<Session>();

  const poolSize = options.isolation !== 'none' ? (options.warmPool === 'auto' ? defaultPoolSize() : options.warmPool) : 0;
  // Spares are booted for the default limits: sessions with them take one (sessionSpec, the same
  // function that builds each session's spec).
  const poolLog = log.child({ component: 'warm-pool' });
  const warmPool =
    poolSize > 0
      ? new WarmPool({
          size: poolSize,
          spec: sessionSpec(options, coreModule, defaults),
          log: poolLog,
          metrics,
          spawn: (spec) => spawn(spec, poolLog),
        })
      : null;
  const cap = capacity(options, poolSize);
  log.info({ ...cap, isolation: options.isolation }, 'session capacity');

  const registry: Registry = new Registry((p: Principal) => {
    const sessionId = randomUUID().slice(0, 13);
    const limits = limitsFor(p.userID);
    return new Session(
      {
        userID: p.userID,
        platformID: p.platformID,
        sessionId,
        options,
        limits,
        spec: sessionSpec(options, coreModule, limits),
        // Fixed keys only (pino child-logger advice); never the principal object (it holds the token).
        log: log.child({ userID: p.userID, platformID: p.platformID, sessionId }),
        metrics,
        spawn,
        spares: warmPool ?? undefined,
        onStopped: (s) => registry.remove(s),
        onSignedOut: (s) => tokens.revoked(s.userID, s.platformID),
        stillAccepted: (s, token) =>
          tokens.recheck({ userID: s.userID, platformID: s.platformID, token }, `${s.sessionId}-kicked`).then(
            () => true,
            (e: unknown) => {
              if (!isGatewayError(e, 'GW_BAD_TOKEN') && !isGatewayError(e, 'GW_TOKEN_MISMATCH')) log.warn({ err: (e as Error).message, sessionId: s.sessionId }, 'kicked: cannot ask upstream about the token; treating it as signed out');
              return false;
            },
          ),
        onTokenAdopted: (s, token) => {
          tokens.superseded(s.userID, s.platformID, token);
          recheckOthers(s);
        },
      },
      p.token,
    );
  });

  /**
   * A newer token replaced the session's: tabs still on an older one are asked about upstream,
   * and the ones it no longer accepts are detached (OnKickedOffline), as upstream kicks a device
   * whose token a newer login on the same platform superseded.
   */
  const recheckOthers = (s: Session): void => {
    for (const c of s.clientsWithOtherTokens()) {
      tokens.recheck(c.principal, `${s.sessionId}-recheck`).catch((e: unknown) => {
        if (!isGatewayError(e, 'GW_BAD_TOKEN') && !isGatewayError(e, 'GW_TOKEN_MISMATCH')) return;
        if (registry.sessionOf(c) === s) registry.unbind(c);
        s.expel(c);
      });
    }
  };

  const admission = new Admission({ capacity: cap, sessions: () => registry.all(), boundMs: options.drainTimeoutMs, log, metrics });
  // New sessions start about one per CPU at a time; a storm queues (start-gate.ts).
  const starts = new StartGate({ slots: deps.startSlots ?? Math.max(1, availableParallelism()), maxWaitMs: Math.floor(options.startTimeoutMs / 2) });
  metrics.setHeapSource(function* () {
    for (const s of registry.all()) {
      const used = s.info().heapUsed;
      if (used !== null) yield used;
    }
  });
  // Chaos judges containment from the calls the clients made: only then are calls recorded.
  const ledger = options.chaos ? new CallLedger() : null;
  const chaos = ledger
    ? new Chaos({ options, sessions: () => registry.all(), ledger, log: log.child({ component: 'chaos' }), burnMs: CPU_BURN_MS })
    : null;
  chaos?.start();

  const supervisor: LocalSupervisor = {
    warmPool,
    capacity: cap,
    osEnv,

    async login(client: SessionClient, operationID: string): Promise<void> {
      // Every await below can outlive the client or see a drain begin: re-check after each, or
      // a closed connection ends up attached to a session nobody holds (it would never idle out),
      // or a session starts after drain() listed the ones to stop.
      const stillWanted = (): void => {
        if (draining) throw gatewayError('GW_DRAINING');
        if (gone.has(client)) throw gatewayError('GW_SESSION_STOPPED', 'the connection closed during Login');
      };
      stillWanted();
      const key = sessionKey(client.principal.userID, client.principal.platformID);
      let current = registry.sessionOf(client);
      if (current && current.state === 'ready') return;
      if (current?.closing) {
        // Its session ended under it (signed out by the server, admin stop): log in afresh.
        registry.unbind(client);
        current = undefined;
      }
      let session = current;
      let rechecks = 0;
      /** A start slot (start-gate.ts), held from creating the session until its Login is answered. */
      let release: (() => void) | null = null;
      let created = false;
      try {
        while (!session) {
          const existing = registry.get(client.principal.userID, client.principal.platformID);
          const live = existing && !existing.closing ? existing : undefined;
          // A token reaches a session (a running one, or a new one whose offline-first core would
          // serve the local store before upstream refuses it) only if it is the running session's
          // own token or upstream accepted it just now; a cached verdict alone is not enough.
          if (!live?.holds(client.principal.token) && !tokens.vouches(client.principal)) {
            if (++rechecks > MAX_RECHECKS) throw gatewayError('GW_BAD_TOKEN', 'the token was revoked or superseded while logging in');
            await tokens.recheck(client.principal, operationID);
            stillWanted();
            continue;
          }
          if (live) {
            session = live;
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
        // open-im-sdk redials with its first URL and re-sends Login under a fresh operationID.
        const resumed = client.resumeKey !== undefined && client.resumeKey !== operationID;
        await session.login(client, client.principal.token, resumed);
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
      const call = session.call(client, fn, args, _operationID);
      return ledger ? ledger.track(sessionKey(session.userID, session.platformID), call) : call;
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

    maxInFlight(userID: string): number {
      const l = limitsFor(userID);
      return l.sessionConcurrency + l.sessionQueue;
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

    chaosReport() {
      return chaos?.report() ?? { enabled: false };
    },

    overview(): SupervisorOverview {
      return {
        isolation: options.isolation,
        maxSessions: cap.maxSessions,
        liveSessions: admission.live(),
        memoryBudgetMb: cap.budgetMb,
        sessionCostMb: cap.sessionCostMb,
        warmPool: warmPool ? { size: warmPool.size, available: warmPool.available } : null,
      };
    },

    atCapacity(): boolean {
      return admission.full();
    },

    reload(next: GatewayOptions): void {
      // Throws on a bad file before anything changes. The OS probe ran at start: a CPU quota
      // that only a reload brings gets what the probe found (nice, if it did not look for cgroups).
      limitsFor = loadLimits(next);
      log.info({ limitsFile: next.limitsFile || null, logLevel: log.level }, 'limits and log level reloaded');
      for (const s of registry.all()) s.setLogLevel(log.level);
    },

    async drain(timeoutMs: number): Promise<void> {
      draining = true;
      void chaos?.stop();
      const pool = warmPool?.close();
      const sessions = registry.all();
      log.info({ sessions: sessions.length, timeoutMs }, 'draining sessions');
      await Promise.all([pool, ...sessions.map((s) => s.close('drain', timeoutMs))]);
      releaseOsEnv(osEnv);
    },
  };
  return supervisor;
}
