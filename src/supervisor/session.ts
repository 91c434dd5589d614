// One (userID, platformID): its worker generations, its tabs, its call queue and its lifecycle
// (lifecycle.ts has the states and the diagram).
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
import type { EventMessage, FaultKind, LogMessage } from '../protocol.ts';
import { RestartPolicy } from './backoff.ts';
import { CallQueue } from './call-queue.ts';
import { assertContained } from './faults.ts';
import { Generation } from './generation.ts';
import type { ExitInfo, SessionHost } from './host.ts';
import { isEnding, loginStatusOf, quarantinedError, refusalOf, restartInMs, stateOf, stopCode, withTimeout, type Life, type StopReason } from './lifecycle.ts';
import type { SessionLimits } from './limits.ts';
import type { HostSpec } from './spawn.ts';
import { Tabs } from './tabs.ts';
import type { SessionClient, SessionInfo, SessionState } from './types.ts';

export type { StopReason } from './lifecycle.ts';

export interface SessionDeps {
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

/** How long in-flight calls get to finish when the soft heap watchdog fires. */
const SOFT_DRAIN_MS = 500;

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
  readonly #tabs: Tabs;
  #life: Life = { kind: 'new' };
  #token: string;
  /** The token the live core logged in with (it may lag #token until the core is told). */
  #coreToken: string | null = null;
  /** The latest worker generation (it outlives `ready`: a crashed one tells queued calls why). */
  #gen: Generation | null = null;
  /** Logins waiting for the core to be logged in. */
  #waiters: Waiter[] = [];
  #restarts = 0;
  #lastExit: SessionInfo['lastExit'] = null;
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
    this.#policy = new RestartPolicy({ baseMs: o.restartBackoffMs, maxMs: o.restartBackoffMaxMs, intensity: o.restartIntensity, periodMs: o.restartPeriodMs });
    this.#tabs = new Tabs({
      log: deps.log,
      idleGraceMs: o.idleGraceMs,
      maxTabs: o.maxConnsPerUser,
      onIdle: () => {
        if (this.#tabs.size === 0 && this.#life.kind !== 'quarantined') void this.close('idle');
      },
    });
    this.stopped = new Promise((res) => (this.#markStopped = res));
    deps.metrics.sessions.inc({ state: this.state });
  }

  get state(): SessionState {
    return stateOf(this.#life);
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

  /** True once close() or destroy() began, or a kick is being classified: the registry must wait for `stopped` and start a fresh session. */
  get closing(): boolean {
    return isEnding(this.#life) || this.#kick !== null;
  }

  has(client: SessionClient): boolean {
    return this.#tabs.has(client);
  }

  /** Whether `token` is the session's current token (the one a restart logs in with). */
  holds(token: string): boolean {
    return this.#token === token;
  }

  get clientCount(): number {
    return this.#tabs.size;
  }

  /** Since when the session has had no connection (its idle grace runs), or null. */
  get idleSince(): number | null {
    return this.#tabs.idleSince;
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
    if (this.closing) throw gatewayError(this.#endCode());
    if (this.#life.kind === 'quarantined') throw this.#quarantinedError();
    const attaching = this.#tabs.attach(client);
    // A newly attaching client's other token got here only because upstream just accepted it
    // (the supervisor checks): it is the newest, and the session's from now on.
    if (attaching && token !== this.#token) this.#adopt(token);
    if (this.#life.kind === 'ready') return;
    const ready = new Promise<void>((resolve, reject) => this.#waiters.push({ resolve, reject }));
    if (this.#life.kind === 'new') {
      this.#resumed = resumed;
      void this.#launch('start');
    }
    try {
      await ready;
    } catch (e) {
      this.#tabs.remove(client);
      throw e;
    }
  }

  /** Detach after Logout; closes the session if it was the last client. */
  async logout(client: SessionClient): Promise<void> {
    if (!this.#tabs.remove(client)) return;
    if (this.#tabs.size > 0 || this.#life.kind === 'quarantined') return;
    await this.close('logout');
  }

  /** Clients attached with another token than the session's current one. */
  clientsWithOtherTokens(): SessionClient[] {
    return this.#tabs.all().filter((c) => c.principal.token !== this.#token);
  }

  /**
   * Detach a client whose token upstream no longer accepts (a newer token superseded it): it
   * gets OnKickedOffline, as a device kicked by a newer login does upstream.
   */
  expel(client: SessionClient): void {
    if (!this.#tabs.remove(client)) return;
    this.#log.info({ clientId: client.id }, 'client expelled: its token was superseded');
    this.#tabs.tell(client, 'OnKickedOffline');
    if (this.#tabs.size === 0) this.#armIdle();
  }

  /** The connection dropped: detach (parked for its return); the last one arms the idle grace. */
  detach(client: SessionClient): void {
    if (!this.#tabs.detach(client, !isEnding(this.#life))) return;
    if (this.#tabs.size === 0) this.#armIdle();
  }

  loginStatus(): 1 | 2 | 3 {
    return loginStatusOf(this.#life);
  }

  // ---------------------------------------------------------------- calls

  /** `client`: the tab that made the call; null for the session's own calls. */
  call(client: SessionClient | null, fn: string, args: readonly unknown[], operationID: string): Promise<unknown> {
    // While a new worker logs in, calls wait in the (paused, bounded) queue instead of failing:
    // a client that reacts to OnConnectSuccess must not race the end of the re-Login.
    const refused = this.#life.kind === 'restarting' ? null : this.#refusal();
    if (refused) return this.#calls.refuse(refused);
    if (client) this.#tabs.noteCall(client, fn, args);
    // A call accepted by a ready worker belongs to it: if that worker dies first, so does the call.
    const pinned = this.#life.kind === 'ready' ? this.#gen : null;
    return this.#calls.submit(fn, args, operationID, () => {
      const gen = this.#gen;
      const replacing = this.#life.kind === 'draining' && this.#life.why === 'restart';
      if (gen?.serving && gen.rpc && (!pinned || gen === pinned) && !replacing) return gen.rpc;
      // Never posted to a worker, so the call did not run: unlike the in-flight calls a crash
      // rejects with GW_SESSION_CRASHED (outcome unknown), this one is simply retried.
      const why = (pinned ?? gen)?.crashError ? 'the worker exited before the call ran' : undefined;
      return this.#refusal() ?? gatewayError('GW_SESSION_RESTARTING', why, { restartInMs: restartInMs(this.#life) });
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
    const gen = this.#gen;
    if (!gen?.serving || !gen.rpc) return false;
    this.#log.warn({ kind }, 'injecting fault');
    return gen.rpc.fault(kind);
  }

  // ---------------------------------------------------------------- admin

  /** Admin restart: drain, normal stop, start again. Not counted toward the restart intensity. */
  async restart(): Promise<boolean> {
    if (this.#life.kind === 'quarantined') return this.unquarantine();
    if (this.#life.kind !== 'ready') return false;
    const gen = this.#gen!;
    const draining = this.#to({ kind: 'draining', why: 'restart' });
    this.#log.info('admin restart');
    const boundMs = this.#d.options.drainTimeoutMs;
    await withTimeout(this.#calls.runningSettled(), boundMs);
    await gen.retire('restart', 'normal', 'admin restart', boundMs);
    // Anything else that happened meanwhile owns the session now: a stop, or a crash while
    // closing (backoff or quarantine). (#current(): TypeScript keeps the narrowing from before the awaits.)
    const now = this.#current();
    if (now !== draining) return !isEnding(now) && now.kind !== 'quarantined';
    this.#tabs.emit('OnConnecting', '', 0, '');
    this.#restarts++;
    this.#d.metrics.sessionRestarts.inc({ reason: 'admin' });
    await this.#launch('restart');
    return true;
  }

  async unquarantine(): Promise<boolean> {
    if (this.#life.kind !== 'quarantined') return false;
    this.#log.info('unquarantined by admin');
    this.#policy.reset();
    this.#restarts++;
    this.#d.metrics.sessionRestarts.inc({ reason: 'unquarantine' });
    this.#tabs.emit('OnConnecting', '', 0, '');
    await this.#launch('restart');
    return true;
  }

  /**
   * End the session gently: refuse new calls, let accepted ones (running and queued) finish,
   * close the core (shutdown `why`), and terminate it if all that takes longer than `boundMs`.
   */
  close(why: StopReason, boundMs = this.#d.options.drainTimeoutMs): Promise<void> {
    return isEnding(this.#life) ? this.stopped : this.#stop(why, boundMs);
  }

  /** End the session now: what was accepted is rejected, the core is terminated without waiting. */
  destroy(why: StopReason): Promise<void> {
    return this.close(why, 0);
  }

  info(): SessionInfo {
    const pong = this.#gen?.lastPong ?? null;
    return {
      sessionId: this.sessionId,
      userID: this.userID,
      platformID: this.platformID,
      state: this.state,
      connections: this.#tabs.size,
      restarts: this.#restarts,
      lastExit: this.#lastExit,
      threadId: this.threadId,
      isolation: this.#d.limits.isolation,
      pid: this.pid,
      heapUsed: pong?.heapUsed ?? null,
      heapLimit: pong?.heapLimit ?? null,
      queueDepth: this.#calls.waiting,
      inFlight: this.#gen?.rpc?.inFlight ?? 0,
      startedAt: this.startedAt,
      idleSince: this.#tabs.idleSince,
    };
  }

  // ---------------------------------------------------------------- lifecycle

  /**
   * The one place the lifecycle changes: what a state owns ends with it (a backoff's timer, a
   * quarantine's gauge), and the call queue holds its waiting calls only while a worker logs in.
   */
  #to<L extends Life>(next: L): L {
    const prev = this.#life;
    this.#life = next;
    if (prev.kind === 'backoff') clearTimeout(prev.timer);
    if (prev.kind === 'quarantined') this.#d.metrics.quarantined.dec();
    if (next.kind === 'quarantined') this.#d.metrics.quarantined.inc();
    const from = stateOf(prev);
    const to = stateOf(next);
    if (from !== to) {
      this.#d.metrics.sessions.dec({ state: from });
      if (next.kind !== 'stopped') this.#d.metrics.sessions.inc({ state: to });
      this.#log.debug({ from, to }, 'session state');
    }
    if (next.kind === 'restarting') this.#calls.pause();
    else this.#calls.resume();
    return next;
  }

  /** The launch under way, if any (a stop waits for it, bounded). */
  #launchUnderWay(): Promise<void> | undefined {
    const life = this.#life;
    return life.kind === 'starting' || life.kind === 'restarting' || life.kind === 'draining' ? life.launch : undefined;
  }

  async #launch(kind: 'start' | 'restart'): Promise<void> {
    let settle!: () => void;
    const launch = new Promise<void>((res) => (settle = res));
    this.#to({ kind: kind === 'start' ? 'starting' : 'restarting', launch });
    try {
      await this.#launchOnce(kind);
    } catch (err) {
      // A bug here must not become an unhandled rejection that takes the gateway down.
      this.#log.error({ err }, 'session launch failed unexpectedly');
      this.#failWaiters(gatewayError('GW_INTERNAL'));
    } finally {
      settle();
    }
  }

  async #launchOnce(kind: 'start' | 'restart'): Promise<void> {
    const o = this.#d.options;
    const t0 = performance.now();
    let gen: Generation;
    try {
      gen = this.#openGeneration();
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
    if (isEnding(this.#life)) return; // the stop takes it from here
    gen.goLive();
    const ms = performance.now() - t0;
    this.#d.metrics.sessionStart.observe({ status: kind === 'start' ? 'ok' : 'restart_ok' }, ms / 1000);
    this.#log.info({ threadId: gen.host.threadId, childPid: childPid(gen), ms: Math.round(ms), kind }, 'session ready');
    this.#to({ kind: 'ready' });
    this.#coreToken = launchToken;
    // A newer token arrived while this core logged in with the older one.
    this.#syncCoreToken();
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w.resolve();
    if (this.#tabs.size === 0) this.#armIdle();
  }

  /** A host from the warm pool (same spec) or a fresh one, wired to this session. */
  #openGeneration(): Generation {
    const o = this.#d.options;
    const spec = this.#d.spec;
    const gen: Generation = new Generation(
      {
        host: this.#d.spares?.take(spec) ?? this.#d.spawn(spec, this.#log),
        boot: spec.boot,
        log: this.#log,
        watchdogMs: o.watchdogMs,
        softHeapBytes: spec.boot.heapLimitMb * 1024 * 1024 * o.heapSoftRatio,
        startTimeoutMs: o.startTimeoutMs,
      },
      {
        onEvent: (e) => this.#onCoreEvent(gen, e),
        onLog: (line) => this.#onWorkerLog(line),
        onUpstream: (sample) => {
          this.#d.metrics.upstreamRest.observe({ family: routeFamily(sample.route), outcome: sample.outcome }, sample.seconds);
        },
        onSoftHeap: (detail) => void this.#softRestart(gen, detail),
      },
    );
    return gen;
  }

  /** The worker died (or could not be spawned) before its core was logged in. */
  #launchFailed(kind: 'start' | 'restart', info: ExitInfo, t0: number): void {
    this.#d.metrics.sessionStart.observe({ status: info.reason }, (performance.now() - t0) / 1000);
    if (isEnding(this.#life)) return;
    this.#log.error({ reason: info.reason, detail: info.detail, kind }, 'session worker failed to start');
    if (kind === 'start') {
      // Never respawn implicitly after a failed first start (JupyterHub's lesson): the client
      // gets the reason, and its next Login is a fresh attempt.
      const err = info.error ? fromWire(info.error) : gatewayError('GW_INTERNAL', 'session failed to start', { reason: info.reason, detail: info.detail });
      this.#failWaiters(err);
      void this.destroy('admin');
      return;
    }
    this.#afterCrash(info);
  }

  /** The core refused Login (bad token, server says no): close it normally, never restart. */
  async #loginRefused(kind: 'start' | 'restart', gen: Generation, e: unknown, t0: number): Promise<void> {
    this.#d.metrics.sessionStart.observe({ status: 'login_failed' }, (performance.now() - t0) / 1000);
    if (isEnding(this.#life)) return;
    const code = typeof (e as { code?: unknown })?.code === 'number' ? (e as { code: number }).code : 0;
    const message = (e as Error)?.message ?? '';
    this.#log.warn({ code, kind }, 'core refused Login');
    if (kind === 'restart') {
      this.#tabs.closeSync(code, message);
      this.#tabs.emit('OnConnectFailed', '', code, message);
    }
    this.#failWaiters(e);
    this.#tabs.clear();
    this.#to({ kind: 'draining', why: 'logout', launch: this.#launchUnderWay() });
    await gen.retire('idle', 'normal', 'login refused', this.#d.options.drainTimeoutMs);
    void this.destroy('idle');
  }

  #onExit(gen: Generation, info: ExitInfo): void {
    this.#d.metrics.sessionExits.inc({ reason: info.reason });
    gen.stopWatchdog();
    if (gen === this.#gen) this.#lastExit = { reason: info.reason, detail: info.detail, at: Date.now() };
    const log = info.reason === 'normal' ? this.#log.info.bind(this.#log) : this.#log.error.bind(this.#log);
    log({ reason: info.reason, code: info.code, detail: info.detail, threadId: gen.host.threadId, childPid: childPid(gen) }, 'session worker exited');
    const life = this.#life;
    if (!gen.host.running || info.reason === 'normal' || gen !== this.#gen || isEnding(life)) {
      // Launch failures and deliberate stops are handled by whoever started them; this only
      // guarantees nothing is left pending on the dead port.
      const code = isEnding(life) ? stopCode(life.why) : 'GW_SESSION_CRASHED';
      gen.rpc?.failAll(gatewayError(code, info.reason, { reason: info.reason }));
      return;
    }
    this.#afterCrash(info, gen);
  }

  /** A crash of a running worker, or a failed restart: reject, tell clients, back off or quarantine. */
  #afterCrash(info: ExitInfo, gen?: Generation): void {
    const decision = this.#policy.next();
    const err = gatewayError('GW_SESSION_CRASHED', info.reason, { reason: info.reason, restartInMs: decision.quarantine ? null : decision.delayMs });
    if (gen) {
      gen.crashError = err;
      gen.rpc?.failAll(err);
    }
    this.#to({ kind: 'crashed' });
    this.#tabs.emit('OnConnecting', '', 0, '');
    if (decision.quarantine) {
      this.#quarantine(info);
      return;
    }
    this.#d.metrics.sessionRestarts.inc({ reason: info.reason });
    this.#log.warn({ reason: info.reason, restartInMs: decision.delayMs, recent: this.#policy.recent() }, 'restarting session after backoff');
    const timer = setTimeout(() => {
      if (this.#life.kind !== 'backoff') return;
      this.#restarts++;
      void this.#launch('restart');
    }, decision.delayMs);
    this.#to({ kind: 'backoff', timer, restartAt: Date.now() + decision.delayMs });
  }

  #quarantine(info: ExitInfo): void {
    // An idle grace armed before the crash loop must not stop (and so forget) a quarantined
    // session: the next Login would start fresh with no restart history. Only an admin releases it.
    this.#tabs.cancelIdle();
    this.#to({ kind: 'quarantined' });
    this.#log.error({ reason: info.reason, intensity: this.#d.options.restartIntensity, periodMs: this.#d.options.restartPeriodMs }, 'session quarantined');
    const err = this.#quarantinedError();
    this.#failWaiters(err);
    this.#tabs.closeSync(err.code, err.message);
    this.#tabs.emit('OnConnectFailed', '', err.code, err.message);
  }

  /** Soft heap watchdog: drain what is running (briefly), then restart as an 'oom' exit. */
  async #softRestart(gen: Generation, detail: string): Promise<void> {
    if (gen !== this.#gen || this.#life.kind !== 'ready') return;
    this.#log.warn({ detail }, 'soft heap limit reached; draining and restarting');
    this.#to({ kind: 'draining', why: 'restart' });
    await withTimeout(this.#calls.runningSettled(), Math.min(SOFT_DRAIN_MS, this.#d.limits.callTimeoutMs));
    if (gen !== this.#gen || !gen.host.alive) return;
    gen.host.expect('oom', `soft heap watchdog: ${detail}`);
    // The exit is an 'oom' crash: #onExit takes it through backoff (or quarantine) to a relaunch.
    await gen.retire('restart', 'oom', detail, this.#d.options.drainTimeoutMs);
  }

  async #stop(why: StopReason, boundMs: number): Promise<void> {
    const until = Date.now() + boundMs;
    const left = (): number => Math.max(0, until - Date.now());
    const launch = this.#launchUnderWay();
    this.#tabs.cancelIdle();
    this.#to({ kind: 'stopping', why });
    this.#log.info({ reason: why }, 'stopping session');
    this.#failWaiters(gatewayError(stopCode(why)));
    if (launch) await withTimeout(launch, left());
    // Accepted calls, running and queued, get to finish: no acknowledged call is lost.
    await withTimeout(this.#calls.onIdle(), left());
    const gen = this.#gen;
    if (gen && gen.host.alive) await gen.retire(why === 'moved' ? 'signed_out' : why, 'normal', `stopped: ${why}`, left());
    const stopped = gatewayError(stopCode(why), why);
    gen?.rpc?.failAll(stopped);
    this.#calls.clear(stopped);
    this.#tabs.clear();
    this.#to({ kind: 'stopped', why });
    this.#log.info({ reason: why }, 'session stopped');
    this.#markStopped();
    this.#d.onStopped(this);
  }

  // ---------------------------------------------------------------- helpers

  #current(): Life {
    return this.#life;
  }

  #armIdle(): void {
    if (isEnding(this.#life) || this.#life.kind === 'quarantined') return;
    this.#tabs.armIdle();
  }

  #refusal(): GatewayError | null {
    return refusalOf(this.#life, { restarts: this.#restarts, lastExit: this.#lastExit });
  }

  #quarantinedError(): GatewayError {
    return quarantinedError({ restarts: this.#restarts, lastExit: this.#lastExit });
  }

  /** What a Login is refused with while the session ends (or a kick is being classified). */
  #endCode(): ErrorName {
    const life = this.#life;
    return life.kind === 'stopping' || life.kind === 'stopped' || life.kind === 'draining' ? stopCode(life.why) : 'GW_SESSION_STOPPED';
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
    this.#tabs.deliver(e);
    if (e.event === 'OnUserTokenExpired') this.#signedOut();
  }

  /**
   * The server signed this user out (kicked, or the token expired): the core has stopped its
   * network for good. End the session now, or a Login with a fresh token during the idle grace
   * would attach to a core that can no longer reach the server; and no cached verdict for the
   * pair may let a token in again without asking upstream.
   */
  #signedOut(): void {
    this.#d.onSignedOut(this);
    void this.close('signed_out');
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
    if (!isEnding(this.#life)) this.#to({ kind: 'draining', why: 'signed_out', launch: this.#launchUnderWay() });
    const moved = await this.#d.stillAccepted(this, this.#token).catch(() => false);
    this.#kick = null;
    if (moved) {
      this.#log.info({ clients: this.#tabs.size }, 'kicked by a newer connection with the same token: the session moved to another node');
      if (!isEnding(this.#life)) this.#to({ kind: 'draining', why: 'moved', launch: this.#launchUnderWay() });
      const err = gatewayError('GW_SESSION_MOVED');
      for (const c of this.#tabs.all()) c.close(err.close ?? 1012, 'session moved to another node');
      void this.close('moved');
      return;
    }
    this.#tabs.deliver(e);
    for (const h of kick.held) this.#tabs.deliver(h);
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
    if (this.#life.kind !== 'ready' || this.#coreToken === null || this.#coreToken === this.#token) return;
    const token = this.#token;
    this.#coreToken = token;
    this.call(null, 'Login', [this.userID, token], `${this.sessionId}-login-${++this.#loginSeq}`).catch((err: unknown) => {
      this.#log.warn({ code: (err as { code?: unknown })?.code }, 'core did not take the newer token');
    });
  }

  #onWorkerLog(line: LogMessage): void {
    const obj = { ...line.obj, from: 'core' };
    if (line.msg === undefined) this.#log[line.level](obj);
    else this.#log[line.level](obj, line.msg);
  }
}

/** A session process's pid for log lines (pino's own `pid` is the gateway's). */
function childPid(gen: Generation): number | undefined {
  return gen.host.isolation === 'process' ? gen.host.pid : undefined;
}
