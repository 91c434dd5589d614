// The warm spare pool: K session workers (threads, or processes with `--isolation process`)
// spawned ahead of any login. Each has booted (imported the core module, passed the heap check)
// and waits at the bind step with no user data opened (workers/session-worker.ts; a HostSpec
// carries nothing user-specific). A login takes one and
// binds it; the pool refills in the background, one spawn at a time, so refilling never competes
// with a burst of logins for more than one core.
//
// There is no way back in: a worker that was bound to a user is never returned, whatever happens
// to its session (logout, crash, fault, restart), so no state can leak from one user to the next.
//
// A spare is only handed out for a spec equal to the one it was spawned with (same isolation,
// core, heap limit, OS limits, log level...; compared field by field, so a field added to the
// spec is compared too): a user with a per-user override from --limits-file gets a cold spawn. Spares are unref'd while they wait (they never keep the process alive) and ref'd when
// taken. If spares keep dying before they load (a broken core module), refilling stops after a
// few attempts instead of spinning; the next take() tries again.

import { availableParallelism } from 'node:os';
import { isDeepStrictEqual } from 'node:util';
import type { Logger } from 'pino';
import type { Metrics } from '../metrics.ts';
import type { SessionHost } from './host.ts';
import type { HostSpec } from './spawn.ts';

export interface WarmPoolOptions {
  /** How many spares to keep. 0 disables the pool. */
  readonly size: number;
  readonly spec: HostSpec;
  readonly log: Logger;
  readonly metrics: Metrics;
  /** Start one host for the spec (spawn.ts spawnHost); throws if it cannot. */
  readonly spawn: (spec: HostSpec) => SessionHost;
}

/** `--warm-pool auto`: one spare per CPU, at least 1, at most 4. */
export function defaultPoolSize(): number {
  return Math.min(4, Math.max(1, availableParallelism()));
}

const MAX_FAILURES = 3;

export class WarmPool {
  readonly #o: WarmPoolOptions;
  readonly #spares: SessionHost[] = [];
  #filling = false;
  #closed = false;
  #failures = 0;
  /** Workers ever spawned by the pool (tests, metrics). */
  spawned = 0;

  constructor(options: WarmPoolOptions) {
    this.#o = options;
    this.#fill();
  }

  get size(): number {
    return this.#o.size;
  }

  /** Spares alive right now (loaded or still booting). */
  get available(): number {
    return this.#spares.length;
  }

  /** Thread ids (processes: pids) of the current spares (tests). */
  threadIds(): number[] {
    return this.#spares.map((h) => h.threadId ?? h.pid);
  }

  /**
   * A spare for this spec, or null (pool empty, closed, or a different spec). Prefers one that
   * already loaded its core. The caller owns the worker from here on; it never comes back.
   */
  take(spec: HostSpec): SessionHost | null {
    if (this.#closed || this.#o.size === 0 || !isDeepStrictEqual(spec, this.#o.spec)) return null;
    this.#failures = 0;
    let i = this.#spares.findIndex((h) => h.alive && h.isLoaded);
    if (i < 0) i = this.#spares.findIndex((h) => h.alive);
    const host = i >= 0 ? this.#spares.splice(i, 1)[0]! : null;
    this.#o.metrics.warmPoolTakes.inc({ result: host ? 'hit' : 'miss' });
    this.#o.metrics.warmPoolSpares.set(this.#spares.length);
    host?.ref();
    // Refill after the caller's synchronous work (binding the worker it just got).
    setImmediate(() => this.#fill());
    return host;
  }

  /** Terminate every spare; take() returns null from now on. */
  async close(): Promise<void> {
    this.#closed = true;
    const spares = this.#spares.splice(0);
    this.#o.metrics.warmPoolSpares.set(0);
    await Promise.all(spares.map((h) => h.terminate('normal', 'warm pool closed')));
  }

  #fill(): void {
    if (this.#filling || this.#closed) return;
    this.#filling = true;
    void this.#fillLoop().finally(() => (this.#filling = false));
  }

  async #fillLoop(): Promise<void> {
    while (!this.#closed && this.#spares.length < this.#o.size && this.#failures < MAX_FAILURES) {
      let host: SessionHost;
      try {
        host = this.#o.spawn(this.#o.spec);
      } catch (err) {
        this.#failures++;
        this.#o.log.error({ err }, 'warm pool: cannot spawn a spare worker');
        continue;
      }
      this.spawned++;
      host.unref();
      this.#spares.push(host);
      this.#o.metrics.warmPoolSpares.set(this.#spares.length);
      void host.exited.then((info) => {
        const i = this.#spares.indexOf(host);
        if (i < 0) return; // taken (the session owns its exit) or closed
        this.#spares.splice(i, 1);
        this.#o.metrics.warmPoolSpares.set(this.#spares.length);
        if (this.#closed) return;
        this.#o.log.warn({ reason: info.reason, detail: info.detail, threadId: host.threadId, pid: host.pid }, 'warm pool: a spare worker died while waiting');
        this.#failures++;
        this.#fill();
      });
      try {
        await host.loaded;
        this.#failures = 0;
      } catch {
        // The exit handler above counts it.
      }
    }
    if (this.#failures >= MAX_FAILURES && !this.#closed) {
      this.#o.log.error({ failures: this.#failures }, 'warm pool: spares keep failing to start; refilling paused until the next login');
    }
  }
}
