// The worker side of a session: its generations one after another. It launches a worker and
// logs its core in, takes a crash through backoff (or quarantine) to the next launch, replaces a
// core on an admin restart or the soft heap watchdog, and closes or destroys the session. The
// state is one value (session-state.ts) changed only by #to(); the session (session.ts) owns the
// tabs, the tokens and what the core says, and asks this for the rest.
//
// Every exit of a worker rejects that worker's in-flight calls at once (RpcClient.failAll), so no
// call is ever left pending on a dead port.

import { resolve as resolvePath } from 'node:path';
import type { Logger } from 'pino';
import { fromWire, gatewayError, type ErrorName, type GatewayError } from '../errors.ts';
import { sessionDataDir } from '../ids.ts';
import { routeFamily } from '../metrics.ts';
import type { EventMessage } from '../protocol.ts';
import { withTimeout } from '../timeout.ts';
import { RestartPolicy } from './backoff.ts';
import type { CallQueue } from './call-queue.ts';
import { openGeneration, type Generation } from './generation.ts';
import type { ExitInfo } from './host.ts';
import { isEnding, quarantinedError, refusalOf, stateOf, stopCode, type History, type Life, type StopReason } from './session-state.ts';
import type { SessionBase } from './spawn.ts';
import type { Tabs } from './tabs.ts';
import type { SessionState } from './types.ts';

export interface LifecycleDeps extends SessionBase {
  /** The session's call queue: held while a worker logs in, drained and cleared by a stop. */
  readonly calls: CallQueue;
  /** The session's tabs: told about outages, forgotten by a stop. */
  readonly tabs: Tabs;
  /** The token a launch logs the core in with (the session's newest). */
  token(): string;
  /** A fresh operationID for a Login the session makes itself. */
  loginOperationID(): string;
  onCoreEvent(gen: Generation, e: EventMessage): void;
  /** A core logged in with `token` and serves from now on. */
  onReady(token: string): void;
  onStopped(): void;
}

interface Waiter {
  readonly resolve: () => void;
  readonly reject: (e: unknown) => void;
}

/** How long in-flight calls get to finish when the soft heap watchdog fires. */
const SOFT_DRAIN_MS = 500;

export class Lifecycle {
  /** Resolves when the session is stopped for good. */
  readonly stopped: Promise<void>;

  readonly #d: LifecycleDeps;
  readonly #log: Logger;
  readonly #policy: RestartPolicy;
  #life: Life = { kind: 'new' };
  /** The latest worker generation (it outlives `ready`: a crashed one tells queued calls why). */
  #gen: Generation | null = null;
  /** Logins waiting for a core to be logged in. */
  #waiters: Waiter[] = [];
  #restarts = 0;
  #lastExit: History['lastExit'] = null;
  /** Started by a client that redialled (Session#login). */
  #resumed = false;
  #markStopped!: () => void;

  constructor(deps: LifecycleDeps) {
    this.#d = deps;
    this.#log = deps.log;
    const o = deps.options;
    this.#policy = new RestartPolicy({ baseMs: o.restartBackoffMs, maxMs: o.restartBackoffMaxMs, intensity: o.restartIntensity, periodMs: o.restartPeriodMs });
    this.stopped = new Promise((res) => (this.#markStopped = res));
    deps.metrics.sessions.inc({ state: this.state });
  }

  get life(): Life {
    return this.#life;
  }

  get state(): SessionState {
    return stateOf(this.#life);
  }

  get gen(): Generation | null {
    return this.#gen;
  }

  get history(): History {
    return { restarts: this.#restarts, lastExit: this.#lastExit };
  }

  /** Why a new call cannot run now, or null if it can. */
  refusal(): GatewayError | null {
    return refusalOf(this.#life, this.history);
  }

  quarantinedError(): GatewayError {
    return quarantinedError(this.history);
  }

  /** What a Login is refused with while the session ends (or a kick is being classified). */
  endCode(): ErrorName {
    const life = this.#life;
    return life.kind === 'stopping' || life.kind === 'stopped' || life.kind === 'draining' ? stopCode(life.why) : 'GW_SESSION_STOPPED';
  }

  /** Resolves once a core is logged in; the first call launches the first worker. */
  whenReady(resumed: boolean): Promise<void> {
    const ready = new Promise<void>((resolve, reject) => this.#waiters.push({ resolve, reject }));
    if (this.#life.kind === 'new') {
      this.#resumed = resumed;
      void this.#launch('start');
    }
    return ready;
  }

  /** Upstream signed the core out (`why`): new calls are refused while the session decides. */
  signOut(why: 'signed_out' | 'moved'): void {
    if (!isEnding(this.#life)) this.#to({ kind: 'draining', why, launch: this.#launchUnderWay() });
  }

  /** Admin restart: drain, normal stop, start again. Not counted toward the restart intensity. */
  async restart(): Promise<boolean> {
    if (this.#life.kind === 'quarantined') return this.unquarantine();
    if (this.#life.kind !== 'ready') return false;
    const gen = this.#gen!;
    const draining = this.#to({ kind: 'draining', why: 'restart' });
    this.#log.info('admin restart');
    const boundMs = this.#d.options.drainTimeoutMs;
    await withTimeout(this.#d.calls.runningSettled(), boundMs);
    await gen.retire('restart', 'normal', 'admin restart', boundMs);
    // Anything else that happened meanwhile owns the session now: a stop, or a crash while
    // closing (backoff or quarantine). (#current(): TypeScript keeps the narrowing from before the awaits.)
    const now = this.#current();
    if (now !== draining) return !isEnding(now) && now.kind !== 'quarantined';
    this.#d.tabs.emit('OnConnecting', '', 0, '');
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
    this.#d.tabs.emit('OnConnecting', '', 0, '');
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

  // ---------------------------------------------------------------- transitions

  /**
   * The one place the state changes: what a state owns ends with it (a backoff's timer, a
   * quarantine's gauge), and the call queue holds its waiting calls only while a worker logs in.
   */
  #to<L extends Life>(next: L): L {
    const prev = this.#life;
    this.#life = next;
    const m = this.#d.metrics;
    if (prev.kind === 'backoff') clearTimeout(prev.timer);
    if (prev.kind === 'quarantined') m.quarantined.dec();
    if (next.kind === 'quarantined') m.quarantined.inc();
    const from = stateOf(prev);
    const to = stateOf(next);
    if (from !== to) {
      m.sessions.dec({ state: from });
      if (next.kind !== 'stopped') m.sessions.inc({ state: to });
      this.#log.debug({ from, to }, 'session state');
    }
    if (next.kind === 'restarting') this.#d.calls.pause();
    else this.#d.calls.resume();
    return next;
  }

  #current(): Life {
    return this.#life;
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
    const d = this.#d;
    const t0 = performance.now();
    let gen: Generation;
    try {
      gen = openGeneration(d, {
        onEvent: (e) => d.onCoreEvent(gen, e),
        onUpstream: (sample) => d.metrics.upstreamRest.observe({ family: routeFamily(sample.route), outcome: sample.outcome }, sample.seconds),
        onSoftHeap: (detail) => void this.#softRestart(gen, detail),
      });
    } catch (e) {
      this.#log.error({ err: e }, 'cannot spawn the session worker');
      this.#launchFailed(kind, { reason: 'init_failed', code: -1, detail: (e as Error).message, error: null }, t0);
      return;
    }
    this.#gen = gen;
    const token = d.token();
    void gen.exited.then((info) => this.#onExit(gen, info));
    try {
      await gen.start(
        {
          sessionId: d.sessionId,
          userID: d.userID,
          platformID: d.platformID,
          dataDir: resolvePath(sessionDataDir(d.options.dbDir, d.userID, d.platformID)),
          apiAddress: d.options.apiAddress,
          wsAddress: d.options.wsAddress,
          resumed: this.#resumed,
        },
        // The token goes to the core and nowhere else: no log line carries Login arguments.
        { args: [d.userID, token], operationID: d.loginOperationID() },
      );
    } catch (e) {
      if (!gen.host.alive || gen.rpc?.dead) this.#launchFailed(kind, await gen.exited, t0);
      else await this.#loginRefused(kind, gen, e, t0);
      return;
    }
    if (isEnding(this.#life)) return; // the stop takes it from here
    gen.goLive();
    const ms = performance.now() - t0;
    d.metrics.sessionStart.observe({ status: kind === 'start' ? 'ok' : 'restart_ok' }, ms / 1000);
    this.#log.info({ threadId: gen.host.threadId, childPid: childPid(gen), ms: Math.round(ms), kind }, 'session ready');
    this.#to({ kind: 'ready' });
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w.resolve();
    d.onReady(token);
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
      this.#d.tabs.closeSync(code, message);
      this.#d.tabs.emit('OnConnectFailed', '', code, message);
    }
    this.#failWaiters(e);
    this.#d.tabs.clear();
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
    this.#d.tabs.emit('OnConnecting', '', 0, '');
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
    this.#d.tabs.cancelIdle();
    this.#to({ kind: 'quarantined' });
    this.#log.error({ reason: info.reason, intensity: this.#d.options.restartIntensity, periodMs: this.#d.options.restartPeriodMs }, 'session quarantined');
    const err = this.quarantinedError();
    this.#failWaiters(err);
    this.#d.tabs.closeSync(err.code, err.message);
    this.#d.tabs.emit('OnConnectFailed', '', err.code, err.message);
  }

  /** Soft heap watchdog: drain what is running (briefly), then restart as an 'oom' exit. */
  async #softRestart(gen: Generation, detail: string): Promise<void> {
    if (gen !== this.#gen || this.#life.kind !== 'ready') return;
    this.#log.warn({ detail }, 'soft heap limit reached; draining and restarting');
    this.#to({ kind: 'draining', why: 'restart' });
    await withTimeout(this.#d.calls.runningSettled(), Math.min(SOFT_DRAIN_MS, this.#d.limits.callTimeoutMs));
    if (gen !== this.#gen || !gen.host.alive) return;
    gen.host.expect('oom', `soft heap watchdog: ${detail}`);
    // The exit is an 'oom' crash: #onExit takes it through backoff (or quarantine) to a relaunch.
    await gen.retire('restart', 'oom', detail, this.#d.options.drainTimeoutMs);
  }

  async #stop(why: StopReason, boundMs: number): Promise<void> {
    const { calls, tabs } = this.#d;
    const until = Date.now() + boundMs;
    const left = (): number => Math.max(0, until - Date.now());
    const launch = this.#launchUnderWay();
    tabs.cancelIdle();
    this.#to({ kind: 'stopping', why });
    this.#log.info({ reason: why }, 'stopping session');
    this.#failWaiters(gatewayError(stopCode(why)));
    if (launch) await withTimeout(launch, left());
    // Accepted calls, running and queued, get to finish: no acknowledged call is lost.
    await withTimeout(calls.onIdle(), left());
    const gen = this.#gen;
    if (gen && gen.host.alive) await gen.retire(why === 'moved' ? 'signed_out' : why, 'normal', `stopped: ${why}`, left());
    const stopped = gatewayError(stopCode(why), why);
    gen?.rpc?.failAll(stopped);
    calls.clear(stopped);
    tabs.clear();
    this.#to({ kind: 'stopped', why });
    this.#log.info({ reason: why }, 'session stopped');
    this.#markStopped();
    this.#d.onStopped();
  }

  #failWaiters(e: unknown): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w.reject(e);
  }
}

/** A session process's pid for log lines (pino's own `pid` is the gateway's). */
function childPid(gen: Generation): number | undefined {
  return gen.host.isolation === 'process' ? gen.host.pid : undefined;
}
