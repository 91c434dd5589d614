// Two watchdogs for one running worker, both on the main thread, neither needing the worker's
// cooperation to fire:
//
// - stuck: every tick, ping the worker and sample how busy its event loop was since the last
//   tick, from outside: a thread's event-loop utilisation (worker.performance
//   .eventLoopUtilization(cur, prev)), a child process's main-thread CPU time (/proc schedstat);
//   both read while the core spins (host.ts BusySampler). No pong for `watchdogMs` while the loop
//   is busy (>= 0.9), or no pong at all for 2 × watchdogMs, means the worker is stuck -> onStuck
//   (terminate, 'watchdog'). A core that is busy but still answers (cpu-burn) is never stuck.
// - soft heap: the worker's telemetry reports heapUsed; above `softHeapBytes` -> onSoftHeap
//   (drain and restart, classified 'oom') before V8 reaches the hard limit, where some
//   allocation shapes abort the whole process instead of raising ERR_WORKER_OUT_OF_MEMORY.

import type { Worker } from 'node:worker_threads';
import type { BusySampler } from './host.ts';

export interface WatchdogOptions {
  readonly watchdogMs: number;
  readonly softHeapBytes: number;
  readonly ping: (seq: number) => void;
  readonly onStuck: (detail: string) => void;
  readonly onSoftHeap: (detail: string) => void;
}

const BUSY_ELU = 0.9;

export class Watchdog {
  readonly #busy: BusySampler;
  readonly #o: WatchdogOptions;
  readonly #timer: NodeJS.Timeout;
  #seq = 0;
  #lastPongAt = Date.now();
  #lastElu = 0;
  #fired = false;
  readonly #tickMs: number;
  #lastTickAt = Date.now();

  constructor(busy: BusySampler, options: WatchdogOptions) {
    this.#busy = busy;
    this.#o = options;
    this.#tickMs = Math.max(25, Math.floor(options.watchdogMs / 5));
    this.#timer = setInterval(() => this.#tick(), this.#tickMs);
    this.#timer.unref();
  }

  /** How busy the core's event loop was over the last tick, 0..1. */
  get elu(): number {
    return this.#lastElu;
  }

  pong(_seq: number): void {
    this.#lastPongAt = Date.now();
  }

  telemetry(heapUsed: number): void {
    if (this.#fired || heapUsed <= this.#o.softHeapBytes) return;
    this.#fired = true;
    this.stop();
    this.#o.onSoftHeap(`heap used ${mb(heapUsed)} MB > soft limit ${mb(this.#o.softHeapBytes)} MB`);
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  #tick(): void {
    if (this.#fired) return;
    // Unknown (no /proc): never "busy", so only the 2 × watchdogMs silence rule applies.
    this.#lastElu = this.#busy() ?? 0;
    const now = Date.now();
    const stalled = now - this.#lastTickAt > 3 * this.#tickMs;
    this.#lastTickAt = now;
    if (stalled) {
      // The MAIN thread was blocked: pongs may be queued unread. Judge the worker next tick.
      this.#lastPongAt = Math.max(this.#lastPongAt, now - this.#tickMs);
      this.#o.ping(++this.#seq);
      return;
    }
    const silentMs = now - this.#lastPongAt;
    const stuck =
      (silentMs >= this.#o.watchdogMs && this.#lastElu >= BUSY_ELU) || silentMs >= 2 * this.#o.watchdogMs;
    if (stuck) {
      this.#fired = true;
      this.stop();
      this.#o.onStuck(`no pong for ${silentMs} ms, event-loop utilisation ${this.#lastElu.toFixed(2)}`);
      return;
    }
    this.#o.ping(++this.#seq);
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
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      get.call(worker).then((h) => h.used_heap_size),
      new Promise<null>((res) => (timer = setTimeout(() => res(null), timeoutMs))),
    ]);
  } catch {
    return null;
  } finally {
    clearTimeout(timer);
  }
}
