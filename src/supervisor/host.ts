// What hosts one session's core, whatever the isolation: a worker thread (worker-host.ts), a
// child process (process-host.ts) or the gateway's own thread (in-process-host.ts). The
// Generation, the warm pool and the watchdog see only this interface.
//
// HostBase holds the bookkeeping every host shares: the one-shot `loaded` and `exited` promises,
// whether the host is alive, whether the core was logged in (a death before that is an init
// failure), and the supervisor's stated intent. The intent is said before the supervisor asks the
// host to end (shutdown: 'normal') or kills it (watchdog, soft heap: 'oom', an OS limit): the
// first intent wins, a later terminate() with the same reason refines its detail, and each host's
// classification decides what outranks it (a crash during a shutdown is still a crash).

import { fromWire, gatewayError, type ExitReason, type WireError } from '../errors.ts';
import type { LoadedMessage, SessionBinding } from '../protocol.ts';
import type { RpcClient, RpcClientOptions } from '../rpc/client.ts';

export type Isolation = 'none' | 'thread' | 'process';

export interface ExitInfo {
  readonly reason: ExitReason;
  /** Exit code; -1 when a signal ended a process (see detail). */
  readonly code: number;
  readonly detail: string;
  /** What the worker reported before dying (init failures), if anything. */
  readonly error: WireError | null;
}

/** Share of the last interval the core's event loop was busy, 0..1; null when unknown. */
export type BusySampler = () => number | null;

export interface SessionHost {
  readonly isolation: Isolation;
  /** The worker's thread id; the main thread's for `none`; null for a process. */
  readonly threadId: number | null;
  /** The process the core runs in: the child's pid for `process`, the gateway's otherwise. */
  readonly pid: number;
  /** The core module is imported and the heap check passed. Rejects if the host died first. */
  readonly loaded: Promise<LoadedMessage>;
  /** `loaded` has resolved (a warm spare that has is preferred). */
  readonly isLoaded: boolean;
  /** Resolves once, with the classified exit. Never rejects. */
  readonly exited: Promise<ExitInfo>;
  readonly alive: boolean;
  /** The core was logged in (markRunning): an exit now is a crash, not a failed start. */
  readonly running: boolean;
  /** Hand the host its session; returns the RPC client on the session's port. */
  bind(binding: SessionBinding, options: RpcClientOptions): RpcClient;
  /** The core is logged in: from now on a failure is a crash, not an init failure. */
  markRunning(): void;
  /** Say why the host is about to end, before asking it to or killing it. The first intent wins. */
  expect(reason: ExitReason, detail: string): void;
  /** End it now (no cooperation needed, except for `none`: see in-process-host.ts). */
  terminate(reason: ExitReason, detail: string): Promise<ExitInfo>;
  /** Whether the host keeps the gateway's event loop alive (warm spares do not). */
  ref(): void;
  unref(): void;
  /** For the stuck-loop watchdog, or null when there is nothing to watch (`none`). */
  busySampler(): BusySampler | null;
  /** The core's heap use read from outside (answers while it spins), or null. */
  heapUsedNow(timeoutMs: number): Promise<number | null>;
}

export interface Intent {
  readonly reason: ExitReason;
  readonly detail: string;
}

/** How a host's end reads in the error a pending `loaded` rejects with. */
const ENDED: Record<Isolation, string> = { thread: 'session worker', process: 'session process', none: 'in-process core' };

export abstract class HostBase {
  abstract readonly isolation: Isolation;
  readonly loaded: Promise<LoadedMessage>;
  readonly exited: Promise<ExitInfo>;

  #alive = true;
  #loaded = false;
  #running = false;
  #intent: Intent | null = null;
  #loadedResolve!: (m: LoadedMessage) => void;
  #loadedReject!: (e: unknown) => void;
  #exitResolve!: (info: ExitInfo) => void;

  constructor() {
    this.loaded = new Promise((res, rej) => {
      this.#loadedResolve = res;
      this.#loadedReject = rej;
    });
    this.loaded.catch(() => {});
    this.exited = new Promise((res) => (this.#exitResolve = res));
  }

  get alive(): boolean {
    return this.#alive;
  }

  get isLoaded(): boolean {
    return this.#loaded;
  }

  get running(): boolean {
    return this.#running;
  }

  protected get intent(): Intent | null {
    return this.#intent;
  }

  markRunning(): void {
    this.#running = true;
  }

  expect(reason: ExitReason, detail: string): void {
    this.#intent ??= { reason, detail };
  }

  async terminate(reason: ExitReason, detail: string): Promise<ExitInfo> {
    // Same reason: the newer detail says more (e.g. "terminated after 400 ms").
    if (this.#intent?.reason === reason) this.#intent = { reason, detail };
    else this.expect(reason, detail);
    if (this.#alive) await this.kill();
    return this.exited;
  }

  /** End the host without cooperation; its exit is reported through `ended()`. */
  protected abstract kill(): void | Promise<void>;

  protected markLoaded(m: LoadedMessage): void {
    this.#loaded = true;
    this.#loadedResolve(m);
  }

  /**
   * The host is gone: settle `loaded` (if still pending: with what the worker reported, else why
   * it ended) and `exited`. Once.
   */
  protected ended(info: ExitInfo): void {
    if (!this.#alive) return;
    this.#alive = false;
    this.#loadedReject(info.error ? fromWire(info.error) : gatewayError('GW_INTERNAL', `${ENDED[this.isolation]} ended: ${info.reason}`, { reason: info.reason }));
    this.#exitResolve(info);
  }
}
