// One (userID, platformID): its tabs, its token, its call queue, and what its core says. The
// worker side (launch, crash, backoff, quarantine, restart, stop) is its Lifecycle
// (lifecycle.ts), whose state (session-state.ts) decides what a Login or a call gets.

import type { Logger } from 'pino';
import { gatewayError } from '../errors.ts';
import type { EventMessage, FaultKind } from '../protocol.ts';
import { CallQueue } from './call-queue.ts';
import { assertContained } from './faults.ts';
import type { Generation } from './generation.ts';
import { Lifecycle } from './lifecycle.ts';
import type { SessionLimits } from './limits.ts';
import { isEnding, loginStatusOf, restartInMs, type StopReason } from './session-state.ts';
import type { SessionBase } from './spawn.ts';
import { Tabs } from './tabs.ts';
import type { SessionClient, SessionInfo, SessionState } from './types.ts';

export interface SessionDeps extends SessionBase {
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
  readonly #tabs: Tabs;
  readonly #lifecycle: Lifecycle;
  #token: string;
  /** The token the live core logged in with (it may lag #token until the core is told). */
  #coreToken: string | null = null;
  /** Set while a kick is classified (#kicked); the core's later callbacks wait in it. */
  #kick: { readonly held: EventMessage[] } | null = null;
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
    this.#tabs = new Tabs({
      log: deps.log,
      idleGraceMs: deps.options.idleGraceMs,
      maxTabs: deps.options.maxConnsPerUser,
      onIdle: () => {
        if (this.#tabs.size === 0 && this.#lifecycle.life.kind !== 'quarantined') void this.close('idle');
      },
    });
    this.#lifecycle = new Lifecycle({
      ...deps,
      calls: this.#calls,
      tabs: this.#tabs,
      token: () => this.#token,
      loginOperationID: () => this.#loginOperationID(),
      onCoreEvent: (gen, e) => this.#onCoreEvent(gen, e),
      onReady: (coreToken) => {
        this.#coreToken = coreToken;
        // A newer token arrived while this core logged in with the older one.
        this.#syncCoreToken();
        if (this.#tabs.size === 0) this.#armIdle();
      },
      onStopped: () => deps.onStopped(this),
    });
    this.stopped = this.#lifecycle.stopped;
  }

  get state(): SessionState {
    return this.#lifecycle.state;
  }

  /** The live worker's thread id, or null between workers (and for a process). */
  get threadId(): number | null {
    const host = this.#lifecycle.gen?.host;
    return host?.alive ? host.threadId : null;
  }

  /** The pid of the process the live core runs in, or null between workers. */
  get pid(): number | null {
    const host = this.#lifecycle.gen?.host;
    return host?.alive ? host.pid : null;
  }

  get isolation(): SessionLimits['isolation'] {
    return this.#d.limits.isolation;
  }

  /** True once close() or destroy() began, or a kick is being classified: the registry must wait for `stopped` and start a fresh session. */
  get closing(): boolean {
    return isEnding(this.#lifecycle.life) || this.#kick !== null;
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
    if (this.closing) throw gatewayError(this.#lifecycle.endCode());
    if (this.#lifecycle.life.kind === 'quarantined') throw this.#lifecycle.quarantinedError();
    const attaching = this.#tabs.attach(client);
    // A newly attaching client's other token got here only because upstream just accepted it
    // (the supervisor checks): it is the newest, and the session's from now on.
    if (attaching && token !== this.#token) this.#adopt(token);
    if (this.#lifecycle.life.kind === 'ready') return;
    try {
      await this.#lifecycle.whenReady(resumed);
    } catch (e) {
      this.#tabs.remove(client);
      throw e;
    }
  }

  /** Detach after Logout; closes the session if it was the last client. */
  async logout(client: SessionClient): Promise<void> {
    if (!this.#tabs.remove(client)) return;
    if (this.#tabs.size > 0 || this.#lifecycle.life.kind === 'quarantined') return;
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
    if (!this.#tabs.detach(client, !isEnding(this.#lifecycle.life))) return;
    if (this.#tabs.size === 0) this.#armIdle();
  }

  loginStatus(): 1 | 2 | 3 {
    return loginStatusOf(this.#lifecycle.life);
  }

  // ---------------------------------------------------------------- calls

  /** `client`: the tab that made the call; null for the session's own calls. */
  call(client: SessionClient | null, fn: string, args: readonly unknown[], operationID: string): Promise<unknown> {
    // While a new worker logs in, calls wait in the (paused, bounded) queue instead of failing:
    // a client that reacts to OnConnectSuccess must not race the end of the re-Login.
    const refused = this.#lifecycle.life.kind === 'restarting' ? null : this.#lifecycle.refusal();
    if (refused) return this.#calls.refuse(refused);
    if (client) this.#tabs.noteCall(client, fn, args);
    // A call accepted by a ready worker belongs to it: if that worker dies first, so does the call.
    const pinned = this.#lifecycle.life.kind === 'ready' ? this.#lifecycle.gen : null;
    return this.#calls.submit(fn, args, operationID, () => {
      const gen = this.#lifecycle.gen;
      const life = this.#lifecycle.life;
      const replacing = life.kind === 'draining' && life.why === 'restart';
      if (gen?.serving && gen.rpc && (!pinned || gen === pinned) && !replacing) return gen.rpc;
      // Never posted to a worker, so the call did not run: unlike the in-flight calls a crash
      // rejects with GW_SESSION_CRASHED (outcome unknown), this one is simply retried.
      const why = (pinned ?? gen)?.crashError ? 'the worker exited before the call ran' : undefined;
      return this.#lifecycle.refusal() ?? gatewayError('GW_SESSION_RESTARTING', why, { restartInMs: restartInMs(life) });
    });
  }

  /** SIGHUP changed the log level: the worker filters its lines at the new one from now on. */
  setLogLevel(level: string): void {
    const rpc = this.#lifecycle.gen?.rpc;
    if (rpc && !rpc.dead) rpc.setLogLevel(level);
  }

  /** Throws GW_FAULT_NEEDS_PROCESS for a kind this session's isolation cannot contain. */
  fault(kind: FaultKind): boolean {
    if (!this.#d.options.faultInjection) return false;
    assertContained(this.#d.limits.isolation, kind);
    const gen = this.#lifecycle.gen;
    if (!gen?.serving || !gen.rpc) return false;
    this.#log.warn({ kind }, 'injecting fault');
    return gen.rpc.fault(kind);
  }

  // ---------------------------------------------------------------- admin

  /** Admin restart: drain, normal stop, start again. Not counted toward the restart intensity. */
  restart(): Promise<boolean> {
    return this.#lifecycle.restart();
  }

  unquarantine(): Promise<boolean> {
    return this.#lifecycle.unquarantine();
  }

  /**
   * End the session gently: refuse new calls, let accepted ones (running and queued) finish,
   * close the core (shutdown `why`), and terminate it if all that takes longer than `boundMs`.
   */
  close(why: StopReason, boundMs?: number): Promise<void> {
    return this.#lifecycle.close(why, boundMs);
  }

  /** End the session now: what was accepted is rejected, the core is terminated without waiting. */
  destroy(why: StopReason): Promise<void> {
    return this.#lifecycle.destroy(why);
  }

  info(): SessionInfo {
    const gen = this.#lifecycle.gen;
    const { restarts, lastExit } = this.#lifecycle.history;
    return {
      sessionId: this.sessionId,
      userID: this.userID,
      platformID: this.platformID,
      state: this.state,
      connections: this.#tabs.size,
      restarts,
      lastExit,
      threadId: this.threadId,
      isolation: this.#d.limits.isolation,
      pid: this.pid,
      heapUsed: gen?.lastPong?.heapUsed ?? null,
      heapLimit: gen?.lastPong?.heapLimit ?? null,
      queueDepth: this.#calls.waiting,
      inFlight: gen?.rpc?.inFlight ?? 0,
      startedAt: this.startedAt,
      idleSince: this.#tabs.idleSince,
    };
  }

  // ---------------------------------------------------------------- helpers

  /** The operationID of a Login the session makes itself (a launch, a newer token). */
  #loginOperationID(): string {
    return `${this.sessionId}-login-${++this.#loginSeq}`;
  }

  #armIdle(): void {
    const life = this.#lifecycle.life;
    if (isEnding(life) || life.kind === 'quarantined') return;
    this.#tabs.armIdle();
  }

  #onCoreEvent(gen: Generation, e: EventMessage): void {
    if (gen !== this.#lifecycle.gen) return;
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
    this.#lifecycle.signOut('signed_out');
    const moved = await this.#d.stillAccepted(this, this.#token).catch(() => false);
    this.#kick = null;
    if (moved) {
      this.#log.info({ clients: this.#tabs.size }, 'kicked by a newer connection with the same token: the session moved to another node');
      this.#lifecycle.signOut('moved');
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
    if (this.#lifecycle.life.kind !== 'ready' || this.#coreToken === null || this.#coreToken === this.#token) return;
    const token = this.#token;
    this.#coreToken = token;
    this.call(null, 'Login', [this.userID, token], this.#loginOperationID()).catch((err: unknown) => {
      this.#log.warn({ code: (err as { code?: unknown })?.code }, 'core did not take the newer token');
    });
  }
}
