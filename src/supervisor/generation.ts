// One worker lifetime of a session: spawn, boot, bind, core Login, the watchdogs while it serves,
// and its end (asked for, or forced). What happens between generations is lifecycle.ts's.

import type { Logger } from 'pino';
import type { ExitReason, GatewayError } from '../errors.ts';
import type { EventMessage, LogMessage, PongMessage, SessionBinding, ShutdownMessage, UpstreamMessage, WorkerBoot } from '../protocol.ts';
import type { RpcClient } from '../rpc/client.ts';
import type { ExitInfo, SessionHost } from './host.ts';
import type { SessionBase } from './spawn.ts';
import { Watchdog } from './watchdog.ts';
import { withTimeout } from '../timeout.ts';

export interface GenerationOptions {
  /** A fresh host, or a pre-spawned spare from the warm pool (spawn.ts), booted with `boot`. */
  readonly host: SessionHost;
  readonly boot: WorkerBoot;
  readonly log: Logger;
  readonly watchdogMs: number;
  readonly softHeapBytes: number;
  readonly startTimeoutMs: number;
}

export interface GenerationHooks {
  onEvent(e: EventMessage): void;
  onUpstream(sample: UpstreamMessage['sample']): void;
  /** Heap above the soft limit while serving: the session drains and restarts. */
  onSoftHeap(detail: string): void;
}

/** A session's next generation: a warm spare for its spec if the pool has one, else a fresh host. */
export function openGeneration(s: SessionBase, hooks: GenerationHooks): Generation {
  const o = s.options;
  return new Generation(
    {
      host: s.spares?.take(s.spec) ?? s.spawn(s.spec, s.log),
      boot: s.spec.boot,
      log: s.log,
      watchdogMs: o.watchdogMs,
      softHeapBytes: s.spec.boot.heapLimitMb * 1024 * 1024 * o.heapSoftRatio,
      startTimeoutMs: o.startTimeoutMs,
    },
    hooks,
  );
}

export class Generation {
  readonly host: SessionHost;
  rpc: RpcClient | null = null;
  /** The worker's heap as its last pong reported it (the admin API, the stuck-loop verdict). */
  lastPong: PongMessage | null = null;
  /** Set when the worker died abnormally while serving: what its calls were rejected with. */
  crashError: GatewayError | null = null;

  readonly #o: GenerationOptions;
  readonly #hooks: GenerationHooks;
  #watchdog: Watchdog | null = null;

  constructor(options: GenerationOptions, hooks: GenerationHooks) {
    this.#o = options;
    this.#hooks = hooks;
    this.host = options.host;
  }

  /** Logged in, alive, and its port open: a call posted now reaches the core. */
  get serving(): boolean {
    return this.host.running && this.host.alive && this.rpc !== null && !this.rpc.dead;
  }

  get exited(): Promise<ExitInfo> {
    return this.host.exited;
  }

  /**
   * Boot, bind and log the core in, all within startTimeoutMs (past it the worker is terminated
   * as init_failed). Rejects with the core's Login error while the worker lives, or with the
   * worker's death otherwise (check `host.alive`).
   */
  async start(binding: SessionBinding, login: { readonly args: readonly unknown[]; readonly operationID: string }): Promise<void> {
    const { startTimeoutMs, watchdogMs } = this.#o;
    const deadline = Date.now() + startTimeoutMs;
    const timer = setTimeout(() => void this.host.terminate('init_failed', `not logged in within ${startTimeoutMs} ms`), startTimeoutMs);
    try {
      await this.host.loaded;
      const rpc = this.host.bind(binding, {
        overdueGraceMs: watchdogMs,
        onEvent: (e) => this.#hooks.onEvent(e),
        onPong: (p) => {
          this.lastPong = p;
          this.#watchdog?.pong(p.seq, p.heapUsed);
        },
        onLog: (line) => this.#forwardLog(line),
        onUpstream: (sample) => this.#hooks.onUpstream(sample),
        onOverdue: (c) => this.kill('watchdog', `call ${c.fn} ignored cancellation for ${c.overdueMs} ms past its deadline`),
        onBroken: (e) => this.kill('exception', `messageerror: ${e.message}`),
      });
      this.rpc = rpc;
      // The boot carries the level at startup (a warm spare was booted before any SIGHUP);
      // the session logger's level is the current one.
      if (this.#o.log.level !== this.#o.boot.logLevel) rpc.setLogLevel(this.#o.log.level);
      await rpc.ready;
      await rpc.call('Login', login.args, { operationID: login.operationID, deadline }).result;
    } finally {
      clearTimeout(timer);
    }
  }

  /** The core is logged in: failures are crashes from now on (host.running), and the watchdogs run. */
  goLive(): void {
    this.host.markRunning();
    // In-process cores have no thread to watch (or to terminate): see in-process-host.ts.
    const busy = this.host.busySampler();
    if (!busy) return;
    this.#watchdog = new Watchdog(busy, {
      watchdogMs: this.#o.watchdogMs,
      softHeapBytes: this.#o.softHeapBytes,
      ping: (seq) => this.rpc?.ping(seq),
      busy: () => (this.rpc?.inFlight ?? 0) > 0,
      onStuck: (detail) => void this.#onStuck(detail),
      onSoftHeap: (detail) => this.#hooks.onSoftHeap(detail),
    });
  }

  stopWatchdog(): void {
    this.#watchdog?.stop();
  }

  kill(reason: ExitReason, detail: string): void {
    if (!this.host.alive) return;
    this.#o.log.error({ reason, detail }, 'terminating session worker');
    void this.host.terminate(reason, detail);
  }

  /**
   * End the worker: ask its core to close (shutdown `why`), terminate it past `boundMs`.
   * `intent` is the classification recorded if the worker does not crash on its own.
   */
  async retire(why: ShutdownMessage['reason'], intent: ExitReason, detail: string, boundMs: number): Promise<ExitInfo> {
    this.stopWatchdog();
    this.host.expect(intent, detail);
    if (!this.host.alive) return this.host.exited;
    if (!this.rpc || this.rpc.dead) return this.host.terminate(intent, detail);
    void this.rpc.shutdown(why).catch(() => {});
    const info = await withTimeout(this.host.exited, boundMs);
    if (info) return info;
    this.#o.log.warn({ boundMs, why }, 'core did not close in time; terminating the worker');
    return this.host.terminate(intent, `${detail}; terminated after ${boundMs} ms`);
  }

  /** A core log line, written by the session's logger (the worker has none of its own). */
  #forwardLog(line: LogMessage): void {
    const obj = { ...line.obj, from: 'core' };
    if (line.msg === undefined) this.#o.log[line.level](obj);
    else this.#o.log[line.level](obj, line.msg);
  }

  /**
   * A worker that stopped answering above its soft heap limit is thrashing in GC on its way to
   * an OOM: classify it 'oom', not 'watchdog', so operators see the real cause.
   */
  async #onStuck(detail: string): Promise<void> {
    const used = (await this.host.heapUsedNow(250)) ?? this.lastPong?.heapUsed ?? null;
    if (used !== null && used >= this.#o.softHeapBytes) {
      this.kill('oom', `unresponsive at ${Math.round(used / 1024 / 1024)} MB heap, above the soft limit (GC thrash): ${detail}`);
    } else {
      this.kill('watchdog', detail);
    }
  }
}
