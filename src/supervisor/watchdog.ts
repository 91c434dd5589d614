// Two watchdogs for one running worker, both on the main thread, neither needing the worker's
// cooperation to fire:
//
// - stuck: every tick, sample how busy the core's event loop was since the last tick, from
//   outside and without waking it: a thread's event-loop utilisation (worker.performance
//   .eventLoopUtilization(cur, prev)), a child process's main-thread CPU time (/proc schedstat);
//   both read while the core spins (host.ts BusySampler). A worker whose loop was almost idle
//   over the tick (< IDLE_ELU) with no call in flight keeps returning to its poll phase, where it
//   would read a ping: that is proof of life, and it is NOT pinged (an idle session costs no
//   wake-ups; it is looked at every third tick). Any other worker is pinged every tick (watchdogMs / 5).
//   No pong for `watchdogMs` while the loop is busy (ELU >= 0.9), or no proof of life at all for
//   2 × watchdogMs, means the worker is stuck -> onStuck (terminate, 'watchdog'). A worker that
//   gets stuck while idle is seen at the next tick and dies within about 1.25 × watchdogMs
//   (test/supervisor/watchdog.test.ts). A core that is busy but still answers (cpu-burn) is
//   never stuck. An unknown sample (no /proc) counts as busy but never as spinning: such a
//   worker is pinged every tick and only the 2 × watchdogMs rule applies.
// - soft heap: every pong carries the worker's heapUsed (an idle worker is still pinged every
//   IDLE_PING_MS, so the figure stays fresh); above `softHeapBytes` -> onSoftHeap (drain and
//   restart, classified 'oom') before V8 reaches the hard limit, where some allocation shapes
//   abort the whole process instead of raising ERR_WORKER_OUT_OF_MEMORY.
//
// There is no watchdog while a worker boots (spawn to logged in): the start timeout bounds that.
//
// Every watchdog with the same period runs off one shared timer (Clock): the main thread wakes
// once per tick for all workers, not once per worker (400 wake-ups a second at 1,000 sessions).

import type { Worker } from 'node:worker_threads';
import type { BusySampler } from './host.ts';
import { withTimeout } from '../timeout.ts';

export interface WatchdogOptions {
  readonly watchdogMs: number;
  readonly softHeapBytes: number;
  readonly ping: (seq: number) => void;
  /** Calls in flight: a worker that has some is pinged whatever its ELU. */
  readonly busy: () => boolean;
  readonly onStuck: (detail: string) => void;
  readonly onSoftHeap: (detail: string) => void;
}

const BUSY_ELU = 0.9;
/** Below this ELU over a tick (and with no call in flight) the worker is idle, not pinged. */
const IDLE_ELU = 0.05;
/** An idle worker is looked at every IDLE_TICKS ticks (3/5 of watchdogMs). */
const IDLE_TICKS = 3;
/** An idle worker is still pinged this often: its heap figure and pong path stay checked. */
export const IDLE_PING_MS = 30_000;

/** One interval timer for every watchdog ticking at `periodMs`; it stops when the last leaves. */
class Clock {
  static readonly #clocks = new Map<number, Clock>();
  readonly #periodMs: number;
  readonly #members = new Set<Watchdog>();
  #timer: NodeJS.Timeout | undefined;

  private constructor(periodMs: number) {
    this.#periodMs = periodMs;
  }

  static join(periodMs: number, w: Watchdog): Clock {
    let c = Clock.#clocks.get(periodMs);
    if (!c) {
      c = new Clock(periodMs);
      Clock.#clocks.set(periodMs, c);
    }
    c.#members.add(w);
    if (!c.#timer) {
      c.#timer = setInterval(() => {
        const now = Date.now();
        for (const m of c.#members) m.onClock(now);
      }, periodMs);
      c.#timer.unref();
    }
    return c;
  }

  leave(w: Watchdog): void {
    this.#members.delete(w);
    if (this.#members.size > 0) return;
    clearInterval(this.#timer);
    this.#timer = undefined;
    Clock.#clocks.delete(this.#periodMs);
  }
}

export class Watchdog {
  readonly #busy: BusySampler;
  readonly #o: WatchdogOptions;
  readonly #activeMs: number;
  readonly #idleMs: number;
  readonly #clock: Clock;
  /** When the next tick is due (ms since epoch). */
  #nextAt: number;
  #seq = 0;
  /** Last proof that the worker's loop turns: a pong, or an idle tick. */
  #lastLife = Date.now();
  #lastPingAt = 0;
  /** A ping is out and its pong has not come back. */
  #pingOut = false;
  #lastElu = 0;
  #fired = false;
  #stopped = false;
  #lastTickAt = Date.now();
  #armedMs: number;

  constructor(busy: BusySampler, options: WatchdogOptions) {
    this.#busy = busy;
    this.#o = options;
    this.#activeMs = Math.max(25, Math.floor(options.watchdogMs / 5));
    this.#idleMs = IDLE_TICKS * this.#activeMs;
    this.#armedMs = this.#activeMs;
    this.#nextAt = Date.now() + this.#activeMs;
    this.#clock = Clock.join(this.#activeMs, this);
  }

  /** How busy the core's event loop was over the last tick, 0..1. */
  get elu(): number {
    return this.#lastElu;
  }

  pong(_seq: number, heapUsed?: number): void {
    this.#lastLife = Date.now();
    this.#pingOut = false;
    if (heapUsed === undefined || this.#fired || heapUsed <= this.#o.softHeapBytes) return;
    this.#fired = true;
    this.stop();
    this.#o.onSoftHeap(`heap used ${mb(heapUsed)} MB > soft limit ${mb(this.#o.softHeapBytes)} MB`);
  }

  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#clock.leave(this);
  }

  /** The shared clock ticked (internal to this module). */
  onClock(now: number): void {
    // Within a millisecond of due counts: the clock's period and the tick interval are equal.
    if (now + 1 >= this.#nextAt) this.#tick();
  }

  #arm(ms: number): void {
    this.#armedMs = ms;
    this.#nextAt = this.#lastTickAt + ms;
  }

  #ping(now: number): void {
    this.#lastPingAt = now;
    this.#pingOut = true;
    this.#o.ping(++this.#seq);
  }

  #tick(): void {
    if (this.#fired || this.#stopped) return;
    const sample = this.#busy();
    // Unknown (no /proc): never idle, never "spinning", so only the 2 × watchdogMs rule applies.
    this.#lastElu = sample ?? 0;
    const now = Date.now();
    const stalled = now - this.#lastTickAt > 3 * this.#armedMs;
    this.#lastTickAt = now;
    if (stalled) {
      // The MAIN thread was blocked: pongs may be queued unread. Judge the worker next tick.
      this.#lastLife = Math.max(this.#lastLife, now - this.#activeMs);
      this.#ping(now);
      this.#arm(this.#activeMs);
      return;
    }
    if (sample !== null && sample < IDLE_ELU && !this.#pingOut && !this.#o.busy()) {
      this.#lastLife = now;
      if (now - this.#lastPingAt >= IDLE_PING_MS) this.#ping(now);
      this.#arm(this.#idleMs);
      return;
    }
    const bound = this.#o.watchdogMs;
    const silentMs = now - this.#lastLife;
    if ((silentMs >= bound && this.#lastElu >= BUSY_ELU) || silentMs >= 2 * bound) {
      this.#fired = true;
      this.stop();
      this.#o.onStuck(`no pong for ${silentMs} ms, event-loop utilisation ${this.#lastElu.toFixed(2)}`);
      return;
    }
    this.#ping(now);
    this.#arm(this.#activeMs);
  }
}

function mb(bytes: number): number {
  return Math.round(bytes / (1024 * 1024));
}

/**
 * The worker's heap use read from the main thread, or null if unavailable within `timeoutMs`.
 * `worker.getHeapStatistics()` (Node >= 22.16) runs as a V8 interrupt, so it answers even while
 * the worker spins; feature-detected because Node 20 lacks it.
 */
export async function heapUsedNow(worker: Worker, timeoutMs: number): Promise<number | null> {
  const get = (worker as { getHeapStatistics?: () => Promise<{ used_heap_size: number }> }).getHeapStatistics;
  if (typeof get !== 'function') return null;
  return (await withTimeout(get.call(worker).then((h) => h.used_heap_size), timeoutMs)) ?? null;
}
