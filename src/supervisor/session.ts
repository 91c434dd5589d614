// One (userID, platformID): its worker generations, its clients, its call queue and its state.
//
//                login ─▶ starting ──Login ok──▶ ready ◀─────────────────────┐
//                            │ fail                │  │ crash (any abnormal)  │ Login ok
//                            ▼                     │  ▼                       │
//                         stopped ◀── draining ◀───┘ crashed ─▶ backoff ─▶ restarting
//                                   (logout/idle/     │ intensity            │ Login refused
//                                    drain/admin)     ▼ exceeded             ▼ (OnConnectFailed)
//                                                 quarantined ─unquarantine─▶ restarting
//
// A session owns its lifecycle so no call is ever left pending: every exit of a worker rejects
// that worker's in-flight calls at once (RpcClient.failAll), and every state but `ready` answers
// new calls with a typed error instead of posting into a dead port.

import { resolve as resolvePath } from 'node:path';
import type { Logger } from 'pino';
import { fromWire, gatewayError, type ErrorName, type GatewayError } from '../errors.ts';
import { sessionDataDir } from '../ids.ts';
import { routeFamily, type Metrics } from '../metrics.ts';
import type { GatewayOptions } from '../options.ts';
import type { EventMessage, FaultKind, LogMessage, ShutdownMessage } from '../protocol.ts';
import { RestartPolicy } from './backoff.ts';
import { assertContained } from './faults.ts';
import type { ExitInfo, SessionHost } from './host.ts';
import { osLimitsOf, type SessionLimits } from './limits.ts';
import { hostSpec, sessionBoot, type HostSpec } from './spawn.ts';
import type { SessionClient, SessionInfo, SessionState } from './types.ts';
import { CallQueue } from './call-queue.ts';
import { Generation } from './generation.ts';
import { OwnSends } from './own-sends.ts';
import { ParkedTabs } from './parked-tabs.ts';
import { StreamFacts } from './stream-facts.ts';

export interface SessionDeps {
  readonly userID: string;
  readonly platformID: number;
  readonly sessionId: string;
  readonly options: GatewayOptions;
  readonly limits: SessionLimits;
  /** Already a child with userID, platformID and sessionId. */
  readonly log: Logger;
  readonly metrics: Metrics;
  readonly coreModule: string;
  /** Start a host (spawn.ts spawnHost); throws if it cannot. */
  readonly spawn: (spec: HostSpec, log: Logger) => SessionHost;
  /** The warm pool: a pre-spawned host for a spec, or null. */
  readonly spares?: { take(spec: HostSpec): SessionHost | null } | undefined;
  /** Called once, when the session reaches `stopped`. */
  readonly onStopped: (session: Session) => void;
  /** The core reported a kick or a token error: every token verdict for the pair is void. */
  readonly onSignedOut: (session: Session) => void;
  /** A Login brought a token other than the session's: it is the session's token from now on. */
  readonly onTokenAdopted: (session: Session, token: string) => void;
  /**
   * Upstream kicked the core: does it still accept `token`, asked now (not from a cache)? False
   * also when it cannot be asked.
   */
  readonly stillAccepted: (session: Session, token: string) => Promise<boolean>;
}

interface Waiter {
  readonly resolve: () => void;
  readonly reject: (e: unknown) => void;
}

/** `moved`: kicked by the same user's session on another node (#kicked); the core is told `signed_out`. */
type StopReason = ShutdownMessage['reason'] | 'moved';

/** How long in-flight calls get to finish when the soft heap watchdog fires. */
const SOFT_DRAIN_MS = 500;
/** Callbacks kept for a dropped tab (parked-tabs.ts); past either bound it returns as a new tab. */
const PARKED_MAX_EVENTS = 2000;
const PARKED_MAX_BYTES = 4 * 1024 * 1024;

/** How the session names a tab across its sockets. */
const tabKey = (c: SessionClient): string => c.resumeKey ?? c.id;

export class Session {
  readonly userID: string;
  readonly platformID: number;
  readonly sessionId: string;
  readonly startedAt = Date.now();
  /** Resolves when the session is stopped for good. */
  readonly stopped: Promise<void>;

  readonly #d: SessionDeps;
  readonly #log: Logger;
  readonly #calls: CallQueue;
  readonly #policy: RestartPolicy;
  readonly #clients = new Set<SessionClient>();
  /** The connection and sync facts a joining tab is told (stream-facts.ts). */
  readonly #facts = new StreamFacts();
  /** Which tab sent which message, so its echo reaches the other tabs only (own-sends.ts). */
  readonly #ownSends = new OwnSends();
  /** Tabs whose socket dropped, with the callbacks kept for their return (parked-tabs.ts). */
  readonly #parked: ParkedTabs;
  #state: SessionState = 'starting';
  #token: string;
  /** The token the live core logged in with (it may lag #token until the core is told). */
  #coreToken: string | null = null;
  #gen: Generation | null = null;
  #launched = false;
  #launching: Promise<void> | null = null;
  #waiters: Waiter[] = [];
  #restarts = 0;
  #lastExit: SessionInfo['lastExit'] = null;
  #heapUsed: number | null = null;
  #heapLimit: number | null = null;
  #idleTimer: NodeJS.Timeout | undefined;
  #idleSince: number | null = null;
  #backoffTimer: NodeJS.Timeout | undefined;
  #restartAt = 0;
  /** Why new calls are refused while `draining`. */
  #drainFor: 'restart' | StopReason | null = null;
  #stopping: Promise<void> | null = null;
  /** Started by a client that redialled (login()). */
  #resumed = false;
  /** Set while a kick is classified (#kicked); the core's later callbacks wait in it. */
  #kick: { readonly held: EventMessage[] } | null = null;
  #markStopped!: () => void;
  #loginSeq = 0;
  /** The generation whose core has connected upstream at least once (a later success is a reconnect). */
  #connectedGen: Generation | null = null;

  constructor(deps: SessionDeps, token: string) {
    this.#d = deps;
    this.userID = deps.userID;
    this.platformID = deps.platformID;
    this.sessionId = deps.sessionId;
    this.#log = deps.log;
    this.#token = token;
    this.#calls = new CallQueue(deps.limits, deps.metrics);
    const o = deps.options;
    this.#policy = new RestartPolicy({
      baseMs: o.restartBackoffMs,
      maxMs: o.restartBackoffMaxMs,
      intensity: o.restartIntensity,
      periodMs: o.restartPeriodMs,
    });
    this.#parked = new ParkedTabs({ ttlMs: o.idleGraceMs, maxEvents: PARKED_MAX_EVENTS, maxBytes: PARKED_MAX_BYTES, maxTabs: o.maxConnsPerUser });
    this.stopped = new Promise((res) => (this.#markStopped = res));
    deps.metrics.sessions.inc({ state: this.#state });
  }

  get state(): SessionState {
    return this.#state;
  }

  /** The live worker's thread id, or null between workers (and for a process). */
  get threadId(): number | null {
    return this.#gen?.host.alive ? this.#gen.host.threadId : null;
  }

  /** The pid of the process the live core runs in, or null between workers. */
  get pid(): number | null {
    return this.#gen?.host.alive ? this.#gen.host.pid : null;
  }

  get isolation(): SessionLimits['isolation'] {
    return this.#d.limits.isolation;
  }

  /** True once stop() began: the registry must wait for `stopped` and start a fresh session. */
  get closing(): boolean {
    return this.#stopping !== null || this.#kick !== null;
  }

  has(client: SessionClient): boolean {
    return this.#clients.has(client);
  }

  /** Whether `token` is the session's current token (the one a restart logs in with). */
  holds(token: string): boolean {
    return this.#token === token;
  }

  get clientCount(): number {
    return this.#clients.size;
  }

  /** Since when the session has had no connection (its idle grace runs), or null. */
  get idleSince(): number | null {
    return this.#idleSince;
  }

  // ---------------------------------------------------------------- clients

  /**
   * Attach the client and resolve once the session's core is logged in. The first login starts
   * the worker; later ones (other tabs, reconnects within the idle grace) attach to it.
   * `resumed`: the client was logged in before and redialled (open-im-sdk re-sends Login under
   * a new operationID); if it starts this session, a first sync of a new data dir reports the
   * user's unread messages instead of staying silent (SessionBinding.resumed).
   */
  async login(client: SessionClient, token: string, resumed = false): Promise<void> {
    if (this.#stopping || this.#kick) throw gatewayError(this.#stopCode());
    if (this.#state === 'quarantined') throw this.#quarantinedError();
    const attaching = !this.#clients.has(client);
    this.#attach(client);
    // A newly attaching client's other token got here only because upstream just accepted it
    // (the supervisor checks): it is the newest, and the session's from now on.
    if (attaching && token !== this.#token) this.#adopt(token);
    if (this.#state === 'ready') return;
    const ready = new Promise<void>((resolve, reject) => this.#waiters.push({ resolve, reject }));
    if (!this.#launched) {
      this.#launched = true;
      this.#resumed = resumed;
      void this.#launch('start');
    }
    try {
      await ready;
    } catch (e) {
      this.#clients.delete(client);
      throw e;
    }
  }

  /** Detach after Logout; stops the session now if it was the last client. */
  async logout(client: SessionClient): Promise<void> {
    if (!this.#clients.delete(client)) return;
    if (this.#clients.size > 0 || this.#state === 'quarantined') return;
    await this.stop('logout', this.#d.options.drainTimeoutMs);
  }

  /** Clients attached with another token than the session's current one. */
  clientsWithOtherTokens(): SessionClient[] {
    return [...this.#clients].filter((c) => c.principal.token !== this.#token);
  }

  /**
   * Detach a client whose token upstream no longer accepts (a newer token superseded it): it
   * gets OnKickedOffline, as a device kicked by a newer login does upstream.
   */
  expel(client: SessionClient): void {
    if (!this.#clients.delete(client)) return;
    this.#log.info({ clientId: client.id }, 'client expelled: its token was superseded');
    try {
      client.sendEvent('OnKickedOffline', '', 0, '');
    } catch (err) {
      this.#log.warn({ err, clientId: client.id }, 'client failed to take an event');
    }
    if (this.#clients.size === 0) this.#armIdle();
  }

  /** The connection dropped: detach; the last one arms the idle grace. */
  detach(client: SessionClient): void {
    if (!this.#clients.delete(client)) return;
    if (client.resumeKey !== undefined && !this.#stopping) this.#parked.park(client.resumeKey, Date.now(), client.undelivered?.() ?? []);
    if (this.#clients.size === 0) this.#armIdle();
  }

  loginStatus(): 1 | 2 | 3 {
    switch (this.#state) {
      case 'ready':
        return 3;
      case 'starting':
      case 'crashed':
      case 'backoff':
      case 'restarting':
        return 2;
      case 'draining':
        return this.#drainFor === 'restart' ? 2 : 1;
      default:
        return 1;
    }
  }

  // ---------------------------------------------------------------- calls

  /** `client`: the tab that made the call; null for the session's own calls. */
  call(client: SessionClient | null, fn: string, args: readonly unknown[], operationID: string): Promise<unknown> {
    // While a new worker logs in, calls wait in the (paused, bounded) queue instead of failing:
    // a client that reacts to OnConnectSuccess must not race the end of the re-Login.
    const refused = this.#state === 'restarting' ? null : this.#refusal();
    if (refused) return this.#calls.refuse(refused);
    if (client) this.#ownSends.note(tabKey(client), fn, args);
    // A call accepted by a ready worker belongs to it: if that worker dies first, so does the call.
    const pinned = this.#state === 'ready' || this.#state === 'draining' ? this.#gen : null;
    return this.#calls.submit(fn, args, operationID, () => {
      const gen = this.#gen;
      if (gen && gen.running && gen.rpc && !gen.rpc.dead && (!pinned || gen === pinned) && this.#drainFor !== 'restart') {
        return gen.rpc;
      }
      // Never posted to a worker, so the call did not run: unlike the in-flight calls a crash
      // rejects with GW_SESSION_CRASHED (outcome unknown), this one is simply retried.
      const why = (pinned ?? gen)?.crashError ? 'the worker exited before the call ran' : undefined;
      return this.#refusal() ?? gatewayError('GW_SESSION_RESTARTING', why, { restartInMs: this.#restartInMs() });
    });
  }

  /** SIGHUP changed the log level: the worker filters its lines at the new one from now on. */
  setLogLevel(level: string): void {
    const rpc = this.#gen?.rpc;
    if (rpc && !rpc.dead) rpc.setLogLevel(level);
  }

  /** Throws GW_FAULT_NEEDS_PROCESS for a kind this session's isolation cannot contain. */
  fault(kind: FaultKind): boolean {
    if (!this.#d.options.faultInjection) return false;
    assertContained(this.#d.limits.isolation, kind);
    const rpc = this.#gen?.rpc;
    if (!rpc || rpc.dead || !this.#gen?.running) return false;
    this.#log.warn({ kind }, 'injecting fault');
    return rpc.fault(kind);
  }

  // ---------------------------------------------------------------- admin

  /** Admin restart: drain, normal stop, start again. Not counted toward the restart intensity. */
  async restart(): Promise<boolean> {
    if (this.#stopping) return false;
    if (this.#state === 'quarantined') return this.unquarantine();
    if (this.#state !== 'ready') return false;
    const gen = this.#gen!;
    this.#setState('draining');
    this.#drainFor = 'restart';
    this.#log.info('admin restart');
    await this.#settleRunning(this.#d.options.drainTimeoutMs);
    await gen.retire('restart', 'normal', 'admin restart', this.#d.options.drainTimeoutMs);
    if (this.#stopping) return false;
    // The worker crashed while closing: the crash path (backoff or quarantine) owns it now.
    const now: SessionState = this.#stateNow();
    if (now !== 'draining') return now !== 'quarantined';
    this.#drainFor = null;
    this.#emitAll('OnConnecting', '', 0, '');
    this.#restarts++;
    this.#d.metrics.sessionRestarts.inc({ reason: 'admin' });
    await this.#launch('restart');
    return true;
  }

  async unquarantine(): Promise<boolean> {
    if (this.#state !== 'quarantined') return false;
    this.#log.info('unquarantined by admin');
    this.#d.metrics.quarantined.dec();
    this.#policy.reset();
    this.#restarts++;
    this.#d.metrics.sessionRestarts.inc({ reason: 'unquarantine' });
    this.#emitAll('OnConnecting', '', 0, '');
    await this.#launch('restart');
    return true;
  }

  /**
   * Stop for good: refuse new calls, let accepted ones (running and queued) finish, close the
   * core (shutdown `reason`), and terminate it if that takes longer than `boundMs` in total.
   */
  stop(reason: StopReason, boundMs: number): Promise<void> {
    this.#stopping ??= this.#stop(reason, boundMs);
    return this.#stopping;
  }

  info(): SessionInfo {
    return {
      sessionId: this.sessionId,
      userID: this.userID,
      platformID: this.platformID,
      state: this.#state,
      connections: this.#clients.size,
      restarts: this.#restarts,
      lastExit: this.#lastExit,
      threadId: this.threadId,
      isolation: this.#d.limits.isolation,
      pid: this.pid,
      heapUsed: this.#heapUsed,
      heapLimit: this.#heapLimit,
      queueDepth: this.#calls.waiting,
      inFlight: this.#gen?.rpc?.inFlight ?? 0,
      startedAt: this.startedAt,
      idleSince: this.#idleSince,
    };
  }

  // ---------------------------------------------------------------- lifecycle

  async #launch(kind: 'start' | 'restart'): Promise<void> {
    const run = this.#launchOnce(kind).catch((err: unknown) => {
      // A bug here must not become an unhandled rejection that takes the gateway down.
      this.#log.error({ err }, 'session launch failed unexpectedly');
      this.#failWaiters(gatewayError('GW_INTERNAL'));
    });
    this.#launching = run;
    try {
      await run;
    } finally {
      if (this.#launching === run) this.#launching = null;
    }
  }

  async #launchOnce(kind: 'start' | 'restart'): Promise<void> {
    const o = this.#d.options;
    const t0 = performance.now();
    // A soft-heap or admin drain belonged to the previous worker.
    if (!this.#stopping) this.#drainFor = null;
    this.#setState(kind === 'start' ? 'starting' : 'restarting');
    let gen: Generation;
    const limits = this.#d.limits;
    const spec = hostSpec(limits.isolation, sessionBoot(o, this.#d.coreModule, limits.sessionHeapMb), osLimitsOf(limits));
    try {
      gen = new Generation(
        {
          host: this.#d.spares?.take(spec) ?? this.#d.spawn(spec, this.#log),
          boot: spec.boot,
          log: this.#log,
          watchdogMs: o.watchdogMs,
          softHeapBytes: this.#d.limits.sessionHeapMb * 1024 * 1024 * o.heapSoftRatio,
          startTimeoutMs: o.startTimeoutMs,
        },
        {
          onEvent: (e) => this.#onCoreEvent(gen, e),
          onTelemetry: (t) => {
            if (gen !== this.#gen) return;
            this.#heapUsed = t.heapUsed;
            this.#heapLimit = t.heapLimit;
          },
          onLog: (line) => this.#onWorkerLog(line),
          onUpstream: (sample) => {
            this.#d.metrics.upstreamRest.observe({ family: routeFamily(sample.route), outcome: sample.outcome }, sample.seconds);
          },
          onSoftHeap: (detail) => void this.#softRestart(gen, detail),
        },
      );
    } catch (e) {
      this.#log.error({ err: e }, 'cannot spawn the session worker');
      this.#launchFailed(kind, { reason: 'init_failed', code: -1, detail: (e as Error).message, error: null }, t0);
      return;
    }
    this.#gen = gen;
    this.#coreToken = null;
    const launchToken = this.#token;
    void gen.exited.then((info) => this.#onExit(gen, info));
    try {
      await gen.start(
        {
          sessionId: this.sessionId,
          userID: this.userID,
          platformID: this.platformID,
          dataDir: resolvePath(sessionDataDir(o.dbDir, this.userID, this.platformID)),
          apiAddress: o.apiAddress,
          wsAddress: o.wsAddress,
          resumed: this.#resumed,
        },
        // The token goes to the core and nowhere else: no log line carries Login arguments.
        { args: [this.userID, launchToken], operationID: `${this.sessionId}-login-${++this.#loginSeq}` },
      );
    } catch (e) {
      if (!gen.host.alive || gen.rpc?.dead) this.#launchFailed(kind, await gen.exited, t0);
      else await this.#loginRefused(kind, gen, e, t0);
      return;
    }
    if (this.#stopping) return; // stop() takes it from here
    gen.goLive();
    const ms = performance.now() - t0;
    this.#d.metrics.sessionStart.observe({ status: kind === 'start' ? 'ok' : 'restart_ok' }, ms / 1000);
    this.#log.info({ threadId: gen.host.threadId, childPid: childPid(gen), ms: Math.round(ms), kind }, 'session ready');
    this.#setState('ready');
    this.#coreToken = launchToken;
    // A newer token arrived while this core logged in with the older one.
    this.#syncCoreToken();
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w.resolve();
    if (this.#clients.size === 0) this.#armIdle();
  }

  /** The worker died (or could not be spawned) before its core was logged in. */
  #launchFailed(kind: 'start' | 'restart', info: ExitInfo, t0: number): void {
    this.#d.metrics.sessionStart.observe({ status: info.reason }, (performance.now() - t0) / 1000);
    if (this.#stopping) return;
    this.#log.error({ reason: info.reason, detail: info.detail, kind }, 'session worker failed to start');
    if (kind === 'start') {
      // Never respawn implicitly after a failed first start (JupyterHub's lesson): the client
      // gets the reason, and its next Login is a fresh attempt.
      const err = info.error ? fromWire(info.error) : gatewayError('GW_INTERNAL', 'session failed to start', { reason: info.reason, detail: info.detail });
      this.#failWaiters(err);
      void this.stop('admin', 0);
      return;
    }
    this.#afterCrash(info);
  }

  /** The core refused Login (bad token, server says no): stop it normally, never restart. */
  async #loginRefused(kind: 'start' | 'restart', gen: Generation, e: unknown, t0: number): Promise<void> {
    this.#d.metrics.sessionStart.observe({ status: 'login_failed' }, (performance.now() - t0) / 1000);
    if (this.#stopping) return;
    const code = typeof (e as { code?: unknown })?.code === 'number' ? (e as { code: number }).code : 0;
    const message = (e as Error)?.message ?? '';
    this.#log.warn({ code, kind }, 'core refused Login');
    if (kind === 'restart') {
      this.#closeSync(code, message);
      this.#emitAll('OnConnectFailed', '', code, message);
    }
    this.#failWaiters(e);
    this.#clients.clear();
    this.#setState('draining');
    this.#drainFor = 'logout';
    await gen.retire('idle', 'normal', 'login refused', this.#d.options.drainTimeoutMs);
    void this.stop('idle', 0);
  }

  #onExit(gen: Generation, info: ExitInfo): void {
    this.#d.metrics.sessionExits.inc({ reason: info.reason });
    gen.stopWatchdog();
    if (gen === this.#gen) this.#lastExit = { reason: info.reason, detail: info.detail, at: Date.now() };
    const log = info.reason === 'normal' ? this.#log.info.bind(this.#log) : this.#log.error.bind(this.#log);
    log({ reason: info.reason, code: info.code, detail: info.detail, threadId: gen.host.threadId, childPid: childPid(gen) }, 'session worker exited');
    if (!gen.running || info.reason === 'normal' || gen !== this.#gen || this.#stopping) {
      // Launch failures and deliberate stops are handled by whoever started them; this only
      // guarantees nothing is left pending on the dead port.
      gen.rpc?.failAll(gatewayError(this.#stopping ? this.#stopCode() : 'GW_SESSION_CRASHED', info.reason, { reason: info.reason }));
      gen.running = false;
      return;
    }
    gen.running = false;
    this.#afterCrash(info, gen);
  }

  /** A crash of a running worker, or a failed restart: reject, tell clients, back off or quarantine. */
  #afterCrash(info: ExitInfo, gen?: Generation): void {
    const decision = this.#policy.next();
    const restartInMs = decision.quarantine ? null : decision.delayMs;
    const err = gatewayError('GW_SESSION_CRASHED', info.reason, { reason: info.reason, restartInMs });
    if (gen) {
      gen.crashError = err;
      gen.rpc?.failAll(err);
    }
    this.#setState('crashed');
    this.#emitAll('OnConnecting', '', 0, '');
    if (decision.quarantine) {
      this.#quarantine(info);
      return;
    }
    this.#d.metrics.sessionRestarts.inc({ reason: info.reason });
    this.#restartAt = Date.now() + decision.delayMs;
    this.#setState('backoff');
    this.#log.warn({ reason: info.reason, restartInMs: decision.delayMs, recent: this.#policy.recent() }, 'restarting session after backoff');
    this.#backoffTimer = setTimeout(() => {
      this.#backoffTimer = undefined;
      if (this.#stopping) return;
      this.#restarts++;
      void this.#launch('restart');
    }, decision.delayMs);
  }

  #quarantine(info: ExitInfo): void {
    // An idle grace armed before the crash loop must not stop (and so forget) a quarantined
    // session: the next Login would start fresh with no restart history. Only an admin releases it.
    clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
    this.#setState('quarantined');
    this.#d.metrics.quarantined.inc();
    this.#log.error({ reason: info.reason, intensity: this.#d.options.restartIntensity, periodMs: this.#d.options.restartPeriodMs }, 'session quarantined');
    const err = this.#quarantinedError();
    this.#failWaiters(err);
    this.#closeSync(err.code, err.message);
    this.#emitAll('OnConnectFailed', '', err.code, err.message);
  }

  /** Soft heap watchdog: drain what is running (briefly), then restart as an 'oom' exit. */
  async #softRestart(gen: Generation, detail: string): Promise<void> {
    if (gen !== this.#gen || this.#state !== 'ready') return;
    this.#log.warn({ detail }, 'soft heap limit reached; draining and restarting');
    this.#setState('draining');
    this.#drainFor = 'restart';
    await this.#settleRunning(Math.min(SOFT_DRAIN_MS, this.#d.limits.callTimeoutMs));
    if (gen !== this.#gen || !gen.host.alive) return;
    gen.host.expect('oom', `soft heap watchdog: ${detail}`);
    // The exit is an 'oom' crash: #onExit takes it through backoff (or quarantine) to a relaunch.
    await gen.retire('restart', 'oom', detail, this.#d.options.drainTimeoutMs);
  }

  async #stop(reason: StopReason, boundMs: number): Promise<void> {
    const until = Date.now() + boundMs;
    const left = (): number => Math.max(0, until - Date.now());
    clearTimeout(this.#idleTimer);
    clearTimeout(this.#backoffTimer);
    this.#backoffTimer = undefined;
    if (this.#state === 'quarantined') this.#d.metrics.quarantined.dec();
    this.#drainFor = reason;
    this.#setState('draining');
    this.#log.info({ reason }, 'stopping session');
    this.#failWaiters(gatewayError(this.#stopCode()));
    if (this.#launching) await withTimeout(this.#launching, left());
    // Accepted calls, running and queued, get to finish: no acknowledged call is lost.
    await withTimeout(this.#calls.onIdle(), left());
    const gen = this.#gen;
    if (gen && gen.host.alive) await gen.retire(reason === 'moved' ? 'signed_out' : reason, 'normal', `stopped: ${reason}`, left());
    const stopped = gatewayError(this.#stopCode(), reason);
    gen?.rpc?.failAll(stopped);
    this.#calls.clear(stopped);
    this.#clients.clear();
    this.#parked.clear();
    this.#setState('stopped');
    this.#log.info({ reason }, 'session stopped');
    this.#markStopped();
    this.#d.onStopped(this);
  }

  // ---------------------------------------------------------------- helpers

  async #settleRunning(boundMs: number): Promise<void> {
    await withTimeout(this.#calls.runningSettled(), boundMs);
  }

  /** The state after an await (TypeScript keeps the narrowing from before it). */
  #stateNow(): SessionState {
    return this.#state;
  }

  /**
   * Attach the client. A tab that was not attached yet first gets (it alone, in this same turn,
   * so nothing live slips in between) what it missed if it is a dropped tab coming back
   * (parked-tabs.ts), then the session's connection and sync facts (stream-facts.ts).
   */
  #attach(client: SessionClient): void {
    clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
    this.#idleSince = null;
    if (this.#clients.has(client)) return;
    const key = client.resumeKey;
    // Only a parked tab resumes. A live connection with the same key is left alone: the key is
    // the client's choice, and closing a connection on it would let one tab end another.
    this.#clients.add(client);
    const missed = key === undefined ? null : this.#parked.resume(key);
    for (const cb of [...(missed ?? []), ...this.#facts.replay()]) this.#sendTo(client, cb.event, cb.data, cb.errCode, cb.errMsg);
  }

  #armIdle(): void {
    if (this.#stopping || this.#state === 'quarantined' || this.#idleTimer) return;
    this.#idleSince = Date.now();
    this.#idleTimer = setTimeout(() => {
      this.#idleTimer = undefined;
      if (this.#clients.size === 0 && this.#state !== 'quarantined') void this.stop('idle', this.#d.options.drainTimeoutMs);
    }, this.#d.options.idleGraceMs);
  }

  /** Why a new call cannot run now, or null if it can. */
  #refusal(): GatewayError | null {
    switch (this.#state) {
      case 'ready':
        return null;
      case 'starting':
      case 'stopped':
        return gatewayError('GW_NOT_LOGGED_IN');
      case 'crashed':
      case 'backoff':
      case 'restarting':
        return gatewayError('GW_SESSION_RESTARTING', undefined, { restartInMs: this.#restartInMs() });
      case 'quarantined':
        return this.#quarantinedError();
      case 'draining':
        return this.#drainFor === 'restart'
          ? gatewayError('GW_SESSION_RESTARTING', undefined, { restartInMs: this.#restartInMs() })
          : gatewayError(this.#stopCode());
    }
  }

  #stopCode(): ErrorName {
    if (this.#drainFor === 'drain') return 'GW_DRAINING';
    return this.#drainFor === 'moved' ? 'GW_SESSION_MOVED' : 'GW_SESSION_STOPPED';
  }

  #restartInMs(): number {
    return this.#state === 'backoff' ? Math.max(0, this.#restartAt - Date.now()) : 0;
  }

  #quarantinedError(): GatewayError {
    return gatewayError('GW_SESSION_QUARANTINED', undefined, {
      reason: this.#lastExit?.reason ?? null,
      restarts: this.#restarts,
    });
  }

  #failWaiters(e: unknown): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w.reject(e);
  }

  #onCoreEvent(gen: Generation, e: EventMessage): void {
    if (gen !== this.#gen) return;
    if (this.#kick) {
      this.#kick.held.push(e);
      return;
    }
    // The core's connection events are the message gateway's health, seen from every session.
    if (e.event === 'OnConnectSuccess') {
      this.#d.metrics.upstreamWsConnects.inc({ result: 'ok' });
      if (this.#connectedGen === gen) this.#d.metrics.upstreamWsReconnects.inc();
      this.#connectedGen = gen;
    } else if (e.event === 'OnConnectFailed') {
      this.#d.metrics.upstreamWsConnects.inc({ result: 'failed' });
    }
    if (e.event === 'OnKickedOffline') {
      void this.#kicked(e);
      return;
    }
    this.#deliver(e);
    if (e.event === 'OnUserTokenExpired') this.#signedOut();
  }

  /** A core callback to the tabs; the echo of a message one of them sent skips that tab (it has the send's answer). */
  #deliver(e: EventMessage): void {
    const sender = e.origin === undefined ? undefined : this.#ownSends.take(e.origin);
    this.#emitAll(e.event, e.data, e.errCode, e.errMsg, sender);
  }

  /**
   * The server signed this user out (kicked, or the token expired): the core has stopped its
   * network for good. End the session now, or a Login with a fresh token during the idle grace
   * would attach to a core that can no longer reach the server; and no cached verdict for the
   * pair may let a token in again without asking upstream.
   */
  #signedOut(): void {
    this.#d.onSignedOut(this);
    void this.stop('signed_out', this.#d.options.drainTimeoutMs);
  }

  /**
   * Upstream kicked the core. If it still accepts the session's token, the kick came from a
   * newer connection with that same token: OpenIM up to v3.8.3 kicks same-token duplicates
   * (later versions and the embedded IM server keep both), and that connection is this user's
   * session starting on another node (a node that came back, a changed hash). Then the session
   * ends quietly: its tabs are closed (GW_SESSION_MOVED, 1012) and not told OnKickedOffline,
   * which would end open-im-sdk's reconnect loop; they redial, and the proxy routes them to the
   * node that now holds the session. Otherwise (a newer token, force_logout) the tabs are told,
   * as before. Meanwhile the session counts as closing (a Login waits for it to stop) and the
   * core's later callbacks are held, to keep their order after the kick.
   */
  async #kicked(e: EventMessage): Promise<void> {
    const kick = { held: [] as EventMessage[] };
    this.#kick = kick;
    if (!this.#stopping) {
      this.#setState('draining');
      this.#drainFor = 'signed_out';
    }
    const moved = await this.#d.stillAccepted(this, this.#token).catch(() => false);
    this.#kick = null;
    if (moved) {
      this.#log.info({ clients: this.#clients.size }, 'kicked by a newer connection with the same token: the session moved to another node');
      if (!this.#stopping) this.#drainFor = 'moved';
      const err = gatewayError('GW_SESSION_MOVED');
      for (const c of [...this.#clients]) c.close(err.close ?? 1012, 'session moved to another node');
      void this.stop('moved', this.#d.options.drainTimeoutMs);
      return;
    }
    this.#deliver(e);
    for (const h of kick.held) this.#deliver(h);
    this.#signedOut();
  }

  #adopt(token: string): void {
    this.#token = token;
    this.#log.info('session token replaced by a newer one');
    this.#d.onTokenAdopted(this, token);
    this.#syncCoreToken();
  }

  /**
   * Give a ready core the session's newest token. Upstream marks the older token kicked when it
   * issues a newer one, so a core left on it would be signed out at its next REST call or dial.
   */
  #syncCoreToken(): void {
    if (this.#state !== 'ready' || this.#coreToken === null || this.#coreToken === this.#token) return;
    const token = this.#token;
    this.#coreToken = token;
    this.call(null, 'Login', [this.userID, token], `${this.sessionId}-login-${++this.#loginSeq}`).catch((err: unknown) => {
      this.#log.warn({ code: (err as { code?: unknown })?.code }, 'core did not take the newer token');
    });
  }

  /**
   * Every client of the session gets every callback, in the worker's order (but the tab named
   * `exceptTab`, which an echo came from), and so does every parked tab. A callback that only
   * repeats the connection or sync state every tab already has is dropped (stream-facts.ts).
   */
  #emitAll(event: string, data: string, errCode: number, errMsg: string, exceptTab?: string): void {
    const cb = { event, data, errCode, errMsg };
    if (!this.#facts.pass(cb)) return;
    for (const c of [...this.#clients]) if (exceptTab === undefined || tabKey(c) !== exceptTab) this.#sendTo(c, event, data, errCode, errMsg);
    this.#parked.keep(cb, exceptTab);
  }

  #sendTo(c: SessionClient, event: string, data: string, errCode: number, errMsg: string): void {
    try {
      c.sendEvent(event, data, errCode, errMsg);
    } catch (err) {
      this.#log.warn({ err, clientId: c.id, event }, 'client failed to take an event');
    }
  }

  /** The session cannot go on: close an open sync for every tab before saying why. */
  #closeSync(errCode: number, errMsg: string): void {
    const cb = this.#facts.closeSync(errCode, errMsg);
    if (cb) this.#emitAll(cb.event, cb.data, cb.errCode, cb.errMsg);
  }

  #onWorkerLog(line: LogMessage): void {
    const obj = { ...line.obj, from: 'core' };
    if (line.msg === undefined) this.#log[line.level](obj);
    else this.#log[line.level](obj, line.msg);
  }

  #setState(next: SessionState): void {
    if (next === this.#state) return;
    const m = this.#d.metrics.sessions;
    m?.dec({ state: this.#state });
    if (next !== 'stopped') m?.inc({ state: next });
    this.#log.debug({ from: this.#state, to: next }, 'session state');
    this.#state = next;
    // Calls accepted while a worker logs in wait for it; any other state lets them run (and
    // get their answer, or their typed refusal) at once.
    if (next === 'restarting') this.#calls.pause();
    else this.#calls.resume();
  }
}

/** A session process's pid for log lines (pino's own `pid` is the gateway's). */
function childPid(gen: Generation): number | undefined {
  return gen.host.isolation === 'process' ? gen.host.pid : undefined;
}

/** Resolves with the value, or undefined once `ms` passed. Never rejects. */
async function withTimeout<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p.catch(() => undefined),
      new Promise<undefined>((res) => (timer = setTimeout(() => res(undefined), ms))),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
